"""
The AWS CLI (C{python -m awscli}) run against a RustStack, as deploy scripts
run it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

# For a module whose tests all run the CLI.
needs_cli = pytest.mark.skipif(
    importlib.util.find_spec("awscli") is None, reason="the AWS CLI is not installed (pip install awscli)"
)


def run_aws(
    endpoint_url: str,
    *args: str,
    keys: tuple[str, str] = ("test", "test"),
    region: str = "us-east-1",
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    """
    C{aws --endpoint-url ENDPOINT_URL ARGS...} signing with C{keys} (access
    key, secret key) in C{region}, reading no AWS configuration of this
    machine; with C{check} the test fails unless the CLI succeeds.
    """
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(
        AWS_ACCESS_KEY_ID=keys[0],
        AWS_SECRET_ACCESS_KEY=keys[1],
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    completed = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", endpoint_url, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed
