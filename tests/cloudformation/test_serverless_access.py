"""
SAM's API Gateway features through the AWS::Serverless-2016-10-31
transform, deployed with CloudFormation as `sam deploy` does and called
over HTTP: an C{AWS::Serverless::Api} wanting a key of the usage plan SAM
makes for it, with its gateway responses and a model its function's event
checks; an C{AWS::Serverless::HttpApi} with a JWT authorizer (its issuer
served on 127.0.0.1 by the test) and a CORS configuration.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.cloudformation.helpers import FAST, outputs
from tests.issuer import AUDIENCE, Issuer
from tests.stacks import ruststack_fixture

cfn_sam = ruststack_fixture(
    "--services", "s3,lambda,apigateway,apigatewayv2,sts,cloudformation", "--lambda-idle-timeout", "60"
)


@pytest.fixture
def stack(cfn_sam):
    cfn_sam.reset()
    return cfn_sam


def _deploy(stack, name: str, template: str) -> dict[str, str]:
    """
    What `sam deploy` calls: a change set made, waited for and executed.
    """
    cfn = stack.client("cloudformation")
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="samcli-deploy1",
        ChangeSetType="CREATE",
        TemplateBody=template,
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("change_set_create_complete").wait(StackName=name, ChangeSetName="samcli-deploy1", WaiterConfig=FAST)
    cfn.execute_change_set(StackName=name, ChangeSetName="samcli-deploy1")
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    return outputs(cfn, name)


def _delete(stack, name: str) -> None:
    cfn = stack.client("cloudformation")
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


REST_API = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        ApiKeyRequired: true
        UsagePlan:
          CreateUsagePlan: PER_API
      GatewayResponses:
        INVALID_API_KEY:
          StatusCode: "403"
          ResponseParameters:
            Headers:
              x-why: "'no-key'"
          ResponseTemplates:
            application/json: '{"why": "send x-api-key"}'
        BAD_REQUEST_BODY:
          StatusCode: "422"
          ResponseTemplates:
            application/json: '{"why": "$context.error.message"}'
      Models:
        Pet:
          type: object
          required: [name]
          properties:
            name:
              type: string
  Pets:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Timeout: 10
      InlineCode: |
        import json
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps({"pet": json.loads(event["body"])["name"]})}
      Events:
        Post:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /pets
            Method: post
            RequestModel:
              Model: Pet
              Required: true
              ValidateBody: true
Outputs:
  ApiId:
    Value: !Ref Api
  KeyId:
    Value: !Ref ApiApiKey
"""


def test_sam_api_with_a_usage_plan_gateway_responses_and_a_model(stack):
    found = _deploy(stack, "pets", REST_API)
    apigw = stack.client("apigateway")
    key = apigw.get_api_key(apiKey=found["KeyId"], includeValue=True)
    plans = apigw.get_usage_plans()["items"]
    assert [s["apiId"] for s in plans[0]["apiStages"]] == [found["ApiId"]]
    url = f"{stack.endpoint_url}/restapis/{found['ApiId']}/prod/_user_request_/pets"

    def post(body: object, api_key: str | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json", **({"x-api-key": api_key} if api_key else {})}
        return requests.post(url, data=json.dumps(body), headers=headers, timeout=60)

    refused = post({"name": "rex"})
    assert (refused.status_code, refused.json(), refused.headers["x-why"]) == (403, {"why": "send x-api-key"}, "no-key")
    assert post({"name": "rex"}, "not-a-key").status_code == 403
    invalid = post({"age": 3}, key["value"])
    assert (invalid.status_code, invalid.json()) == (422, {"why": "Invalid request body"})
    answered = post({"name": "rex"}, key["value"])
    assert (answered.status_code, answered.json()) == (200, {"pet": "rex"})

    _delete(stack, "pets")
    assert apigw.get_api_keys()["items"] == [] and apigw.get_usage_plans()["items"] == []


HTTP_API = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: {issuer}
              audience: [{audience}]
      CorsConfiguration:
        AllowOrigins: [https://app.example.com]
        AllowMethods: [GET]
        AllowHeaders: [authorization]
        MaxAge: 600
  Me:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Timeout: 10
      InlineCode: |
        import json
        def handler(event, context):
            claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
            return {{"statusCode": 200, "body": json.dumps({{"me": claims["sub"]}})}}
      Events:
        Me:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /me
            Method: get
Outputs:
  ApiId:
    Value: !Ref Api
"""


def test_sam_http_api_with_a_jwt_authorizer_and_cors(stack, issuer: Issuer):
    found = _deploy(stack, "me", HTTP_API.format(issuer=issuer.url, audience=AUDIENCE))
    url = f"{stack.endpoint_url}/restapis/{found['ApiId']}/$default/_user_request_/me"

    missing = requests.get(url, timeout=60)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert requests.get(url, headers={"Authorization": "Bearer not.a.token"}, timeout=60).status_code == 401
    answered = requests.get(url, headers={"Authorization": f"Bearer {issuer.token()}"}, timeout=60)
    assert (answered.status_code, answered.json()) == (200, {"me": "ana"})
    preflight = requests.options(
        url, headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}, timeout=60
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert preflight.headers["access-control-allow-methods"] == "GET"
    # An allowed origin's answer carries the CORS headers too.
    allowed = requests.get(
        url, headers={"Origin": "https://app.example.com", "Authorization": f"Bearer {issuer.token()}"}, timeout=60
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"

    _delete(stack, "me")
    assert stack.client("apigatewayv2").get_apis()["Items"] == []
