"""
The AWS::Serverless-2016-10-31 transform: a SAM template deployed as
`sam deploy` does (a change set, CAPABILITY_IAM), then called through API
Gateway, its table written by the function.
"""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile

import pytest

from ruststack.testing import RustStackProcess
from tests.cloudformation.helpers import FAST, error_of

SAM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: notes
Parameters:
  Greeting:
    Type: String
    Default: hello
Globals:
  Function:
    Timeout: 10
    Runtime: python3.11
Resources:
  Notes:
    Type: AWS::Serverless::SimpleTable
  NotesFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: {code_uri}
      Environment:
        Variables:
          TABLE: !Ref Notes
          GREETING: !Ref Greeting
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Notes
      Events:
        Hello:
          Type: Api
          Properties:
            Path: /notes/{{id}}
            Method: get
Outputs:
  ApiUrl:
    Value: !Sub "https://${{ServerlessRestApi}}.execute-api.${{AWS::Region}}.amazonaws.com/Prod/notes/"
  ApiId:
    Value: !Ref ServerlessRestApi
  TableName:
    Value: !Ref Notes
"""

APP = """
import json, os
import boto3

def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
    note_id = event["pathParameters"]["id"]
    table.put_item(Item={"id": note_id, "text": os.environ["GREETING"]})
    item = table.get_item(Key={"id": note_id})["Item"]
    return {"statusCode": 200, "body": json.dumps(item)}
"""


def _package(stack) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("app.py", APP)
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="sam-artifacts")
    s3.put_object(Bucket="sam-artifacts", Key="notes/app.zip", Body=buffer.getvalue())
    return "s3://sam-artifacts/notes/app.zip"


@pytest.fixture(scope="module")
def every_service():
    """
    A RustStack running every service, as `make run` does: SAM's role is made
    in IAM (and Lambda accepts only a role that exists), logs are shipped.
    """
    process = RustStackProcess.start("--lambda-idle-timeout", "60")
    yield process
    process.stop()


def test_sam_template_deployed_and_called(stack, cfn):
    deploy_call_and_delete(stack, cfn)


def test_sam_template_on_every_service(every_service):
    every_service.reset()
    deploy_call_and_delete(every_service, every_service.client("cloudformation"))
    iam = every_service.client("iam")
    assert iam.list_roles()["Roles"] == []  # the function's role went with the stack
    # As on AWS, the group Lambda wrote the function's logs to outlives it.
    groups = every_service.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    names = [g["logGroupName"] for g in groups]
    assert names and all(name.startswith("/aws/lambda/notes-") for name in names)


def deploy_call_and_delete(stack, cfn) -> None:
    """
    Deploy the SAM app as `sam deploy` does, call it through API Gateway,
    check its table, then delete the stack and check nothing is left.
    """
    template = SAM_TEMPLATE.format(code_uri=_package(stack))
    # What `sam deploy` calls.
    cfn.create_change_set(
        StackName="notes",
        ChangeSetName="samcli-deploy1",
        ChangeSetType="CREATE",
        TemplateBody=template,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "hi"}],
        Tags=[{"Key": "app", "Value": "notes"}],
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName="notes", ChangeSetName="samcli-deploy1", WaiterConfig=FAST
    )
    changes = cfn.describe_change_set(StackName="notes", ChangeSetName="samcli-deploy1")["Changes"]
    types = sorted(c["ResourceChange"]["ResourceType"] for c in changes)
    assert types == sorted(
        [
            "AWS::DynamoDB::Table",
            "AWS::IAM::Role",
            "AWS::Lambda::Function",
            "AWS::Lambda::Permission",
            "AWS::ApiGateway::RestApi",
            "AWS::ApiGateway::Deployment",
            "AWS::ApiGateway::Stage",
        ]
    )
    cfn.execute_change_set(StackName="notes", ChangeSetName="samcli-deploy1")
    cfn.get_waiter("stack_create_complete").wait(StackName="notes", WaiterConfig=FAST)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="notes")["Stacks"][0]["Outputs"]}
    url = f"{stack.endpoint_url}/restapis/{outputs['ApiId']}/Prod/_user_request_/notes/n1"
    with urllib.request.urlopen(url, timeout=60) as response:
        assert json.loads(response.read()) == {"id": "n1", "text": "hi"}
    item = stack.client("dynamodb").get_item(TableName=outputs["TableName"], Key={"id": {"S": "n1"}})["Item"]
    assert item["text"] == {"S": "hi"}

    original = cfn.get_template(StackName="notes")["TemplateBody"]
    assert "AWS::Serverless::Function" in original
    processed = cfn.get_template(StackName="notes", TemplateStage="Processed")["TemplateBody"]
    assert processed["Resources"]["NotesFunction"]["Type"] == "AWS::Lambda::Function"
    assert cfn.get_template_summary(StackName="notes")["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]

    cfn.delete_stack(StackName="notes")
    cfn.get_waiter("stack_delete_complete").wait(StackName="notes", WaiterConfig=FAST)
    assert stack.client("lambda").list_functions()["Functions"] == []
    assert stack.client("apigateway").get_rest_apis()["items"] == []
    assert stack.client("dynamodb").list_tables()["TableNames"] == []


def test_sam_errors_as_cloudformation_reports_them(stack, cfn):
    broken = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.11
"""
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.create_change_set(StackName="broken", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=broken)
    status, code, message = error_of(raised)
    assert (status, code) == (400, "ValidationError")
    assert message.startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document."
    )
    assert "Resource with id [Fn] is invalid." in message
