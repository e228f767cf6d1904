"""
The control plane through boto3 against a real RustStack process: shapes
botocore parses, API Gateway's error codes, and --data-dir persistence.
"""

import json
import re

import pytest
import requests
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import LAMBDA_URI, error_code, proxy_method
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "apigateway")


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def build_api(apigw, name="app"):
    api = apigw.create_rest_api(name=name, description="d", binaryMediaTypes=["image/png"])
    notes = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="notes")
    note = apigw.create_resource(restApiId=api["id"], parentId=notes["id"], pathPart="{id}")
    proxy_method(apigw, api["id"], note["id"], "GET", LAMBDA_URI)
    return api, notes, note


def test_rest_api_crud_and_ids(apigw):
    api = apigw.create_rest_api(name="app", binaryMediaTypes=["image/png"], tags={"team": "a"})
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"])
    assert re.fullmatch(r"[a-z0-9]{10}", api["rootResourceId"])
    assert api["binaryMediaTypes"] == ["image/png"]
    assert api["endpointConfiguration"] == {"types": ["EDGE"]}
    assert apigw.get_rest_api(restApiId=api["id"])["name"] == "app"
    assert [a["id"] for a in apigw.get_rest_apis()["items"]] == [api["id"]]
    updated = apigw.update_rest_api(
        restApiId=api["id"], patchOperations=[{"op": "add", "path": "/binaryMediaTypes/*~1*"}]
    )
    assert updated["binaryMediaTypes"] == ["image/png", "*/*"]
    apigw.delete_rest_api(restApiId=api["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_rest_api(restApiId=api["id"])
    assert error_code(excinfo) == ("NotFoundException", 404)


def test_resources_methods_integrations(apigw):
    api, notes, note = build_api(apigw)
    assert note["path"] == "/notes/{id}" and note["parentId"] == notes["id"]
    assert re.fullmatch(r"[a-z0-9]{6}", note["id"])
    items = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert set(items) == {"/", "/notes", "/notes/{id}"}
    assert items["/notes/{id}"]["resourceMethods"] == {"GET": {}}
    embedded = apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]
    method = next(r for r in embedded if r["path"] == "/notes/{id}")["resourceMethods"]["GET"]
    assert method["methodIntegration"]["type"] == "AWS_PROXY"
    got = apigw.get_method(restApiId=api["id"], resourceId=note["id"], httpMethod="GET")
    assert got["authorizationType"] == "NONE" and got["methodIntegration"]["uri"] == LAMBDA_URI
    integration = apigw.get_integration(restApiId=api["id"], resourceId=note["id"], httpMethod="GET")
    assert (integration["httpMethod"], integration["timeoutInMillis"]) == ("POST", 29000)
    proxy = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    assert proxy["path"] == "/{proxy+}"
    apigw.delete_method(restApiId=api["id"], resourceId=note["id"], httpMethod="GET")
    with pytest.raises(ClientError) as excinfo:
        apigw.get_method(restApiId=api["id"], resourceId=note["id"], httpMethod="GET")
    assert error_code(excinfo) == ("NotFoundException", 404)
    apigw.delete_resource(restApiId=api["id"], resourceId=notes["id"])
    paths = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/{proxy+}"}  # /notes went with its child


@pytest.mark.parametrize(
    "call, expected",
    [
        (
            lambda c, a, n: c.create_resource(restApiId=a["id"], parentId=a["rootResourceId"], pathPart="notes"),
            ("ConflictException", 409),
        ),
        (
            lambda c, a, n: c.create_resource(restApiId=a["id"], parentId=a["rootResourceId"], pathPart="bad/part"),
            ("BadRequestException", 400),
        ),
        (
            lambda c, a, n: c.create_resource(restApiId=a["id"], parentId=n["parentId"], pathPart="{other}"),
            ("BadRequestException", 400),
        ),
        (
            lambda c, a, n: c.put_method(
                restApiId=a["id"], resourceId=n["id"], httpMethod="GET", authorizationType="NONE"
            ),
            ("ConflictException", 409),
        ),
        (
            lambda c, a, n: c.put_method(
                restApiId=a["id"], resourceId=n["id"], httpMethod="FETCH", authorizationType="NONE"
            ),
            ("BadRequestException", 400),
        ),
        (
            lambda c, a, n: c.get_integration(restApiId=a["id"], resourceId=n["id"], httpMethod="POST"),
            ("NotFoundException", 404),
        ),
        (lambda c, a, n: c.get_resource(restApiId=a["id"], resourceId="nope00"), ("NotFoundException", 404)),
        (lambda c, a, n: c.get_stage(restApiId=a["id"], stageName="prod"), ("NotFoundException", 404)),
        (
            lambda c, a, n: c.create_stage(restApiId=a["id"], stageName="prod", deploymentId="nope00"),
            ("NotFoundException", 404),
        ),
    ],
)
def test_errors_as_api_gateway_names_them(apigw, call, expected):
    api, _, note = build_api(apigw)
    with pytest.raises(ClientError) as excinfo:
        call(apigw, api, note)
    assert error_code(excinfo) == expected


def test_deployments_and_stages_with_variables(apigw):
    empty = apigw.create_rest_api(name="empty")
    with pytest.raises(ClientError) as excinfo:
        apigw.create_deployment(restApiId=empty["id"], stageName="dev")
    assert error_code(excinfo) == ("BadRequestException", 400)

    api, _, _ = build_api(apigw)
    first = apigw.create_deployment(restApiId=api["id"], stageName="dev", variables={"table": "notes"})
    stage = apigw.get_stage(restApiId=api["id"], stageName="dev")
    assert (stage["deploymentId"], stage["variables"]) == (first["id"], {"table": "notes"})
    second = apigw.create_deployment(restApiId=api["id"], description="two")
    apigw.create_stage(restApiId=api["id"], stageName="prod", deploymentId=second["id"], variables={"v": "1"})
    with pytest.raises(ClientError) as excinfo:
        apigw.create_stage(restApiId=api["id"], stageName="prod", deploymentId=second["id"])
    assert error_code(excinfo) == ("ConflictException", 409)
    assert {d["id"] for d in apigw.get_deployments(restApiId=api["id"])["items"]} == {first["id"], second["id"]}
    assert {s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]} == {"dev", "prod"}
    updated = apigw.update_stage(
        restApiId=api["id"],
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/variables/v", "value": "2"},
            {"op": "replace", "path": "/deploymentId", "value": first["id"]},
        ],
    )
    assert (updated["variables"], updated["deploymentId"]) == ({"v": "2"}, first["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_deployment(restApiId=api["id"], deploymentId=first["id"])
    assert error_code(excinfo) == ("BadRequestException", 400)
    apigw.delete_deployment(restApiId=api["id"], deploymentId=second["id"])
    apigw.delete_stage(restApiId=api["id"], stageName="prod")
    assert [s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]] == ["dev"]


def test_apis_are_per_account(stack, apigw):
    api = apigw.create_rest_api(name="mine")
    other = stack.client("apigateway", aws_access_key_id="111122223333")
    assert other.get_rest_apis()["items"] == []
    with pytest.raises(ClientError) as excinfo:
        other.get_rest_api(restApiId=api["id"])
    assert error_code(excinfo) == ("NotFoundException", 404)


def test_apis_survive_a_restart_with_data_dir(tmp_path):
    first = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        api, _, note = build_api(first.client("apigateway"))
        first.client("apigateway").create_deployment(restApiId=api["id"], stageName="dev", variables={"a": "b"})
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = second.client("apigateway")
        assert apigw.get_rest_api(restApiId=api["id"])["name"] == "app"
        assert apigw.get_method(restApiId=api["id"], resourceId=note["id"], httpMethod="GET")["httpMethod"] == "GET"
        assert apigw.get_stage(restApiId=api["id"], stageName="dev")["variables"] == {"a": "b"}
        # The stage still routes: a known path reaches the integration (Lambda
        # is not running here, hence 500), an unknown one is refused.
        stage_url = f"{second.endpoint_url}/restapis/{api['id']}/dev/_user_request_"
        assert requests.get(stage_url + "/notes/1", timeout=30).status_code == 500
        assert requests.get(stage_url + "/other", timeout=30).status_code == 403
    finally:
        second.stop()


def test_method_and_integration_responses_are_kept(apigw):
    api, _, note = build_api(apigw)
    ids = {"restApiId": api["id"], "resourceId": note["id"], "httpMethod": "GET", "statusCode": "200"}
    apigw.put_method_response(**ids, responseModels={"application/json": "Empty"})
    apigw.put_integration_response(**ids, selectionPattern="")
    assert apigw.get_method_response(**ids)["responseModels"] == {"application/json": "Empty"}
    assert apigw.get_integration_response(**ids)["statusCode"] == "200"
    method = apigw.get_method(restApiId=api["id"], resourceId=note["id"], httpMethod="GET")
    assert set(method["methodResponses"]) == {"200"}
    assert set(method["methodIntegration"]["integrationResponses"]) == {"200"}
    apigw.delete_method_response(**ids)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_method_response(**ids)
    assert error_code(excinfo) == ("NotFoundException", 404)


def test_bad_input_is_bad_request(apigw):
    with pytest.raises(ClientError) as excinfo:
        apigw.get_rest_apis(position="not-a-position")
    assert error_code(excinfo) == ("BadRequestException", 400)


def replace(path: str, value: str) -> list[dict[str, str]]:
    """
    The patch operations that set C{path} to C{value}.
    """
    return [{"op": "replace", "path": path, "value": value}]


def test_update_resource_method_and_integration(apigw):
    api, notes, note = build_api(apigw)
    renamed = apigw.update_resource(
        restApiId=api["id"], resourceId=notes["id"], patchOperations=replace("/pathPart", "memos")
    )
    assert renamed["path"] == "/memos"
    assert apigw.get_resource(restApiId=api["id"], resourceId=note["id"])["path"] == "/memos/{id}"
    get = {"restApiId": api["id"], "resourceId": note["id"], "httpMethod": "GET"}
    method = apigw.update_method(**get, patchOperations=replace("/apiKeyRequired", "true"))
    assert method["apiKeyRequired"] is True
    integration = apigw.update_integration(**get, patchOperations=replace("/timeoutInMillis", "5000"))
    assert integration["timeoutInMillis"] == 5000
    with pytest.raises(ClientError) as excinfo:
        apigw.update_integration(**get, patchOperations=replace("/timeoutInMillis", "90000"))
    assert error_code(excinfo) == ("BadRequestException", 400)


def test_a_resource_cannot_move_below_itself(apigw):
    api, notes, note = build_api(apigw)
    with pytest.raises(ClientError) as excinfo:
        apigw.update_resource(
            restApiId=api["id"], resourceId=notes["id"], patchOperations=replace("/parentId", note["id"])
        )
    assert error_code(excinfo) == ("BadRequestException", 400)


OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "imported", "description": "from OpenAPI"},
    "x-amazon-apigateway-binary-media-types": ["*/*"],
    "paths": {
        "/": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI}
            }
        },
        "/api/{proxy+}": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI}
            },
            "options": {
                "responses": {"200": {"description": "CORS"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseParameters": {"method.response.header.Access-Control-Allow-Origin": "'*'"},
                        }
                    },
                },
            },
        },
    },
}


