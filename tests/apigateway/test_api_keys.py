"""
API keys and usage plans through boto3, and methods with apiKeyRequired
over real sockets: the key, its plan, throttling, quota and usage.
"""

import datetime
import re

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigateway import apikeys
from ruststack.apigateway.store import bad_request
from ruststack.aws.errors import AwsError
from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import error_code
from tests.apigateway.mock_api import fetch, mock_api
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "apigateway")
VALUE = "a-key-of-twenty-chars-or-more"


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def keyed_api(apigw, **plan):
    """
    An API whose methods want a key, a plan for its stage and an enabled
    key in the plan: (api id, key id, plan id).
    """
    api_id, _ = mock_api(apigw, apiKeyRequired=True)
    key = apigw.create_api_key(name="k", enabled=True, value=VALUE)
    usage_plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev"}], **plan)
    apigw.create_usage_plan_key(usagePlanId=usage_plan["id"], keyId=key["id"], keyType="API_KEY")
    return api_id, key["id"], usage_plan["id"]


def test_api_key_crud(apigw):
    made = apigw.create_api_key(name="k", description="d", customerId="c")
    assert re.fullmatch(r"[a-z0-9]{10}", made["id"])
    assert re.fullmatch(r"[A-Za-z0-9]{40}", made["value"]) and made["enabled"] is False
    assert "value" not in apigw.get_api_key(apiKey=made["id"])
    assert apigw.get_api_key(apiKey=made["id"], includeValue=True)["value"] == made["value"]
    given_value = apigw.create_api_key(name="other", value=VALUE, enabled=True)
    assert given_value["value"] == VALUE
    listed = apigw.get_api_keys(includeValues=True)["items"]
    assert {k["value"] for k in listed} == {made["value"], VALUE}
    assert [k["id"] for k in apigw.get_api_keys(nameQuery="oth")["items"]] == [given_value["id"]]
    assert [k["id"] for k in apigw.get_api_keys(customerId="c")["items"]] == [made["id"]]
    updated = apigw.update_api_key(
        apiKey=made["id"],
        patchOperations=[
            {"op": "replace", "path": "/enabled", "value": "true"},
            {"op": "replace", "path": "/name", "value": "renamed"},
        ],
    )
    assert updated["enabled"] is True and updated["name"] == "renamed"
    apigw.delete_api_key(apiKey=made["id"])
    with pytest.raises(ClientError) as raised:
        apigw.get_api_key(apiKey=made["id"])
    assert error_code(raised) == ("NotFoundException", 404)


@pytest.mark.parametrize("value", ["short", "x" * 129])
def test_a_bad_key_value_is_refused(apigw, value):
    with pytest.raises(ClientError) as raised:
        apigw.create_api_key(name="k", value=value)
    assert error_code(raised) == ("BadRequestException", 400)


def test_a_key_value_is_unique(apigw):
    apigw.create_api_key(name="k", value=VALUE)
    with pytest.raises(ClientError) as raised:
        apigw.create_api_key(name="k2", value=VALUE)
    assert error_code(raised) == ("ConflictException", 409)


def test_usage_plan_crud_and_keys(apigw):
    api_id, _ = mock_api(apigw)
    plan = apigw.create_usage_plan(
        name="p",
        apiStages=[{"apiId": api_id, "stage": "dev", "throttle": {"/pets/GET": {"burstLimit": 2, "rateLimit": 1.0}}}],
        throttle={"burstLimit": 10, "rateLimit": 5.0},
        quota={"limit": 100, "period": "MONTH"},
    )
    assert plan["apiStages"][0]["throttle"]["/pets/GET"] == {"burstLimit": 2, "rateLimit": 1.0}
    assert plan["quota"] == {"limit": 100, "offset": 0, "period": "MONTH"}
    key = apigw.create_api_key(name="k", value=VALUE)
    plan_key = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert plan_key == {**plan_key, "id": key["id"], "type": "API_KEY", "value": VALUE, "name": "k"}
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    assert apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])["name"] == "k"
    assert [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]
    with pytest.raises(ClientError) as raised:
        apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert error_code(raised) == ("ConflictException", 409)
    updated = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/throttle/rateLimit", "value": "7"},
            {"op": "replace", "path": "/quota/limit", "value": "50"},
            {"op": "remove", "path": "/apiStages", "value": f"{api_id}:dev"},
            {"op": "replace", "path": "/name", "value": "q"},
        ],
    )
    assert updated["throttle"] == {"burstLimit": 10, "rateLimit": 7.0}
    assert updated["quota"]["limit"] == 50 and updated["apiStages"] == [] and updated["name"] == "q"
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    with pytest.raises(ClientError) as raised:
        apigw.get_usage_plan(usagePlanId=plan["id"])
    assert error_code(raised) == ("NotFoundException", 404)


