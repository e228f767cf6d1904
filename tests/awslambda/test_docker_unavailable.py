"""
The docker executor without a Docker engine: invocations fail with a reason,
and the health endpoint says why.
"""

from __future__ import annotations

import pytest
from botocore.config import Config

from ruststack.testing import RustStackProcess
from tests.awslambda import functions


def test_no_engine_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    stack = RustStackProcess.start("--services", "lambda", "--lambda-executor", "docker")
    try:
        client = stack.client("lambda", config=Config(retries={"max_attempts": 0}))
        functions.create(client, "nowhere", functions.ECHO)
        assert stack.health()["services"]["lambda"] == {"state": "running"}
        with pytest.raises(client.exceptions.ServiceException) as raised:
            client.invoke(FunctionName="nowhere", Payload=b"{}")
        assert "cannot reach a Docker engine" in raised.value.response["Error"]["Message"]
        health = stack.health()["services"]["lambda"]
        assert health["state"] == "unavailable" and "Docker engine" in health["reason"]
    finally:
        stack.stop()
