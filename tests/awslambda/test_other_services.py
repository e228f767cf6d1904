"""
Lambda with RustStack's S3 and DynamoDB: code read from S3, and handlers
whose own boto3 reaches RustStack through AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json

import pytest

from tests.awslambda import functions
from tests.awslambda.conftest import available

pytestmark = pytest.mark.skipif(
    available("s3", "dynamodb") != ["s3", "dynamodb"], reason="needs RustStack's S3 and DynamoDB services"
)

WRITER = """
import boto3

def handler(event, context):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=event["bucket"], Key="from-lambda.txt", Body=b"written by " + context.function_name.encode())
    table = boto3.resource("dynamodb").Table(event["table"])
    table.put_item(Item={"pk": "from-lambda", "request": context.aws_request_id})
    return {"ok": True}
"""


@pytest.fixture(params=["process", "docker"])
def stack(request):
    return request.getfixturevalue(f"{request.param}_stack")


def test_handler_reaches_s3_and_dynamodb(stack, lambda_client):
    s3 = stack.client("s3")
    dynamodb = stack.client("dynamodb")
    s3.create_bucket(Bucket="lambda-output")
    dynamodb.create_table(
        TableName="lambda-output",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        functions.create(lambda_client, "writer", WRITER)
        response = lambda_client.invoke(
            FunctionName="writer", Payload=json.dumps({"bucket": "lambda-output", "table": "lambda-output"})
        )
        body = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        assert body == {"ok": True}
        assert s3.get_object(Bucket="lambda-output", Key="from-lambda.txt")["Body"].read() == b"written by writer"
        item = dynamodb.get_item(TableName="lambda-output", Key={"pk": {"S": "from-lambda"}})["Item"]
        assert item["request"]["S"] == response["ResponseMetadata"]["RequestId"]
    finally:
        dynamodb.delete_table(TableName="lambda-output")
        for listed in s3.list_objects_v2(Bucket="lambda-output").get("Contents", []):
            s3.delete_object(Bucket="lambda-output", Key=listed["Key"])
        s3.delete_bucket(Bucket="lambda-output")


def test_code_from_s3(stack, lambda_client):
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="lambda-code")
    try:
        s3.put_object(Bucket="lambda-code", Key="v1.zip", Body=functions.package({"app.py": functions.ECHO}))
        functions.create_from(lambda_client, "from-s3", {"S3Bucket": "lambda-code", "S3Key": "v1.zip"})
        lambda_client.get_waiter("function_active_v2").wait(FunctionName="from-s3", WaiterConfig={"Delay": 0.1})
        body = json.loads(lambda_client.invoke(FunctionName="from-s3", Payload=b'{"x": 1}')["Payload"].read())
        assert body["event"] == {"x": 1}
        s3.put_object(Bucket="lambda-code", Key="v2.zip", Body=functions.package({"app.py": functions.RAISES}))
        lambda_client.update_function_code(FunctionName="from-s3", S3Bucket="lambda-code", S3Key="v2.zip")
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName="from-s3", WaiterConfig={"Delay": 0.1})
        response = lambda_client.invoke(FunctionName="from-s3", Payload=b"{}")
        assert response["FunctionError"] == "Unhandled"
        with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
            functions.create_from(lambda_client, "missing-key", {"S3Bucket": "lambda-code", "S3Key": "nope.zip"})
        assert "S3 Error Code: NoSuchKey" in raised.value.response["Error"]["Message"]
    finally:
        for listed in s3.list_objects_v2(Bucket="lambda-code").get("Contents", []):
            s3.delete_object(Bucket="lambda-code", Key=listed["Key"])
        s3.delete_bucket(Bucket="lambda-code")