def test_a_plan_names_existing_stages(apigw):
    api_id, _ = mock_api(apigw)
    with pytest.raises(ClientError) as raised:
        apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "nope"}])
    assert error_code(raised) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as raised:
        apigw.create_usage_plan(name="p", quota={"limit": 5, "period": "YEAR"})
    assert error_code(raised) == ("BadRequestException", 400)


def test_a_method_wants_a_key_of_a_plan_of_its_stage(stack, apigw):
    api_id, key_id, plan_id = keyed_api(apigw)
    assert fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).json() == {"ok": True}
    for headers in ({}, {"x-api-key": "not-a-key-of-this-account"}):
        response = fetch(stack, api_id, "/pets", headers=headers)
        assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})
        assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
    apigw.update_api_key(apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    assert fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).status_code == 403
    apigw.update_api_key(apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}])
    apigw.delete_usage_plan_key(usagePlanId=plan_id, keyId=key_id)
    assert fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).status_code == 403


def test_throttle_and_quota_answer_429(stack, apigw):
    # A bucket of 2 that refills once in 1000 s: the third request is throttled.
    api_id, _, _ = keyed_api(apigw, throttle={"burstLimit": 2, "rateLimit": 0.001})
    statuses = [fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE})
    assert response.json() == {"message": "Too Many Requests"}
    assert response.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    stack.reset()
    api_id, key_id, plan_id = keyed_api(apigw, quota={"limit": 2, "period": "DAY"})
    statuses = [fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE})
    assert response.json() == {"message": "Limit Exceeded"}
    assert response.headers["x-amzn-ErrorType"] == "LimitExceededException"
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    usage = apigw.get_usage(usagePlanId=plan_id, startDate=today, endDate=today)
    assert usage["items"] == {key_id: [[2, 0]]}
    assert usage["startDate"] == today and usage["usagePlanId"] == plan_id


def test_a_stage_throttles_its_methods(stack, apigw):
    # Stage method settings (as the Serverless Framework patches them): every method's, one method's over them.
    api_id, _ = mock_api(apigw)

    def patch(path: str, value: str) -> dict:
        return {"op": "replace", "path": path, "value": value}

    apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            patch("/*/*/throttling/burstLimit", "1"),
            patch("/*/*/throttling/rateLimit", "0.001"),
            patch("/~1pets/POST/throttling/burstLimit", "3"),
            patch("/~1pets/POST/throttling/rateLimit", "0.001"),
        ],
    )
    assert [fetch(stack, api_id, "/pets").status_code for _ in range(2)] == [200, 429]
    assert [fetch(stack, api_id, "/pets", "POST").status_code for _ in range(4)] == [200, 200, 200, 429]
    response = fetch(stack, api_id, "/pets")
    assert response.json() == {"message": "Too Many Requests"}
    assert response.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    # Settings removed: nothing throttles the method any more.
    apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[{"op": "remove", "path": "/*/*"}])
    assert [fetch(stack, api_id, "/pets").status_code for _ in range(3)] == [200] * 3


def test_get_usage_refuses_bad_dates(apigw):
    plan = apigw.create_usage_plan(name="p")
    with pytest.raises(ClientError) as raised:
        apigw.get_usage(usagePlanId=plan["id"], startDate="yesterday", endDate="2026-01-01")
    assert error_code(raised) == ("BadRequestException", 400)


