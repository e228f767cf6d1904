"""
Tenants under --auth verify: two people's keys in two accounts. A bucket is
its creator's account's; the other account gets 403 AccessDenied on every
operation (and changes nothing) unless a bucket policy, or an ACL where the
bucket enables them, grants it.
"""

from __future__ import annotations

import itertools
import json

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.cli import needs_cli, run_aws
from tests.s3.conftest import ALICE, BOB

_names = itertools.count()
_KEY = "data/report.csv"
_BODY = b"alice's numbers"


def client(stack, person):
    key, secret, _ = person
    return stack.client(
        "s3",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def alice(tenants_stack):
    return client(tenants_stack, ALICE)


@pytest.fixture(scope="module")
def bob(tenants_stack):
    return client(tenants_stack, BOB)


@pytest.fixture
def alices(alice):
    """
    A bucket of Alice's with one tagged object and one multipart upload,
    without the public access block a new bucket has (its policies may be public).
    """
    name = f"alice-{next(_names)}"
    alice.create_bucket(Bucket=name)
    alice.delete_public_access_block(Bucket=name)
    alice.put_object(Bucket=name, Key=_KEY, Body=_BODY, Tagging="owner=alice")
    upload_id = alice.create_multipart_upload(Bucket=name, Key="big")["UploadId"]
    alice.upload_part(Bucket=name, Key="big", UploadId=upload_id, PartNumber=1, Body=b"part one")
    return name, upload_id


def snapshot(alice, bucket: str) -> dict:
    """
    Everything of Alice's bucket another account could change.
    """
    objects = alice.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        "objects": [(o["Key"], o["ETag"], o["Size"]) for o in objects],
        "body": alice.get_object(Bucket=bucket, Key=_KEY)["Body"].read(),
        "tags": alice.get_object_tagging(Bucket=bucket, Key=_KEY)["TagSet"],
        "uploads": [u["UploadId"] for u in alice.list_multipart_uploads(Bucket=bucket).get("Uploads", [])],
        "buckets": [b["Name"] for b in alice.list_buckets()["Buckets"]],
        "policy": _policy_of(alice, bucket),
    }


def _policy_of(s3, bucket: str) -> str | None:
    try:
        return s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchBucketPolicy"
        return None


