"""
Object Lock on object versions over boto3: retention and legal hold put and
got per version, only in buckets created with Object Lock, and enforced on
DeleteObject of a version as S3 enforces them. Also replication
configurations and RestoreObject.
"""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.s3.conftest import send_raw

_names = itertools.count()
NO_LOCK = (404, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration")


def _error(raised) -> tuple[int, str, str]:
    error = raised.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def _later(days: int = 1) -> datetime.datetime:
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return now + datetime.timedelta(days=days)


def _default_retention(s3, bucket: str, mode: str, days: int) -> None:
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
        },
    )


@pytest.fixture
def locked(s3) -> str:
    name = f"locked-{next(_names)}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def test_a_locked_bucket_is_versioned_for_good(s3, locked):
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Suspended"})
    assert _error(raised) == (
        409,
        "InvalidBucketState",
        "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
    )
    s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Enabled"})


def test_retention_and_legal_hold_need_a_locked_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    calls = [
        lambda: s3.put_object_retention(
            Bucket=bucket, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later()}
        ),
        lambda: s3.get_object_retention(Bucket=bucket, Key="k"),
        lambda: s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"}),
        lambda: s3.get_object_legal_hold(Bucket=bucket, Key="k"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as raised:
            call()
        assert _error(raised) == (400, "InvalidRequest", "Bucket is missing Object Lock Configuration")


def test_retention_per_version(s3, locked):
    first = s3.put_object(Bucket=locked, Key="k", Body=b"1")["VersionId"]
    second = s3.put_object(Bucket=locked, Key="k", Body=b"2")["VersionId"]
    with pytest.raises(ClientError) as raised:
        s3.get_object_retention(Bucket=locked, Key="k")
    assert _error(raised) == NO_LOCK
    until = _later(3)
    s3.put_object_retention(
        Bucket=locked, Key="k", VersionId=first, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
    )
    assert s3.get_object_retention(Bucket=locked, Key="k", VersionId=first)["Retention"] == {
        "Mode": "GOVERNANCE",
        "RetainUntilDate": until,
    }
    with pytest.raises(ClientError) as raised:
        s3.get_object_retention(Bucket=locked, Key="k", VersionId=second)
    assert _error(raised) == NO_LOCK
    # Without a version id: the current version.
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    assert s3.get_object_retention(Bucket=locked, Key="k", VersionId=second)["Retention"]["Mode"] == "COMPLIANCE"


def test_retention_errors(s3, locked):
    with pytest.raises(ClientError) as raised:
        s3.put_object_retention(
            Bucket=locked, Key="nope", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later()}
        )
    assert _error(raised)[:2] == (404, "NoSuchKey")
    s3.put_object(Bucket=locked, Key="k", Body=b"x")
    with pytest.raises(ClientError) as raised:
        s3.get_object_retention(Bucket=locked, Key="k", VersionId="A" * 32)
    assert _error(raised)[:2] == (404, "NoSuchVersion")
    with pytest.raises(ClientError) as raised:
        s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(-1)})
    assert _error(raised) == (400, "InvalidArgument", "The retain until date must be in the future!")
    with pytest.raises(ClientError) as raised:
        s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE"})
    assert _error(raised)[:2] == (400, "MalformedXML")