def test_import_api_keys(stack, apigw):
    plan = apigw.create_usage_plan(name="p")
    document = f"Name,key,Description,Enabled,UsagePlanIds\nimported,{VALUE},d,TRUE,{plan['id']}\n"
    imported = apigw.import_api_keys(body=document.encode(), format="csv")
    assert len(imported["ids"]) == 1
    key = apigw.get_api_key(apiKey=imported["ids"][0], includeValue=True)
    assert (key["name"], key["value"], key["enabled"]) == ("imported", VALUE, True)
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == imported["ids"]
    with pytest.raises(ClientError) as raised:
        apigw.import_api_keys(body=b"name,description\nx,y\n", format="csv")
    assert error_code(raised) == ("BadRequestException", 400)
    # All or nothing: a row refused leaves the others out too.
    other = "another-key-of-twenty-chars"
    with pytest.raises(ClientError) as raised:
        apigw.import_api_keys(body=f"name,key\nb,{other}\nc,{VALUE}\n".encode(), format="csv")
    assert error_code(raised) == ("ConflictException", 409)
    assert [k["value"] for k in apigw.get_api_keys(includeValues=True)["items"]] == [VALUE]


def test_keys_plans_and_usage_survive_a_restart(tmp_path):
    process = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = process.client("apigateway")
        api_id, key_id, plan_id = keyed_api(apigw, quota={"limit": 5, "period": "WEEK"})
        assert fetch(process, api_id, "/pets", headers={"x-api-key": VALUE}).status_code == 200
        # A control-plane change writes the usage too.
        apigw.update_usage_plan(usagePlanId=plan_id, patchOperations=[{"op": "replace", "path": "/name", "value": "n"}])
    finally:
        process.stop()
    process = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = process.client("apigateway")
        assert apigw.get_usage_plan(usagePlanId=plan_id)["name"] == "n"
        assert apigw.get_api_key(apiKey=key_id)["enabled"] is True
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        assert apigw.get_usage(usagePlanId=plan_id, startDate=today, endDate=today)["items"] == {key_id: [[1, 4]]}
        assert fetch(process, api_id, "/pets", headers={"x-api-key": VALUE}).status_code == 200
        process.reset()
        assert apigw.get_api_keys()["items"] == []
    finally:
        process.stop()


def test_keys_are_per_account(stack, apigw):
    key = apigw.create_api_key(name="k", value=VALUE)
    other = stack.client("apigateway", aws_access_key_id="111122223333")
    assert other.get_api_keys()["items"] == []
    with pytest.raises(ClientError) as raised:
        other.get_api_key(apiKey=key["id"])
    assert error_code(raised) == ("NotFoundException", 404)
    # The same value is another account's own key.
    assert other.create_api_key(name="k", value=VALUE)["value"] == VALUE


@given(st.text())
def test_any_csv_parses_or_is_refused(document):
    try:
        rows = apikeys.parse_csv(document.encode("utf-8"))
    except AwsError as e:
        assert (e.code, e.status) == (bad_request("x").code, 400)
    else:
        assert all(row["key"] for row in rows)


def test_a_key_is_in_one_plan_of_a_stage(apigw):
    api_id, key_id, _ = keyed_api(apigw)
    other = apigw.create_usage_plan(name="other", apiStages=[{"apiId": api_id, "stage": "dev"}])
    with pytest.raises(ClientError) as raised:
        apigw.create_usage_plan_key(usagePlanId=other["id"], keyId=key_id, keyType="API_KEY")
    assert error_code(raised) == ("ConflictException", 409)
    assert "cannot reference multiple Usage Plans with the same API Stage" in str(raised.value)


def test_update_usage_sets_what_the_quota_leaves(stack, apigw):
    api_id, key_id, plan_id = keyed_api(apigw, quota={"limit": 5, "period": "MONTH"})
    assert fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).status_code == 200
    usage = apigw.update_usage(
        usagePlanId=plan_id, keyId=key_id, patchOperations=[{"op": "replace", "path": "/remaining", "value": "1"}]
    )
    assert usage["items"][key_id][0] == [1, 1]
    statuses = [fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).status_code for _ in range(2)]
    assert statuses == [200, 429]
    apigw.update_usage(
        usagePlanId=plan_id, keyId=key_id, patchOperations=[{"op": "replace", "path": "/remaining", "value": "5"}]
    )
    assert fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).status_code == 200
    with pytest.raises(ClientError) as raised:
        apigw.update_usage(
            usagePlanId=plan_id, keyId=key_id, patchOperations=[{"op": "replace", "path": "/remaining", "value": "x"}]
        )
    assert error_code(raised) == ("BadRequestException", 400)