def _attacks(bucket: str, upload_id: str, bobs: str, bobs_upload: str) -> dict:
    mpu = {"Bucket": bucket, "Key": "big", "UploadId": upload_id}
    source = {"Bucket": bucket, "Key": _KEY}
    policy = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    )
    return {
        "GetObject": ("get_object", {"Bucket": bucket, "Key": _KEY}),
        "GetObject missing key": ("get_object", {"Bucket": bucket, "Key": "nothing-here"}),
        "HeadObject": ("head_object", {"Bucket": bucket, "Key": _KEY}),
        "HeadBucket": ("head_bucket", {"Bucket": bucket}),
        "PutObject over": ("put_object", {"Bucket": bucket, "Key": _KEY, "Body": b"bob was here"}),
        "PutObject new": ("put_object", {"Bucket": bucket, "Key": "bobs-file", "Body": b"bob was here"}),
        "DeleteObject": ("delete_object", {"Bucket": bucket, "Key": _KEY}),
        "DeleteObjects": ("delete_objects", {"Bucket": bucket, "Delete": {"Objects": [{"Key": _KEY}]}}),
        "DeleteBucket": ("delete_bucket", {"Bucket": bucket}),
        "ListObjects": ("list_objects", {"Bucket": bucket}),
        "ListObjectsV2": ("list_objects_v2", {"Bucket": bucket}),
        "ListObjectVersions": ("list_object_versions", {"Bucket": bucket}),
        "ListMultipartUploads": ("list_multipart_uploads", {"Bucket": bucket}),
        "CopyObject from": ("copy_object", {"Bucket": bobs, "Key": "stolen", "CopySource": source}),
        "CopyObject into": (
            "copy_object",
            {"Bucket": bucket, "Key": _KEY, "CopySource": {"Bucket": bobs, "Key": "mine"}},
        ),
        "CreateMultipartUpload": ("create_multipart_upload", {"Bucket": bucket, "Key": "bobs-upload"}),
        "UploadPart": ("upload_part", {**mpu, "PartNumber": 1, "Body": b"bob's part"}),
        "UploadPartCopy from": (
            "upload_part_copy",
            {"Bucket": bobs, "Key": "k", "UploadId": bobs_upload, "PartNumber": 1, "CopySource": source},
        ),
        "UploadPartCopy into": (
            "upload_part_copy",
            {**mpu, "PartNumber": 2, "CopySource": {"Bucket": bobs, "Key": "mine"}},
        ),
        "CompleteMultipartUpload": (
            "complete_multipart_upload",
            {**mpu, "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": '"x"'}]}},
        ),
        "AbortMultipartUpload": ("abort_multipart_upload", mpu),
        "ListParts": ("list_parts", mpu),
        "PutObjectTagging": (
            "put_object_tagging",
            {"Bucket": bucket, "Key": _KEY, "Tagging": {"TagSet": [{"Key": "owner", "Value": "bob"}]}},
        ),
        "GetObjectTagging": ("get_object_tagging", {"Bucket": bucket, "Key": _KEY}),
        "DeleteObjectTagging": ("delete_object_tagging", {"Bucket": bucket, "Key": _KEY}),
        "GetObjectAttributes": (
            "get_object_attributes",
            {"Bucket": bucket, "Key": _KEY, "ObjectAttributes": ["ETag", "ObjectSize"]},
        ),
        "GetObjectAcl": ("get_object_acl", {"Bucket": bucket, "Key": _KEY}),
        "GetBucketAcl": ("get_bucket_acl", {"Bucket": bucket}),
        "GetBucketLocation": ("get_bucket_location", {"Bucket": bucket}),
        "GetBucketVersioning": ("get_bucket_versioning", {"Bucket": bucket}),
        "GetBucketEncryption": ("get_bucket_encryption", {"Bucket": bucket}),
        "GetBucketOwnershipControls": ("get_bucket_ownership_controls", {"Bucket": bucket}),
        "GetBucketTagging": ("get_bucket_tagging", {"Bucket": bucket}),
        "GetBucketCors": ("get_bucket_cors", {"Bucket": bucket}),
        "GetBucketLifecycleConfiguration": ("get_bucket_lifecycle_configuration", {"Bucket": bucket}),
        "GetBucketWebsite": ("get_bucket_website", {"Bucket": bucket}),
        "GetPublicAccessBlock": ("get_public_access_block", {"Bucket": bucket}),
        "GetBucketPolicy": ("get_bucket_policy", {"Bucket": bucket}),
        "PutBucketPolicy": ("put_bucket_policy", {"Bucket": bucket, "Policy": policy}),
        "DeleteBucketPolicy": ("delete_bucket_policy", {"Bucket": bucket}),
    }


_ATTACKS = list(_attacks("b", "u", "o", "p"))


@pytest.fixture
def bobs(bob):
    name = f"bob-{next(_names)}"
    bob.create_bucket(Bucket=name)
    bob.put_object(Bucket=name, Key="mine", Body=b"bob's own")
    return name, bob.create_multipart_upload(Bucket=name, Key="k")["UploadId"]


@pytest.mark.parametrize("attack", _ATTACKS)
def test_another_account_is_denied_and_changes_nothing(alice, bob, alices, bobs, attack):
    bucket, upload_id = alices
    before = snapshot(alice, bucket)
    method, params = _attacks(bucket, upload_id, *bobs)[attack]
    with pytest.raises(ClientError) as raised:
        getattr(bob, method)(**params)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Code"] in ("AccessDenied", "403")  # HEAD: no body, botocore names the status
    assert snapshot(alice, bucket) == before


def test_head_is_403_without_a_body(tenants_stack, alice, bob, alices):
    bucket, _ = alices
    for method, params in (("head_object", {"Bucket": bucket, "Key": _KEY}), ("head_bucket", {"Bucket": bucket})):
        url = bob.generate_presigned_url(method, Params=params, ExpiresIn=60)
        response = requests.head(url, timeout=10)
        assert response.status_code == 403
        assert response.content == b""
        own = requests.head(alice.generate_presigned_url(method, Params=params, ExpiresIn=60), timeout=10)
        assert own.status_code == 200


