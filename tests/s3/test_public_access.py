"""
The bucket-level public access block enforced, over real sockets with two
accounts (Alice owns the buckets, Bob is the other account): public ACLs
and policies refused 403 while blocked, public policies granting nothing
to other accounts while RestrictPublicBuckets stands.
"""

from __future__ import annotations

import itertools
import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.s3.conftest import ALICE, BOB

_names = itertools.count()
_OFF = {name: False for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _client(stack, person):
    key, secret, _ = person
    return stack.client(
        "s3", aws_access_key_id=key, aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1})
    )


@pytest.fixture(scope="module")
def alice(tenants_stack):
    return _client(tenants_stack, ALICE)


@pytest.fixture(scope="module")
def bob(tenants_stack):
    return _client(tenants_stack, BOB)


@pytest.fixture
def alices(alice) -> str:
    name = f"public-{next(_names)}"
    alice.create_bucket(Bucket=name)
    alice.put_object(Bucket=name, Key="k", Body=b"alice's")
    return name


def _error(call, **params) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call(**params)
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def _policy(bucket: str, principal, condition: dict | None = None) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _block(alice, bucket: str, **settings: bool) -> None:
    alice.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=_OFF | settings)


def test_block_public_policy(alice, alices):
    # Every new bucket blocks public policies.
    for public in (
        _policy(alices, "*"),
        _policy(alices, {"AWS": ["*"]}),
        _policy(alices, "*", {"Bool": {"aws:SecureTransport": "true"}}),  # does not narrow who
    ):
        assert _error(alice.put_bucket_policy, Bucket=alices, Policy=public) == (403, "AccessDenied")
    assert _error(alice.get_bucket_policy, Bucket=alices) == (404, "NoSuchBucketPolicy")
    # Policies naming accounts, or narrowed to fixed values, are not public.
    alice.put_bucket_policy(Bucket=alices, Policy=_policy(alices, {"AWS": BOB[2]}))
    alice.put_bucket_policy(Bucket=alices, Policy=_policy(alices, "*", {"StringEquals": {"aws:SourceAccount": BOB[2]}}))
    assert alice.get_bucket_policy_status(Bucket=alices)["PolicyStatus"] == {"IsPublic": False}
    _block(alice, alices, BlockPublicPolicy=False)
    alice.put_bucket_policy(Bucket=alices, Policy=_policy(alices, "*"))
    assert alice.get_bucket_policy_status(Bucket=alices)["PolicyStatus"] == {"IsPublic": True}


def test_block_public_acls(alice, alices):
    alice.put_bucket_ownership_controls(
        Bucket=alices, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    refused = (
        (alice.put_bucket_acl, {"ACL": "public-read"}),
        (alice.put_bucket_acl, {"ACL": "authenticated-read"}),
        (alice.put_bucket_acl, {"GrantRead": f'uri="{_ALL_USERS}"'}),
        (alice.put_object_acl, {"Key": "k", "ACL": "public-read-write"}),
        (alice.put_object, {"Key": "new", "Body": b"x", "ACL": "public-read"}),
        (alice.create_multipart_upload, {"Key": "new", "ACL": "public-read"}),
    )
    for call, params in refused:
        assert _error(call, Bucket=alices, **params) == (403, "AccessDenied"), params
    assert _error(alice.head_object, Bucket=alices, Key="new") == (404, "404")
    # Private ACLs are not public.
    alice.put_bucket_acl(Bucket=alices, ACL="private")
    alice.put_object(Bucket=alices, Key="new", Body=b"x", ACL="bucket-owner-read")
    _block(alice, alices, IgnorePublicAcls=True, RestrictPublicBuckets=True)
    for call, params in refused:
        call(Bucket=alices, **params)
    grants = alice.get_bucket_acl(Bucket=alices)["Grants"]
    assert {"Type": "Group", "URI": _ALL_USERS} in [grant["Grantee"] for grant in grants]


def test_restrict_public_buckets(alice, bob, alices):
    _block(alice, alices, RestrictPublicBuckets=True)
    # Public, and also naming Bob: while restricted, only Alice's account gets in.
    statements = [
        json.loads(_policy(alices, "*"))["Statement"][0],
        json.loads(_policy(alices, {"AWS": BOB[2]}))["Statement"][0],
    ]
    alice.put_bucket_policy(Bucket=alices, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    assert alice.get_bucket_policy_status(Bucket=alices)["PolicyStatus"] == {"IsPublic": True}
    assert _error(bob.get_object, Bucket=alices, Key="k") == (403, "AccessDenied")
    assert _error(bob.copy_object, Bucket=alices, Key="copy", CopySource={"Bucket": alices, "Key": "k"}) == (
        403,
        "AccessDenied",
    )
    assert alice.get_object(Bucket=alices, Key="k")["Body"].read() == b"alice's"
    _block(alice, alices)
    assert bob.get_object(Bucket=alices, Key="k")["Body"].read() == b"alice's"
    # A policy that is not public is not restricted.
    _block(alice, alices, RestrictPublicBuckets=True)
    alice.put_bucket_policy(Bucket=alices, Policy=_policy(alices, {"AWS": BOB[2]}))
    assert bob.get_object(Bucket=alices, Key="k")["Body"].read() == b"alice's"


def test_enforced_after_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="blocked")
        s3.put_public_access_block(Bucket="blocked", PublicAccessBlockConfiguration=_OFF | {"BlockPublicPolicy": True})
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = second.client("s3")
        assert _error(s3.put_bucket_policy, Bucket="blocked", Policy=_policy("blocked", "*")) == (403, "AccessDenied")
        second.reset("s3")
        s3.create_bucket(Bucket="blocked")
        assert _error(s3.put_bucket_policy, Bucket="blocked", Policy=_policy("blocked", "*")) == (403, "AccessDenied")
        s3.delete_public_access_block(Bucket="blocked")
        s3.put_bucket_policy(Bucket="blocked", Policy=_policy("blocked", "*"))
    finally:
        second.stop()
