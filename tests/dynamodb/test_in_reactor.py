"""
RustStack with DynamoDB started inside the test's own reactor (the trial and
pytest-twisted way): requests made while DynamoDB Local still starts wait
for it, and stopping the stack ends the JVM.
"""

from __future__ import annotations

import pytest_twisted

from ruststack.testing import start_stack
from tests.dynamodb.helpers import JAR, alive, requires_dynamodb_local

pytestmark = requires_dynamodb_local


@pytest_twisted.ensureDeferred
async def test_in_reactor_stack_serves_then_leaves_no_jvm():
    stack = await start_stack(services=("dynamodb",), dynamodb_local_jar=JAR)
    local = stack.stack.aws_services["dynamodb"].local
    try:
        # The edge listens before the JVM answers: this request waits for it.
        assert local.status().state == "starting"
        client = stack.deferred_client("dynamodb")
        assert (await client.list_tables())["TableNames"] == []
        assert local.status().state == "running"
        pid = local.pid
    finally:
        await stack.stop()
    assert local.pid is None
    assert not alive(pid)
