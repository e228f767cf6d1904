"""
What a user meets first, each in a real RustStack over real sockets: a
relative --data-dir, an unknown option, a Lambda traceback in RustStack's log,
Ctrl-C in RustStack's terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.config import Config

from ruststack.testing import RustStackProcess, _die_with_parent
from tests.awslambda import functions
from tests.dynamodb.helpers import dynamodb_local_missing

BIN = Path(sys.executable).parent


def wait_running(stack: RustStackProcess, service: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while (state := stack.health()["services"][service])["state"] != "running":
        assert state["state"] in ("starting", "running"), state
        assert time.monotonic() < deadline, state
        time.sleep(0.1)


def test_a_relative_data_dir(tmp_path, monkeypatch):
    """
    `make run ARGS="--data-dir ./data"`, the README's own example: DynamoDB
    Local (which runs in another folder) keeps its tables there, and finds
    them after a restart.
    """
    missing = dynamodb_local_missing()
    if missing:
        pytest.skip(missing)
    monkeypatch.chdir(tmp_path)
    stack = RustStackProcess.start("--services", "dynamodb", "--data-dir", "./data")
    try:
        wait_running(stack, "dynamodb")
        client = stack.client("dynamodb")
        client.create_table(
            TableName="notes",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="notes", Item={"id": {"S": "a"}, "text": {"S": "kept"}})
    finally:
        stack.stop()
    assert any((tmp_path / "data" / "dynamodb").iterdir())
    with open(stack.log_path, encoding="utf-8", errors="replace") as f:
        assert "Invalid directory" not in f.read()
    stack = RustStackProcess.start("--services", "dynamodb", "--data-dir", "data")
    try:
        wait_running(stack, "dynamodb")
        item = stack.client("dynamodb").get_item(TableName="notes", Key={"id": {"S": "a"}})["Item"]
        assert item["text"] == {"S": "kept"}
    finally:
        stack.stop()


@pytest.mark.parametrize(
    "command, program",
    [
        ([sys.executable, "-m", "ruststack"], "ruststack"),
        ([str(BIN / "twistd"), "-n", "ruststack"], "twistd ruststack"),
    ],
)
@pytest.mark.parametrize(
    "args, error",
    [
        (["--bogus"], "option --bogus not recognized"),
        (["--port"], "option --port requires argument"),
        (["surplus"], "Wrong number of arguments"),
    ],
)
def test_an_unknown_option_is_one_line(tmp_path, command, program, args, error):
    done = subprocess.run([*command, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"{program}: {error} (see `{program} --help`)\n"


def test_help_is_still_whole():
    done = subprocess.run([sys.executable, "-m", "ruststack", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "--data-dir" in done.stdout and "--lambda-executor" in done.stdout


def test_a_lambda_traceback_keeps_its_lines():
    """
    awslambdaric writes a traceback as one line joined with CR, indented
    with U+00A0 (one CloudWatch Logs event, as in Lambda); RustStack's log
    has it a line each, prefixed by the function and the request id.
    """
    stack = RustStackProcess.start("--services", "lambda")
    try:
        client = stack.client("lambda", config=Config(retries={"max_attempts": 0}))
        functions.create(client, "fails", functions.RAISES, Role=functions.ROLE)
        answer = client.invoke(FunctionName="fails", Payload=b'{"why": "testing"}')
        assert answer["FunctionError"] == "Unhandled"
        request_id = answer["ResponseMetadata"]["RequestId"]
        prefix = f"fails {request_id}: "
        deadline = time.monotonic() + 10
        while True:
            with open(stack.log_path, encoding="utf-8") as f:
                log = f.read()
            if 'raise ValueError("something went wrong: "' in log or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        stack.stop()
    assert "\r" not in log and "\u00a0" not in log
    lines = [line.split(prefix, 1)[1] for line in log.splitlines() if prefix in line]
    assert "[ERROR] ValueError: something went wrong: testing" in lines[0]
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[2].startswith('  File "/var/task/app.py", line 3, in handler')
    assert lines[3] == '    raise ValueError("something went wrong: " + str(event.get("why")))'


def _as_a_terminal_job() -> None:
    # As a shell starts a job: Ctrl-C's signal neither ignored nor blocked,
    # whatever the test process inherited or left behind.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with_parent()


def _signal_state(pid: int) -> str:
    # What a stuck process was doing: its signal masks and each thread's state.
    try:
        status = [line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Sig")]
        threads = [
            (task.name, (task / "wchan").read_text(), (task / "stat").read_text().split(") ", 1)[1][:1])
            for task in Path(f"/proc/{pid}/task").iterdir()
        ]
    except OSError as e:
        return f"(gone: {e})"
    return f"{status} threads (tid, wchan, state): {threads}"


def test_ctrl_c_stops_quietly(tmp_path):
    """
    Ctrl-C in a terminal signals its whole foreground process group: the
    fork server (started with Lambda) keeps out of it, and RustStack stops
    it, so the log ends without a KeyboardInterrupt traceback.
    """
    url_file = tmp_path / "url"
    log_path = tmp_path / "ruststack.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "ruststack", "--port", "0", "--url-file", str(url_file), "--services", "lambda"],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, as a shell's job
            preexec_fn=_as_a_terminal_job,
        )
    try:
        deadline = time.monotonic() + 60
        while not url_file.exists():
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.02)
        stack = RustStackProcess(process, url_file.read_text().strip(), "us-east-1", str(log_path))
        client = stack.client("lambda")
        functions.create(client, "warm", functions.ECHO, Role=functions.ROLE)
        assert client.invoke(FunctionName="warm", Payload=b"{}")["StatusCode"] == 200
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            state = _signal_state(process.pid)
            raise AssertionError(f"still running after Ctrl-C: {state}\n{log_path.read_text()}") from None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert "KeyboardInterrupt" not in log and "Traceback" not in log, log
    assert "Received SIGINT, shutting down." in log
