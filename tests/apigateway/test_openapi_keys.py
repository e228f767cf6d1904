"""
API keys, models, request validators and gateway responses from an
imported OpenAPI definition (as SAM writes them), over real sockets.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigateway import openapi_extras
from ruststack.apigateway.extras import Extras
from ruststack.apigateway.model import ApiResource, Method, RestApi
from tests.apigateway.mock_api import fetch
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "apigateway")
VALUE = "a-key-of-twenty-chars-or-more"
MOCK = {
    "type": "mock",
    "requestTemplates": {"application/json": '{"statusCode": 200}'},
    "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": '{"ok": true}'}}},
}


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def swagger():
    return {
        "swagger": "2.0",
        "info": {"title": "pets", "version": "1"},
        "securityDefinitions": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True},
        },
        "x-amazon-apigateway-gateway-responses": {
            "BAD_REQUEST_BODY": {
                "statusCode": 422,
                "responseTemplates": {"application/json": '{"error":$context.error.messageString}'},
            }
        },
        "definitions": {
            "Tag": {"type": "string", "minLength": 1},
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "tag": {"$ref": "#/definitions/Tag"}},
            },
        },
        "paths": {
            "/pets": {
                "get": {
                    "security": [{"api_key": []}],
                    "x-amazon-apigateway-integration": MOCK,
                },
                "post": {
                    "x-amazon-apigateway-request-validator": "all",
                    "parameters": [
                        {"in": "query", "name": "kind", "required": True, "type": "string"},
                        {"in": "body", "name": "Pet", "required": True, "schema": {"$ref": "#/definitions/Pet"}},
                    ],
                    "x-amazon-apigateway-integration": MOCK,
                },
            }
        },
    }


def test_an_imported_definition_is_enforced(stack, apigw):
    api = apigw.import_rest_api(body=json.dumps(swagger()).encode())
    api_id = api["id"]
    pets = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/pets")
    get = apigw.get_method(restApiId=api_id, resourceId=pets["id"], httpMethod="GET")
    post = apigw.get_method(restApiId=api_id, resourceId=pets["id"], httpMethod="POST")
    assert get["apiKeyRequired"] is True
    assert post["requestParameters"] == {"method.request.querystring.kind": True}
    assert post["requestModels"] == {"application/json": "Pet"}
    validators = apigw.get_request_validators(restApiId=api_id)["items"]
    assert [(v["name"], v["id"]) for v in validators] == [("all", post["requestValidatorId"])]
    tag_ref = json.loads(apigw.get_model(restApiId=api_id, modelName="Pet")["schema"])["properties"]["tag"]
    assert tag_ref == {"$ref": f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Tag"}
    apigw.create_deployment(restApiId=api_id, stageName="dev")

    assert fetch(stack, api_id, "/pets").status_code == 403
    key = apigw.create_api_key(name="k", enabled=True, value=VALUE)
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "dev"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert fetch(stack, api_id, "/pets", headers={"x-api-key": VALUE}).json() == {"ok": True}

    assert fetch(stack, api_id, "/pets?kind=dog", "POST", json={"name": "rex", "tag": "a"}).status_code == 200
    missing = fetch(stack, api_id, "/pets", "POST", json={"name": "rex"})
    assert missing.json() == {"message": "Missing required request parameters: [kind]"}
    bad = fetch(stack, api_id, "/pets?kind=dog", "POST", json={"name": "rex", "tag": ""})
    assert (bad.status_code, bad.json()) == (422, {"error": "Invalid request body"})


def test_openapi_3_components_and_put_rest_api(stack, apigw):
    api_id = apigw.create_rest_api(name="pets")["id"]
    document = {
        "openapi": "3.0.1",
        "info": {"title": "pets"},
        "x-amazon-apigateway-request-validator": "body",
        "x-amazon-apigateway-request-validators": {"body": {"validateRequestBody": True}},
        "components": {
            "schemas": {"Pet": {"type": "object", "required": ["name"]}},
            "securitySchemes": {"key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
        },
        "paths": {
            "/pets": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                    "x-amazon-apigateway-integration": MOCK,
                }
            }
        },
    }
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(document).encode())
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    assert fetch(stack, api_id, "/pets", "POST", json={"name": "a"}).status_code == 200
    assert fetch(stack, api_id, "/pets", "POST", json={"nom": "a"}).status_code == 400


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "definitions",
                "components",
                "securityDefinitions",
                "security",
                "paths",
                "consumes",
                "x-amazon-apigateway-request-validators",
                "x-amazon-apigateway-request-validator",
                "x-amazon-apigateway-gateway-responses",
            ]
        ),
        st.recursive(
            st.none() | st.booleans() | st.text(max_size=5),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
            max_leaves=10,
        ),
    )
)
def test_any_document_applies_or_is_ignored(document):
    api = RestApi("api", "0", "r", "n", 0.0, "root", resources={"root": ApiResource("root", "/")})
    api.resources["root"].methods["GET"] = Method("GET")
    try:
        openapi_extras.apply(Extras(), api, document, overwrite=True)
    except (AttributeError, TypeError) as e:  # pragma: no cover - what the property looks for
        raise AssertionError(f"a malformed document broke the import: {e}") from e


JUNK = st.recursive(
    st.none() | st.booleans() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=10,
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "security": JUNK,
            "parameters": st.lists(
                st.fixed_dictionaries({}, optional={"in": st.sampled_from(["query", "body", "path"]), "name": JUNK})
            ),
            "requestBody": JUNK,
            "consumes": JUNK,
            "x-amazon-apigateway-request-validator": JUNK,
        },
    )
)
def test_any_operation_applies_or_is_ignored(operation):
    api = RestApi("api", "0", "r", "n", 0.0, "root", resources={"root": ApiResource("root", "/")})
    api.resources["root"].methods["GET"] = Method("GET")
    openapi_extras.apply(Extras(), api, {"paths": {"/": {"get": operation}}}, overwrite=False)
