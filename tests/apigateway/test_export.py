"""
GetExport through boto3 against a real RustStack: Swagger 2.0 and OAS 3.0,
JSON and YAML, with and without API Gateway's extensions, and the round
trip of an export through ImportRestApi (JSON and YAML).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.apigateway import openapi
from ruststack.aws.errors import AwsError
from tests.apigateway.helpers import proxy_method
from tests.stacks import ruststack_fixture

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:app"
LAMBDA_URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"

stack = ruststack_fixture("--services", "apigateway")


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def build(apigw) -> dict:
    """
    An API with a Lambda proxy, a greedy ANY, a token-authorized method, an
    IAM one and a MOCK with responses, deployed to "dev".
    """
    api = apigw.create_rest_api(name="notes", description="Notes API", binaryMediaTypes=["image/png"])
    api_id, root = api["id"], api["rootResourceId"]
    notes = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="notes")
    note = apigw.create_resource(restApiId=api_id, parentId=notes["id"], pathPart="{id}")
    greedy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
    authorizer = apigw.create_authorizer(
        restApiId=api_id,
        name="tokens",
        type="TOKEN",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.Auth",
    )
    proxy_method(apigw, api_id, note["id"], "GET", LAMBDA_URI, "CUSTOM", authorizer["id"])
    proxy_method(apigw, api_id, greedy["id"], "ANY", LAMBDA_URI)
    proxy_method(apigw, api_id, notes["id"], "POST", LAMBDA_URI, "AWS_IAM")
    ids = {"restApiId": api_id, "resourceId": notes["id"], "httpMethod": "GET"}
    apigw.put_method(**ids, authorizationType="NONE", requestParameters={"method.request.querystring.q": False})
    apigw.put_integration(**ids, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**ids, statusCode="200", responseParameters={"method.response.header.X-N": False})
    apigw.put_integration_response(**ids, statusCode="200", responseTemplates={"application/json": "[]"})
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    return api


def export(apigw, api_id, kind="swagger", accepts="application/json", extensions=None):
    params = {"extensions": extensions} if extensions else {}
    answer = apigw.get_export(restApiId=api_id, stageName="dev", exportType=kind, accepts=accepts, parameters=params)
    body = answer["body"].read()
    return answer, (yaml.safe_load(body) if "yaml" in accepts else json.loads(body))


def test_swagger_json_without_extensions(apigw):
    api = build(apigw)
    answer, document = export(apigw, api["id"])
    assert answer["contentType"] == "application/octet-stream"
    assert re.fullmatch(
        r'attachment; filename="swagger_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ.json"', answer["contentDisposition"]
    )
    assert document["info"]["version"] == answer["contentDisposition"][30:50]
    assert document["swagger"] == "2.0"
    assert document["info"]["title"] == "notes" and document["info"]["description"] == "Notes API"
    assert document["host"] == f"{api['id']}.execute-api.us-east-1.amazonaws.com"
    assert document["basePath"] == "/dev" and document["schemes"] == ["https"]
    assert set(document["paths"]) == {"/notes", "/notes/{id}", "/{proxy+}"}
    assert set(document["paths"]["/notes"]) == {"get", "post"}
    assert "x-amazon-apigateway-any-method" in document["paths"]["/{proxy+}"]
    get_note = document["paths"]["/notes/{id}"]["get"]
    assert get_note["parameters"] == [{"name": "id", "in": "path", "required": True, "type": "string"}]
    assert get_note["security"] == [{"tokens": []}]
    assert "x-amazon-apigateway-integration" not in get_note
    assert document["paths"]["/notes"]["get"]["parameters"] == [
        {"name": "q", "in": "query", "required": False, "type": "string"}
    ]
    assert document["paths"]["/notes"]["get"]["responses"]["200"]["headers"] == {"X-N": {"type": "string"}}
    assert document["securityDefinitions"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert "x-amazon-apigateway-authorizer" not in document["securityDefinitions"]["tokens"]
    assert "x-amazon-apigateway-binary-media-types" not in document


def test_swagger_with_integrations_and_authorizers(apigw):
    api = build(apigw)
    _, document = export(apigw, api["id"], extensions="integrations,authorizers")
    integration = document["paths"]["/notes/{id}"]["get"]["x-amazon-apigateway-integration"]
    assert integration == {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": LAMBDA_URI,
        "passthroughBehavior": "when_no_match",
        "cacheNamespace": integration["cacheNamespace"],
        "timeoutInMillis": 29000,
    }
    mock = document["paths"]["/notes"]["get"]["x-amazon-apigateway-integration"]
    assert mock["type"] == "mock"
    assert mock["responses"] == {"default": {"statusCode": "200", "responseTemplates": {"application/json": "[]"}}}
    scheme = document["securityDefinitions"]["tokens"]
    assert scheme["name"] == "Auth" and scheme["x-amazon-apigateway-authtype"] == "custom"
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "token",
        "authorizerUri": LAMBDA_URI,
        "authorizerResultTtlInSeconds": 300,
    }


def test_oas30_yaml_with_every_extension(apigw):
    api = build(apigw)
    answer, document = export(apigw, api["id"], "oas30", "application/yaml", "apigateway")
    assert answer["contentDisposition"].endswith('.yaml"')
    assert document["openapi"] == "3.0.1"
    assert document["servers"] == [
        {
            "url": f"https://{api['id']}.execute-api.us-east-1.amazonaws.com/{{basePath}}",
            "variables": {"basePath": {"default": "dev"}},
        }
    ]
    get_note = document["paths"]["/notes/{id}"]["get"]
    assert get_note["parameters"] == [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert get_note["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert "x-amazon-apigateway-authorizer" in document["components"]["securitySchemes"]["tokens"]
    assert document["x-amazon-apigateway-binary-media-types"] == ["image/png"]


def test_the_export_is_of_the_deployed_stage(apigw):
    api = build(apigw)
    extra = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="later")
    proxy_method(apigw, api["id"], extra["id"], "GET", LAMBDA_URI)
    _, document = export(apigw, api["id"])
    assert "/later" not in document["paths"]


@pytest.mark.parametrize("accepts", ["application/json", "application/yaml"])
def test_an_export_imports_into_the_same_api(apigw, accepts):
    api = build(apigw)
    answer = apigw.get_export(
        restApiId=api["id"],
        stageName="dev",
        exportType="oas30" if "yaml" in accepts else "swagger",
        accepts=accepts,
        parameters={"extensions": "apigateway"},
    )
    copy = apigw.import_rest_api(body=answer["body"].read())
    assert copy["name"] == "notes" and copy["binaryMediaTypes"] == ["image/png"]

    def shape(api_id):
        resources = apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
        return {
            (r["path"], name, m.get("methodIntegration", {}).get("type"), m.get("methodIntegration", {}).get("uri"))
            for r in resources
            for name, m in r.get("resourceMethods", {}).items()
        }

    assert shape(copy["id"]) == shape(api["id"])
    mock_responses = [
        m["methodIntegration"].get("integrationResponses")
        for r in apigw.get_resources(restApiId=copy["id"], embed=["methods"])["items"]
        if r["path"] == "/notes"
        for name, m in r["resourceMethods"].items()
        if name == "GET"
    ]
    assert mock_responses == [{"200": {"statusCode": "200", "responseTemplates": {"application/json": "[]"}}}]


def test_put_rest_api_takes_yaml(apigw):
    api = apigw.create_rest_api(name="y")
    document = f"""
