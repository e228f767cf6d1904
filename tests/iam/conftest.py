"""
Fixtures of the IAM tests: one IAM-only RustStack child process per module,
emptied before each test, and the documents the tests use.
"""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests import conformance
from tests.stacks import ruststack_fixture

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


stack = ruststack_fixture("--services", "iam,sts")


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


def assert_not_attachable(response: dict, policy_arn: str) -> None:
    """
    IAM's 404 NoSuchEntity for C{policy_arn}, which names no policy the
    caller may use.
    """
    assert_error(response, "NoSuchEntity", 404, f"Policy {policy_arn} does not exist or is not attachable.")


def raw_call(stack, action: str, credentials: tuple[str, str] = ("test", "test"), **params: str) -> str:
    """
    The body of IAM's answer to C{action}, signed and sent without boto3:
    what is on the wire, before botocore decodes or checks anything.
    """
    body = "&".join(
        [f"Action={action}", "Version=2010-05-08", *(f"{k}={quote(v, safe='')}" for k, v in params.items())]
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    request = AWSRequest("POST", stack.endpoint_url + "/", data=body.encode(), headers=headers)
    SigV4Auth(Credentials(*credentials), "iam", "us-east-1").add_auth(request)
    sent = urllib.request.Request(request.url, data=body.encode(), headers=dict(request.headers), method="POST")
    with urllib.request.urlopen(sent, timeout=10) as response:
        return response.read().decode()


def root_user(stack, credentials: tuple[str, str] = ("test", "test")) -> dict[str, str]:
    """
    GetUser's answer for an account's own credentials, read off the wire: as
    on AWS it has no UserName and no Path, which botocore's model says every
    User has (the suite-wide check of tests/conftest.py would refuse it).
    """
    namespace = "{https://iam.amazonaws.com/doc/2010-05-08/}"
    document = ElementTree.fromstring(raw_call(stack, "GetUser", credentials))
    user = document.find(f"{namespace}GetUserResult/{namespace}User")
    assert user is not None
    return {child.tag.removeprefix(namespace): child.text or "" for child in user}
