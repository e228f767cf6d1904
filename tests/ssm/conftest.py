"""
Fixtures of the SSM tests: one RustStack child process running SSM alone
for the session, emptied before each test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.stacks import ruststack_fixture

ssm_stack = ruststack_fixture("--services", "ssm", scope="session")


@pytest.fixture
def stack(ssm_stack):
    ssm_stack.reset("ssm")
    return ssm_stack


@pytest.fixture
def ssm(stack):
    return stack.client("ssm")


def refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, int, str]:
    """
    The error code, HTTP status and message of a call that must fail.
    """
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]
