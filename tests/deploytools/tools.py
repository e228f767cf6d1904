"""
Deploy tools installed from PyPI or npm, each into a virtualenv or npm
prefix of its own under .venv-tools/ (so they never fight the project's
pinned dependencies), made on first use and kept for the next run.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, ".venv-tools")


def installed(name: str, requirement: str, command: str, timeout: float = 600) -> str:
    """
    The bin folder of the virtualenv .venv-tools/C{name} holding
    C{requirement} (one or more, space-separated; installed first if needed;
    a stamp records which), in which C{command} runs. Skips the test, saying
    why, where it cannot be installed.
    """
    venv = os.path.join(TOOLS, name)
    bin_dir = os.path.join(venv, "bin")
    # The interpreter running the tests: the tool's Python is then the
    # version RustStack's Lambda runs (what `sam build` looks for on PATH,
    # the runtime Chalice gives its functions).
    steps = [
        [sys.executable, "-m", "venv", "--clear", venv],
        [os.path.join(bin_dir, "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + requirement.split(),
    ]
    return _install(venv, bin_dir, requirement, command, steps, timeout)


def npm_installed(name: str, packages: str, command: str, timeout: float = 600) -> str:
    """
    The bin folder of the npm prefix .venv-tools/C{name} holding C{packages}
    (space-separated npm specs; installed first if needed), in which
    C{command} runs. Skips the test, saying why, where it cannot be installed.
    """
    prefix = os.path.join(TOOLS, name)
    steps = [
        ["rm", "-rf", prefix],
        ["mkdir", "-p", prefix],
        ["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", *packages.split()],
    ]
    return _install(prefix, os.path.join(prefix, "node_modules", ".bin"), packages, command, steps, timeout)


def _install(home: str, bin_dir: str, requirement: str, command: str, steps: list[list[str]], timeout: float) -> str:
    stamp = os.path.join(home, ".installed")
    os.makedirs(TOOLS, exist_ok=True)
    # Two test sessions at once install once.
    with open(os.path.join(TOOLS, f".{os.path.basename(home)}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _read(stamp) == requirement and os.path.exists(os.path.join(bin_dir, command)):
            return bin_dir
        # Not the project's own environment.
        environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=timeout, env=environment)
            except (OSError, subprocess.TimeoutExpired) as e:
                pytest.skip(f"cannot install {requirement}: {e}")
            if done.returncode != 0:
                pytest.skip(f"cannot install {requirement}: {done.stderr.strip()[-2000:]}")
        with open(stamp, "w") as f:
            f.write(requirement)
    return bin_dir


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def run_tool(
    bin_dir: str,
    command: str,
    arguments: tuple[str, ...],
    cwd: str,
    env: Mapping[str, str],
    timeout: float,
    log_path: str,
    fails: bool = False,
) -> subprocess.CompletedProcess:
    """
    Run a deploy tool's C{command} with C{arguments} in C{cwd}; fail the test
    if it takes over C{timeout} s, or unless it succeeds (fails, with
    C{fails}), naming RustStack's log (C{log_path}).
    """
    line = f"{command} {' '.join(arguments)}"
    try:
        done = subprocess.run(
            [os.path.join(bin_dir, command), *arguments],
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{line} took over {timeout} s:\n{e.stdout!r}\n{e.stderr!r}")
    if fails:
        assert done.returncode != 0, f"{line} did not fail:\n{done.stdout}\n{done.stderr}"
    else:
        assert done.returncode == 0, (
            f"{line} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\nRustStack's log: {log_path}"
        )
    return done


def call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    """
    An HTTP request to a deployed app: its status and body (JSON C{body} sent).
    """
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def check_notes_round_trip(stack: Any, base: str, table: str, bucket: str, tag: str) -> None:
    """
    The notes app deployed at C{base} keeps a note in C{table} and a file in
    C{bucket}: each written through the API, read back through it, and found
    in the store with boto3 (C{stack}: the RustStackProcess).
    """
    # Data round-trips through the table...
    assert call("PUT", f"{base}/notes/n1", {"title": "first", "tags": [tag]})[0] == 201
    status, body = call("GET", f"{base}/notes/n1")
    assert (status, json.loads(body)) == (200, {"id": "n1", "title": "first", "text": "", "tags": [tag]})
    item = stack.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "n1"}})["Item"]
    assert item["title"] == {"S": "first"}
    # ...and the bucket.
    upload = urllib.request.Request(f"{base}/files/hello.txt", data=b"hello", method="PUT")
    upload.add_header("Content-Type", "text/plain")
    with urllib.request.urlopen(upload, timeout=60) as response:
        assert response.status == 201
    assert call("GET", f"{base}/files/hello.txt") == (200, b"hello")
    assert stack.client("s3").get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello"
