"""
Fixtures of the CloudWatch Logs tests: one RustStack child process per
module (CloudWatch Logs alone), a fresh log group per test, and helpers
that make and read events.
"""

from __future__ import annotations

import itertools
import time

import pytest
from botocore.exceptions import ClientError

from tests.stacks import ruststack_fixture

_names = itertools.count()
GROUP_NOT_FOUND = ("ResourceNotFoundException", "The specified log group does not exist.", 400)
STREAM_NOT_FOUND = ("ResourceNotFoundException", "The specified log stream does not exist.", 400)


stack = ruststack_fixture("--services", "logs")


@pytest.fixture(scope="module")
def logs(stack):
    return stack.client("logs")


@pytest.fixture
def group(logs) -> str:
    name = f"/test/group-{next(_names)}"
    logs.create_log_group(logGroupName=name)
    return name


def now_ms() -> int:
    return int(time.time() * 1000)


def put(logs, group: str, stream: str, messages: list[str], start: int | None = None, step: int = 1) -> int:
    """
    Put C{messages} one C{step} ms apart from C{start} (default: a second
    ago), creating the stream if needed; the first timestamp.
    """
    start = now_ms() - 1000 if start is None else start
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
    events = [{"timestamp": start + i * step, "message": m} for i, m in enumerate(messages)]
    for i in range(0, len(events), 10_000):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i : i + 10_000])
    return start


def error_of(call, *args, **kwargs) -> tuple[str, str, int]:
    """
    The code, message and status a call fails with.
    """
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    error = raised.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def invalid(message: str) -> tuple[str, str, int]:
    """
    What L{error_of} reads of an InvalidParameterException saying C{message}.
    """
    return "InvalidParameterException", message, 400
