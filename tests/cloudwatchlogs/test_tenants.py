"""
Two accounts under --auth verify: each has its own log groups (the same
name in both), sees only its own, and cannot reach the other's by ARN; a
function's logs land in its own account.
"""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config

from ruststack.testing import RustStackProcess
from tests.awslambda.functions import package
from tests.cloudwatchlogs.conftest import error_of, now_ms

ALICE = ("AKIAALICE", "alice-secret", "111111111111")
BOB = ("AKIABOB", "bob-secret", "222222222222")
NOT_FOUND = ("ResourceNotFoundException", "The specified log group does not exist.", 400)


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
        "--services", "logs,lambda", "--auth", "verify", "--credentials-file", str(credentials)
    )
    yield process
    process.stop()


def client(stack, who, service="logs"):
    key, secret, _ = who
    return boto3.client(
        service,
        endpoint_url=stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def test_each_account_has_its_own_groups(stack):
    alice, bob = client(stack, ALICE), client(stack, BOB)
    for logs, who in ((alice, "alice"), (bob, "bob")):
        logs.create_log_group(logGroupName="/shared/name", tags={"owner": who})
        logs.create_log_stream(logGroupName="/shared/name", logStreamName="s")
        logs.put_log_events(
            logGroupName="/shared/name", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": who}]
        )
    for logs, who, account in ((alice, "alice", ALICE[2]), (bob, "bob", BOB[2])):
        (group,) = logs.describe_log_groups(logGroupNamePrefix="/shared/")["logGroups"]
        assert group["logGroupArn"] == f"arn:aws:logs:us-east-1:{account}:log-group:/shared/name"
        assert [e["message"] for e in logs.filter_log_events(logGroupName="/shared/name")["events"]] == [who]
        assert logs.list_tags_log_group(logGroupName="/shared/name")["tags"] == {"owner": who}


def test_another_accounts_group_is_no_group(stack):
    alice, bob = client(stack, ALICE), client(stack, BOB)
    alice.create_log_group(logGroupName="/alice/private")
    arn = f"arn:aws:logs:us-east-1:{ALICE[2]}:log-group:/alice/private"
    assert error_of(bob.filter_log_events, logGroupIdentifier=arn) == NOT_FOUND
    assert error_of(bob.describe_log_streams, logGroupIdentifier=arn) == NOT_FOUND
    assert error_of(bob.list_tags_for_resource, resourceArn=arn) == NOT_FOUND
    assert error_of(bob.tag_resource, resourceArn=arn, tags={"x": "y"}) == NOT_FOUND
    assert error_of(bob.delete_log_group, logGroupName="/alice/private") == NOT_FOUND
    assert alice.describe_log_streams(logGroupIdentifier=arn)["logStreams"] == []


def test_a_wrong_signature_is_refused(stack):
    key, _, _ = ALICE
    forged = boto3.client(
        "logs",
        endpoint_url=stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="not-the-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    code, _, status = error_of(forged.describe_log_groups)
    assert (code, status) == ("InvalidSignatureException", 400)


def test_a_functions_logs_stay_in_its_account(stack):
    alice_lambda = client(stack, ALICE, "lambda")
    alice_lambda.create_function(
        FunctionName="alices",
        Runtime="python3.11",
        Role=f"arn:aws:iam::{ALICE[2]}:role/r",
        Handler="app.handler",
        Code={"ZipFile": package({"app.py": "def handler(e, c):\n    print('for alice only')\n"})},
    )
    alice_lambda.get_waiter("function_active_v2").wait(FunctionName="alices")
    alice_lambda.invoke(FunctionName="alices", Payload=b"{}")
    alice, bob = client(stack, ALICE), client(stack, BOB)
    deadline = time.monotonic() + 10
    found: list[dict] = []
    while not found and time.monotonic() < deadline:
        try:
            found = alice.filter_log_events(logGroupName="/aws/lambda/alices", filterPattern='"for alice only"')[
                "events"
            ]
        except alice.exceptions.ResourceNotFoundException:
            pass
        time.sleep(0.05)
    assert found
    assert bob.describe_log_groups(logGroupNamePrefix="/aws/lambda/alices")["logGroups"] == []
