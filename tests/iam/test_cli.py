"""
The AWS CLI against RustStack's IAM, as deploy scripts use it: a role from
a trust policy file, a managed policy attached, documents printed as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.iam.conftest import BASIC_EXECUTION, TRUST

AWS = os.path.join(os.path.dirname(sys.executable), "aws")

pytestmark = pytest.mark.skipif(not os.path.exists(AWS), reason=f"the AWS CLI is not installed at {AWS}")


def aws(stack, *args: str) -> dict:
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    completed = subprocess.run(
        [AWS, "--endpoint-url", stack.endpoint_url, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout) if completed.stdout.strip() else {}


def test_a_role_for_a_function(iam, stack, tmp_path):
    trust = tmp_path / "trust.json"
    trust.write_text(TRUST)
    created = aws(
        stack, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", f"file://{trust}"
    )
    assert created["Role"]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    aws(stack, "iam", "attach-role-policy", "--role-name", "cli-role", "--policy-arn", BASIC_EXECUTION)
    attached = aws(stack, "iam", "list-attached-role-policies", "--role-name", "cli-role")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [BASIC_EXECUTION]
    role = aws(stack, "iam", "get-role", "--role-name", "cli-role", "--query", "Role")
    assert role["Arn"] == "arn:aws:iam::000000000000:role/cli-role"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