def test_presigned_urls_act_as_their_signer(alice, bob, alices):
    bucket, _ = alices
    params = {"Bucket": bucket, "Key": _KEY}
    bobs_url = bob.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    refused = requests.get(bobs_url, timeout=10)
    assert refused.status_code == 403
    assert b"<Code>AccessDenied</Code>" in refused.content
    assert b"<Message>Access Denied</Message>" in refused.content
    assert requests.get(alice.generate_presigned_url("get_object", Params=params, ExpiresIn=60), timeout=10).content
    put_url = bob.generate_presigned_url("put_object", Params=params, ExpiresIn=60)
    assert requests.put(put_url, data=b"overwritten", timeout=10).status_code == 403
    assert alice.get_object(**params)["Body"].read() == _BODY
    # SigV2 presigned URLs (boto3's default for S3 in us-east-1) too.
    legacy = client_v2(bob).generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    assert "Signature=" in legacy and requests.get(legacy, timeout=10).status_code == 403


def client_v2(s3):
    import boto3

    credentials = s3._request_signer._credentials
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3.meta.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        config=Config(signature_version="s3"),
    )


def test_list_buckets_lists_only_the_callers(alice, bob, alices, bobs):
    assert alices[0] in [b["Name"] for b in alice.list_buckets()["Buckets"]]
    assert alices[0] not in [b["Name"] for b in bob.list_buckets()["Buckets"]]
    assert bobs[0] not in [b["Name"] for b in alice.list_buckets()["Buckets"]]


def test_a_missing_bucket_is_still_no_such_bucket(bob):
    with pytest.raises(ClientError) as raised:
        bob.get_object(Bucket="nobody-has-this-bucket", Key="k")
    assert raised.value.response["Error"]["Code"] == "NoSuchBucket"


def _put_policy(s3, bucket: str, *statements: dict) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def _anyone_may(action: str, resource: str) -> dict:
    return {"Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource}


def _code(call, **params) -> str:
    try:
        call(**params)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


def test_policy_grants_another_account_what_it_names(alice, bob, alices):
    bucket, _ = alices
    alice.put_object(Bucket=bucket, Key="private/secret", Body=b"s")
    _put_policy(
        alice,
        bucket,
        {
            "Sid": "BobReadsData",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{BOB[2]}:root"},
            "Action": ["s3:Get*"],
            "Resource": f"arn:aws:s3:::{bucket}/data/*",
        },
    )
    assert bob.get_object(Bucket=bucket, Key=_KEY)["Body"].read() == _BODY
    assert bob.get_object_tagging(Bucket=bucket, Key=_KEY)["TagSet"] == [{"Key": "owner", "Value": "alice"}]
    assert _code(bob.get_object, Bucket=bucket, Key="private/secret") == "AccessDenied"
    assert _code(bob.put_object, Bucket=bucket, Key="data/new", Body=b"x") == "AccessDenied"
    assert _code(bob.list_objects_v2, Bucket=bucket) == "AccessDenied"
    # Without s3:ListBucket, a missing key is not told apart from a forbidden one.
    assert _code(bob.get_object, Bucket=bucket, Key="data/missing") == "AccessDenied"
    assert _code(alice.get_object, Bucket=bucket, Key="data/missing") == "NoSuchKey"


def test_policy_with_account_ids_lists_and_wildcards(alice, bob, alices):
    bucket, _ = alices
    _put_policy(
        alice,
        bucket,
        {
            "Effect": "Allow",
            "Principal": {"AWS": [BOB[2]]},
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["999999999999", BOB[2]]},
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": f"arn:aws:s3:::{bucket}/inbox/???-*",
        },
    )
    assert [o["Key"] for o in bob.list_objects_v2(Bucket=bucket)["Contents"]] == [_KEY]
    bob.put_object(Bucket=bucket, Key="inbox/bob-1.txt", Body=b"from bob")
    assert alice.get_object(Bucket=bucket, Key="inbox/bob-1.txt")["Body"].read() == b"from bob"
    assert _code(bob.put_object, Bucket=bucket, Key="inbox/bo-1.txt", Body=b"x") == "AccessDenied"
    deleted = bob.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "inbox/bob-1.txt"}, {"Key": _KEY}]})
    assert [d["Key"] for d in deleted["Deleted"]] == ["inbox/bob-1.txt"]
    assert [(e["Key"], e["Code"]) for e in deleted["Errors"]] == [(_KEY, "AccessDenied")]
    assert alice.get_object(Bucket=bucket, Key=_KEY)["Body"].read() == _BODY


