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
