"""
With --auth verify, DynamoDB refuses bad signatures as AWS does (HTTP 400,
coral error types) and serves good ones.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, client_as, requires_dynamodb_local, wait_running

pytestmark = requires_dynamodb_local


@pytest.fixture(scope="module")
def verifying_stack(tmp_path_factory):
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(
        "[dev]\naws_access_key_id = AKIDEV\naws_secret_access_key = secret-AKIDEV\naws_account_id = 777777777777\n"
    )
    stack = RustStackProcess.start(
        "--services",
        "dynamodb",
        "--dynamodb-local-jar",
        JAR,
        "--auth",
        "verify",
        "--credentials-file",
        str(credentials),
    )
    try:
        wait_running(stack)
        yield stack
    finally:
        stack.stop()


def test_good_signature_is_served_in_the_keys_account(verifying_stack):
    client = client_as(verifying_stack, "AKIDEV")
    arn = client.create_table(
        TableName="signed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    assert arn == f"arn:aws:dynamodb:{verifying_stack.region}:777777777777:table/signed"


@pytest.mark.parametrize(
    ("key", "code"), [("AKIUNKNOWN", "UnrecognizedClientException"), ("AKIDEV", "InvalidSignatureException")]
)
def test_bad_signatures_are_refused(verifying_stack, key, code):
    client = client_as(verifying_stack, key, secret_key="wrong")
    with pytest.raises(ClientError) as raised:
        client.list_tables()
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
