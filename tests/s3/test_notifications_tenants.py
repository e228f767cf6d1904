"""
S3 event notifications between accounts, with --auth verify: a bucket may
notify another account's function only when that function's resource policy
lets S3 invoke it for this bucket and its owner's account; and only a
function of the bucket's region.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.awslambda.functions import create
from tests.s3.test_notifications import RECORDER, configure, recorded

ALICE = ("AKIAALICE", "alice-secret", "111111111111")
BOB = ("AKIABOB", "bob-secret", "222222222222")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(
        "".join(
            f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_account_id = {account}\n"
            for name, (key, secret, account) in (("alice", ALICE), ("bob", BOB))
        )
    )
    process = RustStackProcess.start(
        "--services", "s3,lambda,iam", "--auth", "verify", "--credentials-file", str(credentials)
    )
    yield process
    process.stop()


def clients(stack, who, service):
    key, secret, _ = who
    return stack.client(service, aws_access_key_id=key, aws_secret_access_key=secret)


def test_another_accounts_function(stack):
    alice_s3, bob_s3 = clients(stack, ALICE, "s3"), clients(stack, BOB, "s3")
    bob_lambda = clients(stack, BOB, "lambda")
    bob_s3.create_bucket(Bucket="bob-records")
    arn = create(bob_lambda, "bob-recorder", RECORDER, Environment={"Variables": {"RECORDS": "bob-records"}})[
        "FunctionArn"
    ]
    alice_s3.create_bucket(Bucket="alice-uploads")
    # Bob's policy lets S3 invoke for Alice's bucket, but names Bob's own account as the source.
    bob_lambda.add_permission(
        FunctionName="bob-recorder",
        StatementId="wrong-account",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::alice-uploads",
        SourceAccount=BOB[2],
    )
    with pytest.raises(ClientError) as raised:
        configure(alice_s3, "alice-uploads", arn)
    assert raised.value.response["Error"]["ArgumentName1"] == f"{arn}, null"
    bob_lambda.add_permission(
        FunctionName="bob-recorder",
        StatementId="alice",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::alice-uploads",
        SourceAccount=ALICE[2],
    )
    configure(alice_s3, "alice-uploads", arn)
    alice_s3.put_object(Bucket="alice-uploads", Key="shared", Body=b"x")
    (got,) = recorded(bob_s3, "bob-records", 1)
    (record,) = got["event"]["Records"]
    assert record["s3"]["bucket"]["name"] == "alice-uploads"
    assert record["s3"]["object"]["key"] == "shared"


def test_function_of_another_region(stack):
    s3, lam = clients(stack, ALICE, "s3"), clients(stack, ALICE, "lambda")
    west = boto3.client(
        "lambda",
        endpoint_url=stack.endpoint_url,
        region_name="eu-west-1",
        aws_access_key_id=ALICE[0],
        aws_secret_access_key=ALICE[1],
    )
    arn = create(west, "west-fn", "def handler(event, context):\n    return 1\n")["FunctionArn"]
    west.add_permission(
        FunctionName="west-fn",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::alice-east",
    )
    s3.create_bucket(Bucket="alice-east")
    with pytest.raises(ClientError) as raised:
        configure(s3, "alice-east", arn)
    assert raised.value.response["Error"]["ArgumentValue1"] == f"Not authorized to invoke function [{arn}]"
    assert lam.list_functions()["Functions"] == []  # (us-east-1 has none)
