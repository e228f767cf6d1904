"""
`aws cloudformation deploy` (the AWS CLI's change-set driven deploy) against
a real RustStack: create, then nothing to deploy.
"""

from __future__ import annotations

import subprocess
import time

from tests.cli import needs_cli, run_aws

pytestmark = needs_cli

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


def test_aws_cloudformation_deploy(stack, cfn, tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)

    def deploy(*extra: str) -> subprocess.CompletedProcess:
        # The CLI names its change sets after the second: one deploy a second.
        time.sleep(1.1)
        command = ("cloudformation", "deploy", "--stack-name", "cli", "--template-file", str(template))
        return run_aws(stack.endpoint_url, *command, *extra, check=False)

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
