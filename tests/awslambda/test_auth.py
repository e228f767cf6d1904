"""
Lambda under --auth verify: signed calls only, a function whose own calls
pass verification (with its execution role's temporary credentials), and a code download URL that needs no signature (as
AWS's presigned Code.Location).
"""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest

from ruststack.testing import RustStackProcess
from tests.awslambda import functions
from tests.awslambda.conftest import available

LISTS_BUCKETS = """
import boto3, os

def handler(event, context):
    return {
        "buckets": [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]],
        "key": os.environ["AWS_ACCESS_KEY_ID"],
        "identity": boto3.client("sts").get_caller_identity()["Arn"],
    }
"""


@pytest.fixture(scope="module")
def verifying_stack(tmp_path_factory):
    if "s3" not in available("s3"):
        pytest.skip("needs RustStack's S3 service")
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(
        "[dev]\naws_access_key_id = AKIDEV\naws_secret_access_key = dev-secret\naws_account_id = 111111111111\n"
        "[ops]\naws_access_key_id = AKIOPS\naws_secret_access_key = ops-secret\nruststack_operator = true\n"
    )
    process = RustStackProcess.start(
        "--services", "s3,lambda,sts", "--auth", "verify", "--credentials-file", str(credentials)
    )
    yield process
    process.stop()


def client(stack, name: str, key: str, secret: str):
    return boto3.client(
        name,
        endpoint_url=stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def test_function_calls_pass_verification(verifying_stack):
    lambda_client = client(verifying_stack, "lambda", "AKIDEV", "dev-secret")
    client(verifying_stack, "s3", "AKIDEV", "dev-secret").create_bucket(Bucket="verified-bucket")
    functions.create(lambda_client, "verified", LISTS_BUCKETS)
    response = lambda_client.invoke(FunctionName="verified", Payload=b"{}")
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    # The execution role's temporary credentials, in the function's account
    # (whatever account the role ARN names); never a long-term key.
    assert body["buckets"] == ["verified-bucket"]
    assert body["key"].startswith("ASIA")
    assert body["identity"] == "arn:aws:sts::111111111111:assumed-role/lambda-role/verified"
    configuration = lambda_client.get_function_configuration(FunctionName="verified")
    assert configuration["FunctionArn"] == "arn:aws:lambda:us-east-1:111111111111:function:verified"
    location = lambda_client.get_function(FunctionName="verified")["Code"]["Location"]
    with urllib.request.urlopen(location) as downloaded:
        assert downloaded.read().startswith(b"PK")


def test_a_reset_of_sts_gives_functions_fresh_credentials(verifying_stack):
    """
    Resetting STS forgets every session, the functions' too: their next
    environments start with new ones, still the function's account.
    """
    lambda_client = client(verifying_stack, "lambda", "AKIDEV", "dev-secret")
    functions.create(lambda_client, "renewed", LISTS_BUCKETS)
    first = json.loads(lambda_client.invoke(FunctionName="renewed", Payload=b"{}")["Payload"].read())
    verifying_stack.reset("sts", operator=("AKIOPS", "ops-secret"))
    response = lambda_client.invoke(FunctionName="renewed", Payload=b"{}")
    second = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, second
    assert second["key"].startswith("ASIA") and second["key"] != first["key"]
    assert second["identity"] == first["identity"] == "arn:aws:sts::111111111111:assumed-role/lambda-role/renewed"


def test_wrong_secret_is_refused(verifying_stack):
    lambda_client = client(verifying_stack, "lambda", "AKIDEV", "wrong")
    with pytest.raises(lambda_client.exceptions.ClientError) as raised:
        lambda_client.list_functions()
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
