"""
DynamoDB Local as a supervised child: persistence with --data-dir, restart
after SIGKILL under load without losing an acknowledged write, no JVM left
behind (even when RustStack itself is SIGKILLed), and a clear state when it
cannot run.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, alive, jvm_pids, make_table, requires_dynamodb_local, wait_running, wait_until

pytestmark = requires_dynamodb_local


def start(*args: str) -> RustStackProcess:
    stack = RustStackProcess.start("--services", "dynamodb", "--dynamodb-local-jar", JAR, *args)
    wait_running(stack)
    return stack


def stop_leaving_no_jvm(stack: RustStackProcess, known: set[int]) -> None:
    known |= set(jvm_pids(stack.process.pid))
    stack.stop()
    assert known, "no DynamoDB Local JVM was seen"
    assert not [pid for pid in known if alive(pid)], "a DynamoDB Local JVM outlived RustStack"


def test_state_survives_a_restart_with_data_dir(tmp_path):
    stack = start("--data-dir", str(tmp_path))
    client = stack.client("dynamodb")
    created = make_table(client, gsi=False, lsi=False)
    client.put_item(TableName="items", Item={"pk": {"S": "p"}, "sk": {"S": "s"}, "v": {"N": "42"}})
    client.tag_resource(ResourceArn=created["TableArn"], Tags=[{"Key": "kept", "Value": "yes"}])
    stop_leaving_no_jvm(stack, set())
    stack = start("--data-dir", str(tmp_path))
    try:
        client = stack.client("dynamodb")
        item = client.get_item(TableName="items", Key={"pk": {"S": "p"}, "sk": {"S": "s"}})["Item"]
        assert item["v"] == {"N": "42"}
        assert client.describe_table(TableName="items")["Table"]["TableId"] == created["TableId"]
        assert client.list_tags_of_resource(ResourceArn=created["TableArn"])["Tags"] == [
            {"Key": "kept", "Value": "yes"}
        ]
        # A reset after the restart also empties what is only on disk.
        stack.reset("dynamodb")
        assert client.list_tables()["TableNames"] == []
    finally:
        stop_leaving_no_jvm(stack, set())


def test_sigkilled_jvm_is_restarted_under_load_and_loses_no_acknowledged_write(tmp_path):
    stack = start("--data-dir", str(tmp_path))
    seen: set[int] = set()
    try:
        make_table(stack.client("dynamodb"), sort=False, gsi=False, lsi=False)
        acknowledged: list[str] = []
        stop = threading.Event()

        def writer(number: int) -> None:
            client = stack.client("dynamodb", config=BotoConfig(retries={"max_attempts": 1}))
            sequence = 0
            while not stop.is_set():
                key = f"w{number}-{sequence}"
                sequence += 1
                try:
                    client.put_item(TableName="items", Item={"pk": {"S": key}})
                except (ClientError, BotoCoreError):
                    continue
                acknowledged.append(key)

        writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in writers:
            thread.start()
        try:
            wait_until(lambda: len(acknowledged) > 200)
            (victim,) = jvm_pids(stack.process.pid)
            seen.add(victim)
            os.kill(victim, signal.SIGKILL)
            wait_until(lambda: not alive(victim))
            successor = wait_until(lambda: [p for p in jvm_pids(stack.process.pid) if p != victim])
            seen.update(successor)
            wait_running(stack)
            before = len(acknowledged)
            wait_until(lambda: len(acknowledged) > before + 200)
        finally:
            stop.set()
            for thread in writers:
                thread.join()
        health = stack.health()["services"]["dynamodb"]
        assert health["state"] == "running"
        client = stack.client("dynamodb")
        stored = {
            item["pk"]["S"]
            for page in client.get_paginator("scan").paginate(TableName="items")
            for item in page["Items"]
        }
        assert set(acknowledged) <= stored
    finally:
        stop_leaving_no_jvm(stack, seen)


def test_no_jvm_outlives_a_sigkilled_ruststack():
    stack = start()
    (jvm,) = jvm_pids(stack.process.pid)
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()
    wait_until(lambda: not alive(jvm), timeout=10)


def test_a_jar_that_cannot_run_leaves_dynamodb_unavailable(tmp_path):
    broken = tmp_path / "DynamoDBLocal.jar"
    broken.write_bytes(b"not a jar")
    stack = RustStackProcess.start(
        "--services", "dynamodb", "--dynamodb-local-jar", str(broken), "--cache-dir", str(tmp_path / "cache")
    )
    try:
        state = wait_until(
            lambda: (s := stack.health()["services"]["dynamodb"])["state"] == "unavailable" and s, timeout=60
        )
        # The launcher cannot be compiled against it (crashes of a JVM that
        # cannot start are counted by test_local_unit.py).
        assert state["reason"].startswith("cannot compile DynamoDB Local's launcher: ")
        assert "DynamoDBLocal.jar" in state["reason"]
        client = stack.client("dynamodb", config=BotoConfig(retries={"max_attempts": 1}))
        started = time.monotonic()
        with pytest.raises(ClientError) as raised:
            client.list_tables()
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert raised.value.response["Error"]["Code"] == "ServiceUnavailable"
        assert time.monotonic() - started < 5
    finally:
        stack.stop()