def test_import_and_put_rest_api(apigw):
    api = apigw.import_rest_api(body=json.dumps(OPENAPI).encode())
    assert (api["name"], api["binaryMediaTypes"]) == ("imported", ["*/*"])
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"], embed=["methods"])["items"]}
    assert set(resources) == {"/", "/api", "/api/{proxy+}"}
    proxy = resources["/api/{proxy+}"]["resourceMethods"]
    assert set(proxy) == {"ANY", "OPTIONS"}
    assert proxy["ANY"]["methodIntegration"]["type"] == "AWS_PROXY"
    assert proxy["OPTIONS"]["methodIntegration"]["integrationResponses"]["200"]["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": "'*'"
    }
    # YAML, merged: the existing paths stay, /health is added.
    yaml_body = b"""
openapi: 3.0.1
info: {title: imported}
paths:
  /health:
    get:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
"""
    apigw.put_rest_api(restApiId=api["id"], mode="merge", body=yaml_body)
    paths = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/api", "/api/{proxy+}", "/health"}
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=yaml_body)
    assert {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]} == {"/", "/health"}
    with pytest.raises(ClientError) as excinfo:
        apigw.import_rest_api(body=b'{"info": {"title": "x"}}')
    assert error_code(excinfo) == ("BadRequestException", 400)