def test_compliance_cannot_be_shortened_or_deleted(s3, locked):
    version = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    until = _later(2)
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    for retention, bypass in (
        ({"Mode": "COMPLIANCE", "RetainUntilDate": _later(1)}, True),
        ({"Mode": "GOVERNANCE", "RetainUntilDate": _later(5)}, True),
        ({}, True),
    ):
        with pytest.raises(ClientError) as raised:
            s3.put_object_retention(Bucket=locked, Key="k", Retention=retention, BypassGovernanceRetention=bypass)
        assert _error(raised) == (403, "AccessDenied", "Access Denied")
    # Extending is allowed.
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _later(4)})
    with pytest.raises(ClientError) as raised:
        s3.delete_object(Bucket=locked, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert _error(raised) == (403, "AccessDenied", "Access Denied")
    # A delete marker is always allowed; the version stays.
    assert s3.delete_object(Bucket=locked, Key="k")["DeleteMarker"] is True
    assert s3.get_object(Bucket=locked, Key="k", VersionId=version)["Body"].read() == b"x"


def test_governance_yields_to_the_bypass_header(s3, locked):
    version = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(2)})
    with pytest.raises(ClientError) as raised:
        s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(1)})
    assert _error(raised)[:2] == (403, "AccessDenied")
    with pytest.raises(ClientError) as raised:
        s3.delete_object(Bucket=locked, Key="k", VersionId=version)
    assert _error(raised)[:2] == (403, "AccessDenied")
    s3.put_object_retention(
        Bucket=locked,
        Key="k",
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(1)},
        BypassGovernanceRetention=True,
    )
    s3.delete_object(Bucket=locked, Key="k", VersionId=version, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as raised:
        s3.head_object(Bucket=locked, Key="k", VersionId=version)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_lifting_governance_with_the_bypass(s3, locked):
    version = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(2)})
    s3.put_object_retention(Bucket=locked, Key="k", Retention={}, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as raised:
        s3.get_object_retention(Bucket=locked, Key="k")
    assert _error(raised) == NO_LOCK
    s3.delete_object(Bucket=locked, Key="k", VersionId=version)


def test_legal_hold(s3, locked):
    version = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    with pytest.raises(ClientError) as raised:
        s3.get_object_legal_hold(Bucket=locked, Key="k")
    assert _error(raised) == NO_LOCK
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="k", VersionId=version)["LegalHold"] == {"Status": "ON"}
    with pytest.raises(ClientError) as raised:
        s3.delete_object(Bucket=locked, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert _error(raised)[:2] == (403, "AccessDenied")
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="k")["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket=locked, Key="k", VersionId=version)


def test_legal_hold_malformed(stack, locked):
    s3 = stack.client("s3")
    s3.put_object(Bucket=locked, Key="k", Body=b"x")
    for body in (b"<LegalHold><Status>MAYBE</Status></LegalHold>", b"<LegalHold/>", b"nope"):
        response, answer = send_raw(stack, "PUT", f"/{locked}/k?legal-hold", body)
        assert (response.status, b"<Code>MalformedXML</Code>" in answer) == (400, True), answer


# Replication


REPLICATION: dict[str, Any] = {
    "Role": "arn:aws:iam::000000000000:role/replication",
    "Rules": [
        {
            "ID": "all",
            "Priority": 1,
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::DEST", "StorageClass": "STANDARD"},
        }
    ],
}


def _replication(destination: str) -> dict:
    rule = dict(
        REPLICATION["Rules"][0], Destination={"Bucket": f"arn:aws:s3:::{destination}", "StorageClass": "STANDARD"}
    )
    return {"Role": REPLICATION["Role"], "Rules": [rule]}


def test_replication(s3, bucket):
    destination = f"{bucket}-copy"
    s3.create_bucket(Bucket=destination)
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_replication(Bucket=bucket)
    assert _error(raised) == (
        404,
        "ReplicationConfigurationNotFoundError",
        "The replication configuration was not found",
    )
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=_replication(destination))
    assert _error(raised) == (
        400,
        "InvalidRequest",
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=_replication(destination))
    assert _error(raised) == (400, "InvalidRequest", "Destination bucket must have versioning enabled.")
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=_replication("no-such-bucket-s3ops"))
    assert _error(raised) == (400, "InvalidRequest", "Destination bucket must exist.")
    s3.put_bucket_versioning(Bucket=destination, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=_replication(destination))
    assert s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"] == _replication(destination)
    assert s3.delete_bucket_replication(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_replication(Bucket=bucket)
    assert _error(raised)[:2] == (404, "ReplicationConfigurationNotFoundError")


# Restore


def test_restore_of_a_standard_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as raised:
        s3.restore_object(Bucket=bucket, Key="k", RestoreRequest={"Days": 1})
    assert _error(raised) == (
        403,
        "InvalidObjectState",
        "Restore is not allowed for the object's current storage class",
    )
    with pytest.raises(ClientError) as raised:
        s3.restore_object(Bucket=bucket, Key="missing", RestoreRequest={"Days": 1})
    assert _error(raised)[:2] == (404, "NoSuchKey")
    s3.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="GLACIER")
    with pytest.raises(ClientError) as raised:
        s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    assert _error(raised)[:2] == (501, "NotImplemented")


# A new version's lock: headers, default retention; GET/HEAD answer it


