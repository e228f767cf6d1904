"""
Fixtures of the EventBridge tests: one RustStack child process running
EventBridge alone for the session, emptied before each test.
"""

from __future__ import annotations

import pytest

from tests.stacks import ruststack_fixture

events_stack = ruststack_fixture("--services", "events", scope="session")
ACCOUNT, REGION = "000000000000", "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notes-dev"


@pytest.fixture
def stack(events_stack):
    events_stack.reset("events")
    return events_stack


@pytest.fixture
def events(stack):
    return stack.client("events")
