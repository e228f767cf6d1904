"""
A JVM that is alive but no longer answers (here: stopped with SIGSTOP, as a
stuck DynamoDB Local looks from outside) turns health to C{unavailable}
with the reason, and is killed and started again, within bounded time.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request

import pytest_twisted
from twisted.internet import reactor, task, threads

from ruststack.testing import start_stack
from tests.dynamodb import helpers
from tests.dynamodb.helpers import JAR, alive, requires_dynamodb_local

pytestmark = requires_dynamodb_local


def health(endpoint_url: str) -> dict:
    with urllib.request.urlopen(endpoint_url + "/_ruststack/health", timeout=10) as response:
        return json.load(response)["services"]["dynamodb"]


async def wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await task.deferLater(reactor, 0.1, lambda: None)
    raise AssertionError(f"not true within {timeout} s")


@pytest_twisted.ensureDeferred
async def test_a_stopped_jvm_is_reported_then_restarted():
    stack = await start_stack(services=("dynamodb",), dynamodb_local_jar=JAR)
    local = stack.stack.aws_services["dynamodb"].local
    # Probes every 0.5 s, each answered within 1 s; killed after 2 misses.
    local.probe_interval, local.probe_timeout, local.probe_failures = 0.5, 1.0, 2
    client = stack.deferred_client("dynamodb")
    victim = None
    try:
        assert (await client.list_tables())["TableNames"] == []

        async def state():
            return await threads.deferToThread(health, stack.endpoint_url)

        assert (await state())["state"] == "running"
        victim = local.pid
        os.kill(victim, signal.SIGSTOP)
        started = time.monotonic()

        async def unavailable():
            found = await state()
            return found if found["state"] == "unavailable" else None

        found = await wait_for(unavailable, timeout=10)
        assert found["reason"].startswith("not answering (no answer to ListTables within 1 s)")
        reported = time.monotonic() - started

        async def restarted():
            return local.pid not in (None, victim) and (await state())["state"] == "running"

        await wait_for(restarted, timeout=60)
        assert not alive(victim)
        assert local.restarts == 1
        assert (await client.list_tables())["TableNames"] == []
        print(f"reported unavailable after {reported:.1f} s, running again after {time.monotonic() - started:.1f} s")
    finally:
        if victim is not None and alive(victim):
            os.kill(victim, signal.SIGCONT)
        await stack.stop()


def wedging_request(port: int, token: str) -> None:
    """
    What once stopped DynamoDB Local for every account with --data-dir: a
    region too long for SQLite to name a file after. It never answers it.
    """
    from ruststack.dynamodb.rewrite import authorization

    try:
        helpers.list_tables_directly(port, authorization("000000000000", "r" * 300, token).decode(), timeout=3)
    except OSError:
        pass


@pytest_twisted.ensureDeferred
async def test_a_wedged_jvm_is_restarted_and_serves_every_account_again(tmp_path):
    stack = await start_stack(services=("dynamodb",), dynamodb_local_jar=JAR, data_dir=str(tmp_path))
    local = stack.stack.aws_services["dynamodb"].local
    local.probe_interval, local.probe_timeout, local.probe_failures = 0.5, 1.0, 2
    client = stack.deferred_client("dynamodb")
    try:
        await client.create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        wedged = local.pid
        await threads.deferToThread(wedging_request, local.port, local.token)

        async def restarted():
            return local.pid not in (None, wedged) and local.status().state == "running"

        await wait_for(restarted, timeout=60)
        assert local.restarts == 1
        assert (await client.list_tables())["TableNames"] == ["kept"]
    finally:
        await stack.stop()
