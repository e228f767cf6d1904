"""
The docker executor without a Docker engine: health says so from the start
(before any invoke), invocations fail with the reason, and both say how to
start an engine.
"""

from __future__ import annotations

import time

import pytest
from botocore.config import Config

from ruststack.testing import RustStackProcess
from tests.awslambda import functions


def _lambda_health(stack: RustStackProcess, timeout: float = 15.0) -> dict:
    # The engine is tried in a thread as Lambda starts: its answer (here a
    # refused connection) comes a moment after the edge listens.
    deadline = time.monotonic() + timeout
    while True:
        health = stack.health()["services"]["lambda"]
        if health["state"] != "running" or time.monotonic() > deadline:
            return health
        time.sleep(0.05)


def test_no_engine_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    stack = RustStackProcess.start("--services", "lambda", "--lambda-executor", "docker")
    try:
        health = _lambda_health(stack)
        assert health["state"] == "unavailable", health
        assert health["reason"].startswith("the docker executor cannot reach a Docker engine")
        assert "scripts/start-docker-engine.sh" in health["reason"]
        client = stack.client("lambda", config=Config(retries={"max_attempts": 0}))
        functions.create(client, "nowhere", functions.ECHO)
        with pytest.raises(client.exceptions.ServiceException) as raised:
            client.invoke(FunctionName="nowhere", Payload=b"{}")
        message = raised.value.response["Error"]["Message"]
        assert message.startswith("The docker executor cannot reach a Docker engine"), message
        assert "the the" not in message.lower()
        health = stack.health()["services"]["lambda"]
        assert health["state"] == "unavailable" and "Docker engine" in health["reason"]
    finally:
        stack.stop()
