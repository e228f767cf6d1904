"""
The bucket configurations of L{ruststack.s3.configs} and L{ruststack.s3.acls}
through boto3 over a real socket: each put, returned exactly, deleted, its
"not configured" answer, S3's checks, persistence with --data-dir; and the
property test of the model-driven document reader.
"""

from __future__ import annotations

import datetime
import json

import pytest
import requests
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3 import documents
from ruststack.s3.owners import canonical_user_id
from ruststack.testing import RustStackProcess

_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _error(raised) -> tuple[int, str, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def _refused(call, **params) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call(**params)
    return _error(raised)


def _without_metadata(answer: dict) -> dict:
    answer.pop("ResponseMetadata")
    return answer


def test_encryption(s3, bucket):
    default = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == default
    kms = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/mine"},
                "BucketKeyEnabled": True,
            }
        ]
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms
    assert s3.delete_bucket_encryption(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    # Deleted, the bucket is back to SSE-S3, as every bucket since 2023.
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == default
    bad = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]}
    assert _refused(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration=bad)[:2] == (
        400,
        "InvalidArgument",
    )


def test_ownership_controls_and_acls(s3, bucket):
    owner = canonical_user_id("000000000000")
    # ACLs are disabled on a new bucket: only the owner's full control is accepted.
    assert _refused(s3.put_bucket_acl, Bucket=bucket, ACL="public-read") == (
        400,
        "AccessControlListNotSupported",
        "The bucket does not allow ACLs",
    )
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert _refused(s3.put_object_acl, Bucket=bucket, Key="k", ACL="public-read")[1] == "AccessControlListNotSupported"
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="bucket-owner-full-control")

    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    # ACLs are enabled, but BlockPublicAcls (on for every new bucket) refuses a public one.
    assert _refused(s3.put_bucket_acl, Bucket=bucket, ACL="public-read")[:2] == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    acl = _without_metadata(s3.get_bucket_acl(Bucket=bucket))
    assert acl == {
        "Owner": {"ID": owner},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"},
            {
                "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                "Permission": "READ",
            },
        ],
    }
    # Back to BucketOwnerEnforced is refused while the ACL grants others.
    assert (
        _refused(
            s3.put_bucket_ownership_controls,
            Bucket=bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )[1]
        == "InvalidBucketAclWithObjectOwnership"
    )

    # An object's ACL, by grants and by document; a new write to the key resets it.
    s3.put_object_acl(
        Bucket=bucket, Key="k", GrantRead='uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"'
    )
    grants = s3.get_object_acl(Bucket=bucket, Key="k")["Grants"]
    assert grants == [
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
            "Permission": "READ",
        }
    ]
    policy = {
        "Owner": {"ID": owner},
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "READ_ACP"}],
    }
    s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=policy)
    assert _without_metadata(s3.get_object_acl(Bucket=bucket, Key="k")) == policy
    s3.put_object(Bucket=bucket, Key="k", Body=b"new")
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert (
        _refused(s3.put_bucket_acl, Bucket=bucket, GrantRead='emailAddress="someone@example.com"')[1]
        == "UnresolvableGrantByEmailAddress"
    )

    s3.delete_bucket_ownership_controls(Bucket=bucket)
    assert _refused(s3.get_bucket_ownership_controls, Bucket=bucket) == (
        404,
        "OwnershipControlsNotFoundError",
        "The bucket ownership controls were not found",
    )


