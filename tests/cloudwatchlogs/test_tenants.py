"""
Two accounts under --auth verify: each has its own log groups (the same
name in both), sees only its own, and cannot reach the other's by ARN; a
function's logs land in its own account.
"""

from __future__ import annotations

import time

from tests.awslambda.functions import package
from tests.cloudwatchlogs.conftest import GROUP_NOT_FOUND, error_of, now_ms
from tests.tenants import ALICE, BOB, tenants_fixture

stack = tenants_fixture("logs,lambda", verify=True)


def test_each_account_has_its_own_groups(stack):
    alice, bob = stack.client("logs", ALICE), stack.client("logs", BOB)
    for logs, who in ((alice, "alice"), (bob, "bob")):
        logs.create_log_group(logGroupName="/shared/name", tags={"owner": who})
        logs.create_log_stream(logGroupName="/shared/name", logStreamName="s")
        logs.put_log_events(
            logGroupName="/shared/name", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": who}]
        )
    for logs, who, account in ((alice, "alice", ALICE), (bob, "bob", BOB)):
        (group,) = logs.describe_log_groups(logGroupNamePrefix="/shared/")["logGroups"]
        assert group["logGroupArn"] == f"arn:aws:logs:us-east-1:{account}:log-group:/shared/name"
        assert [e["message"] for e in logs.filter_log_events(logGroupName="/shared/name")["events"]] == [who]
        assert logs.list_tags_log_group(logGroupName="/shared/name")["tags"] == {"owner": who}


def test_another_accounts_group_is_no_group(stack):
    alice, bob = stack.client("logs", ALICE), stack.client("logs", BOB)
    alice.create_log_group(logGroupName="/alice/private")
    arn = f"arn:aws:logs:us-east-1:{ALICE}:log-group:/alice/private"
    assert error_of(bob.filter_log_events, logGroupIdentifier=arn) == GROUP_NOT_FOUND
    assert error_of(bob.describe_log_streams, logGroupIdentifier=arn) == GROUP_NOT_FOUND
    assert error_of(bob.list_tags_for_resource, resourceArn=arn) == GROUP_NOT_FOUND
    assert error_of(bob.tag_resource, resourceArn=arn, tags={"x": "y"}) == GROUP_NOT_FOUND
    assert error_of(bob.delete_log_group, logGroupName="/alice/private") == GROUP_NOT_FOUND
    assert alice.describe_log_streams(logGroupIdentifier=arn)["logStreams"] == []


def test_a_wrong_signature_is_refused(stack):
    forged = stack.client("logs", ALICE, secret="not-the-secret")
    code, _, status = error_of(forged.describe_log_groups)
    assert (code, status) == ("InvalidSignatureException", 400)


def test_a_functions_logs_stay_in_its_account(stack):
    alice_lambda = stack.client("lambda", ALICE)
    alice_lambda.create_function(
        FunctionName="alices",
        Runtime="python3.11",
        Role=f"arn:aws:iam::{ALICE}:role/r",
        Handler="app.handler",
        Code={"ZipFile": package({"app.py": "def handler(e, c):\n    print('for alice only')\n"})},
    )
    alice_lambda.get_waiter("function_active_v2").wait(FunctionName="alices")
    alice_lambda.invoke(FunctionName="alices", Payload=b"{}")
    alice, bob = stack.client("logs", ALICE), stack.client("logs", BOB)
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
