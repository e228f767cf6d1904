"""
Shared fixtures: one RustStack child process (DynamoDB only) for the
session, emptied before each test; skipped, saying why, without Java or
DynamoDB Local.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from ruststack.config import Config
from ruststack.dynamodb.service import default_jar
from ruststack.testing import RustStackProcess

JAR = os.environ.get("RUSTSTACK_DYNAMODB_LOCAL_JAR") or default_jar(Config().cache_dir)


def dynamodb_local_missing() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "java is not installed (apt-get install openjdk-17-jre-headless)"
    if not os.path.isfile(JAR):
        return f"DynamoDB Local is not installed at {JAR} (make deps)"
    return None


requires_dynamodb_local = pytest.mark.skipif(dynamodb_local_missing() is not None, reason=str(dynamodb_local_missing()))


def jvm_pids(parent: int) -> list[int]:
    """
    The DynamoDB Local JVMs that are children of process C{parent}.
    """
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"DynamoDBLocal.jar" in cmdline:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout} s: {predicate}")


def wait_running(stack: RustStackProcess, timeout: float = 60.0) -> None:
    wait_until(lambda: stack.health()["services"]["dynamodb"]["state"] == "running", timeout)


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


def client_as(
    stack: RustStackProcess,
    access_key: str,
    region: str | None = None,
    service: str = "dynamodb",
    secret_key: str | None = None,
):
    """
    A boto3 client of C{stack} signing with C{access_key} (and by default the
    secret C{secret-<access key>}) in C{region}.
    """
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.session.Session().client(
        service,
        endpoint_url=stack.endpoint_url,
        region_name=region or stack.region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key or "secret-" + access_key,
        config=BotoConfig(retries={"max_attempts": 2, "mode": "standard"}),
    )
