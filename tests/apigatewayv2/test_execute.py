"""
The HTTP API data plane in front of the real Lambda service (process
executor, real runtime interface client), with a function that echoes the
event it got: route selection, the payload format 2.0 event and response
rules, payload format 1.0, stages (the $default one at the root, named ones
with their variables), both URL forms, Lambda's permission, and the
gateway's own answers (404, 500, 503).
"""

from __future__ import annotations

import base64
import io
import sys
import zipfile

import attrs
import pytest
import requests

from .conftest import ACCOUNT, REGION

ECHO = """
import json, time

def handler(event, context):
    path = event.get("rawPath") or event.get("path")
    if path.endswith("/boom"):
        raise Exception("boom")
    if path.endswith("/slow"):
        time.sleep(3)
    if path.endswith("/bare-string"):
        return "hello"
    if path.endswith("/bare-object"):
        return {"a": 1}
    if path.endswith("/cookies"):
        return {"statusCode": 201, "cookies": ["a=1", "b=2; Path=/"], "headers": {"X-Thing": "t"}, "body": "made"}
    if path.endswith("/binary"):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True, "body": "AAEC"}
    if path.endswith("/malformed"):
        return {"statusCode": "nope"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
"""


def package(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("echo.py", source)
    return buffer.getvalue()


def create_function(lam, name: str) -> str:
    arn = lam.create_function(
        FunctionName=name,
        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
        Role=f"arn:aws:iam::{ACCOUNT}:role/echo",
        Handler="echo.handler",
        Code={"ZipFile": package(ECHO)},
        Timeout=10,
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return arn


@attrs.frozen
class Deployed:
    api_id: str
    port: str
    endpoint_url: str

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """
        A request in the host form (*.localhost does not resolve for Python:
        the edge's address with the API's Host).
        """
        headers = {"Host": f"{self.api_id}.execute-api.localhost:{self.port}", **kwargs.pop("headers", {})}
        return requests.request(method, f"http://127.0.0.1:{self.port}{path}", headers=headers, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def deployed(http_api_stack):
    http_api_stack.reset("apigatewayv2", "apigateway")
    lam, apigw2 = http_api_stack.client("lambda"), http_api_stack.client("apigatewayv2")
    arn = create_function(lam, "echo2")
    forbidden = create_function(lam, "unpermitted")
    api_id = apigw2.create_api(Name="echo", ProtocolType="HTTP")["ApiId"]

    def integration(uri: str, version: str = "2.0", **more) -> str:
        made = apigw2.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri, PayloadFormatVersion=version, **more
        )
        return f"integrations/{made['IntegrationId']}"

    v2, v1 = integration(arn), integration(arn, "1.0")
    routes = {
        "GET /items/{id}": v2,
        "ANY /{proxy+}": v2,
        "$default": v2,
        "ANY /v1/{proxy+}": v1,
        "GET /slow": integration(arn, TimeoutInMillis=1000),
        "GET /forbidden": integration(forbidden),
        "GET /staged": integration(f"{arn[: -len('echo2')]}${{stageVariables.function}}"),
    }
    for key, target in routes.items():
        apigw2.create_route(ApiId=api_id, RouteKey=key, Target=target)
    apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    apigw2.create_stage(ApiId=api_id, StageName="prod", StageVariables={"function": "echo2", "flavour": "plain"})
    apigw2.create_deployment(ApiId=api_id, StageName="prod")
    # As deploy tools do: API Gateway may invoke the function for this API.
    lam.add_permission(
        FunctionName="echo2",
        StatementId=f"apigateway-{api_id}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
    )
    port = http_api_stack.endpoint_url.rpartition(":")[2]
    return Deployed(api_id, port, http_api_stack.endpoint_url)


def test_the_2_0_event(deployed):
    response = deployed.request(
        "POST",
        "/items/caf%C3%A9?tag=a&tag=b&x=%2F",
        data=b'{"k": "v"}',
        headers={"Content-Type": "application/json", "X-Multi": "one", "Cookie": "s=1; t=2", "User-Agent": "ua/1"},
    )
    assert response.status_code == 200, response.text
    event = response.json()
    # ANY /{proxy+}: POST is not GET /items/{id}.
    assert event["version"] == "2.0" and event["routeKey"] == "ANY /{proxy+}"
    assert (event["rawPath"], event["rawQueryString"]) == ("/items/caf%C3%A9", "tag=a&tag=b&x=%2F")
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["queryStringParameters"] == {"tag": "a,b", "x": "/"}
    assert event["pathParameters"] == {"proxy": "items/café"}
    assert "stageVariables" not in event
    headers = event["headers"]
    assert headers["x-multi"] == "one" and headers["content-type"] == "application/json"
    assert headers["host"] == f"{deployed.api_id}.execute-api.localhost:{deployed.port}"
    assert headers["x-forwarded-for"] == "127.0.0.1" and headers["x-forwarded-proto"] == "http"
    assert "cookie" not in headers
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": "v"}', False)
    context = event["requestContext"]
    assert (context["apiId"], context["accountId"], context["stage"]) == (deployed.api_id, ACCOUNT, "$default")
    assert (context["domainName"], context["domainPrefix"]) == (
        f"{deployed.api_id}.execute-api.localhost",
        deployed.api_id,
    )
    assert context["routeKey"] == "ANY /{proxy+}"
    assert context["http"] == {
        "method": "POST",
        "path": "/items/caf%C3%A9",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "ua/1",
    }
    assert context["requestId"] == response.headers["apigw-requestid"]


def test_route_selection(deployed):
    event = deployed.request("GET", "/items/42").json()
    assert (event["routeKey"], event["pathParameters"]) == ("GET /items/{id}", {"id": "42"})
    event = deployed.request("GET", "/").json()
    assert event["routeKey"] == "$default" and "pathParameters" not in event
    assert deployed.request("DELETE", "/a/b/c").json()["pathParameters"] == {"proxy": "a/b/c"}


def test_binary_request_bodies_are_base64(deployed):
    event = deployed.request(
        "PUT", "/upload", data=b"\x00\x01\xff", headers={"Content-Type": "application/octet-stream"}
    ).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\x01\xff"


def test_the_2_0_response_rules(deployed):
    bare = deployed.request("GET", "/x/bare-string")
    assert (bare.status_code, bare.text, bare.headers["Content-Type"]) == (200, "hello", "application/json")
    assert deployed.request("GET", "/x/bare-object").json() == {"a": 1}
    made = deployed.request("GET", "/x/cookies")
    assert (made.status_code, made.text, made.headers["X-Thing"]) == (201, "made", "t")
    assert made.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2; Path=/"]
    binary = deployed.request("GET", "/x/binary")
    assert (binary.content, binary.headers["Content-Type"]) == (b"\x00\x01\x02", "image/png")


def test_the_1_0_event_and_response(deployed):
    response = deployed.request("POST", "/v1/a/b?q=1&q=2", data=b"hi", headers={"Content-Type": "text/plain"})
    event = response.json()
    assert event["version"] == "1.0"
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/v1/{proxy+}", "/v1/a/b", "POST")
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    assert (event["body"], event["isBase64Encoded"]) == ("hi", False)
    context = event["requestContext"]
    assert (context["resourceId"], context["resourcePath"], context["stage"]) == (
        "ANY /v1/{proxy+}",
        "/v1/{proxy+}",
        "$default",
    )
    assert deployed.request("GET", "/v1/boom").status_code == 500


def test_a_named_stage_with_its_variables(deployed):
    event = deployed.request("GET", "/prod/items/7").json()
    assert (event["routeKey"], event["rawPath"]) == ("GET /items/{id}", "/prod/items/7")
    assert event["requestContext"]["stage"] == "prod"
    assert event["stageVariables"] == {"function": "echo2", "flavour": "plain"}
    # The integration URI names its function by a stage variable.
    assert deployed.request("GET", "/prod/staged").json()["routeKey"] == "GET /staged"
    # The $default stage has no such variable: no function.
    assert deployed.request("GET", "/staged").status_code == 500


def test_the_path_form(deployed):
    base = f"{deployed.endpoint_url}/restapis/{deployed.api_id}"
    event = requests.get(f"{base}/prod/_user_request_/items/3", timeout=60).json()
    assert (event["routeKey"], event["rawPath"], event["pathParameters"]) == (
        "GET /items/{id}",
        "/prod/items/3",
        {"id": "3"},
    )
    event = requests.get(f"{base}/$default/_user_request_/items/4", timeout=60).json()
    assert (event["rawPath"], event["requestContext"]["stage"]) == ("/items/4", "$default")


def test_a_stage_deploys_what_it_was_given(http_api_stack, deployed):
    # A new route reaches the AutoDeploy stage at once, prod only when deployed.
    apigw2 = http_api_stack.client("apigatewayv2")
    target = apigw2.get_routes(ApiId=deployed.api_id)["Items"][0]["Target"]
    route = apigw2.create_route(ApiId=deployed.api_id, RouteKey="GET /new/{n}", Target=target)
    try:
        assert deployed.request("GET", "/new/1").json()["routeKey"] == "GET /new/{n}"
        assert deployed.request("GET", "/prod/new/1").json()["routeKey"] == "ANY /{proxy+}"
    finally:
        apigw2.delete_route(ApiId=deployed.api_id, RouteId=route["RouteId"])


def test_lambda_permission_is_checked_with_the_routes_source_arn(http_api_stack, deployed):
    assert deployed.request("GET", "/forbidden").status_code == 500
    lam = http_api_stack.client("lambda")
    # Not this route's ARN: still refused.
    lam.add_permission(
        FunctionName="unpermitted",
        StatementId="other-route",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{deployed.api_id}/*/GET/other",
    )
    assert deployed.request("GET", "/forbidden").status_code == 500
    lam.add_permission(
        FunctionName="unpermitted",
        StatementId="this-route",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{deployed.api_id}/$default/GET/forbidden",
    )
    assert deployed.request("GET", "/forbidden").json()["routeKey"] == "GET /forbidden"


def test_gateway_errors(deployed):
    def answer(method, path):
        response = deployed.request(method, path)
        return response.status_code, response.json()

    assert answer("GET", "/x/boom") == (500, {"message": "Internal Server Error"})
    assert answer("GET", "/x/malformed") == (500, {"message": "Internal Server Error"})
    assert answer("GET", "/slow") == (503, {"message": "Service Unavailable"})
    # An unknown API, or a stage with no route for the request.
    missing = requests.get(
        f"http://127.0.0.1:{deployed.port}/x", headers={"Host": "nosuchapi0.execute-api.localhost"}, timeout=60
    )
    assert missing.status_code == 403  # no HTTP API of that id: REST APIs answer it
    unknown_stage = requests.get(
        f"{deployed.endpoint_url}/restapis/{deployed.api_id}/nostage/_user_request_/x", timeout=60
    )
    assert (unknown_stage.status_code, unknown_stage.json()) == (404, {"message": "Not Found"})


def test_no_route_is_404(http_api_stack):
    apigw2 = http_api_stack.client("apigatewayv2")
    api = apigw2.create_api(Name="empty", ProtocolType="HTTP")
    apigw2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    port = http_api_stack.endpoint_url.rpartition(":")[2]
    response = requests.get(
        f"http://127.0.0.1:{port}/anything", headers={"Host": f"{api['ApiId']}.execute-api.localhost"}, timeout=60
    )
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
    assert "apigw-requestid" in response.headers
