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


def _start_and_invoke() -> tuple[RustStackProcess, int]:
    stack = RustStackProcess.start("--services", "lambda")
    client = stack.client("lambda")
    functions.create(client, "pid", REPORTS_PID)
    pid = json.loads(client.invoke(FunctionName="pid", Payload=b"{}")["Payload"].read())
    assert _alive(pid)
    return stack, pid


def test_environments_stop_with_ruststack():
    stack, pid = _start_and_invoke()
    stack.stop()
    assert _wait_gone(pid)


@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv(1) (util-linux) is not installed")
def test_environments_die_when_ruststack_is_killed():
    stack, pid = _start_and_invoke()
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()
    assert _wait_gone(pid)
