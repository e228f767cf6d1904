"""
Object Lock on object versions: Put/GetObjectRetention and
Put/GetObjectLegalHold, in buckets created with Object Lock only, and what
they forbid: deleting a version (DeleteObject with C{versionId}) under a
legal hold, under COMPLIANCE retention, or under GOVERNANCE retention
without C{x-amz-bypass-governance-retention: true}; shortening or lifting a
retention the same way. A bucket created with Object Lock has versioning
Enabled for good, as on S3.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html

A version's retention and legal hold are documents of their Put
operation's shape kept in the store's C{bucket_configs} (kinds
C{retention ["key", "version"]}, C{legal-hold [...]}), so they go with the
bucket, a reset and C{--data-dir} as its configurations do.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.s3 import access, configs, documents, objects, versions, wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.records import Bucket, ObjectRecord

COMPLIANCE = "COMPLIANCE"
GOVERNANCE = "GOVERNANCE"
BYPASS_HEADER = "x-amz-bypass-governance-retention"
_RETENTION = "PutObjectRetention"
_LEGAL_HOLD = "PutObjectLegalHold"


def lock_enabled(ctx: S3Context, bucket: Bucket) -> bool:
    return ctx.store.bucket_config(bucket.name, configs.OBJECT_LOCK.kind) is not None


def _kind(name: str, key: str, version_id: str | None) -> str:
    # JSON keeps any key (and the null version) one unambiguous ASCII string.
    return f"{name} {json.dumps([key, version_id])}"


def retention_kind(key: str, version_id: str | None) -> str:
    return _kind("retention", key, version_id)


def legal_hold_kind(key: str, version_id: str | None) -> str:
    return _kind("legal-hold", key, version_id)


def _locked_version(ctx: S3Context, call: S3Call) -> ObjectRecord:
    """
    The object version C{call} addresses, in a bucket with Object Lock.
    """
    bucket = ctx.bucket(call)
    if not lock_enabled(ctx, bucket):
        raise AwsError("InvalidRequest", "Bucket is missing Object Lock Configuration", 400)
    record = objects.existing_object(ctx, call)
    # existing_object answers the version in x-amz-version-id, which these operations do not.
    call.request.responseHeaders.removeHeader(versions.VERSION_HEADER)
    return record


def no_lock_of_object() -> AwsError:
    return AwsError(
        "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404
    )


def bypassing(ctx: S3Context, call: S3Call) -> bool:
    """
    Whether C{call} asks to bypass GOVERNANCE retention and its caller may
    (C{s3:BypassGovernanceRetention}: the owner, or whom the policy grants it).
    """
    if call.headers.get(BYPASS_HEADER, "").strip().lower() != "true":
        return False
    bucket = ctx.bucket(call)
    return access.permits(bucket, call.caller.account, "s3:BypassGovernanceRetention", call.key, call.secure)


# Retention


def read_retention(body: bytes, now: float) -> dict[str, Any]:
    """
    A PutObjectRetention document's values: both C{Mode} and
    C{RetainUntilDate} (a retention), or neither (lifting one); the date in
    the future.
    """
    values = documents.read(_RETENTION, body)
    if ("Mode" in values) != ("RetainUntilDate" in values):
        raise wire.malformed()
    until = values.get("RetainUntilDate")
    if until is not None and until.timestamp() <= now:
        raise invalid_argument("The retain until date must be in the future!", "RetainUntilDate", _iso(until))
    return values


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def active(retention: dict[str, Any] | None, now: float) -> bool:
    return retention is not None and "RetainUntilDate" in retention and retention["RetainUntilDate"].timestamp() > now


def may_replace(current: dict[str, Any] | None, new: dict[str, Any], bypass: bool, now: float) -> bool:
    """
    Whether a version's retention C{current} may become C{new}: anything
    once it has expired; under COMPLIANCE only the same mode kept as long
    or longer; under GOVERNANCE that too, or anything with the bypass
    header.
    """
    if not active(current, now):
        return True
    assert current is not None
    extends = (
        new.get("Mode") == current["Mode"]
        and "RetainUntilDate" in new
        and new["RetainUntilDate"] >= current["RetainUntilDate"]
    )
    return extends or (current["Mode"] == GOVERNANCE and bypass)


def _retention(ctx: S3Context, record: ObjectRecord) -> dict[str, Any] | None:
    document = ctx.store.bucket_config(record.bucket, retention_kind(record.key, record.version_id))
    return None if document is None else dict(documents.values_of(_RETENTION, document))


def put_object_retention(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    now = ctx.now()
    new = read_retention(call.body(), now)
    if not may_replace(_retention(ctx, record), new, bypassing(ctx, call), now):
        raise access.access_denied()
    kind = retention_kind(record.key, record.version_id)
    ctx.store.set_bucket_config(record.bucket, kind, documents.write(_RETENTION, new) if new else None)
    return b""


def get_object_retention(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    document = ctx.store.bucket_config(record.bucket, retention_kind(record.key, record.version_id))
    if document is None:
        raise no_lock_of_object()
    call.set_headers({"Content-Type": "application/xml"})
    return document.encode("utf-8")


# Legal hold


def put_object_legal_hold(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    values = documents.read(_LEGAL_HOLD, call.body())
    if "Status" not in values:
        raise wire.malformed()
    kind = legal_hold_kind(record.key, record.version_id)
    ctx.store.set_bucket_config(record.bucket, kind, documents.write(_LEGAL_HOLD, values))
    return b""


def get_object_legal_hold(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    document = ctx.store.bucket_config(record.bucket, legal_hold_kind(record.key, record.version_id))
    if document is None:
        raise no_lock_of_object()
    call.set_headers({"Content-Type": "application/xml"})
    return document.encode("utf-8")


def _held(ctx: S3Context, bucket: str, key: str, version_id: str | None) -> bool:
    document = ctx.store.bucket_config(bucket, legal_hold_kind(key, version_id))
    return document is not None and documents.values_of(_LEGAL_HOLD, document).get("Status") == "ON"


# What the lock forbids


def delete_object(ctx: S3Context, call: S3Call) -> bytes:
    """
    DeleteObject, refused with AccessDenied (as S3 does) for a version
    that a legal hold or an unexpired retention protects. Deleting without
    a version id only adds a delete marker, which no lock prevents.
    """
    version = call.query.get("versionId")
    if version is not None and call.bucket is not None and call.key is not None:
        bucket = ctx.bucket(call)
        if lock_enabled(ctx, bucket):
            version_id = versions.parse_version_id(version)
            found = ctx.store.versions.get_version(bucket.name, call.key, version_id)
            if found is not None and found.record is not None:
                retention = _retention(ctx, found.record)
                if _held(ctx, bucket.name, call.key, version_id) or (
                    active(retention, ctx.now())
                    and not (retention is not None and retention["Mode"] == GOVERNANCE and bypassing(ctx, call))
                ):
                    raise access.access_denied()
            answer = versions.delete_object(ctx, call)
            # The version is gone: so is what locked it.
            for kind in (retention_kind(call.key, version_id), legal_hold_kind(call.key, version_id)):
                ctx.store.set_bucket_config(bucket.name, kind, None)
            return answer
    return versions.delete_object(ctx, call)


def put_bucket_versioning(ctx: S3Context, call: S3Call) -> bytes:
    """
    PutBucketVersioning, refusing to suspend versioning of a bucket with
    Object Lock as S3 does.
    """
    bucket = ctx.bucket(call)
    if lock_enabled(ctx, bucket) and b"<Status>Suspended</Status>" in call.body():
        raise AwsError(
            "InvalidBucketState",
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
            409,
            {"BucketName": bucket.name},
        )
    return versions.put_bucket_versioning(ctx, call)