def test_principal_star_grants_every_account(alice, bob, alices):
    bucket, _ = alices
    _put_policy(alice, bucket, _anyone_may("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    assert bob.get_object(Bucket=bucket, Key=_KEY)["Body"].read() == _BODY


def test_what_the_evaluator_does_not_understand_grants_nothing(alice, bob, alices):
    bucket, _ = alices
    anything = f"arn:aws:s3:::{bucket}/*"
    _put_policy(
        alice,
        bucket,
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": anything,
            "Condition": {"StringEquals": {"aws:PrincipalAccount": BOB[2]}},
        },
        {"Effect": "Allow", "NotPrincipal": {"AWS": "123456789012"}, "Action": "s3:GetObject", "Resource": anything},
        {"Effect": "Allow", "Principal": "*", "NotAction": "s3:PutObject", "Resource": anything},
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{BOB[2]}:user/bob"},
            "Action": "s3:*",
            "Resource": anything,
        },
    )
    assert _code(bob.get_object, Bucket=bucket, Key=_KEY) == "AccessDenied"


def test_explicit_deny_wins_even_for_the_owner(alice, bob, alices):
    bucket, _ = alices
    _put_policy(
        alice,
        bucket,
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{bucket}/data/*",
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    for s3 in (alice, bob):
        assert _code(s3.get_object, Bucket=bucket, Key=_KEY) == "AccessDenied"
        assert _code(s3.delete_object, Bucket=bucket, Key=_KEY) == "AccessDenied"
        # A Deny's Condition is taken as holding.
        assert _code(s3.put_object, Bucket=bucket, Key="other", Body=b"x") == "AccessDenied"
        assert _code(s3.head_bucket, Bucket=bucket) == "ok"
    assert _code(bob.get_bucket_policy, Bucket=bucket) == "MethodNotAllowed"
    # The owner can always read and remove the policy that locks her out.
    assert json.loads(alice.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][1]["Effect"] == "Deny"
    alice.delete_bucket_policy(Bucket=bucket)
    assert alice.get_object(Bucket=bucket, Key=_KEY)["Body"].read() == _BODY
    assert _code(bob.get_object, Bucket=bucket, Key=_KEY) == "AccessDenied"


def test_policy_management_is_the_owners(alice, bob, alices):
    bucket, _ = alices
    policy = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ]
        }
    )
    for call, params in (
        (bob.put_bucket_policy, {"Policy": policy}),
        (bob.get_bucket_policy, {}),
        (bob.delete_bucket_policy, {}),
    ):
        with pytest.raises(ClientError) as raised:
            call(Bucket=bucket, **params)
        assert raised.value.response["Error"]["Code"] == "AccessDenied"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert _policy_of(alice, bucket) is None
    # Granted the action, another account is told only the owner may (405), as S3 does.
    _put_policy(
        alice,
        bucket,
        {"Effect": "Allow", "Principal": {"AWS": BOB[2]}, "Action": "s3:*Policy", "Resource": f"arn:aws:s3:::{bucket}"},
    )
    with pytest.raises(ClientError) as raised:
        bob.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    granted = _policy_of(alice, bucket)
    assert granted is not None and "s3:*Policy" in granted


def test_policy_round_trip_and_errors(alice, alices):
    bucket, _ = alices
    with pytest.raises(ClientError) as raised:
        alice.get_bucket_policy(Bucket=bucket)
    assert raised.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    assert raised.value.response["Error"]["Message"] == "The bucket policy does not exist"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    )
    response = alice.put_bucket_policy(Bucket=bucket, Policy=document)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert alice.get_bucket_policy(Bucket=bucket)["Policy"] == document
    for bad, message in (
        ("not json", "Policies must be valid JSON and the first byte must be '{'"),
        ('{"Statement": [', "Policies must be valid JSON and the first byte must be '{'"),
        (
            json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::another-bucket/*",
                        }
                    ]
                }
            ),
            "Policy has invalid resource",
        ),
        (
            json.dumps(
                {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
            ),
            "Missing required field Principal",
        ),
        (
            json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "ec2:RunInstances",
                            "Resource": f"arn:aws:s3:::{bucket}/*",
                        }
                    ]
                }
            ),
            "Policy has invalid action",
        ),
    ):
        with pytest.raises(ClientError) as raised:
            alice.put_bucket_policy(Bucket=bucket, Policy=bad)
        assert raised.value.response["Error"] == {"Code": "MalformedPolicy", "Message": message} | {
            k: v for k, v in raised.value.response["Error"].items() if k not in ("Code", "Message")
        }
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert alice.get_bucket_policy(Bucket=bucket)["Policy"] == document
    assert alice.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _policy_of(alice, bucket) is None


def _anonymous(method: str, url: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    response = requests.request(method, url, data=data, timeout=10)
    code = response.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in response.text else ""
    return response.status_code, code, response.content


def test_unsigned_requests_are_anonymous(tenants_stack, alice, alices):
    """
    Unsigned, a request is nobody's, as on AWS: it lists and makes no
    bucket, and reads or writes only what a bucket's policy or ACLs give
    everyone; RestrictPublicBuckets and IgnorePublicAcls take that back.
    """
    bucket, _ = alices
    url = tenants_stack.endpoint_url
    status, code, body = _anonymous("GET", f"{url}/{bucket}/{_KEY}")
    assert (status, code) == (403, "AccessDenied") and _BODY not in body
    assert _anonymous("GET", f"{url}/")[:2] == (403, "AccessDenied")
    assert _anonymous("PUT", f"{url}/anonymous-bucket")[:2] == (403, "AccessDenied")
    assert _code(alice.head_bucket, Bucket="anonymous-bucket") == "404"
    assert _anonymous("GET", f"{url}/{bucket}")[:2] == (403, "AccessDenied")
    assert _anonymous("PUT", f"{url}/{bucket}/dropped", b"x")[:2] == (403, "AccessDenied")
    assert _anonymous("DELETE", f"{url}/{bucket}/{_KEY}")[:2] == (403, "AccessDenied")
    assert _anonymous("GET", f"{url}/no-such-bucket-anywhere/k")[:2] == (404, "NoSuchBucket")

    _put_policy(alice, bucket, _anyone_may("s3:GetObject", f"arn:aws:s3:::{bucket}/data/*"))
    assert _anonymous("GET", f"{url}/{bucket}/{_KEY}") == (200, "", _BODY)
    assert _anonymous("GET", f"{url}/{bucket}/big")[:2] == (403, "AccessDenied")
    alice.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert _anonymous("GET", f"{url}/{bucket}/{_KEY}")[:2] == (403, "AccessDenied")
    alice.delete_public_access_block(Bucket=bucket)
    alice.delete_bucket_policy(Bucket=bucket)

    _acls_enabled(alice, bucket)
    alice.put_object(Bucket=bucket, Key="public.txt", Body=b"for everyone", ACL="public-read")
    assert _anonymous("GET", f"{url}/{bucket}/public.txt") == (200, "", b"for everyone")
    assert _anonymous("GET", f"{url}/{bucket}/{_KEY}")[:2] == (403, "AccessDenied")
    alice.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    assert _anonymous("PUT", f"{url}/{bucket}/dropped", b"x")[0] == 200
    assert alice.get_object(Bucket=bucket, Key="dropped")["Body"].read() == b"x"
    alice.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert _anonymous("GET", f"{url}/{bucket}/public.txt")[:2] == (403, "AccessDenied")
    assert _anonymous("PUT", f"{url}/{bucket}/dropped", b"y")[:2] == (403, "AccessDenied")
    assert alice.get_object(Bucket=bucket, Key="dropped")["Body"].read() == b"x"


def test_ownership_is_enforced_with_auth_off(stack):
    # With --auth off, a 12-digit access key names its account, as on AWS.
    alice = stack.client("s3", aws_access_key_id="111111111111")
    bob = stack.client("s3", aws_access_key_id="222222222222")
    alice.create_bucket(Bucket="alice-auth-off")
    alice.put_object(Bucket="alice-auth-off", Key="k", Body=b"v")
    assert _code(bob.get_object, Bucket="alice-auth-off", Key="k") == "AccessDenied"
    assert _code(bob.delete_object, Bucket="alice-auth-off", Key="k") == "AccessDenied"
    assert alice.get_object(Bucket="alice-auth-off", Key="k")["Body"].read() == b"v"


def test_policies_persist_and_reset(tmp_path):
    data_dir = str(tmp_path / "data")
    document = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::kept/*"}
            ]
        }
    )
    first = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="kept")
        s3.delete_public_access_block(Bucket="kept")
        s3.put_bucket_policy(Bucket="kept", Policy=document)
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = second.client("s3")
        assert s3.get_bucket_policy(Bucket="kept")["Policy"] == document
        second.reset("s3")
        s3.create_bucket(Bucket="kept")
        assert _policy_of(s3, "kept") is None
    finally:
        second.stop()


def test_lambda_reads_code_only_from_buckets_it_may_read(tmp_path):
    # Other services read S3 through IObjectReader, as the caller's account.
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "".join(
            f"[{key}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_account_id = {account}\n"
            for key, secret, account in (ALICE, BOB)
        )
    )
    process = RustStackProcess.start(
        "--services", "s3,lambda", "--auth", "verify", "--credentials-file", str(credentials)
    )
    try:
        alice = client(process, ALICE)
        alice.create_bucket(Bucket="alice-code")
        alice.put_object(Bucket="alice-code", Key="app.zip", Body=_zip())
        key, secret, _ = BOB
        lambda_client = process.client("lambda", aws_access_key_id=key, aws_secret_access_key=secret)
        with pytest.raises(ClientError) as raised:
            lambda_client.create_function(
                FunctionName="borrowed",
                Runtime="python3.11",
                Role=f"arn:aws:iam::{BOB[2]}:role/lambda",
                Handler="app.handler",
                Code={"S3Bucket": "alice-code", "S3Key": "app.zip"},
            )
        assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert "S3 Error Code: AccessDenied" in raised.value.response["Error"]["Message"]
        assert "borrowed" not in [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]
        # An ACL granting Bob READ on the object lets his function be made of it, as a policy would.
        _acls_enabled(alice, "alice-code")
        bobs_id = client(process, BOB).list_buckets()["Owner"]["ID"]
        alice.put_object_acl(Bucket="alice-code", Key="app.zip", GrantRead=f'id="{bobs_id}"')
        made = lambda_client.create_function(
            FunctionName="borrowed",
            Runtime="python3.11",
            Role=f"arn:aws:iam::{BOB[2]}:role/lambda",
            Handler="app.handler",
            Code={"S3Bucket": "alice-code", "S3Key": "app.zip"},
        )
        assert made["FunctionName"] == "borrowed" and made["CodeSize"] == len(_zip())
    finally:
        process.stop()


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _acls_enabled(alice, bucket: str) -> None:
    # ACLs take effect only where the bucket's ownership is not BucketOwnerEnforced, as on AWS.
    alice.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )


def test_acls_grant_another_account_what_they_name(alice, bob, alices):
    """
    An ACL grant, to Bob's canonical user or to every signed caller, gives
    what S3 maps its permission to: on the bucket READ lists, WRITE puts
    and deletes; on an object READ reads it, READ_ACP its ACL. Nothing more,
    nothing while the bucket's ownership disables ACLs, and nothing a
    Deny of the bucket policy refuses.
    """
    bucket, _ = alices
    bobs_id = bob.list_buckets()["Owner"]["ID"]
    # ACLs disabled (BucketOwnerEnforced, every new bucket's): the grant is refused.
    refused = _code(alice.put_object_acl, Bucket=bucket, Key=_KEY, GrantRead=f'id="{bobs_id}"')
    assert refused == "AccessControlListNotSupported"
    assert _code(bob.get_object, Bucket=bucket, Key=_KEY) == "AccessDenied"

    _acls_enabled(alice, bucket)
    alice.put_object_acl(Bucket=bucket, Key=_KEY, GrantRead=f'id="{bobs_id}"')
    assert bob.get_object(Bucket=bucket, Key=_KEY)["Body"].read() == _BODY
    assert _code(bob.get_object_acl, Bucket=bucket, Key=_KEY) == "AccessDenied"
    assert _code(bob.get_object_tagging, Bucket=bucket, Key=_KEY) == "AccessDenied"
    assert _code(bob.put_object_acl, Bucket=bucket, Key=_KEY, ACL="public-read") == "AccessDenied"
    assert _code(bob.list_objects_v2, Bucket=bucket) == "AccessDenied"
    # Without a bucket READ grant, a missing key is still not told apart from a forbidden one.
    assert _code(bob.get_object, Bucket=bucket, Key="data/missing") == "AccessDenied"

    alice.put_bucket_acl(
        Bucket=bucket,
        GrantFullControl=f'id="{alice.list_buckets()["Owner"]["ID"]}"',
        GrantRead='uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"',
        GrantWrite=f'id="{bobs_id}"',
    )
    assert [o["Key"] for o in bob.list_objects_v2(Bucket=bucket)["Contents"]] == [_KEY]
    assert _code(bob.head_bucket, Bucket=bucket) == "ok"
    bob.put_object(Bucket=bucket, Key="inbox/from-bob", Body=b"hello")
    assert alice.get_object(Bucket=bucket, Key="inbox/from-bob")["Body"].read() == b"hello"
    deleted = bob.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "inbox/from-bob"}]})
    assert [d["Key"] for d in deleted["Deleted"]] == ["inbox/from-bob"]
    assert _code(bob.get_bucket_acl, Bucket=bucket) == "AccessDenied"
    assert _code(bob.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": []}) == "AccessDenied"

    _put_policy(
        alice,
        bucket,
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/data/*"},
    )
    assert _code(bob.get_object, Bucket=bucket, Key=_KEY) == "AccessDenied"
    alice.delete_bucket_policy(Bucket=bucket)
    assert bob.get_object(Bucket=bucket, Key=_KEY)["Body"].read() == _BODY
    # IgnorePublicAcls drops the AuthenticatedUsers grant, not the one to Bob himself.
    alice.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert _code(bob.list_objects_v2, Bucket=bucket) == "AccessDenied"
    assert bob.get_object(Bucket=bucket, Key=_KEY)["Body"].read() == _BODY
    # Back to BucketOwnerEnforced: ACLs grant nothing again.
    alice.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    alice.delete_public_access_block(Bucket=bucket)
    alice.put_bucket_acl(Bucket=bucket, ACL="private")
    alice.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    assert _code(bob.get_object, Bucket=bucket, Key=_KEY) == "AccessDenied"


def test_object_acls_grant_by_version_and_to_copies_sources(alice, bob, alices):
    bucket, _ = alices
    _acls_enabled(alice, bucket)
    alice.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    shared = alice.put_object(
        Bucket=bucket,
        Key="v",
        Body=b"shared",
        GrantRead='uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"',
    )["VersionId"]
    alice.put_object(Bucket=bucket, Key="v", Body=b"private again")
    assert _code(bob.get_object, Bucket=bucket, Key="v") == "AccessDenied"
    assert bob.get_object(Bucket=bucket, Key="v", VersionId=shared)["Body"].read() == b"shared"
    bobs = f"bob-copies-{next(_names)}"
    bob.create_bucket(Bucket=bobs)
    bob.copy_object(Bucket=bobs, Key="copy", CopySource={"Bucket": bucket, "Key": "v", "VersionId": shared})
    assert bob.get_object(Bucket=bobs, Key="copy")["Body"].read() == b"shared"
    assert _code(bob.copy_object, Bucket=bobs, Key="copy2", CopySource={"Bucket": bucket, "Key": "v"}) == "AccessDenied"


@needs_cli
def test_the_cli_without_signing_reads_what_is_public(tenants_stack, alice, alices):
    # `aws --no-sign-request`, as one reads a public dataset: a public bucket lists and copies, a private one is 403.
    bucket, _ = alices
    _put_policy(
        alice,
        bucket,
        _anyone_may("s3:GetObject", f"arn:aws:s3:::{bucket}/data/*"),
        _anyone_may("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
    )
    url = tenants_stack.endpoint_url
    listed = run_aws(url, "s3", "ls", f"s3://{bucket}/data/", "--no-sign-request").stdout
    assert "report.csv" in listed
    copied = run_aws(url, "s3", "cp", f"s3://{bucket}/{_KEY}", "-", "--no-sign-request").stdout
    assert copied.encode() == _BODY
    alice.delete_bucket_policy(Bucket=bucket)
    refused = run_aws(url, "s3", "ls", f"s3://{bucket}/", "--no-sign-request", check=False)
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
