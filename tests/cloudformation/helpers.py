"""
Templates and waits the CloudFormation tests share.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FAST = {"Delay": 0.2, "MaxAttempts": 300}

HANDLER = """
import os

def handler(event, context):
    return {"statusCode": 200, "body": os.environ.get("GREETING", "none") + " " + event.get("path", "")}
"""


def app_template(greeting: str = "hello", table_name: str | None = None, export: str = "app-bucket") -> dict[str, Any]:
    """
    A bucket, a table, a function and a REST API calling it, with outputs
    and an export.
    """
    table_properties: dict[str, Any] = {
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table_name:
        table_properties["TableName"] = table_name
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "the app",
        "Parameters": {"Stage": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "dev"]}},
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": table_properties},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": ROLE,
                    "Timeout": "10",
                    "Code": {"ZipFile": HANDLER},
                    "Environment": {
                        "Variables": {"GREETING": greeting, "TABLE": {"Ref": "Table"}, "BUCKET": {"Ref": "Bucket"}}
                    },
                },
            },
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-api"}}},
            "Resource": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                    "PathPart": "hello",
                },
            },
            "Method": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "ResourceId": {"Ref": "Resource"},
                    "HttpMethod": "GET",
                    "AuthorizationType": "NONE",
                    "Integration": {
                        "Type": "AWS_PROXY",
                        "IntegrationHttpMethod": "POST",
                        "Uri": {
                            "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                            "${Function.Arn}/invocations"
                        },
                    },
                },
            },
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "DependsOn": "Method",
                "Properties": {"RestApiId": {"Ref": "Api"}},
            },
            "ApiStage": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "DeploymentId": {"Ref": "Deployment"},
                    "StageName": {"Ref": "Stage"},
                },
            },
            "Permission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Function"},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*/*/*"},
                },
            },
        },
        "Outputs": {
            "BucketName": {"Value": {"Ref": "Bucket"}, "Export": {"Name": export}},
            "TableArn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}},
            "FunctionArn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}, "Description": "the function"},
            "ApiId": {"Value": {"Ref": "Api"}},
        },
    }


def body(template: dict[str, Any]) -> str:
    return json.dumps(template)


def error_of(raised: Any) -> tuple[int, str, str]:
    error = raised.value
    assert isinstance(error, ClientError)
    response = error.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def statuses(cfn: Any, name: str) -> list[tuple[str, str]]:
    """
    The stack's events, oldest first, as (logical id, status).
    """
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]


def outputs(cfn: Any, name: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
