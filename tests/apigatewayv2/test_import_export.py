"""
ImportApi, ReimportApi and ExportApi over a real socket: OpenAPI 3 in JSON
and YAML with API Gateway's extensions (integrations, authorizers, CORS),
the imported API served, reimports replacing routes, exports that import
again; and, with hypothesis, that any text is imported or refused cleanly.
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigatewayv2 import openapi

from .conftest import ACCOUNT, REGION
from .test_execute import Deployed, create_function

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:imported-echo"


def definition(**more) -> dict:
    return {
        "openapi": "3.0.1",
        "info": {"title": "pets", "description": "Pets", "version": "2024-01-01"},
        "x-amazon-apigateway-cors": {"allowOrigins": ["https://app.example"], "maxAge": 60},
        "components": {
            "securitySchemes": {
                "jwt": {
                    "type": "oauth2",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "identitySource": "$request.header.Authorization",
                        "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["pets"]},
                    },
                },
                "lambda": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authorizer": {
                        "type": "request",
                        "identitySource": "$request.header.Authorization",
                        "authorizerUri": FUNCTION,
                        "authorizerPayloadFormatVersion": "2.0",
                        "enableSimpleResponses": True,
                    },
                },
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
            }
        },
        "paths": {
            "/pets/{id}": {
                "get": {
                    "operationId": "getPet",
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "uri": FUNCTION,
                        "payloadFormatVersion": "2.0",
                    },
                },
                "delete": {
                    "security": [{"jwt": ["pets/admin"]}],
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "uri": FUNCTION,
                        "payloadFormatVersion": "2.0",
                    },
                },
            },
            "/private": {
                "x-amazon-apigateway-any-method": {
                    "security": [{"sigv4": []}],
                    "x-amazon-apigateway-integration": {
                        "type": "http_proxy",
                        "httpMethod": "ANY",
                        "uri": "http://127.0.0.1:9/private",
                        "payloadFormatVersion": "1.0",
                    },
                }
            },
            "/custom": {
                "post": {
                    "security": [{"lambda": []}],
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "uri": FUNCTION,
                        "payloadFormatVersion": "2.0",
                    },
                }
            },
            **more,
        },
    }


def routes_of(apigw2, api_id: str) -> dict[str, dict]:
    return {r["RouteKey"]: r for r in apigw2.get_routes(ApiId=api_id)["Items"]}


def test_an_imported_yaml_definition_makes_routes_integrations_and_authorizers(apigw2):
    api = apigw2.import_api(Body=yaml.safe_dump(definition()))
    assert (api["Name"], api["Description"], api["Version"]) == ("pets", "Pets", "2024-01-01")
    assert api["CorsConfiguration"] == {"AllowOrigins": ["https://app.example"], "MaxAge": 60}
    routes = routes_of(apigw2, api["ApiId"])
    assert sorted(routes) == ["ANY /private", "DELETE /pets/{id}", "GET /pets/{id}", "POST /custom"]
    authorizers = {a["Name"]: a for a in apigw2.get_authorizers(ApiId=api["ApiId"])["Items"]}
    assert authorizers["jwt"]["JwtConfiguration"] == {"Issuer": "https://issuer.example", "Audience": ["pets"]}
    assert authorizers["lambda"]["AuthorizerType"] == "REQUEST"
    delete = routes["DELETE /pets/{id}"]
    assert (delete["AuthorizationType"], delete["AuthorizerId"], delete["AuthorizationScopes"]) == (
        "JWT",
        authorizers["jwt"]["AuthorizerId"],
        ["pets/admin"],
    )
    assert routes["POST /custom"]["AuthorizationType"] == "CUSTOM"
    assert routes["ANY /private"]["AuthorizationType"] == "AWS_IAM"
    assert routes["GET /pets/{id}"]["OperationName"] == "getPet"
    target = routes["GET /pets/{id}"]["Target"].partition("/")[2]
    integration = apigw2.get_integration(ApiId=api["ApiId"], IntegrationId=target)
    # Routes with the same integration share one.
    assert routes["POST /custom"]["Target"] == routes["GET /pets/{id}"]["Target"] != routes["ANY /private"]["Target"]
    assert len(apigw2.get_integrations(ApiId=api["ApiId"])["Items"]) == 2
    assert (integration["IntegrationType"], integration["IntegrationUri"], integration["PayloadFormatVersion"]) == (
        "AWS_PROXY",
        FUNCTION,
        "2.0",
    )


def test_an_imported_api_is_served(stack, apigw2):
    create_function(stack.client("lambda"), "imported-echo")
    api_id = apigw2.import_api(Body=json.dumps(definition()))["ApiId"]
    apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    stack.client("lambda").add_permission(
        FunctionName="imported-echo",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
    )
    deployed = Deployed(api_id, stack.endpoint_url.rpartition(":")[2], stack.endpoint_url)
    event = deployed.request("GET", "/pets/7").json()
    assert (event["routeKey"], event["pathParameters"]) == ("GET /pets/{id}", {"id": "7"})
    assert deployed.request("DELETE", "/pets/7").status_code == 401


def test_reimport_replaces_the_routes(apigw2):
    api_id = apigw2.import_api(Body=json.dumps(definition()))["ApiId"]
    smaller = definition()
    smaller["info"] = {"title": "pets", "version": "2"}
    smaller["paths"] = {
        "/only": {
            "get": {
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": FUNCTION, "payloadFormatVersion": "2.0"}
            }
        }
    }
    del smaller["x-amazon-apigateway-cors"]
    api = apigw2.reimport_api(ApiId=api_id, Body=json.dumps(smaller))
    assert api["ApiId"] == api_id and api["Version"] == "2" and "CorsConfiguration" not in api
    assert list(routes_of(apigw2, api_id)) == ["GET /only"]
    assert len(apigw2.get_integrations(ApiId=api_id)["Items"]) == 1


def test_warnings_and_bad_definitions(apigw2):
    bare = definition(**{"/bare": {"get": {}}})
    api = apigw2.import_api(Body=json.dumps(bare))
    assert any("/bare" in warning for warning in api["Warnings"])
    assert "GET /bare" in routes_of(apigw2, api["ApiId"])
    with pytest.raises(apigw2.exceptions.BadRequestException):
        apigw2.import_api(Body=json.dumps(bare), FailOnWarnings=True)
    for body in ["{not json", json.dumps({"swagger": "2.0", "info": {"title": "x"}, "paths": {}}), "[]"]:
        with pytest.raises(apigw2.exceptions.BadRequestException):
            apigw2.import_api(Body=body)
    wrong = definition(**{"/x": {"get": {"x-amazon-apigateway-integration": {"type": "aws", "uri": FUNCTION}}}})
    with pytest.raises(apigw2.exceptions.BadRequestException):
        apigw2.import_api(Body=json.dumps(wrong))
    assert len(apigw2.get_apis()["Items"]) == 1  # the refused imports left nothing


@pytest.mark.parametrize("output", ["JSON", "YAML"])
def test_an_export_imports_again(apigw2, output):
    api_id = apigw2.import_api(Body=json.dumps(definition()))["ApiId"]
    exported = apigw2.export_api(ApiId=api_id, Specification="OAS30", OutputType=output)["body"].read()
    document = json.loads(exported) if output == "JSON" else yaml.safe_load(exported)
    assert document["openapi"].startswith("3.0") and document["info"]["title"] == "pets"
    again = apigw2.import_api(Body=exported.decode())
    assert sorted(routes_of(apigw2, again["ApiId"])) == sorted(routes_of(apigw2, api_id))
    assert again["CorsConfiguration"] == {"AllowOrigins": ["https://app.example"], "MaxAge": 60}
    bare = apigw2.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON", IncludeExtensions=False)
    assert "x-amazon-apigateway-integration" not in bare["body"].read().decode()
    with pytest.raises(apigw2.exceptions.BadRequestException):
        apigw2.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON", StageName="nosuch")


@given(st.text(max_size=200))
def test_any_text_is_a_definition_or_refused(text):
    try:
        openapi.read(openapi.parse(text))
    except openapi.InvalidDefinition:
        pass
    except (TypeError, ValueError, KeyError, AttributeError):
        pass  # ImportApi answers these as BadRequestException too


@given(
    st.dictionaries(
        st.sampled_from(["/a", "/b/{id}", "$default", "/c/{proxy+}"]),
        st.dictionaries(st.sampled_from(["get", "post", "x-amazon-apigateway-any-method", "summary"]), st.just({})),
    )
)
def test_every_path_and_verb_is_a_route(paths):
    read = openapi.read({"openapi": "3.0.1", "info": {"title": "t"}, "paths": paths})
    verbs = sum(1 for item in paths.values() for verb in item if verb != "summary")
    assert len(read.routes) == verbs
