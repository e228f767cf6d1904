"""
Models and request validators through boto3, and the validation of
method requests over real sockets: required parameters, the body against
its model, AWS's 400 answers through the gateway responses.
"""

import json

import jsonschema
import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigateway import validation
from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import error_code
from tests.apigateway.mock_api import fetch, mock_method
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "apigateway")
PET = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
}


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def validated_api(apigw, body=True, parameters=True):
    """
    An API with C{/pets}: POST wants a Pet body, GET a C{kind} query
    parameter and an C{x-tenant} header, both behind a validator.
    """
    api = apigw.create_rest_api(name="pets")
    api_id = api["id"]
    pets = apigw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="pets")
    apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps(PET))
    validator = apigw.create_request_validator(
        restApiId=api_id, name="all", validateRequestBody=body, validateRequestParameters=parameters
    )
    mock_method(
        apigw, api_id, pets["id"], "POST", requestValidatorId=validator["id"], requestModels={"application/json": "Pet"}
    )
    mock_method(
        apigw,
        api_id,
        pets["id"],
        "GET",
        requestValidatorId=validator["id"],
        requestParameters={
            "method.request.querystring.kind": True,
            "method.request.header.x-tenant": True,
            "method.request.querystring.optional": False,
        },
    )
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    return api_id, validator["id"]


def test_models_crud_and_the_defaults(apigw):
    api_id = apigw.create_rest_api(name="a")["id"]
    assert {m["name"] for m in apigw.get_models(restApiId=api_id)["items"]} == {"Empty", "Error"}
    made = apigw.create_model(
        restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps(PET), description="d"
    )
    assert made == {**made, "name": "Pet", "contentType": "application/json", "description": "d"}
    assert json.loads(apigw.get_model(restApiId=api_id, modelName="Pet")["schema"]) == PET
    template = apigw.get_model_template(restApiId=api_id, modelName="Pet")["value"]
    assert "$input.json('$.name')" in template
    updated = apigw.update_model(
        restApiId=api_id, modelName="Pet", patchOperations=[{"op": "replace", "path": "/description", "value": "e"}]
    )
    assert updated["description"] == "e"
    with pytest.raises(ClientError) as raised:
        apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema="{}")
    assert error_code(raised) == ("ConflictException", 409)
    apigw.delete_model(restApiId=api_id, modelName="Pet")
    with pytest.raises(ClientError) as raised:
        apigw.get_model(restApiId=api_id, modelName="Pet")
    assert error_code(raised) == ("NotFoundException", 404)


@pytest.mark.parametrize(
    ("name", "schema"),
    [("bad-name", "{}"), ("Ok", "not json"), ("Ok", json.dumps({"type": "no-such-type"}))],
)
def test_bad_models_are_refused(apigw, name, schema):
    api_id = apigw.create_rest_api(name="a")["id"]
    with pytest.raises(ClientError) as raised:
        apigw.create_model(restApiId=api_id, name=name, contentType="application/json", schema=schema)
    assert error_code(raised) == ("BadRequestException", 400)


def test_a_model_in_use_is_kept(apigw):
    api_id, _ = validated_api(apigw)
    with pytest.raises(ClientError) as raised:
        apigw.delete_model(restApiId=api_id, modelName="Pet")
    assert error_code(raised) == ("ConflictException", 409)


def test_request_validators_crud(apigw):
    api_id = apigw.create_rest_api(name="a")["id"]
    made = apigw.create_request_validator(restApiId=api_id, name="v", validateRequestBody=True)
    assert made == {**made, "name": "v", "validateRequestBody": True, "validateRequestParameters": False}
    assert [v["id"] for v in apigw.get_request_validators(restApiId=api_id)["items"]] == [made["id"]]
    updated = apigw.update_request_validator(
        restApiId=api_id,
        requestValidatorId=made["id"],
        patchOperations=[{"op": "replace", "path": "/validateRequestParameters", "value": "true"}],
    )
    assert updated["validateRequestParameters"] is True
    assert apigw.get_request_validator(restApiId=api_id, requestValidatorId=made["id"])["name"] == "v"
    apigw.delete_request_validator(restApiId=api_id, requestValidatorId=made["id"])
    with pytest.raises(ClientError) as raised:
        apigw.get_request_validator(restApiId=api_id, requestValidatorId=made["id"])
    assert error_code(raised) == ("NotFoundException", 404)


def test_a_method_names_its_validator(apigw):
    api_id, validator_id = validated_api(apigw)
    resources = apigw.get_resources(restApiId=api_id)["items"]
    pets = next(r for r in resources if r.get("pathPart") == "pets")
    method = apigw.get_method(restApiId=api_id, resourceId=pets["id"], httpMethod="POST")
    assert method["requestValidatorId"] == validator_id and method["requestModels"] == {"application/json": "Pet"}


def test_the_body_is_validated_against_its_model(stack, apigw):
    api_id, _ = validated_api(apigw)
    good = fetch(stack, api_id, "/pets", "POST", json={"name": "rex", "age": 3})
    assert (good.status_code, good.json()) == (200, {"ok": True})
    for body in (b'{"age": 3}', b'{"name": "rex", "age": -1}', b"not json", b""):
        response = fetch(stack, api_id, "/pets", "POST", data=body, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"message": "Invalid request body"})
        assert response.headers["x-amzn-ErrorType"] == "BadRequestException"