def test_writes_with_acls(s3, bucket):
    # A new bucket has ACLs disabled: uploads may name only the owner's full control.
    for call, params in (
        (s3.put_object, {"Body": b"x"}),
        (s3.create_multipart_upload, {}),
        (s3.copy_object, {"CopySource": {"Bucket": bucket, "Key": "plain"}}),
    ):
        s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
        assert _refused(call, Bucket=bucket, Key="k", ACL="public-read", **params) == (
            400,
            "AccessControlListNotSupported",
            "The bucket does not allow ACLs",
        )
        call(Bucket=bucket, Key="k", ACL="bucket-owner-full-control", **params)
        call(Bucket=bucket, Key="k", ACL="private", **params)
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert _refused(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ACL="public-read")[:2] == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    # Kept, as PutObjectAcl would keep it, until the next write to the key.
    assert _grantees(s3, bucket, "k") == [("FULL_CONTROL", None), ("READ", _ALL_USERS)]
    s3.put_object(Bucket=bucket, Key="k", Body=b"y")
    assert _grantees(s3, bucket, "k") == [("FULL_CONTROL", None)]
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}, GrantRead=f"uri={_ALL_USERS}")
    assert _grantees(s3, bucket, "c") == [("READ", _ALL_USERS)]
    form = s3.generate_presigned_post(bucket, "p", Fields={"acl": "public-read"}, Conditions=[{"acl": "public-read"}])
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("f", b"p")}, timeout=30)
    assert posted.status_code == 204, posted.text
    assert _grantees(s3, bucket, "p") == [("FULL_CONTROL", None), ("READ", _ALL_USERS)]
    # CreateMultipartUpload's, kept with the upload for the object it completes.
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m", ACL="authenticated-read")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"m")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=upload, MultipartUpload=parts)
    assert _grantees(s3, bucket, "m") == [("FULL_CONTROL", None), ("READ", _AUTHENTICATED_USERS)]


def _grantees(s3, bucket: str, key: str) -> list[tuple[str, str | None]]:
    return [(g["Permission"], g["Grantee"].get("URI")) for g in s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]]


def test_create_bucket_with_ownership_and_acl(s3):
    assert _refused(s3.create_bucket, Bucket="acl-refused", ACL="public-read") == (
        400,
        "InvalidBucketAclWithObjectOwnership",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    )
    # A new bucket blocks public ACLs: one granting AllUsers or AuthenticatedUsers is refused, nothing created.
    for public in ({"ACL": "public-read"}, {"ACL": "authenticated-read"}, {"GrantRead": f"uri={_ALL_USERS}"}):
        assert _refused(s3.create_bucket, Bucket="acl-public", ObjectOwnership="ObjectWriter", **public) == (
            400,
            "InvalidBucketAclWithBlockPublicAccessError",
            "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
        )
    assert "acl-public" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.create_bucket(Bucket="acl-allowed", ACL="log-delivery-write", ObjectOwnership="ObjectWriter")
    grants = s3.get_bucket_acl(Bucket="acl-allowed")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL", "WRITE", "READ_ACP"]
    rules = s3.get_bucket_ownership_controls(Bucket="acl-allowed")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    # The way to a public bucket ACL, as on AWS: lift the block, then put it.
    s3.delete_public_access_block(Bucket="acl-allowed")
    s3.put_bucket_acl(Bucket="acl-allowed", ACL="public-read")
    grantees = [g["Grantee"].get("URI") for g in s3.get_bucket_acl(Bucket="acl-allowed")["Grants"]]
    assert _ALL_USERS in grantees


