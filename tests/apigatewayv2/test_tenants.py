"""
Accounts and regions: each account's HTTP APIs in each region are its own,
on a RustStack that verifies signatures and on one that does not.
"""

from __future__ import annotations

import pytest

from tests.tenants import ALICE, BOB, tenants_fixture

from .test_control_plane import error_of

tenants = tenants_fixture("apigateway,apigatewayv2")


@pytest.fixture
def fresh(tenants):
    tenants.reset("apigatewayv2")
    return tenants


def test_accounts_are_isolated(fresh):
    alice, bob = fresh.client("apigatewayv2", ALICE), fresh.client("apigatewayv2", BOB)
    api_id = alice.create_api(Name="shared", ProtocolType="HTTP", Tags={"o": "a"})["ApiId"]
    bob.create_api(Name="shared", ProtocolType="HTTP")
    assert [a["Name"] for a in bob.get_apis()["Items"]] == ["shared"]
    assert bob.get_apis()["Items"][0]["ApiId"] != api_id
    assert error_of(bob.get_api, ApiId=api_id) == (
        404,
        "NotFoundException",
        f"Invalid API identifier specified {BOB}:{api_id}",
    )
    assert error_of(bob.create_route, ApiId=api_id, RouteKey="GET /")[:2] == (404, "NotFoundException")
    assert error_of(bob.get_tags, ResourceArn=f"arn:aws:apigateway:us-east-1::/apis/{api_id}")[:2] == (
        404,
        "NotFoundException",
    )
    assert error_of(bob.delete_api, ApiId=api_id)[:2] == (404, "NotFoundException")
    assert alice.get_api(ApiId=api_id)["Tags"] == {"o": "a"}


def test_regions_are_isolated(fresh):
    east, west = fresh.client("apigatewayv2", ALICE), fresh.client("apigatewayv2", ALICE, region="eu-west-1")
    api_id = east.create_api(Name="r", ProtocolType="HTTP")["ApiId"]
    assert west.get_apis()["Items"] == []
    assert error_of(west.get_api, ApiId=api_id)[:2] == (404, "NotFoundException")
    assert east.get_api(ApiId=api_id)["Name"] == "r"


@pytest.mark.parametrize("tenants", ["verify"], indirect=True)
def test_a_bad_signature_is_refused(tenants):
    wrong = tenants.client("apigatewayv2", ALICE, secret="not-the-secret")
    status, _, _ = error_of(wrong.get_apis)
    assert status == 403


@pytest.mark.parametrize("tenants", ["verify"], indirect=True)
def test_stages_are_served_unsigned(fresh):
    import requests

    alice = fresh.client("apigatewayv2", ALICE)
    api_id = alice.create_api(Name="open", ProtocolType="HTTP")["ApiId"]
    alice.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    url = fresh.endpoint_url
    # No route: the stage's own answer, not the edge's refusal of an unsigned request.
    stage = requests.get(f"{url}/restapis/{api_id}/$default/_user_request_/x", timeout=60)
    assert (stage.status_code, stage.json()) == (404, {"message": "Not Found"})
    stranger = fresh.client("apigatewayv2", aws_access_key_id="AKIANOBODY", aws_secret_access_key="x")
    assert error_of(stranger.get_api, ApiId=api_id)[0] == 403


@pytest.mark.parametrize("tenants", ["verify"], indirect=True)
def test_iam_routes_are_authenticated_by_the_edge(fresh):
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import requests

    alice = fresh.client("apigatewayv2", ALICE)
    api_id = alice.create_api(Name="iam", ProtocolType="HTTP")["ApiId"]
    # The integration: RustStack's own health page, over HTTP.
    integration = alice.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri=f"{fresh.endpoint_url}/_ruststack/health",
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    for key, kind in [("GET /private", "AWS_IAM"), ("GET /open", "NONE")]:
        alice.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}", AuthorizationType=kind)
    alice.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    base = f"{fresh.endpoint_url}/restapis/{api_id}/$default/_user_request_"

    def signed(secret: str) -> requests.Response:
        request = botocore.awsrequest.AWSRequest(method="GET", url=f"{base}/private")
        credentials = botocore.credentials.Credentials(fresh.keys[ALICE][0], secret)
        botocore.auth.SigV4Auth(credentials, "execute-api", "us-east-1").add_auth(request)
        return requests.get(f"{base}/private", headers=dict(request.headers.items()), timeout=60)

    assert requests.get(f"{base}/open", timeout=60).status_code == 200
    unsigned = requests.get(f"{base}/private", timeout=60)
    assert (unsigned.status_code, unsigned.json()) == (403, {"message": "Forbidden"})
    wrong = signed("not-the-secret")
    assert wrong.status_code == 403 and wrong.json()["message"].startswith("The request signature we calculated")
    assert signed(fresh.keys[ALICE][1]).status_code == 200
