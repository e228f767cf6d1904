"""
No environment outlives RustStack: stopped with it, and killed by the
kernel when RustStack itself is SIGKILLed (setpriv --pdeathsig).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

import pytest

from ruststack.testing import RustStackProcess
from tests.awslambda import functions

REPORTS_PID = """
import os

def handler(event, context):
    return os.getpid()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: it runs nothing.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path, monkeypatch):
    """
    A RustStack that is SIGKILLed cannot remove its temporary folders: give
    the ones started here a folder pytest removes.
    """
    monkeypatch.setenv("TMPDIR", str(tmp_path))


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(child) for child in f.read().split()]


def _descendants(pid: int) -> list[int]:
    found = _children(pid)
    for child in list(found):
        found += _descendants(child)
    return found


def _fork_server(stack: RustStackProcess) -> int:
    (server,) = [child for child in _children(stack.process.pid) if _children(child)]
    return server


def _start_and_invoke() -> tuple[RustStackProcess, list[int]]:
    """
    A RustStack with one warm environment; the host pids of every process of
    that environment (a sandboxed function sees other pids: its own PID
    namespace's).
    """
    stack = RustStackProcess.start("--services", "lambda")
    client = stack.client("lambda")
    functions.create(client, "pid", REPORTS_PID)
    assert "FunctionError" not in client.invoke(FunctionName="pid", Payload=b"{}")
    pids = _descendants(_fork_server(stack))
    assert pids and all(_alive(pid) for pid in pids)
    return stack, pids


def test_environments_stop_with_ruststack():
    stack, pids = _start_and_invoke()
    stack.stop()
    assert all(_wait_gone(pid) for pid in pids)


@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv(1) (util-linux) is not installed")
def test_environments_die_when_ruststack_is_killed():
    stack, pids = _start_and_invoke()
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()
    assert all(_wait_gone(pid) for pid in pids)


def test_a_fork_server_that_dies_takes_its_runtimes_and_is_replaced():
    stack, pids = _start_and_invoke()
    try:
        os.kill(_fork_server(stack), signal.SIGKILL)
        assert all(_wait_gone(pid) for pid in pids)
        client = stack.client("lambda")
        deadline = time.monotonic() + 10
        while True:
            response = client.invoke(FunctionName="pid", Payload=b"{}")
            body = json.loads(response["Payload"].read())
            if "FunctionError" not in response or time.monotonic() > deadline:
                break
        assert "FunctionError" not in response, body
        replaced = _descendants(_fork_server(stack))
        assert replaced and not set(replaced) & set(pids)
    finally:
        stack.stop()


def _containers_of(engine, stack: RustStackProcess) -> list:
    return engine.containers.list(all=True, filters={"label": f"ruststack.lambda.owner={stack.process.pid}"})


def test_containers_end_with_ruststack():
    import docker

    from tests.awslambda.conftest import docker_image

    image = docker_image()
    engine = docker.from_env()

    def start() -> RustStackProcess:
        stack = RustStackProcess.start("--services", "lambda", "--lambda-executor", "docker", "--lambda-image", image)
        client = stack.client("lambda")
        functions.create(client, "pid", REPORTS_PID)
        assert "FunctionError" not in client.invoke(FunctionName="pid", Payload=b"{}")
        assert len(_containers_of(engine, stack)) == 1
        return stack

    stack = start()
    stack.stop()
    assert _containers_of(engine, stack) == []

    # SIGKILLed, RustStack cannot remove its containers: they end when their
    # runtime loses the Runtime API, and the next RustStack removes any left.
    killed = start()
    killed.process.send_signal(signal.SIGKILL)
    killed.process.wait()
    stack = start()
    try:
        deadline = time.monotonic() + 10
        while _containers_of(engine, killed) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _containers_of(engine, killed) == []
    finally:
        stack.stop()
    assert _containers_of(engine, stack) == []
