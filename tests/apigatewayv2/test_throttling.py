"""
Route throttling of HTTP APIs on a real RustStack: a stage's
DefaultRouteSettings and RouteSettings limits applied per route, answered
429 {"message": "Too Many Requests"} beyond them, changed by UpdateStage;
and the token bucket on a clock of its own.
"""

from __future__ import annotations

from twisted.internet.task import Clock

from ruststack.apigatewayv2.execute import HttpApiResource
from ruststack.apigatewayv2.store import HttpApiStore

from .test_execute import Deployed
from .test_http_proxy_and_cors import (
    backend,  # noqa: F401  (the backend fixture)
    proxy_integration,
)

SLOW = {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.001}


def test_routes_are_throttled_by_their_stage(http_api_stack, backend):  # noqa: F811
    http_api_stack.reset("apigatewayv2", "apigateway")
    apigw2 = http_api_stack.client("apigatewayv2")
    api_id = apigw2.create_api(Name="throttled", ProtocolType="HTTP")["ApiId"]
    made = proxy_integration(apigw2, api_id, f"{backend.url}/x")
    for key in ("GET /limited", "GET /free"):
        apigw2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{made['IntegrationId']}")
    apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, RouteSettings={"GET /limited": SLOW})
    api = Deployed(api_id, http_api_stack.endpoint_url.rpartition(":")[2], http_api_stack.endpoint_url)

    # A burst of two, then one request every 1,000 s: the third is refused; another route is not limited.
    assert [api.request("GET", "/limited").status_code for _ in range(3)] == [200, 200, 429]
    reached = len(backend.seen)
    refused = api.request("GET", "/limited")
    assert (refused.status_code, refused.json()) == (429, {"message": "Too Many Requests"})
    assert "apigw-requestid" in refused.headers and len(backend.seen) == reached  # the backend never saw it
    assert [api.request("GET", "/free").status_code for _ in range(5)] == [200] * 5
    # The stage's default limits every route; a route's own settings win over them.
    apigw2.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0.0},
        RouteSettings={"GET /limited": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.001}},
    )
    assert api.request("GET", "/free").status_code == 429
    assert [api.request("GET", "/limited").status_code for _ in range(2)] == [200, 429]


def test_the_bucket_refills_at_its_rate():
    clock = Clock()
    resource = HttpApiResource(HttpApiStore(), lambda: None, clock)
    stage = {"StageName": "s", "DefaultRouteSettings": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 4.0}}

    admitted = [resource.admits("a", stage, "GET /", clock.seconds()) for _ in range(3)]
    assert admitted == [True, True, False]
    clock.advance(0.25)  # one token back
    assert [resource.admits("a", stage, "GET /", clock.seconds()) for _ in range(2)] == [True, False]
    clock.advance(10)  # never more than the burst
    assert [resource.admits("a", stage, "GET /", clock.seconds()) for _ in range(3)] == [True, True, False]
    # Only the rate given: the account's burst.
    only_rate = {"StageName": "t", "DefaultRouteSettings": {"ThrottlingRateLimit": 1.0}}
    assert all(resource.admits("a", only_rate, "GET /", 0.0) for _ in range(100))