def test_put_object_with_lock_headers(s3, locked):
    until = _later(2)
    answer = s3.put_object(
        Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )  # fmt: skip
    version = answer["VersionId"]
    assert s3.get_object_retention(Bucket=locked, Key="k", VersionId=version)["Retention"] == {
        "Mode": "GOVERNANCE",
        "RetainUntilDate": until,
    }
    assert s3.get_object_legal_hold(Bucket=locked, Key="k")["LegalHold"] == {"Status": "ON"}
    for read in (s3.head_object, s3.get_object):
        got = read(Bucket=locked, Key="k")
        assert (got["ObjectLockMode"], got["ObjectLockRetainUntilDate"], got["ObjectLockLegalHoldStatus"]) == (
            "GOVERNANCE",
            until,
            "ON",
        )
    # A copy is a new version: the source's lock is not copied.
    copied = s3.copy_object(Bucket=locked, Key="copy", CopySource={"Bucket": locked, "Key": "k"})
    assert "ObjectLockMode" not in s3.head_object(Bucket=locked, Key="copy", VersionId=copied["VersionId"])


def test_lock_headers_errors(s3, locked, bucket):
    with pytest.raises(ClientError) as raised:
        s3.put_object(
            Bucket=bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_later()
        )
    assert _error(raised) == (400, "InvalidRequest", "Bucket is missing Object Lock Configuration")
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE")
    assert _error(raised)[:2] == (400, "InvalidArgument")
    with pytest.raises(ClientError) as raised:
        s3.put_object(
            Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_later(-1)
        )
    assert _error(raised) == (400, "InvalidArgument", "The retain until date must be in the future!")
    assert "Versions" not in s3.list_object_versions(Bucket=locked)