def test_required_parameters(stack, apigw):
    api_id, _ = validated_api(apigw)
    response = fetch(stack, api_id, "/pets")
    assert response.status_code == 400
    assert response.json() == {"message": "Missing required request parameters: [kind, x-tenant]"}
    response = fetch(stack, api_id, "/pets?kind=dog")
    assert response.json() == {"message": "Missing required request parameters: [x-tenant]"}
    assert fetch(stack, api_id, "/pets?kind=dog", headers={"X-Tenant": "t"}).json() == {"ok": True}


def test_a_validator_checks_what_it_says(stack, apigw):
    api_id, _ = validated_api(apigw, body=False, parameters=False)
    assert fetch(stack, api_id, "/pets").status_code == 200
    assert fetch(stack, api_id, "/pets", "POST", data=b"nope").status_code == 200


def test_the_answers_are_gateway_responses(stack, apigw):
    api_id, _ = validated_api(apigw)
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="BAD_REQUEST_BODY",
        statusCode="422",
        responseTemplates={"application/json": '{"error":$context.error.messageString}'},
    )
    response = fetch(stack, api_id, "/pets", "POST", json={})
    assert (response.status_code, response.json()) == (422, {"error": "Invalid request body"})
    apigw.put_gateway_response(restApiId=api_id, responseType="DEFAULT_4XX", statusCode="418")
    assert fetch(stack, api_id, "/pets").status_code == 418


def test_models_and_validators_survive_a_restart(tmp_path):
    process = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        api_id, validator_id = validated_api(process.client("apigateway"))
    finally:
        process.stop()
    process = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = process.client("apigateway")
        assert {m["name"] for m in apigw.get_models(restApiId=api_id)["items"]} == {"Empty", "Error", "Pet"}
        assert apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator_id)["name"] == "all"
        assert fetch(process, api_id, "/pets", "POST", json={"age": 1}).status_code == 400
    finally:
        process.stop()


SOURCES = ["method.request.querystring", "method.request.header", "method.request.path"]


@given(
    required=st.dictionaries(
        st.builds(
            "{}.{}".format,
            st.sampled_from(SOURCES),
            st.text(min_size=1),
        ),
        st.booleans(),
    ),
    query=st.dictionaries(st.text(), st.just(["v"])),
)
def test_missing_parameters_are_those_required_and_absent(required, query):
    missing = validation.missing_parameters(required, lambda name: False, query)
    for expression, wanted in required.items():
        source, name = next((p, expression[len(p) + 1 :]) for p in SOURCES if expression.startswith(p + "."))
        absent = wanted and source != "method.request.path" and (source == "method.request.header" or name not in query)
        assert (name in missing) >= absent


def test_the_validation_errors_reach_the_template(stack, apigw):
    api_id, _ = validated_api(apigw)
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="BAD_REQUEST_BODY",
        responseTemplates={
            "application/json": '{"message":$context.error.messageString,'
            '"details":"$util.escapeJavaScript($context.error.validationErrorString)"}'
        },
    )
    response = fetch(stack, api_id, "/pets", "POST", json={"name": 7, "age": -1})
    assert response.status_code == 400
    details = response.json()["details"]
    assert 'instance type (integer) does not match any allowed primitive type (allowed: ["string"])' in details
    assert "numeric instance is lower than the required minimum (minimum: 0, found: -1)" in details
    response = fetch(stack, api_id, "/pets", "POST", json={})
    assert response.json() == {
        "message": "Invalid request body",
        "details": '[object has missing required properties (["name"])]',
    }


def test_a_model_may_reference_another(stack, apigw):
    api_id, _ = validated_api(apigw)
    owner = {
        "type": "object",
        "properties": {"pet": {"$ref": f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Pet"}},
    }
    apigw.create_model(restApiId=api_id, name="Owner", contentType="application/json", schema=json.dumps(owner))
    resource = apigw.create_resource(
        restApiId=api_id, parentId=apigw.get_rest_api(restApiId=api_id)["rootResourceId"], pathPart="owners"
    )
    validator_id = apigw.get_request_validators(restApiId=api_id)["items"][0]["id"]
    mock_method(
        apigw,
        api_id,
        resource["id"],
        "POST",
        requestValidatorId=validator_id,
        requestModels={"application/json": "Owner"},
    )
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    assert fetch(stack, api_id, "/owners", "POST", json={"pet": {"name": "rex"}}).status_code == 200
    assert fetch(stack, api_id, "/owners", "POST", json={"pet": {"age": 1}}).status_code == 400


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_any_document_is_described(document):
    schema = {
        "type": "object",
        "required": ["a"],
        "additionalProperties": False,
        "properties": {"a": {"type": "string", "minLength": 2, "pattern": "^x", "enum": ["xy", "xz"]}},
    }
    for error in jsonschema.Draft4Validator(schema).iter_errors(document):
        assert isinstance(validation.describe(error), str)