def test_endpoint_type_on_import_and_update(apigw):
    # Chalice imports with endpointConfigurationTypes and, on every redeploy,
    # replaces /endpointConfiguration/types/<current> with the type it wants.
    body = json.dumps(OPENAPI).encode()
    assert apigw.import_rest_api(body=body)["endpointConfiguration"] == {"types": ["EDGE"]}
    api = apigw.import_rest_api(body=body, parameters={"endpointConfigurationTypes": "REGIONAL"})
    assert api["endpointConfiguration"] == {"types": ["REGIONAL"]}

    def replace(current, value):
        path = f"/endpointConfiguration/types/{current}"
        return apigw.update_rest_api(
            restApiId=api["id"], patchOperations=[{"op": "replace", "path": path, "value": value}]
        )["endpointConfiguration"]["types"]

    assert replace("REGIONAL", "REGIONAL") == ["REGIONAL"]
    assert replace("REGIONAL", "PRIVATE") == ["PRIVATE"]
    assert apigw.get_rest_api(restApiId=api["id"])["endpointConfiguration"] == {"types": ["PRIVATE"]}
    with pytest.raises(ClientError) as excinfo:
        replace("PRIVATE", "EDGE")  # "You cannot change a private API into an edge-optimized API."
    assert error_code(excinfo) == ("BadRequestException", 400)
    assert replace("PRIVATE", "REGIONAL") == ["REGIONAL"]
    with pytest.raises(ClientError) as excinfo:
        replace("EDGE", "REGIONAL")  # not the API's type
    assert error_code(excinfo) == ("BadRequestException", 400)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=12).filter(lambda v: v not in ("REGIONAL", "EDGE", "PRIVATE")))