openapi: 3.0.1
info: {{title: y, version: '1'}}
paths:
  /ping:
    get:
      responses: {{200: {{description: ok}}}}
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{LAMBDA_URI}"}}
"""
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=document.encode())
    paths = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/ping"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"exportType": "postman"}, ("NotFoundException", 404)),
        ({"exportType": "raml"}, ("NotFoundException", 404)),
        ({"stageName": "nope"}, ("NotFoundException", 404)),
        ({"accepts": "text/html"}, ("BadRequestException", 400)),
        ({"restApiId": "abcdefghij"}, ("NotFoundException", 404)),
    ],
)
def test_export_refusals(apigw, params, expected):
    api = build(apigw)
    call = {"restApiId": api["id"], "stageName": "dev", "exportType": "swagger", **params}
    with pytest.raises(ClientError) as excinfo:
        apigw.get_export(**call)
    response = excinfo.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == expected


# ImportRestApi's parser, JSON or YAML, on arbitrary bytes: a document or API Gateway's BadRequestException.
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5)).map(lambda d: yaml.safe_dump(d).encode()),
    )
)
def test_the_definition_parser_reads_or_refuses(body):
    try:
        document = openapi.parse(body)
    except AwsError as error:
        assert (error.code, error.status) == ("BadRequestException", 400)
        return
    assert isinstance(document["paths"], dict)
