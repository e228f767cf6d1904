"""
AWS::ApiGatewayV2::Api with a Body or a BodyS3Location (JSON or YAML):
imported by the service's own OpenAPI reader, so the document's JWT
authorizer and CORS configuration are made and enforced over HTTP; a
changed document is reimported into the same API.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests
import yaml

from tests.cloudformation.helpers import FAST, outputs
from tests.issuer import AUDIENCE, Issuer
from tests.stacks import ruststack_fixture

cfn_body = ruststack_fixture("--services", "s3,apigateway,apigatewayv2,sts,cloudformation")


@pytest.fixture
def stack(cfn_body):
    cfn_body.reset()
    return cfn_body


def _document(issuer: Issuer) -> dict[str, Any]:
    secured = {
        "security": [{"jwt": []}],
        "x-amazon-apigateway-integration": {
            "type": "http_proxy",
            "httpMethod": "GET",
            "uri": f"{issuer.url}/keys",
            "payloadFormatVersion": "1.0",
        },
    }
    return {
        "openapi": "3.0.1",
        "info": {"title": "keys", "version": "1"},
        "paths": {"/keys": {"get": secured}},
        "components": {
            "securitySchemes": {
                "jwt": {
                    "type": "oauth2",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "identitySource": "$request.header.Authorization",
                        "jwtConfiguration": {"issuer": issuer.url, "audience": [AUDIENCE]},
                    },
                }
            }
        },
        "x-amazon-apigateway-cors": {
            "allowOrigins": ["https://app.example.com"],
            "allowMethods": ["GET"],
            "allowHeaders": ["authorization"],
            "maxAge": 600,
        },
        "tags": [{"name": "team", "x-amazon-apigateway-tag-value": "keys"}],
    }


def _template(api_properties: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Resources": {
                "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": api_properties},
                "Stage": {
                    "Type": "AWS::ApiGatewayV2::Stage",
                    "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "$default", "AutoDeploy": True},
                },
            },
            "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}},
        }
    )


def _get(stack, api_id: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
    url = f"{stack.endpoint_url}/restapis/{api_id}/$default/_user_request_{path}"
    return requests.request(method, url, headers=headers or {}, timeout=30)


def _check_served(stack, api_id: str, issuer: Issuer) -> None:
    assert _get(stack, api_id, "/keys").status_code == 401
    answered = _get(stack, api_id, "/keys", {"Authorization": f"Bearer {issuer.token()}"})
    assert answered.status_code == 200 and answered.json()["keys"][0]["kid"] == "k1"
    preflight = _get(
        stack,
        api_id,
        "/keys",
        {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        method="OPTIONS",
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert preflight.headers["access-control-max-age"] == "600"


def test_a_body_is_imported_with_its_authorizer_and_cors(stack, issuer):
    cfn, apigw2 = stack.client("cloudformation"), stack.client("apigatewayv2")
    document = _document(issuer)
    cfn.create_stack(StackName="body", TemplateBody=_template({"Body": document, "Description": "from the template"}))
    cfn.get_waiter("stack_create_complete").wait(StackName="body", WaiterConfig=FAST)
    api_id = outputs(cfn, "body")["ApiId"]
    api = apigw2.get_api(ApiId=api_id)
    assert (api["Name"], api["Description"], api["Tags"]) == ("keys", "from the template", {"team": "keys"})
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://app.example.com"]
    (authorizer,) = apigw2.get_authorizers(ApiId=api_id)["Items"]
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"] == {"Issuer": issuer.url, "Audience": [AUDIENCE]}
    (route,) = apigw2.get_routes(ApiId=api_id)["Items"]
    assert (route["RouteKey"], route["AuthorizationType"]) == ("GET /keys", "JWT")
    _check_served(stack, api_id, issuer)

    # A changed document is reimported into the same API.
    changed = copy.deepcopy(document)
    changed["paths"]["/open"] = {"get": {**document["paths"]["/keys"]["get"], "security": []}}
    cfn.update_stack(StackName="body", TemplateBody=_template({"Body": changed}))
    cfn.get_waiter("stack_update_complete").wait(StackName="body", WaiterConfig=FAST)
    assert outputs(cfn, "body")["ApiId"] == api_id
    keys = sorted(r["RouteKey"] for r in apigw2.get_routes(ApiId=api_id)["Items"])
    assert keys == ["GET /keys", "GET /open"]
    assert _get(stack, api_id, "/open").status_code == 200
    assert _get(stack, api_id, "/keys").status_code == 401

    cfn.delete_stack(StackName="body")
    cfn.get_waiter("stack_delete_complete").wait(StackName="body", WaiterConfig=FAST)
    assert apigw2.get_apis()["Items"] == []


@pytest.mark.parametrize("render", [yaml.safe_dump, json.dumps], ids=["yaml", "json"])
def test_a_body_s3_location_is_read_as_yaml_or_json(stack, issuer, render):
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="definitions")
    s3.put_object(Bucket="definitions", Key="api.txt", Body=render(_document(issuer)).encode())
    cfn, apigw2 = stack.client("cloudformation"), stack.client("apigatewayv2")
    template = _template({"BodyS3Location": {"Bucket": "definitions", "Key": "api.txt"}, "Name": "renamed"})
    cfn.create_stack(StackName="located", TemplateBody=template)
    cfn.get_waiter("stack_create_complete").wait(StackName="located", WaiterConfig=FAST)
    api_id = outputs(cfn, "located")["ApiId"]
    assert apigw2.get_api(ApiId=api_id)["Name"] == "renamed"
    assert [a["Name"] for a in apigw2.get_authorizers(ApiId=api_id)["Items"]] == ["jwt"]
    _check_served(stack, api_id, issuer)


def test_a_bad_body_fails_the_resource_with_the_import_error(stack):
    cfn = stack.client("cloudformation")
    document = {"openapi": "2.0", "info": {"title": "old"}, "paths": {}}
    cfn.create_stack(StackName="bad", TemplateBody=_template({"Body": document}))
    with pytest.raises(Exception, match="ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_create_complete").wait(StackName="bad", WaiterConfig=FAST)
    (failed,) = [
        e for e in cfn.describe_stack_events(StackName="bad")["StackEvents"] if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert failed["LogicalResourceId"] == "Api"
    assert failed["ResourceStatusReason"] == (
        "Only OpenAPI 3.x definitions are supported for HTTP APIs"
        " (Service: apigatewayv2, Status Code: 400, Error Code: BadRequestException)"
    )
    assert stack.client("apigatewayv2").get_apis()["Items"] == []