def test_endpoint_type_outside_the_set_is_refused(apigw, value):
    # One API for all the examples (the fixture resets once per test).
    apis = apigw.get_rest_apis()["items"]
    api_id = apis[0]["id"] if apis else apigw.create_rest_api(name="types")["id"]
    patch = [{"op": "replace", "path": "/endpointConfiguration/types/EDGE", "value": value}]
    with pytest.raises(ClientError) as excinfo:
        apigw.update_rest_api(restApiId=api_id, patchOperations=patch)
    assert error_code(excinfo) == ("BadRequestException", 400)
    assert excinfo.value.response["Error"]["Message"] == (
        "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"
    )
    assert apigw.get_rest_api(restApiId=api_id)["endpointConfiguration"] == {"types": ["EDGE"]}


def test_authorizers(apigw):
    api, _, note = build_api(apigw)
    authorizer = apigw.create_authorizer(
        restApiId=api["id"],
        name="jwt",
        type="TOKEN",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.Authorization",
    )
    assert re.fullmatch(r"[a-z0-9]{6}", authorizer["id"])
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    assert [a["name"] for a in apigw.get_authorizers(restApiId=api["id"])["items"]] == ["jwt"]
    updated = apigw.update_authorizer(
        restApiId=api["id"],
        authorizerId=authorizer["id"],
        patchOperations=replace("/authorizerResultTtlInSeconds", "0"),
    )
    assert updated["authorizerResultTtlInSeconds"] == 0
    post = {"restApiId": api["id"], "resourceId": note["id"], "httpMethod": "POST"}
    with pytest.raises(ClientError) as excinfo:
        apigw.put_method(**post, authorizationType="CUSTOM", authorizerId="nope00")
    assert error_code(excinfo) == ("BadRequestException", 400)
    apigw.put_method(**post, authorizationType="CUSTOM", authorizerId=authorizer["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.delete_authorizer(restApiId=api["id"], authorizerId=authorizer["id"])
    assert error_code(excinfo) == ("BadRequestException", 400)
    apigw.delete_method(**post)
    apigw.delete_authorizer(restApiId=api["id"], authorizerId=authorizer["id"])
    with pytest.raises(ClientError) as excinfo:
        apigw.get_authorizer(restApiId=api["id"], authorizerId=authorizer["id"])
    assert error_code(excinfo) == ("NotFoundException", 404)


def _staged(apigw, name="settings"):
    api, _, _ = build_api(apigw, name)
    apigw.create_deployment(restApiId=api["id"], stageName="dev")
    return api["id"]


def test_stage_method_settings(apigw):
    # What Zappa sends after each deployment: settings of every method (*/*).
    api_id = _staged(apigw)
    assert apigw.get_stage(restApiId=api_id, stageName="dev")["methodSettings"] == {}
    updated = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "false"},
            {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": "60"},
            {"op": "replace", "path": "/~1notes~1{id}/GET/throttling/rateLimit", "value": "5"},
        ],
    )
    every = {
        "metricsEnabled": True,
        "loggingLevel": "INFO",
        "dataTraceEnabled": False,
        "throttlingBurstLimit": 5000,
        "throttlingRateLimit": 10000.0,
        "cachingEnabled": False,
        "cacheTtlInSeconds": 60,
        "cacheDataEncrypted": False,
        "requireAuthorizationForCacheControl": True,
        "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
    }
    assert updated["methodSettings"]["*/*"] == every
    assert updated["methodSettings"]["~1notes~1{id}/GET"]["throttlingRateLimit"] == 5.0
    assert apigw.get_stage(restApiId=api_id, stageName="dev")["methodSettings"] == updated["methodSettings"]
    removed = apigw.update_stage(
        restApiId=api_id, stageName="dev", patchOperations=[{"op": "remove", "path": "/~1notes~1{id}/GET"}]
    )
    assert list(removed["methodSettings"]) == ["*/*"]
    with pytest.raises(ClientError) as excinfo:
        apigw.update_stage(
            restApiId=api_id, stageName="dev", patchOperations=[{"op": "replace", "path": "/*/*/logging/level"}]
        )
    assert error_code(excinfo) == ("BadRequestException", 400)
    message = "Invalid patch path '/*/*/logging/level' specified for op 'replace'"
    assert excinfo.value.response["Error"]["Message"] == message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=8).filter(lambda v: v not in ("OFF", "ERROR", "INFO")))
def test_method_setting_values_are_checked(apigw, value):
    # One API for all the examples (the fixture resets once per test).
    apis = apigw.get_rest_apis()["items"]
    api_id = apis[0]["id"] if apis else _staged(apigw, "values")
    for path in ("/*/*/logging/loglevel", "/*/*/caching/ttlInSeconds"):
        if path.endswith("ttlInSeconds") and value.strip().lstrip("+-").isdigit():
            continue
        with pytest.raises(ClientError) as excinfo:
            apigw.update_stage(
                restApiId=api_id, stageName="dev", patchOperations=[{"op": "replace", "path": path, "value": value}]
            )
        assert error_code(excinfo) == ("BadRequestException", 400)
    assert apigw.get_stage(restApiId=api_id, stageName="dev")["methodSettings"] == {}
