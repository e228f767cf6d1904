"""
`aws cloudformation deploy` (the AWS CLI's change-set driven deploy) against
a real RustStack: create, then nothing to deploy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

TEMPLATE = """
Parameters:
  Name:
    Type: String
    Default: one
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "cli-${Name}"
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
Outputs:
  Arn:
    Value: !GetAtt Table.Arn
"""


def _aws() -> str:
    found = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    if found is None:
        pytest.skip("the AWS CLI is not installed (pip install awscli)")
    return found


def test_aws_cloudformation_deploy(stack, cfn, tmp_path):
    aws = _aws()
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def deploy(*extra: str) -> subprocess.CompletedProcess:
        # The CLI names its change sets after the second: one deploy a second.
        time.sleep(1.1)
        return subprocess.run(
            [aws, "--endpoint-url", stack.endpoint_url, "cloudformation", "deploy", "--stack-name", "cli"]
            + ["--template-file", str(template), *extra],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )

    created = deploy()
    assert created.returncode == 0, created.stderr
    assert "Successfully created/updated stack - cli" in created.stdout
    same = deploy()
    assert same.returncode == 255
    assert "No changes to deploy. Stack cli is up to date" in same.stdout + same.stderr
    described = cfn.describe_stacks(StackName="cli")["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert described["Outputs"][0]["OutputValue"] == "arn:aws:dynamodb:us-east-1:000000000000:table/cli-one"
    # (An update through the CLI works the same way; it is left out because the
    # CLI's stack waiter polls every 30 s: tests/cloudformation/test_change_sets.py
    # drives updates through change sets with boto3.)
