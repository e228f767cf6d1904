"""
Fixtures of the HTTP API tests: one RustStack child process running API
Gateway (both versions) and Lambda for the session, emptied before each
test that asks for C{stack}.
"""

from __future__ import annotations

import pytest

from tests.issuer import issuer  # noqa: F401  (the JWT issuer fixture of the authorizer tests)
from tests.stacks import ruststack_fixture

http_api_stack = ruststack_fixture("--services", "lambda,apigateway,apigatewayv2", scope="session")
ACCOUNT, REGION = "000000000000", "us-east-1"


@pytest.fixture
def stack(http_api_stack):
    http_api_stack.reset("apigatewayv2", "apigateway")
    return http_api_stack


@pytest.fixture
def apigw2(stack):
    return stack.client("apigatewayv2")
