"""
AWS::S3::Bucket's configuration properties applied through S3's own
operations (versioning, encryption, public access block, ownership controls,
lifecycle), changed by an update and removed when taken out of the template.
"""

from __future__ import annotations

import pytest

from tests.cloudformation.helpers import FAST, body
from tests.stacks import ruststack_fixture

s3_process = ruststack_fixture("--services", "s3,sts,cloudformation")

CONFIGURED = {
    "VersioningConfiguration": {"Status": "Enabled"},
    "BucketEncryption": {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": "true"}
        ]
    },
    "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": "true",
        "BlockPublicPolicy": "true",
        "IgnorePublicAcls": "true",
        "RestrictPublicBuckets": "false",
    },
    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
    "LifecycleConfiguration": {
        "Rules": [
            {"Id": "old", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 365}},
            {"Id": "tmp", "Status": "Enabled", "Prefix": "tmp/", "ExpirationInDays": 7},
            {
                "Id": "uploads",
                "Status": "Disabled",
                "Prefix": "uploads/",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            },
            {
                "Id": "scratch",
                "Status": "Enabled",
                "TagFilters": [{"Key": "kind", "Value": "scratch"}],
                "ExpirationInDays": 1,
            },
        ]
    },
}


@pytest.fixture
def process(s3_process):
    s3_process.reset()
    return s3_process


def template(properties: dict) -> dict:
    return {"Resources": {"Assets": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "assets", **properties}}}}


def test_bucket_configurations_made_changed_and_removed(process):
    cfn, s3 = process.client("cloudformation"), process.client("s3")
    cfn.create_stack(StackName="assets", TemplateBody=body(template(CONFIGURED)))
    cfn.get_waiter("stack_create_complete").wait(StackName="assets", WaiterConfig=FAST)

    assert s3.get_bucket_versioning(Bucket="assets")["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket="assets")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule == {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
    block = s3.get_public_access_block(Bucket="assets")["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": False,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket="assets")["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket="assets")["Rules"]}
    assert rules["old"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365
    assert rules["tmp"]["Filter"] == {"Prefix": "tmp/"} and rules["tmp"]["Expiration"] == {"Days": 7}
    assert rules["uploads"]["Status"] == "Disabled"
    assert rules["uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules["scratch"]["Filter"] == {"Tag": {"Key": "kind", "Value": "scratch"}}

    # An update that takes the configurations out: deleted (versioning suspended, as S3 allows).
    cfn.update_stack(StackName="assets", TemplateBody=body(template({})))
    cfn.get_waiter("stack_update_complete").wait(StackName="assets", WaiterConfig=FAST)
    assert s3.get_bucket_versioning(Bucket="assets")["Status"] == "Suspended"
    for read, code in (
        (s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration"),
        (s3.get_bucket_ownership_controls, "OwnershipControlsNotFoundError"),
        (s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration"),
    ):
        with pytest.raises(s3.exceptions.ClientError, match=code):
            read(Bucket="assets")
    # Encryption returns to S3's default.
    (rule,) = s3.get_bucket_encryption(Bucket="assets")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
