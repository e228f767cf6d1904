"""
Tags by ARN, the Update operations on documents (deployments, method and
integration responses, stages) and the account settings, through boto3
against a real RustStack, with --data-dir persistence and reset.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.apigateway.patches import ANY_OP, Patchable, Path, as_bool
from ruststack.aws.errors import AwsError
from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import LAMBDA_URI, error_of, proxy_method
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "apigateway")


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def in_region(stack, region: str):
    return boto3.client(
        "apigateway",
        endpoint_url=stack.endpoint_url,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def deployed_api(apigw, stage="dev"):
    api = apigw.create_rest_api(name="app", tags={"team": "a"})
    proxy_method(apigw, api["id"], api["rootResourceId"], "GET", LAMBDA_URI)
    deployment = apigw.create_deployment(restApiId=api["id"], stageName=stage, description="first")
    return api, deployment


def api_arn(api_id: str, stage: str | None = None) -> str:
    return f"arn:aws:apigateway:us-east-1::/restapis/{api_id}" + (f"/stages/{stage}" if stage else "")


def test_tags_of_apis_and_stages(apigw):
    api, _ = deployed_api(apigw)
    assert apigw.get_tags(resourceArn=api_arn(api["id"]))["tags"] == {"team": "a"}
    apigw.tag_resource(resourceArn=api_arn(api["id"]), tags={"env": "test", "team": "b"})
    assert apigw.get_rest_api(restApiId=api["id"])["tags"] == {"team": "b", "env": "test"}
    apigw.untag_resource(resourceArn=api_arn(api["id"]), tagKeys=["team", "absent"])
    assert apigw.get_tags(resourceArn=api_arn(api["id"]))["tags"] == {"env": "test"}
    stage_arn = api_arn(api["id"], "dev")
    assert apigw.get_tags(resourceArn=stage_arn)["tags"] == {}
    apigw.tag_resource(resourceArn=stage_arn, tags={"tier": "gold"})
    assert apigw.get_stage(restApiId=api["id"], stageName="dev")["tags"] == {"tier": "gold"}
    created = apigw.create_stage(
        restApiId=api["id"],
        stageName="prod",
        deploymentId=apigw.get_stage(restApiId=api["id"], stageName="dev")["deploymentId"],
        tags={"k": "v"},
    )
    assert created["tags"] == {"k": "v"}
    assert apigw.get_tags(resourceArn=api_arn(api["id"], "prod"))["tags"] == {"k": "v"}


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("not-an-arn", ("BadRequestException", 400)),
        ("arn:aws:apigateway:eu-west-1::/restapis/abc", ("BadRequestException", 400)),
        ("arn:aws:apigateway:us-east-1::/things/abc", ("BadRequestException", 400)),
        ("arn:aws:apigateway:us-east-1::/restapis/abcdefghij", ("NotFoundException", 404)),
    ],
)
def test_tags_of_what_is_not_there(apigw, arn, expected):
    with pytest.raises(ClientError) as excinfo:
        apigw.get_tags(resourceArn=arn)
    assert error_of(excinfo)[:2] == expected


def test_tags_are_checked(apigw):
    api = apigw.create_rest_api(name="app")
    with pytest.raises(ClientError) as excinfo:
        apigw.tag_resource(resourceArn=api_arn(api["id"]), tags={"aws:x": "y"})
    assert error_of(excinfo)[:2] == ("BadRequestException", 400)
    with pytest.raises(ClientError) as excinfo:
        apigw.tag_resource(resourceArn=api_arn(api["id"]), tags={f"k{i}": "v" for i in range(51)})
    assert error_of(excinfo)[:2] == ("BadRequestException", 400)


def test_tags_are_per_account(stack, apigw):
    api = apigw.create_rest_api(name="mine", tags={"a": "b"})
    other = stack.client("apigateway", aws_access_key_id="111122223333")
    with pytest.raises(ClientError) as excinfo:
        other.get_tags(resourceArn=api_arn(api["id"]))
    assert error_of(excinfo)[:2] == ("NotFoundException", 404)


def test_update_deployment(apigw):
    api, deployment = deployed_api(apigw)
    ids = {"restApiId": api["id"], "deploymentId": deployment["id"]}
    updated = apigw.update_deployment(**ids, patchOperations=[{"op": "replace", "path": "/description", "value": "v2"}])
    assert updated["description"] == "v2"
    assert apigw.get_deployment(**ids)["description"] == "v2"
    with pytest.raises(ClientError) as excinfo:
        apigw.update_deployment(**ids, patchOperations=[{"op": "replace", "path": "/id", "value": "x"}])
    assert error_of(excinfo) == (
        "BadRequestException",
        400,
        "Invalid patch path '/id' specified for op 'replace'. Must be one of: [/description]",
    )


def test_update_method_and_integration_responses(apigw):
    api, _ = deployed_api(apigw)
    ids = {"restApiId": api["id"], "resourceId": api["rootResourceId"], "httpMethod": "GET", "statusCode": "200"}
    apigw.put_method_response(**ids, responseParameters={"method.response.header.X-A": False})
    updated = apigw.update_method_response(
        **ids,
        patchOperations=[
            {"op": "add", "path": "/responseParameters/method.response.header.X-B", "value": "true"},
            {"op": "remove", "path": "/responseParameters/method.response.header.X-A"},
            {"op": "add", "path": "/responseModels/application~1json", "value": "Empty"},
        ],
    )
    assert updated["responseParameters"] == {"method.response.header.X-B": True}
    assert updated["responseModels"] == {"application/json": "Empty"}
    assert apigw.get_method_response(**ids)["responseModels"] == {"application/json": "Empty"}
    with pytest.raises(ClientError) as excinfo:
        apigw.update_method_response(**ids, patchOperations=[{"op": "replace", "path": "/statusCode", "value": "201"}])
    assert error_of(excinfo)[:2] == ("BadRequestException", 400)

    apigw.put_integration_response(**ids, selectionPattern="")
    updated = apigw.update_integration_response(
        **ids,
        patchOperations=[
            {"op": "replace", "path": "/selectionPattern", "value": "2\\d{2}"},
            {"op": "add", "path": "/responseTemplates/application~1json", "value": "$input.body"},
            {"op": "add", "path": "/responseParameters/method.response.header.X-B", "value": "'yes'"},
        ],
    )
    assert updated["selectionPattern"] == "2\\d{2}"
    assert updated["responseTemplates"] == {"application/json": "$input.body"}
    assert updated["responseParameters"] == {"method.response.header.X-B": "'yes'"}
    got = apigw.get_integration_response(**ids)
    assert got["responseTemplates"] == {"application/json": "$input.body"}
    with pytest.raises(ClientError) as excinfo:
        apigw.update_integration_response(**{**ids, "statusCode": "404"}, patchOperations=[])
    assert error_of(excinfo)[:2] == ("NotFoundException", 404)


def test_update_stage_variables_settings_and_throttling(apigw):
    api, _ = deployed_api(apigw)
    updated = apigw.update_stage(
        restApiId=api["id"],
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/variables/fn", "value": "app"},
            {"op": "replace", "path": "/description", "value": "development"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "50"},
        ],
    )
    assert updated["variables"] == {"fn": "app"} and updated["description"] == "development"
    assert updated["tracingEnabled"] is True
    settings_ = updated["methodSettings"]["*/*"]
    assert (settings_["throttlingBurstLimit"], settings_["throttlingRateLimit"]) == (100, 50.0)


def test_account_settings(stack, apigw):
    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    assert account["features"] == ["UsagePlans"] and account["apiKeyVersion"] == "4"
    assert "cloudwatchRoleArn" not in account
    role = "arn:aws:iam::000000000000:role/apigw-logs"
    updated = apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    assert updated["cloudwatchRoleArn"] == role
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    # Per account and per region.
    assert "cloudwatchRoleArn" not in stack.client("apigateway", aws_access_key_id="111122223333").get_account()
    assert "cloudwatchRoleArn" not in in_region(stack, "eu-west-1").get_account()
    removed = apigw.update_account(patchOperations=[{"op": "remove", "path": "/features", "value": "UsagePlans"}])
    assert removed["features"] == []
    for bad in ({"op": "replace", "path": "/cloudwatchRoleArn", "value": "nope"}, {"op": "replace", "path": "/x"}):
        with pytest.raises(ClientError) as excinfo:
            apigw.update_account(patchOperations=[bad])
        assert error_of(excinfo)[:2] == ("BadRequestException", 400)
    stack.reset("apigateway")
    assert "cloudwatchRoleArn" not in apigw.get_account()


def test_tags_account_and_updates_survive_a_restart(tmp_path):
    first = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = first.client("apigateway")
        api, deployment = deployed_api(apigw)
        apigw.tag_resource(resourceArn=api_arn(api["id"], "dev"), tags={"tier": "gold"})
        role = "arn:aws:iam::000000000000:role/logs"
        apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
        ids = {"restApiId": api["id"], "deploymentId": deployment["id"]}
        apigw.update_deployment(**ids, patchOperations=[{"op": "replace", "path": "/description", "value": "v2"}])
        logs = [{"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"}]
        apigw.update_stage(restApiId=api["id"], stageName="dev", patchOperations=logs)
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = second.client("apigateway")
        assert apigw.get_tags(resourceArn=api_arn(api["id"], "dev"))["tags"] == {"tier": "gold"}
        assert apigw.get_account()["cloudwatchRoleArn"] == role
        assert apigw.get_deployment(**ids)["description"] == "v2"
        stage = apigw.get_stage(restApiId=api["id"], stageName="dev")
        assert stage["accessLogSettings"] == {"format": "$context.requestId"}
    finally:
        second.stop()


# The patch applier alone, on arbitrary input.

_RESPONSE = Patchable(maps={"/responseParameters": Path(ANY_OP, as_bool)}, members={"/description": Path()})
_OPS = st.sampled_from(["add", "remove", "replace", "move", "copy", "test"])
_PATHS = st.one_of(
    st.text(max_size=30).map(lambda t: "/" + t),
    st.sampled_from(["/description", "/responseParameters/a", "/responseParameters/a~1b", "/responseParameters"]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_OPS, _PATHS, st.one_of(st.none(), st.text(max_size=10), st.sampled_from(["true"])))))
def test_the_patch_applier_patches_or_refuses_as_bad_request(operations):
    document: dict = {}
    try:
        _RESPONSE.apply(document, operations)
    except AwsError as error:
        assert (error.code, error.status) == ("BadRequestException", 400)
        return
    assert set(document) <= {"description", "responseParameters"}
    assert all(isinstance(v, bool) for v in document.get("responseParameters", {}).values())


def test_update_rest_api_policy_key_source_and_execute_endpoint(apigw):
    api = apigw.create_rest_api(name="app")
    policy = '{"Version": "2012-10-17", "Statement": []}'
    updated = apigw.update_rest_api(
        restApiId=api["id"],
        patchOperations=[
            {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"},
            {"op": "replace", "path": "/policy", "value": policy},
            {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"},
            {"op": "replace", "path": "/version", "value": "1.2"},
        ],
    )
    assert updated["apiKeySource"] == "AUTHORIZER" and updated["policy"] == policy
    assert updated["disableExecuteApiEndpoint"] is True and updated["version"] == "1.2"
    removed = apigw.update_rest_api(restApiId=api["id"], patchOperations=[{"op": "remove", "path": "/policy"}])
    assert "policy" not in removed
    for bad in (
        {"op": "replace", "path": "/apiKeySource", "value": "QUERY"},
        {"op": "replace", "path": "/policy", "value": "{not json"},
        {"op": "add", "path": "/apiKeySource", "value": "HEADER"},
    ):
        with pytest.raises(ClientError) as excinfo:
            apigw.update_rest_api(restApiId=api["id"], patchOperations=[bad])
        assert error_of(excinfo)[:2] == ("BadRequestException", 400)
    assert apigw.get_rest_api(restApiId=api["id"])["apiKeySource"] == "AUTHORIZER"


def test_update_stage_access_logs_cache_and_client_certificate(apigw):
    api, _ = deployed_api(apigw)
    logs = "arn:aws:logs:us-east-1:000000000000:log-group:access"
    # What the Serverless Framework sends when REST API logs are on.
    updated = apigw.update_stage(
        restApiId=api["id"],
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": logs},
            {"op": "replace", "path": "/accessLogSettings/format", "value": '{"id": "$context.requestId"}'},
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/clientCertificateId", "value": "abc123"},
        ],
    )
    assert updated["accessLogSettings"] == {"destinationArn": logs, "format": '{"id": "$context.requestId"}'}
    assert (updated["cacheClusterEnabled"], updated["cacheClusterSize"]) == (True, "0.5")
    assert updated["cacheClusterStatus"] == "AVAILABLE" and updated["clientCertificateId"] == "abc123"
    assert updated["methodSettings"]["*/*"]["loggingLevel"] == "INFO"
    removed = apigw.update_stage(
        restApiId=api["id"],
        stageName="dev",
        patchOperations=[
            {"op": "remove", "path": "/accessLogSettings"},
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "false"},
        ],
    )
    assert "accessLogSettings" not in removed and removed["cacheClusterEnabled"] is False
    assert apigw.get_stage(restApiId=api["id"], stageName="dev")["clientCertificateId"] == "abc123"
    for bad in (
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": "logs"},
        {"op": "replace", "path": "/accessLogSettings/other", "value": "x"},
        {"op": "replace", "path": "/cacheClusterSize", "value": "2"},
        {"op": "add", "path": "/cacheClusterEnabled", "value": "true"},
    ):
        with pytest.raises(ClientError) as excinfo:
            apigw.update_stage(restApiId=api["id"], stageName="dev", patchOperations=[bad])
        assert error_of(excinfo)[:2] == ("BadRequestException", 400)
