"""
The AWS CLI against RustStack's Parameter Store: put, get with decryption,
a recursive listing the CLI pages through itself, and an error as the CLI
prints it.
"""

from __future__ import annotations

import json
import subprocess

from tests.cli import needs_cli, run_aws

pytestmark = needs_cli


def aws(stack, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run_aws(stack.endpoint_url, "ssm", *args, check=check)


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