def test_public_access_block(s3, bucket):
    config = {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == config
    s3.delete_public_access_block(Bucket=bucket)
    assert _refused(s3.get_public_access_block, Bucket=bucket) == (
        404,
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    )
    assert _refused(s3.put_public_access_block, Bucket=bucket, PublicAccessBlockConfiguration={}) == (
        400,
        "InvalidRequest",
        "Must specify at least one configuration.",
    )


def _rule(**fields) -> dict:
    return {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, **fields}


def test_lifecycle(s3, bucket):
    rules = [
        _rule(Expiration={"Days": 30}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7}),
        {
            "ID": "tagged",
            "Status": "Disabled",
            "Filter": {"And": {"Prefix": "a/", "Tags": [{"Key": "k", "Value": "v"}]}},
            "Expiration": {"Date": datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC)},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 3},
            "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}],
        },
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == rules
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    assert s3.delete_bucket_lifecycle(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _refused(s3.get_bucket_lifecycle_configuration, Bucket=bucket) == (
        404,
        "NoSuchLifecycleConfiguration",
        "The lifecycle configuration does not exist",
    )


@pytest.mark.parametrize(
    "rules, expected",
    [
        (
            [_rule(Expiration={"Days": 0})],
            (400, "InvalidArgument", "'Days' for Expiration action must be a positive integer"),
        ),
        ([_rule()], (400, "InvalidRequest", "At least one action needs to be specified in a rule")),
        (
            [_rule(Expiration={"Days": 1}), _rule(Expiration={"Days": 2})],
            (400, "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"),
        ),
        (
            [_rule(ID="x" * 256, Expiration={"Days": 1})],
            (400, "InvalidArgument", "ID length should not exceed allowed limit of 255"),
        ),
        (
            [_rule(Expiration={"Date": datetime.datetime(2031, 1, 1, 12, tzinfo=datetime.UTC)})],
            (400, "InvalidArgument", "'Date' must be at midnight GMT"),
        ),
        (
            [
                _rule(
                    Filter={"Tag": {"Key": "k", "Value": "v"}},
                    AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1},
                )
            ],
            (400, "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."),
        ),
        (
            [_rule(Filter={"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}}, Expiration={"Days": 1})],
            (400, "MalformedXML", None),
        ),
    ],
)
def test_bad_lifecycle(s3, bucket, rules, expected):
    answer = _refused(s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert answer[:2] == expected[:2]
    if expected[2] is not None:
        assert answer[2] == expected[2]


def test_website(s3, bucket):
    config = {
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "new/"}}],
    }
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert _without_metadata(s3.get_bucket_website(Bucket=bucket)) == config
    s3.delete_bucket_website(Bucket=bucket)
    assert _refused(s3.get_bucket_website, Bucket=bucket)[:2] == (404, "NoSuchWebsiteConfiguration")
    assert _refused(
        s3.put_bucket_website, Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "a/b"}}
    ) == (
        400,
        "InvalidArgument",
        "The IndexDocument Suffix is not well formed",
    )


def test_request_payment_accelerate_logging_notification(s3, bucket):
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"

    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"

    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    logging = {"LoggingEnabled": {"TargetBucket": bucket, "TargetPrefix": "logs/"}}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=logging)
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == logging["LoggingEnabled"]
    assert _refused(
        s3.put_bucket_logging,
        Bucket=bucket,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "no-such-target-bucket", "TargetPrefix": ""}},
    ) == (400, "InvalidTargetBucketForLogging", "The target bucket for logging does not exist")
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)

    assert _without_metadata(s3.get_bucket_notification_configuration(Bucket=bucket)) == {}
    notification = {
        "LambdaFunctionConfigurations": [
            {
                "Id": "thumbnails",
                "LambdaFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:thumbnail",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
            }
        ]
    }
    # No such function (no Lambda here): refused as S3 refuses it (tests/s3/test_notifications.py
    # has functions that S3 may invoke).
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notification)
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"
    assert _without_metadata(s3.get_bucket_notification_configuration(Bucket=bucket)) == {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert _without_metadata(s3.get_bucket_notification_configuration(Bucket=bucket)) == {
        "EventBridgeConfiguration": {}
    }


def test_accelerate_refuses_dotted_names(s3):
    s3.create_bucket(Bucket="dotted.bucket.name")
    assert _refused(
        s3.put_bucket_accelerate_configuration,
        Bucket="dotted.bucket.name",
        AccelerateConfiguration={"Status": "Enabled"},
    ) == (
        400,
        "InvalidRequest",
        "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names",
    )


def test_object_lock(s3, bucket):
    assert _refused(s3.get_object_lock_configuration, Bucket=bucket) == (
        404,
        "ObjectLockConfigurationNotFoundError",
        "Object Lock configuration does not exist for this bucket",
    )
    assert _refused(
        s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
    ) == (409, "InvalidBucketState", "Object Lock configuration cannot be enabled on existing buckets")
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    got = s3.get_object_lock_configuration(Bucket="locked-bucket")["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled"}
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 5}}}
    s3.put_object_lock_configuration(Bucket="locked-bucket", ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket="locked-bucket")["ObjectLockConfiguration"] == config


