"""
The AWS CLI's s3api commands for the configurations by id and Object Lock.
"""

from __future__ import annotations

import json

from tests.cli import needs_cli, run_aws

pytestmark = needs_cli


def aws(stack, *args: str) -> str:
    return run_aws(stack.endpoint_url, *args).stdout


def test_cli_configurations_and_retention(stack):
    aws(stack, "s3api", "create-bucket", "--bucket", "cli-ops", "--object-lock-enabled-for-bucket")
    aws(
        stack, "s3api", "put-bucket-inventory-configuration", "--bucket", "cli-ops", "--id", "weekly",
        "--inventory-configuration",
        json.dumps({
            "Id": "weekly", "IsEnabled": True, "IncludedObjectVersions": "All",
            "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::cli-ops", "Format": "CSV"}},
            "Schedule": {"Frequency": "Weekly"},
        }),
    )  # fmt: skip
    listed = json.loads(aws(stack, "s3api", "list-bucket-inventory-configurations", "--bucket", "cli-ops"))
    assert [c["Id"] for c in listed["InventoryConfigurationList"]] == ["weekly"]
    aws(stack, "s3api", "put-object", "--bucket", "cli-ops", "--key", "k")
    aws(
        stack, "s3api", "put-object-retention", "--bucket", "cli-ops", "--key", "k",
        "--retention", '{"Mode": "GOVERNANCE", "RetainUntilDate": "2099-01-01T00:00:00Z"}',
    )  # fmt: skip
    got = json.loads(aws(stack, "s3api", "get-object-retention", "--bucket", "cli-ops", "--key", "k"))
    assert got["Retention"]["Mode"] == "GOVERNANCE"
    assert got["Retention"]["RetainUntilDate"].startswith("2099-01-01T00:00:00")
