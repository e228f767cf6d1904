"""
AWS::ApiGateway::ApiKey, UsagePlan, UsagePlanKey, Model, RequestValidator,
GatewayResponse, DomainName, BasePathMapping and Authorizer, and
AWS::ApiGatewayV2::Authorizer, made by stacks and then called over HTTP:
a key wanted (403 with the stack's gateway response without it), a body
checked against the stack's model, the API served on the stack's domain;
updated in place and deleted with their stack.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
import requests

from tests.cloudformation.helpers import FAST, outputs
from tests.stacks import ruststack_fixture

KEY_VALUE = "cfn-key-0123456789abcdefghij"
CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/12345678-aaaa-bbbb-cccc-123456789012"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"

cfn_access = ruststack_fixture("--services", "s3,lambda,apigateway,apigatewayv2,sts,cloudformation")


@pytest.fixture
def stack(cfn_access):
    cfn_access.reset()
    return cfn_access


def _template(
    validate_body: bool = True, throttle_burst: int = 10, key_description: str = "first", why: str = "send x-api-key"
) -> dict[str, Any]:
    mock = {
        "Type": "MOCK",
        "RequestTemplates": {"application/json": '{"statusCode": 200}'},
        "IntegrationResponses": [{"StatusCode": 200, "ResponseTemplates": {"application/json": '{"ok": true}'}}],
    }
    return {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "access"}},
            "Pets": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "PathPart": "pets",
                },
            },
            "Pet": {
                "Type": "AWS::ApiGateway::Model",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ContentType": "application/json",
                    "Schema": {
                        "$schema": "http://json-schema.org/draft-04/schema#",
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}},
                    },
                },
            },
            "Validator": {
                "Type": "AWS::ApiGateway::RequestValidator",
                "Properties": {"RestApiId": {"Ref": "Api"}, "ValidateRequestBody": validate_body},
            },
            "Post": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Ref": "Pets"},
                    "HttpMethod": "POST",
                    "AuthorizationType": "NONE",
                    "ApiKeyRequired": True,
                    "RequestValidatorId": {"Ref": "Validator"},
                    "RequestModels": {"application/json": {"Ref": "Pet"}},
                    "MethodResponses": [{"StatusCode": 200}],
                    "Integration": mock,
                },
            },
            "Get": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Ref": "Pets"},
                    "HttpMethod": "GET",
                    "AuthorizationType": "CUSTOM",
                    "AuthorizerId": {"Ref": "Authorizer"},
                    "MethodResponses": [{"StatusCode": 200}],
                    "Integration": mock,
                },
            },
            "NoKey": {
                "Type": "AWS::ApiGateway::GatewayResponse",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ResponseType": "INVALID_API_KEY",
                    "StatusCode": "403",
                    "ResponseParameters": {"gatewayresponse.header.x-why": "'no-key'"},
                    "ResponseTemplates": {"application/json": json.dumps({"why": why})},
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "DependsOn": ["Post", "Get", "NoKey"],
                "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "prod"},
            },
            "Key": {
                "Type": "AWS::ApiGateway::ApiKey",
                "DependsOn": "Deployment",
                "Properties": {
                    "Name": "cfn-key",
                    "Value": KEY_VALUE,
                    "Enabled": True,
                    "Description": key_description,
                    "StageKeys": [{"RestApiId": {"Ref": "Api"}, "StageName": "prod"}],
                },
            },
            "Plan": {
                "Type": "AWS::ApiGateway::UsagePlan",
                "DependsOn": "Deployment",
                "Properties": {
                    "UsagePlanName": "gold",
                    "ApiStages": [{"ApiId": {"Ref": "Api"}, "Stage": "prod"}],
                    "Throttle": {"BurstLimit": throttle_burst, "RateLimit": 100},
                    "Quota": {"Limit": 1000, "Period": "DAY"},
                },
            },
            "PlanKey": {
                "Type": "AWS::ApiGateway::UsagePlanKey",
                "Properties": {"KeyId": {"Ref": "Key"}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": "Plan"}},
            },
            "Authorizer": {
                "Type": "AWS::ApiGateway::Authorizer",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "Name": "tokens",
                    "Type": "TOKEN",
                    "IdentitySource": "method.request.header.Authorization",
                    "AuthorizerUri": {
                        "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:auth/invocations"
                    },
                },
            },
            "Domain": {
                "Type": "AWS::ApiGateway::DomainName",
                "Properties": {
                    "DomainName": "pets.example.com",
                    "RegionalCertificateArn": CERTIFICATE,
                    "EndpointConfiguration": {"Types": ["REGIONAL"]},
                },
            },
            "Mapping": {
                "Type": "AWS::ApiGateway::BasePathMapping",
                "DependsOn": "Deployment",
                "Properties": {
                    "DomainName": {"Ref": "Domain"},
                    "BasePath": "v1",
                    "RestApiId": {"Ref": "Api"},
                    "Stage": "prod",
                },
            },
        },
        "Outputs": {
            "ApiId": {"Value": {"Ref": "Api"}},
            "KeyId": {"Value": {"Ref": "Key"}},
            "KeyIdAttribute": {"Value": {"Fn::GetAtt": ["Key", "APIKeyId"]}},
            "PlanId": {"Value": {"Ref": "Plan"}},
            "PlanIdAttribute": {"Value": {"Fn::GetAtt": ["Plan", "Id"]}},
            "PlanKey": {"Value": {"Ref": "PlanKey"}},
            "Model": {"Value": {"Ref": "Pet"}},
            "Validator": {"Value": {"Ref": "Validator"}},
            "ValidatorAttribute": {"Value": {"Fn::GetAtt": ["Validator", "RequestValidatorId"]}},
            "Response": {"Value": {"Fn::GetAtt": ["NoKey", "Id"]}},
            "Authorizer": {"Value": {"Ref": "Authorizer"}},
            "AuthorizerAttribute": {"Value": {"Fn::GetAtt": ["Authorizer", "AuthorizerId"]}},
            "Domain": {"Value": {"Ref": "Domain"}},
            "RegionalDomainName": {"Value": {"Fn::GetAtt": ["Domain", "RegionalDomainName"]}},
            "RegionalHostedZoneId": {"Value": {"Fn::GetAtt": ["Domain", "RegionalHostedZoneId"]}},
        },
    }


def _post(stack, api_id: str, body: Any, key: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json", **({"x-api-key": key} if key else {})}
    url = f"{stack.endpoint_url}/restapis/{api_id}/prod/_user_request_/pets"
    return requests.post(url, data=json.dumps(body), headers=headers, timeout=30)


def _deploy(cfn, template: dict[str, Any], update: bool = False) -> dict[str, str]:
    if update:
        cfn.update_stack(StackName="access", TemplateBody=json.dumps(template))
        cfn.get_waiter("stack_update_complete").wait(StackName="access", WaiterConfig=FAST)
    else:
        cfn.create_stack(StackName="access", TemplateBody=json.dumps(template))
        cfn.get_waiter("stack_create_complete").wait(StackName="access", WaiterConfig=FAST)
    return outputs(cfn, "access")


def test_keys_plans_models_validators_responses_and_domains(stack):
    cfn, apigw = stack.client("cloudformation"), stack.client("apigateway")
    found = _deploy(cfn, _template())
    api_id = found["ApiId"]

    # Ref and Fn::GetAtt as the reference documents them.
    assert found["KeyId"] == found["KeyIdAttribute"] == apigw.get_api_keys()["items"][0]["id"]
    assert found["PlanId"] == found["PlanIdAttribute"] == apigw.get_usage_plans()["items"][0]["id"]
    assert found["PlanKey"] == f"{found['KeyId']}:{found['PlanId']}"
    assert found["Model"].startswith("Pet") and found["Model"].isalnum()
    assert found["Validator"] == found["ValidatorAttribute"]
    assert found["Authorizer"] == found["AuthorizerAttribute"]
    assert found["Domain"] == "pets.example.com"
    assert found["RegionalDomainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert found["RegionalHostedZoneId"] == "Z1UJRXOUMOOFQ8"
    assert len(found["Response"]) == 6

    authorizer = apigw.get_authorizer(restApiId=api_id, authorizerId=found["Authorizer"])
    assert (authorizer["name"], authorizer["type"]) == ("tokens", "TOKEN")
    method = apigw.get_method(restApiId=api_id, resourceId=_pets(apigw, api_id), httpMethod="POST")
    assert method["apiKeyRequired"] is True
    assert method["requestValidatorId"] == found["Validator"]
    assert method["requestModels"] == {"application/json": found["Model"]}

    # No key: the stack's gateway response.
    refused = _post(stack, api_id, {"name": "rex"})
    assert refused.status_code == 403
    assert refused.json() == {"why": "send x-api-key"}
    assert refused.headers["x-why"] == "no-key"
    # The key of the plan: the body is checked against the model.
    assert _post(stack, api_id, {"name": "rex"}, KEY_VALUE).json() == {"ok": True}
    invalid = _post(stack, api_id, {"age": 3}, KEY_VALUE)
    assert invalid.status_code == 400
    assert invalid.json()["message"] == "Invalid request body"
    # The stack's authorizer guards GET: no identity source, 401 before its function is called.
    unauthorized = requests.get(f"{stack.endpoint_url}/restapis/{api_id}/prod/_user_request_/pets", timeout=30)
    assert (unauthorized.status_code, unauthorized.json()) == (401, {"message": "Unauthorized"})
    # The stage on the stack's domain.
    by_host = requests.post(
        f"{stack.endpoint_url}/v1/pets",
        data=json.dumps({"name": "rex"}),
        headers={"Host": "pets.example.com", "x-api-key": KEY_VALUE, "Content-Type": "application/json"},
        timeout=30,
    )
    assert by_host.json() == {"ok": True}

    # Updated in place: the same key and plan, changed.
    again = _deploy(
        cfn,
        _template(validate_body=False, throttle_burst=20, key_description="second", why="a key, please"),
        update=True,
    )
    for name in ("KeyId", "PlanId", "Validator"):
        assert again[name] == found[name]
    assert apigw.get_api_key(apiKey=found["KeyId"])["description"] == "second"
    assert apigw.get_usage_plan(usagePlanId=found["PlanId"])["throttle"]["burstLimit"] == 20
    validator = apigw.get_request_validator(restApiId=api_id, requestValidatorId=found["Validator"])
    assert validator["validateRequestBody"] is False
    assert _post(stack, api_id, {"age": 3}, KEY_VALUE).json() == {"ok": True}
    # The gateway response is put again.
    response = apigw.get_gateway_response(restApiId=api_id, responseType="INVALID_API_KEY")
    assert response["responseTemplates"] == {"application/json": '{"why": "a key, please"}'}

    cfn.delete_stack(StackName="access")
    cfn.get_waiter("stack_delete_complete").wait(StackName="access", WaiterConfig=FAST)
    assert apigw.get_api_keys()["items"] == []
    assert apigw.get_usage_plans()["items"] == []
    assert apigw.get_domain_names()["items"] == []
    assert apigw.get_rest_apis()["items"] == []


def _pets(apigw, api_id: str) -> str:
    return next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/pets")


HTTP_API_AUTHORIZER = {
    "Resources": {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "jwt", "ProtocolType": "HTTP"}},
        "Authorizer": {
            "Type": "AWS::ApiGatewayV2::Authorizer",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "Name": "jwt",
                "AuthorizerType": "JWT",
                "IdentitySource": ["$request.header.Authorization"],
                "JwtConfiguration": {"Issuer": "https://issuer.example.com", "Audience": ["{audience}"]},
            },
        },
        "Proxy": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "IntegrationType": "HTTP_PROXY",
                "IntegrationMethod": "GET",
                "IntegrationUri": "http://127.0.0.1:9/me",
                "PayloadFormatVersion": "1.0",
            },
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "$default", "AutoDeploy": True},
        },
        "Route": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "RouteKey": "GET /me",
                "Target": {"Fn::Sub": "integrations/${Proxy}"},
                "AuthorizationType": "JWT",
                "AuthorizerId": {"Ref": "Authorizer"},
            },
        },
    },
    "Outputs": {
        "ApiId": {"Value": {"Ref": "Api"}},
        "AuthorizerId": {"Value": {"Ref": "Authorizer"}},
        "AuthorizerIdAttribute": {"Value": {"Fn::GetAtt": ["Authorizer", "AuthorizerId"]}},
    },
}


def test_http_api_authorizer(stack):
    cfn, apigw2 = stack.client("cloudformation"), stack.client("apigatewayv2")
    template = json.dumps(HTTP_API_AUTHORIZER).replace("{audience}", "first")
    cfn.create_stack(StackName="jwt", TemplateBody=template)
    cfn.get_waiter("stack_create_complete").wait(StackName="jwt", WaiterConfig=FAST)
    found = outputs(cfn, "jwt")
    assert found["AuthorizerId"] == found["AuthorizerIdAttribute"]
    authorizer = apigw2.get_authorizer(ApiId=found["ApiId"], AuthorizerId=found["AuthorizerId"])
    assert authorizer["JwtConfiguration"] == {"Issuer": "https://issuer.example.com", "Audience": ["first"]}
    route = apigw2.get_routes(ApiId=found["ApiId"])["Items"][0]
    assert (route["AuthorizationType"], route["AuthorizerId"]) == ("JWT", found["AuthorizerId"])
    url = f"{stack.endpoint_url}/restapis/{found['ApiId']}/$default/_user_request_/me"
    assert requests.get(url, timeout=30).status_code == 401

    cfn.update_stack(StackName="jwt", TemplateBody=template.replace('"first"', '"second"'))
    cfn.get_waiter("stack_update_complete").wait(StackName="jwt", WaiterConfig=FAST)
    assert outputs(cfn, "jwt")["AuthorizerId"] == found["AuthorizerId"]
    authorizer = apigw2.get_authorizer(ApiId=found["ApiId"], AuthorizerId=found["AuthorizerId"])
    assert authorizer["JwtConfiguration"]["Audience"] == ["second"]

    cfn.delete_stack(StackName="jwt")
    cfn.get_waiter("stack_delete_complete").wait(StackName="jwt", WaiterConfig=FAST)
    assert apigw2.get_apis()["Items"] == []
