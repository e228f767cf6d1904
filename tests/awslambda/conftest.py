import os

import pytest

import ruststack
from ruststack.testing import RustStackProcess

_PACKAGE = os.path.dirname(ruststack.__file__)


def available(*names: str) -> list[str]:
    """
    The services among C{names} that this tree builds (S3 and DynamoDB land
    beside Lambda; the tests that need them skip until they do).
    """
    return [name for name in names if os.path.exists(os.path.join(_PACKAGE, name, "service.py"))]


@pytest.fixture(scope="session")
def stack():
    """
    One RustStack (process executor) for the Lambda tests.
    """
    services = ["lambda", *available("s3", "dynamodb")]
    process = RustStackProcess.start("--services", ",".join(services), "--lambda-idle-timeout", "60")
    yield process
    process.stop()


@pytest.fixture
def lambda_client(stack):
    stack.reset("lambda")
    return stack.client("lambda")
