"""
Fixtures of the IAM tests: one IAM-only RustStack child process per module,
emptied before each test, and the documents the tests use.
"""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests import conformance

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ALLOW_LOGS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:PutLogEvents"], "Resource": "*"}],
    }
)
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ACCOUNT = "000000000000"  # --account's default: the account of the key "test"
NO_RETRIES = Config(retries={"max_attempts": 1})


@pytest.fixture(scope="module")
def stack():
    process = RustStackProcess.start("--services", "iam")
    yield process
    process.stop()


@pytest.fixture
def iam(stack):
    stack.reset("iam")
    return stack.client("iam", config=NO_RETRIES)


@pytest.fixture
def raw_iam(stack, iam):
    """
    A client that sends what botocore itself would refuse (numbers out of
    range), for the answers RustStack gives them.
    """
    return stack.client("iam", config=conformance.UNCHECKED)


def refused(call, *args, **kwargs) -> dict:
    """
    The error response of a call that must fail.
    """
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


def assert_error(response: dict, code: str, status: int, message: str) -> None:
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), response
    assert response["Error"]["Message"] == message
    assert response["Error"]["Type"] == ("Sender" if status < 500 else "Receiver")