def test_policy_status(s3, bucket):
    assert _refused(s3.get_bucket_policy_status, Bucket=bucket)[:2] == (404, "NoSuchBucketPolicy")
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    # BlockPublicPolicy (on for every new bucket) refuses a public policy.
    assert _refused(s3.put_bucket_policy, Bucket=bucket, Policy=document)[:2] == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=document)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": True}
    statement["Principal"] = {"AWS": "arn:aws:iam::111111111111:root"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": False}


def test_configs_go_with_the_bucket(s3):
    s3.create_bucket(Bucket="configured-then-gone")
    s3.put_bucket_website(Bucket="configured-then-gone", WebsiteConfiguration={"IndexDocument": {"Suffix": "i.html"}})
    s3.delete_bucket(Bucket="configured-then-gone")
    s3.create_bucket(Bucket="configured-then-gone")
    assert _refused(s3.get_bucket_website, Bucket="configured-then-gone")[1] == "NoSuchWebsiteConfiguration"


def test_another_account_is_refused(stack, bucket):
    from tests.s3.conftest import client

    other = client(stack.endpoint_url, aws_access_key_id="222222222222")
    assert _refused(other.get_bucket_website, Bucket=bucket)[:2] == (403, "AccessDenied")
    assert _refused(
        other.put_bucket_request_payment, Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"}
    )[:2] == (403, "AccessDenied")


def test_configs_survive_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    cors = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://app.example"]}]}
    first = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="durable-configs")
        s3.put_bucket_cors(Bucket="durable-configs", CORSConfiguration=cors)
        s3.put_bucket_request_payment(Bucket="durable-configs", RequestPaymentConfiguration={"Payer": "Requester"})
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = second.client("s3")
        assert s3.get_bucket_cors(Bucket="durable-configs")["CORSRules"] == cors["CORSRules"]
        assert s3.get_bucket_request_payment(Bucket="durable-configs")["Payer"] == "Requester"
        second.reset("s3")
        s3.create_bucket(Bucket="durable-configs")
        assert _refused(s3.get_bucket_cors, Bucket="durable-configs")[1] == "NoSuchCORSConfiguration"
    finally:
        second.stop()


# -- The document reader, on any input


_OPERATIONS = [
    "PutBucketCors",
    "PutBucketLifecycleConfiguration",
    "PutBucketEncryption",
    "PutBucketOwnershipControls",
    "PutPublicAccessBlock",
    "PutBucketWebsite",
    "PutBucketLogging",
    "PutBucketNotificationConfiguration",
    "PutObjectLockConfiguration",
    "PutBucketAcl",
]
_ELEMENTS = st.sampled_from(
    [
        "Rule",
        "CORSRule",
        "AllowedMethod",
        "AllowedOrigin",
        "ID",
        "Status",
        "Filter",
        "Prefix",
        "Expiration",
        "Days",
        "Date",
        "Rules",
        "ObjectOwnership",
        "BlockPublicAcls",
        "IndexDocument",
        "Suffix",
        "Grant",
        "Grantee",
        "x",
    ]
)
_TEXT = st.sampled_from(["", "1", "-3", "GET", "true", "Enabled", "2030-01-01T00:00:00Z", "<", "é"]) | st.text(
    max_size=8
)


@st.composite
def _xml(draw, depth: int = 0) -> str:
    name = draw(_ELEMENTS)
    if depth > 2 or draw(st.booleans()):
        text = draw(_TEXT).replace("&", "&amp;").replace("<", "&lt;")
        return f"<{name}>{text}</{name}>"
    children = "".join(draw(st.lists(_xml(depth + 1), max_size=3)))
    return f"<{name}>{children}</{name}>"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_OPERATIONS), st.lists(_xml(), max_size=4) | st.binary(max_size=64))
def test_any_document_is_read_back_exactly_or_refused(operation, content):
    shape = documents.payload_shape(operation)
    root = documents.root_name(shape)
    body = content if isinstance(content, bytes) else f"<{root}>{''.join(content)}</{root}>".encode()
    try:
        values = documents.read(operation, body)
    except AwsError as error:
        assert (error.code, error.status) == ("MalformedXML", 400)
        return
    written = documents.write(operation, values)
    # What is kept reads back as the same values, and writes the same bytes.
    again = documents.read(operation, written.encode("utf-8"))
    assert again == values
    assert documents.write(operation, again) == written
