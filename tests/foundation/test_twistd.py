"""
RustStack as users start it: `twistd -n ruststack`, the `ruststack` console
script, `twistd -y tap/ruststack.tac`, each in a child process.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ruststack.config import ALL_SERVICES

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        assert time.monotonic() < deadline, "no URL file"
        time.sleep(0.02)
    return path.read_text().strip()


# twistd reports a stop by SIGTERM by ending with that signal (systemd counts
# it as a clean exit).
CLEAN_EXIT = (0, -signal.SIGTERM)


def run_until_health(args, tmp_path, env=None):
    """
    Start RustStack, read its health, stop it with SIGTERM; the URL file is
    named by --url-file, appended here unless the environment names it.
    """
    url_file = tmp_path / "url"
    process = subprocess.Popen(
        args if env and "RUSTSTACK_URL_FILE" in env else [*args, "--url-file", str(url_file)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        url = wait_for(url_file, process)
        with urllib.request.urlopen(url + "/_ruststack/health", timeout=10) as response:
            health = json.load(response)
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return health, process.returncode, output, url_file


def test_twistd_starts_and_stops(tmp_path):
    health, code, output, url_file = run_until_health(
        [str(BIN / "twistd"), "--nodaemon", "--pidfile=", "ruststack", "--port", "0", "--services", ""], tmp_path
    )
    assert health["services"]["s3"] == {"state": "disabled"}
    assert code in CLEAN_EXIT, output
    assert "Server Shut Down" in output
    # The URL file is removed on a clean stop.
    assert not url_file.exists()


def test_console_script_logs_json(tmp_path):
    health, code, output, _ = run_until_health(
        [str(BIN / "ruststack"), "--port", "0", "--services", "", "--log-format", "json"], tmp_path
    )
    assert code in CLEAN_EXIT, output
    events = [json.loads(line.strip("\x1e")) for line in output.splitlines() if line.strip("\x1e").strip()]
    assert any(event.get("log_namespace") == "ruststack.stack" for event in events)


def test_tac_file_with_environment(tmp_path):
    url_file = tmp_path / "url"
    health, code, output, _ = run_until_health(
        [str(BIN / "twistd"), "--nodaemon", "--pidfile=", "-y", str(ROOT / "tap" / "ruststack.tac")],
        tmp_path,
        env={"RUSTSTACK_PORT": "0", "RUSTSTACK_URL_FILE": str(url_file), "RUSTSTACK_SERVICES": ""},
    )
    assert code in CLEAN_EXIT, output
    assert health["version"]


@pytest.mark.parametrize(
    "args, line",
    [
        (["--port", "abc"], "ruststack: --port: invalid value 'abc'"),
        (
            ["--services", "s3,nope"],
            f"ruststack: --services: unknown service 'nope' (known: {', '.join(ALL_SERVICES)})",
        ),
    ],
)
def test_bad_option_is_one_line(tmp_path, args, line):
    result = subprocess.run(
        [str(BIN / "twistd"), "--nodaemon", "--pidfile=", "ruststack", *args],
        cwd=tmp_path,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode().strip() == line


def test_help_lists_every_option():
    import attrs

    from ruststack.config import Config

    result = subprocess.run([str(BIN / "twistd"), "ruststack", "--help"], capture_output=True, timeout=30)
    text = result.stdout.decode()
    for field in attrs.fields(Config):
        assert "--" + field.name.replace("_", "-") in text


@pytest.mark.parametrize(
    "command, given",
    [
        (["twistd", "--nodaemon", "--pidfile=", "ruststack"], "--port"),
        (["ruststack"], "--port"),
        (["ruststack"], "--listen"),
    ],
)
def test_a_port_in_use_ends_start_up_with_status_1(tmp_path, command, given):
    """
    RustStack that cannot listen says why and exits non-zero at once (so
    systemd restarts it and a harness does not hang), leaving no child
    (DynamoDB Local) behind; with the port given by --port or as an endpoint
    string.
    """
    import socket

    from tests.dynamodb.helpers import JAR, dynamodb_local_missing

    services = "s3" if dynamodb_local_missing() else "s3,dynamodb"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = tmp_path / "unique-data-dir"
        # Two listeners, the second on the taken port.
        listen = ["--listen", "tcp:0:interface=127.0.0.1", "--listen", f"tcp:{port}:interface=127.0.0.1"]
        process = subprocess.run(
            [str(BIN / command[0]), *command[1:], *(["--port", str(port)] if given == "--port" else listen),
             "--services", services,
             "--data-dir", str(data), "--dynamodb-local-jar", JAR],
            cwd=tmp_path, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert process.returncode == 1, process.stdout + process.stderr
    assert f"RustStack could not start: Couldn't listen on 127.0.0.1:{port}" in process.stdout
    time.sleep(0.5)
    left = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if str(data).encode() in f.read():
                    left.append(entry)
        except OSError:
            pass
    assert not left, f"processes outlived RustStack: {left}"
