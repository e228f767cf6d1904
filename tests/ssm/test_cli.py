"""
The AWS CLI against RustStack's Parameter Store: put, get with decryption,
a recursive listing the CLI pages through itself, and an error as the CLI
prints it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

AWS = os.path.join(os.path.dirname(sys.executable), "aws")

pytestmark = pytest.mark.skipif(not os.path.exists(AWS), reason=f"the AWS CLI is not installed at {AWS}")


def aws(stack, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    completed = subprocess.run(
        [AWS, "--endpoint-url", stack.endpoint_url, "ssm", *args], env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed


def test_cli(stack):
    put = json.loads(aws(stack, "put-parameter", "--name", "/cli/db/password", "--value", "s3cr3t", "--type",
                         "SecureString").stdout)  # fmt: skip
    assert put == {"Version": 1, "Tier": "Standard"}
    for i in range(12):
        aws(stack, "put-parameter", "--name", f"/cli/app/p{i:02d}", "--value", f"v{i}", "--type", "String")
    got = json.loads(aws(stack, "get-parameter", "--name", "/cli/db/password", "--with-decryption").stdout)
    assert got["Parameter"]["Value"] == "s3cr3t"
    value = aws(stack, "get-parameter", "--name", "/cli/app/p03", "--query", "Parameter.Value", "--output", "text")
    assert value.stdout.strip() == "v3"
    # The CLI follows NextToken across pages of ten.
    listed = json.loads(aws(stack, "get-parameters-by-path", "--path", "/cli", "--recursive").stdout)
    assert len(listed["Parameters"]) == 13
    failed = aws(stack, "get-parameter", "--name", "/cli/missing", check=False)
    assert failed.returncode in (254, 255)  # CLI v2, v1
    message = "An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter /cli/missing"
    assert f"{message} not found." in failed.stderr
