"""
Gateway responses through boto3 and over real sockets: the defaults, their
customization, and the data plane's errors rendered from them.
"""

import json

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.apigateway import gateway_responses
from ruststack.apigateway.extras import GatewayResponse
from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import proxy_method
from tests.apigateway.mock_api import fetch, mock_api
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "apigateway")


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def test_every_type_has_its_default(apigw):
    api_id = apigw.create_rest_api(name="a")["id"]
    items = {r["responseType"]: r for r in apigw.get_gateway_responses(restApiId=api_id, limit=500)["items"]}
    assert set(items) == set(gateway_responses.DEFAULTS)
    assert items["MISSING_AUTHENTICATION_TOKEN"] == {
        "responseType": "MISSING_AUTHENTICATION_TOKEN",
        "statusCode": "403",
        "responseParameters": {},
        "responseTemplates": {"application/json": '{"message":$context.error.messageString}'},
        "defaultResponse": True,
    }
    assert "statusCode" not in items["DEFAULT_4XX"]
    assert items["THROTTLED"]["statusCode"] == "429" and items["BAD_REQUEST_BODY"]["statusCode"] == "400"
    one = apigw.get_gateway_response(restApiId=api_id, responseType="QUOTA_EXCEEDED")
    assert one["statusCode"] == "429" and one["defaultResponse"] is True


def test_put_update_delete(apigw):
    api_id = apigw.create_rest_api(name="a")["id"]
    put = apigw.put_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
        responseTemplates={"application/json": '{"error":$context.error.messageString}'},
    )
    assert put["defaultResponse"] is False and put["statusCode"] == "404"
    updated = apigw.update_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        patchOperations=[
            {"op": "replace", "path": "/statusCode", "value": "410"},
            {"op": "add", "path": "/responseParameters/gatewayresponse.header.x-id", "value": "context.requestId"},
        ],
    )
    assert updated["statusCode"] == "410"
    assert updated["responseParameters"]["gatewayresponse.header.x-id"] == "context.requestId"
    # Updating a default customizes it.
    throttled = apigw.update_gateway_response(
        restApiId=api_id,
        responseType="THROTTLED",
        patchOperations=[{"op": "replace", "path": "/statusCode", "value": "503"}],
    )
    assert throttled == {**throttled, "statusCode": "503", "defaultResponse": False}
    apigw.delete_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    again = apigw.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert again["defaultResponse"] is True and again["statusCode"] == "403"
    with pytest.raises(ClientError) as raised:
        apigw.delete_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert raised.value.response["Error"]["Code"] == "NotFoundException"


@pytest.mark.parametrize(
    "change",
    [
        {"statusCode": "99"},
        {"responseParameters": {"x-header": "'a'"}},
        {"responseParameters": {"gatewayresponse.header.x": "nonsense"}},
    ],
)
def test_bad_responses_are_refused(apigw, change):
    api_id = apigw.create_rest_api(name="a")["id"]
    with pytest.raises(ClientError) as raised:
        apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX", **change)
    assert raised.value.response["Error"]["Code"] == "BadRequestException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_unknown_type_is_refused(apigw):
    api_id = apigw.create_rest_api(name="a")["id"]
    with pytest.raises(ClientError) as raised:
        apigw.get_gateway_response(restApiId=api_id, responseType="NOPE")
    assert raised.value.response["Error"]["Code"] == "BadRequestException"


def test_the_default_missing_token_answer(stack, apigw):
    api_id, _ = mock_api(apigw)
    response = fetch(stack, api_id, "/nowhere")
    assert response.status_code == 403
    assert response.content == b'{"message":"Missing Authentication Token"}'
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert fetch(stack, api_id, "/pets").json() == {"ok": True}


def test_a_customized_answer_is_rendered(stack, apigw):
    api_id, _ = mock_api(apigw)
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={
            "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
            "gatewayresponse.header.x-echo": "method.request.header.x-mine",
            "gatewayresponse.header.x-q": "method.request.querystring.q",
        },
        responseTemplates={
            "application/json": '{"error":"$context.error.message","id":"$context.requestId",'
            '"t":"${context.error.responseType}"}'
        },
    )
    response = fetch(stack, api_id, "/nowhere?q=7", headers={"x-mine": "hello"})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["x-echo"] == "hello" and response.headers["x-q"] == "7"
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.json() == {
        "error": "Missing Authentication Token",
        "id": response.headers["x-amzn-RequestId"],
        "t": "MISSING_AUTHENTICATION_TOKEN",
    }


def test_default_4xx_stands_for_the_types_not_customized(stack, apigw):
    api_id, _ = mock_api(apigw)
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="DEFAULT_4XX",
        responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
    )
    response = fetch(stack, api_id, "/nowhere")
    assert response.status_code == 403
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {"message": "Missing Authentication Token"}


def test_customized_responses_survive_a_restart(tmp_path):
    process = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = process.client("apigateway")
        api_id = apigw.create_rest_api(name="a")["id"]
        apigw.put_gateway_response(restApiId=api_id, responseType="THROTTLED", statusCode="503")
    finally:
        process.stop()
    process = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = process.client("apigateway")
        assert apigw.get_gateway_response(restApiId=api_id, responseType="THROTTLED")["statusCode"] == "503"
        apigw.delete_rest_api(restApiId=api_id)
        process.reset()
    finally:
        process.stop()


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(template=st.text(), message=st.one_of(st.none(), st.text()))
def test_any_template_renders(template, message):
    custom = {"DEFAULT_4XX": GatewayResponse("DEFAULT_4XX", None, {}, {"application/json": template})}
    status, _, body = gateway_responses.render(custom, "INVALID_API_KEY", 403, message, lambda source: None)
    assert status == 403
    assert isinstance(body, bytes)
    rendered = gateway_responses.render({}, "INVALID_API_KEY", 403, message, lambda source: None)[2]
    assert json.loads(rendered) == {"message": message}


def test_a_5xx_is_rendered_from_default_5xx(stack, apigw):
    # A Lambda proxy method in a RustStack without Lambda: API Gateway's 500.
    api = apigw.create_rest_api(name="a")
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:000000000000:function:app/invocations"
    )
    proxy_method(apigw, api["id"], api["rootResourceId"], "GET", uri)
    apigw.create_deployment(restApiId=api["id"], stageName="dev")
    response = fetch(stack, api["id"], "/")
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    apigw.put_gateway_response(
        restApiId=api["id"],
        responseType="DEFAULT_5XX",
        responseParameters={"gatewayresponse.header.x-stage": "'dev'"},
        responseTemplates={
            "application/json": '{"oops":$context.error.messageString,"type":"$context.error.responseType"}'
        },
    )
    response = fetch(stack, api["id"], "/")
    assert response.status_code == 500 and response.headers["x-stage"] == "dev"
    assert response.json() == {"oops": "Internal server error", "type": "DEFAULT_5XX"}
