"""
Shared fixtures: one RustStack child process (DynamoDB only) for the
session, emptied before each test; skipped, saying why, without Java or
DynamoDB Local.
"""

from __future__ import annotations

import pytest

from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, alive, dynamodb_local_missing, jvm_pids, wait_running


@pytest.fixture(scope="session")
def dynamodb_stack():
    reason = dynamodb_local_missing()
    if reason:
        pytest.skip(reason)
    stack = RustStackProcess.start("--services", "dynamodb", "--dynamodb-local-jar", JAR)
    try:
        wait_running(stack)
        yield stack
    finally:
        jvms = jvm_pids(stack.process.pid)
        stack.stop()
        assert not [pid for pid in jvms if alive(pid)], "a DynamoDB Local JVM outlived RustStack"


@pytest.fixture
def stack(dynamodb_stack):
    dynamodb_stack.reset("dynamodb")
    return dynamodb_stack


@pytest.fixture
def client(stack):
    return stack.client("dynamodb")
