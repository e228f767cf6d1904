"""
HTTP APIs through CloudFormation: the AWS::ApiGatewayV2::* types in a plain
template, and SAM's HttpApi events through the transform (an Api with an
OpenAPI Body, its $default stage, the function's permission), deployed,
called through the stage, updated and deleted.
"""

from __future__ import annotations

import json
import sys

import pytest
import requests

from tests.cloudformation.helpers import FAST
from tests.stacks import ruststack_fixture

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
CODE = (
    "import json\n"
    "def handler(event, context):\n"
    "    return {'route': event['routeKey'], 'stage': event['requestContext']['stage'],\n"
    "            'parameters': event.get('pathParameters'), 'variables': event.get('stageVariables')}\n"
)

cfn_http_api = ruststack_fixture("--services", "lambda,apigateway,apigatewayv2,iam,cloudformation")


@pytest.fixture
def stack(cfn_http_api):
    cfn_http_api.reset()
    return cfn_http_api


def deploy(stack, name: str, template: dict | str, capabilities=()) -> dict[str, str]:
    cfn = stack.client("cloudformation")
    body = template if isinstance(template, str) else json.dumps(template)
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=list(capabilities))
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def get(stack, api_id: str, stage: str, path: str) -> requests.Response:
    return requests.get(f"{stack.endpoint_url}/restapis/{api_id}/{stage}/_user_request_{path}", timeout=60)


PLAIN = {
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": RUNTIME,
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": CODE},
            },
        },
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "plain", "ProtocolType": "HTTP"}},
        "Integration": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": {"Fn::GetAtt": ["Fn", "Arn"]},
                "PayloadFormatVersion": "2.0",
            },
        },
        "Route": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "RouteKey": "GET /items/{id}",
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]},
            },
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "prod", "StageVariables": {"color": "blue"}},
        },
        "Deployment": {
            "Type": "AWS::ApiGatewayV2::Deployment",
            "DependsOn": ["Route"],
            "Properties": {"ApiId": {"Ref": "Api"}, "StageName": {"Ref": "Stage"}},
        },
        "Permission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "Fn"},
                "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"},
            },
        },
    },
    "Outputs": {
        "ApiId": {"Value": {"Ref": "Api"}},
        "Endpoint": {"Value": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}},
        "Deployment": {"Value": {"Ref": "Deployment"}},
    },
}


def test_the_plain_types(stack):
    outputs = deploy(stack, "plain", PLAIN, ["CAPABILITY_IAM"])
    api_id = outputs["ApiId"]
    assert outputs["Endpoint"].startswith(f"http://{api_id}.execute-api.localhost:")
    answer = get(stack, api_id, "prod", "/items/9").json()
    assert answer == {
        "route": "GET /items/{id}",
        "stage": "prod",
        "parameters": {"id": "9"},
        "variables": {"color": "blue"},
    }
    apigw2 = stack.client("apigatewayv2")
    assert apigw2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == outputs["Deployment"]
    cfn = stack.client("cloudformation")
    cfn.delete_stack(StackName="plain")
    cfn.get_waiter("stack_delete_complete").wait(StackName="plain", WaiterConfig=FAST)
    assert apigw2.get_apis()["Items"] == []


SAM = f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: {RUNTIME}
      Handler: index.handler
      InlineCode: |
{"".join("        " + line + chr(10) for line in CODE.splitlines())}
      Events:
        Item:
          Type: HttpApi
          Properties:
            Path: /items/{{id}}
            Method: get
        Rest:
          Type: HttpApi
Outputs:
  ApiId:
    Value: !Ref ServerlessHttpApi
"""


def test_sam_http_api_events(stack):
    outputs = deploy(stack, "sam", SAM, ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    api_id = outputs["ApiId"]
    item = get(stack, api_id, "$default", "/items/3").json()
    assert (item["route"], item["stage"], item["parameters"]) == ("GET /items/{id}", "$default", {"id": "3"})
    assert get(stack, api_id, "$default", "/other/path").json()["route"] == "$default"
    apigw2 = stack.client("apigatewayv2")
    assert apigw2.get_api(ApiId=api_id)["Tags"] == {"httpapi:createdBy": "SAM"}
    (integration,) = apigw2.get_integrations(ApiId=api_id)["Items"]
    assert integration["PayloadFormatVersion"] == "2.0"
    cfn = stack.client("cloudformation")
    cfn.delete_stack(StackName="sam")
    cfn.get_waiter("stack_delete_complete").wait(StackName="sam", WaiterConfig=FAST)
    assert apigw2.get_apis()["Items"] == []


def _mapped_integration(request: dict, response: dict) -> str:
    return json.dumps(
        {
            "Resources": {
                "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "mapped", "ProtocolType": "HTTP"}},
                "Proxy": {
                    "Type": "AWS::ApiGatewayV2::Integration",
                    "Properties": {
                        "ApiId": {"Ref": "Api"},
                        "IntegrationType": "HTTP_PROXY",
                        "IntegrationUri": "https://backend.example/items",
                        "IntegrationMethod": "ANY",
                        "PayloadFormatVersion": "1.0",
                        "RequestParameters": request,
                        # CloudFormation's shape: a list of Destination/Source pairs per status code.
                        "ResponseParameters": {
                            status: {"ResponseParameters": [{"Destination": d, "Source": s} for d, s in pairs.items()]}
                            for status, pairs in response.items()
                        },
                    },
                },
            },
            "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}, "IntegrationId": {"Value": {"Ref": "Proxy"}}},
        }
    )


def test_an_integration_s_parameter_mapping(stack):
    request = {"append:header.x-one": "$context.requestId", "remove:querystring.secret": "''"}
    response = {"200": {"overwrite:statuscode": "204"}, "404": {"append:header.x-missing": "yes"}}
    outputs = deploy(stack, "mapped", _mapped_integration(request, response))
    apigw2, cfn = stack.client("apigatewayv2"), stack.client("cloudformation")
    found = apigw2.get_integration(ApiId=outputs["ApiId"], IntegrationId=outputs["IntegrationId"])
    assert (found["RequestParameters"], found["ResponseParameters"]) == (request, response)
    # An update makes the integration's mappings the template's, whole: what it drops goes.
    request = {"append:header.x-two": "static"}
    response = {"200": {"append:header.x-done": "yes"}}
    cfn.update_stack(StackName="mapped", TemplateBody=_mapped_integration(request, response))
    cfn.get_waiter("stack_update_complete").wait(StackName="mapped", WaiterConfig=FAST)
    found = apigw2.get_integration(ApiId=outputs["ApiId"], IntegrationId=outputs["IntegrationId"])
    assert (found["RequestParameters"], found["ResponseParameters"]) == (request, response)
