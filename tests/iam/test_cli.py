"""
The AWS CLI against RustStack's IAM, as deploy scripts use it: a role from
a trust policy file, a managed policy attached, documents printed as JSON.
"""

from __future__ import annotations

import json

from tests.cli import needs_cli, run_aws
from tests.iam.conftest import BASIC_EXECUTION, TRUST

pytestmark = needs_cli


def aws(stack, *args: str) -> dict:
    """
    What the CLI prints for C{args}, as JSON ({} for nothing).
    """
    completed = run_aws(stack.endpoint_url, "--output", "json", *args)
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