def test_default_retention_applies_to_new_versions(s3, locked):
    _default_retention(s3, locked, "COMPLIANCE", 1)
    version = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    retention = s3.get_object_retention(Bucket=locked, Key="k")["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert (
        _later(1) - datetime.timedelta(minutes=5)
        < retention["RetainUntilDate"]
        <= _later(1) + datetime.timedelta(minutes=1)
    )
    upload = s3.create_multipart_upload(Bucket=locked, Key="big")["UploadId"]
    etag = s3.upload_part(Bucket=locked, Key="big", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    s3.complete_multipart_upload(
        Bucket=locked, Key="big", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert s3.head_object(Bucket=locked, Key="big")["ObjectLockMode"] == "COMPLIANCE"
    # Explicit headers win over the default.
    s3.put_object(Bucket=locked, Key="g", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_later(9))
    assert s3.get_object_retention(Bucket=locked, Key="g")["Retention"]["Mode"] == "GOVERNANCE"
    with pytest.raises(ClientError) as raised:
        s3.delete_object(Bucket=locked, Key="k", VersionId=version)
    assert _error(raised)[:2] == (403, "AccessDenied")


def test_delete_objects_respects_locks(s3, locked):
    kept = s3.put_object(Bucket=locked, Key="kept", Body=b"x", ObjectLockLegalHoldStatus="ON")["VersionId"]
    free = s3.put_object(Bucket=locked, Key="free", Body=b"x")["VersionId"]
    answer = s3.delete_objects(
        Bucket=locked,
        Delete={"Objects": [{"Key": "kept", "VersionId": kept}, {"Key": "free", "VersionId": free}, {"Key": "kept"}]},
    )
    assert [(d["Key"], d.get("VersionId")) for d in answer["Deleted"]] == [("free", free), ("kept", None)]
    assert [(e["Key"], e["VersionId"], e["Code"], e["Message"]) for e in answer["Errors"]] == [
        ("kept", kept, "AccessDenied", "Access Denied")
    ]
    assert s3.get_object(Bucket=locked, Key="kept", VersionId=kept)["Body"].read() == b"x"


def test_unlocked_buckets_answer_no_lock_headers(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert "ObjectLockMode" not in s3.head_object(Bucket=bucket, Key="k")


def test_lock_headers_of_create_multipart_upload_go_to_the_completed_object(s3, locked, bucket):
    until = _later(4)
    upload = s3.create_multipart_upload(
        Bucket=locked, Key="big", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )["UploadId"]  # fmt: skip
    etag = s3.upload_part(Bucket=locked, Key="big", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    completed = s3.complete_multipart_upload(Bucket=locked, Key="big", UploadId=upload, MultipartUpload=parts)
    got = s3.head_object(Bucket=locked, Key="big", VersionId=completed["VersionId"])
    assert (got["ObjectLockMode"], got["ObjectLockRetainUntilDate"], got["ObjectLockLegalHoldStatus"]) == (
        "GOVERNANCE",
        until,
        "ON",
    )
    # An SDK's retry answers the same object, whose lock stays as it is.
    again = s3.complete_multipart_upload(Bucket=locked, Key="big", UploadId=upload, MultipartUpload=parts)
    assert again["VersionId"] == completed["VersionId"]
    assert s3.head_object(Bucket=locked, Key="big")["ObjectLockRetainUntilDate"] == until
    # An upload without lock headers in a bucket without a default retention makes an unlocked object.
    plain = s3.create_multipart_upload(Bucket=locked, Key="plain")["UploadId"]
    etag = s3.upload_part(Bucket=locked, Key="plain", UploadId=plain, PartNumber=1, Body=b"p")["ETag"]
    s3.complete_multipart_upload(
        Bucket=locked, Key="plain", UploadId=plain, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert "ObjectLockMode" not in s3.head_object(Bucket=locked, Key="plain")
    # Checked as PutObject's are.
    with pytest.raises(ClientError) as raised:
        s3.create_multipart_upload(
            Bucket=bucket, Key="big", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_later()
        )
    assert _error(raised) == (400, "InvalidRequest", "Bucket is missing Object Lock Configuration")
    with pytest.raises(ClientError) as raised:
        s3.create_multipart_upload(Bucket=locked, Key="big", ObjectLockLegalHoldStatus="MAYBE")
    assert _error(raised) == (400, "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'")
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=locked).get("Uploads", [])] == []


_DIGEST_REQUIRED = "Content-MD5 OR x-amz-checksum- HTTP header is required for {} requests with Object Lock parameters"


def test_bytes_to_be_locked_need_content_md5_or_a_checksum(stack, s3, locked):
    """
    S3 refuses PutObject and UploadPart of bytes that will be locked (lock
    headers, or the bucket's default retention) without Content-MD5 or a
    checksum; raw requests, as boto3 always sends a checksum.
    """
    until = _later(2).strftime("%Y-%m-%dT%H:%M:%SZ")
    lock = {"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": until}

    def put(key: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response, answer = send_raw(stack, "PUT", f"/{locked}/{key}", b"body", headers)
        return response.status, answer

    for headers in (lock, {"x-amz-object-lock-legal-hold": "ON"}):
        status, answer = put("refused", headers)
        assert status == 400 and b"<Code>InvalidRequest</Code>" in answer, answer
        assert _DIGEST_REQUIRED.format("Put Object").encode() in answer
    assert "Versions" not in s3.list_object_versions(Bucket=locked)
    assert put("md5", {**lock, "Content-MD5": "hBotaJrYa9FhFEdFPCLG/A=="})[0] == 200
    assert put("crc", {**lock, "x-amz-checksum-crc32": "26gLsg=="})[0] == 200
    assert put("unlocked", {})[0] == 200  # nothing to lock: nothing asked
    _default_retention(s3, locked, "GOVERNANCE", 1)
    status, answer = put("by-default", {})
    assert (status, _DIGEST_REQUIRED.format("Put Object").encode() in answer) == (400, True), answer
    upload = s3.create_multipart_upload(Bucket=locked, Key="big")["UploadId"]
    response, answer = send_raw(stack, "PUT", f"/{locked}/big?partNumber=1&uploadId={upload}", b"part")
    assert (response.status, _DIGEST_REQUIRED.format("Put Part").encode() in answer) == (400, True), answer
    assert "Parts" not in s3.list_parts(Bucket=locked, Key="big", UploadId=upload)
    response, _ = send_raw(
        stack, "PUT", f"/{locked}/big?partNumber=1&uploadId={upload}", b"part", {"x-amz-checksum-crc32": "SQ9wxg=="}
    )
    assert response.status == 200


def test_a_form_upload_gets_the_default_retention(s3, locked):
    _default_retention(s3, locked, "GOVERNANCE", 2)
    form = s3.generate_presigned_post(locked, "posted")
    answer = requests.post(form["url"], data=form["fields"], files={"file": ("f", b"x")}, timeout=30)
    assert answer.status_code == 204, answer.text
    retention = s3.get_object_retention(Bucket=locked, Key="posted", VersionId=answer.headers["x-amz-version-id"])
    assert retention["Retention"]["Mode"] == "GOVERNANCE"
