"""
Helpers of the DynamoDB tests: where DynamoDB Local is, finding its JVMs,
waiting, clients with a given identity, a table with indexes.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import Any

import pytest

from ruststack.config import Config
from ruststack.dynamodb.service import default_jar
from ruststack.testing import RustStackProcess

# As RustStack finds it: --dynamodb-local-jar, else the copy in --cache-dir
# (both also read from RUSTSTACK_* variables).
_CONFIG = Config.resolve({})
JAR = _CONFIG.dynamodb_local_jar or default_jar(_CONFIG.cache_dir)


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


def make_table(
    client, name: str = "items", sort: bool = True, gsi: bool = True, lsi: bool = True, **options: Any
) -> dict:
    """
    Create the on-demand table C{name} keyed by C{pk} (and C{sk} if
    C{sort}), with the index C{by-gk} if C{gsi} and C{by-pk-gk} if C{lsi}
    and C{sort}; C{options} are more CreateTable members. Its description.
    """
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}] + (
        [{"AttributeName": "sk", "KeyType": "RANGE"}] if sort else []
    )
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort:
        attributes.append({"AttributeName": "sk", "AttributeType": "S"})
    extra = {}
    if gsi or lsi:
        attributes.append({"AttributeName": "gk", "AttributeType": "S"})
    if gsi:
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": "by-gk",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    if lsi and sort:
        extra["LocalSecondaryIndexes"] = [
            {
                "IndexName": "by-pk-gk",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "gk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ]
    return client.create_table(
        TableName=name,
        KeySchema=keys,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
        **extra,
        **options,
    )["TableDescription"]


def list_tables_directly(port: int, authorization: str, timeout: float = 10) -> tuple[int, bytes]:
    """
    ListTables sent straight to DynamoDB Local (not through RustStack) with
    the given C{Authorization}: the status and body of its answer.
    """
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/",
            body=b"{}",
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810.ListTables",
                "Authorization": authorization,
            },
        )
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()
