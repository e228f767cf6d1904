"""
Object Lock on object versions, in buckets created with Object Lock only
(versioning Enabled for good there, as on S3):

- Put/GetObjectRetention and Put/GetObjectLegalHold per version;
- a new version's lock from the C{x-amz-object-lock-*} headers of
  PutObject, CopyObject and CreateMultipartUpload (kept with the upload
  until it completes), else from the bucket's DefaultRetention;
  GetObject/HeadObject answer it in the same headers;
- the bytes of a version to be locked (PutObject, UploadPart) checked by
  Content-MD5 or a checksum, which S3 requires;
- what the lock forbids (L{lockstate.protected}): deleting a protected
  version, shortening or lifting its retention.

See https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from twisted.internet import defer

from ruststack.aws.errors import AwsError
from ruststack.s3 import access, configs, documents, lockstate, multipart, objects, postobject, versions, wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.records import ObjectRecord
from ruststack.s3.upload import announced_algorithms

MODE_HEADER = "x-amz-object-lock-mode"
UNTIL_HEADER = "x-amz-object-lock-retain-until-date"
LEGAL_HOLD_HEADER = "x-amz-object-lock-legal-hold"
_MODES = (lockstate.GOVERNANCE, lockstate.COMPLIANCE)
_DAY = 86400.0


def missing_lock_configuration() -> AwsError:
    return AwsError("InvalidRequest", "Bucket is missing Object Lock Configuration", 400)


def no_lock_of_object() -> AwsError:
    return AwsError(
        "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404
    )


def _locked_version(ctx: S3Context, call: S3Call) -> ObjectRecord:
    """
    The object version C{call} addresses, in a bucket with Object Lock.
    """
    bucket = ctx.bucket(call)
    if not lockstate.lock_enabled(ctx, bucket.name):
        raise missing_lock_configuration()
    record = objects.existing_object(ctx, call)
    # existing_object answers the version in x-amz-version-id, which these operations do not.
    call.request.responseHeaders.removeHeader(versions.VERSION_HEADER)
    return record


# Retention


def future(until: datetime.datetime, now: float) -> None:
    if until.timestamp() <= now:
        raise invalid_argument("The retain until date must be in the future!", "RetainUntilDate", iso(until))


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def read_retention(body: bytes, now: float) -> dict[str, Any]:
    """
    A PutObjectRetention document's values: both C{Mode} and
    C{RetainUntilDate} (a retention), or neither (lifting one); the date in
    the future.
    """
    values = documents.read(lockstate.RETENTION, body)
    if ("Mode" in values) != ("RetainUntilDate" in values):
        raise wire.malformed()
    if "RetainUntilDate" in values:
        future(values["RetainUntilDate"], now)
    return values


def put_object_retention(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    now = ctx.now()
    new = read_retention(call.body(), now)
    current = lockstate.retention_of(ctx, record.bucket, record.key, record.version_id)
    bucket = ctx.bucket(call)
    if not lockstate.may_replace(current, new, lockstate.bypassing(bucket, call), now):
        raise access.access_denied()
    lockstate.set_retention(ctx, record.bucket, record.key, record.version_id, new)
    return b""


def get_object_retention(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    document = ctx.store.bucket_config(record.bucket, lockstate.retention_kind(record.key, record.version_id))
    if document is None:
        raise no_lock_of_object()
    call.set_headers({"Content-Type": "application/xml"})
    return document.encode("utf-8")


# Legal hold


def put_object_legal_hold(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    values = documents.read(lockstate.LEGAL_HOLD, call.body())
    if "Status" not in values:
        raise wire.malformed()
    lockstate.set_legal_hold(ctx, record.bucket, record.key, record.version_id, values["Status"])
    return b""


def get_object_legal_hold(ctx: S3Context, call: S3Call) -> bytes:
    record = _locked_version(ctx, call)
    document = ctx.store.bucket_config(record.bucket, lockstate.legal_hold_kind(record.key, record.version_id))
    if document is None:
        raise no_lock_of_object()
    call.set_headers({"Content-Type": "application/xml"})
    return document.encode("utf-8")


# Writes: a new version's lock


def lock_of_headers(headers: Any, now: float) -> tuple[dict[str, Any], str | None] | None:
    """
    The retention and legal hold a write's C{x-amz-object-lock-*} headers
    ask for, checked; C{None} when it has none of them.
    """
    mode, until, hold = (headers.get(name) for name in (MODE_HEADER, UNTIL_HEADER, LEGAL_HOLD_HEADER))
    if mode is None and until is None and hold is None:
        return None
    retention: dict[str, Any] = {}
    if (mode is None) != (until is None):
        raise invalid_argument(
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            MODE_HEADER if mode is None else UNTIL_HEADER,
            "",
        )
    if mode is not None and until is not None:
        if mode not in _MODES:
            raise invalid_argument("Unknown wormMode directive.", MODE_HEADER, mode)
        try:
            moment = datetime.datetime.fromisoformat(until)
        except ValueError:
            raise invalid_argument(
                "The retain until date must be provided in ISO 8601 format", UNTIL_HEADER, until
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        future(moment, now)
        retention = {"Mode": mode, "RetainUntilDate": moment}
    if hold is not None and hold not in ("ON", "OFF"):
        raise invalid_argument("Legal Hold must be either of 'ON' or 'OFF'", LEGAL_HOLD_HEADER, hold)
    return retention, hold


def default_retention(ctx: S3Context, bucket: str, now: float) -> dict[str, Any]:
    """
    The retention the bucket's DefaultRetention gives a new version (a year
    is 365 days), or none.
    """
    document = ctx.store.bucket_config(bucket, configs.OBJECT_LOCK.kind)
    rule = {} if document is None else documents.values_of(configs.OBJECT_LOCK.put, document).get("Rule", {})
    default = rule.get("DefaultRetention")
    if default is None:
        return {}
    days = default["Days"] if "Days" in default else default["Years"] * 365
    until = datetime.datetime.fromtimestamp(round(now + days * _DAY, 3), datetime.UTC)
    return {"Mode": default["Mode"], "RetainUntilDate": until}


# A lock a write asks for: (retention, legal hold), as lock_of_headers reads them.
Lock = tuple[dict[str, Any], str | None]


def _lock_of_request(ctx: S3Context, call: S3Call, now: float) -> Lock | None:
    return lock_of_headers(call.headers, now)


def _lock_of_upload(ctx: S3Context, call: S3Call, now: float) -> Lock | None:
    # CreateMultipartUpload's, kept with the upload (gone once completed: a retry's lock is set already).
    upload = ctx.store.get_upload(call.query.get("uploadId", ""))
    if upload is None or (upload.bucket, upload.key) != (call.bucket, call.key) or upload.object_lock is None:
        return None  # (another's upload is NoSuchUpload, answered by the handler)
    kept = json.loads(upload.object_lock)
    retention = kept["retention"]
    if retention:
        retention["RetainUntilDate"] = datetime.datetime.fromisoformat(retention["RetainUntilDate"])
    return retention, kept["hold"]


def require_digest(call: S3Call, operation: str) -> None:
    """
    Refuse a write of bytes to be locked that carries neither Content-MD5
    nor a checksum, as S3 does; C{operation} names it in the message.
    """
    if "content-md5" not in call.headers and not announced_algorithms(call.headers):
        raise AwsError(
            "InvalidRequest",
            f"Content-MD5 OR x-amz-checksum- HTTP header is required for {operation} requests with Object Lock"
            " parameters",
            400,
        )


def locking_write(
    handler: Callable, asked_of: Callable[[S3Context, S3Call, float], Lock | None], body: str | None = None
) -> Callable:
    """
    C{handler} (PutObject, CopyObject, CompleteMultipartUpload) giving the
    version it writes in a bucket with Object Lock the lock C{asked_of} the
    request (refused with InvalidRequest in a bucket without), else the
    bucket's default retention. C{body}: the request carries the version's
    bytes, which must be checked when it is to be locked (named so in the
    error).
    """

    def write(ctx: S3Context, call: S3Call) -> Any:
        assert call.bucket is not None  # (a POST form names its key in its body)
        now = ctx.now()
        asked = asked_of(ctx, call, now)
        bucket = ctx.store.get_bucket(call.bucket)
        locked = bucket is not None and lockstate.lock_enabled(ctx, bucket.name)
        if asked is not None and bucket is not None and not locked:
            raise missing_lock_configuration()
        if not locked:
            return handler(ctx, call)
        assert bucket is not None
        if body is not None and (asked is not None or default_retention(ctx, bucket.name, now)):
            require_digest(call, body)

        def apply(answer: Any) -> Any:
            shown = call.request.responseHeaders.getRawHeaders(versions.VERSION_HEADER, [None])[0]
            if shown is None:
                return answer
            version_id = versions.parse_version_id(shown if isinstance(shown, str) else shown.decode())
            key = call.key
            assert key is not None
            if lockstate.retention_of(ctx, bucket.name, key, version_id) is not None:
                return answer  # a retried CompleteMultipartUpload: its version is already locked
            retention, hold = asked if asked is not None else ({}, None)
            lockstate.set_retention(
                ctx, bucket.name, key, version_id, retention or default_retention(ctx, bucket.name, now)
            )
            if hold is not None:
                lockstate.set_legal_hold(ctx, bucket.name, key, version_id, hold)
            return answer

        answer = handler(ctx, call)
        if isinstance(answer, defer.Deferred):
            return answer.addCallback(apply)
        return apply(answer)

    write.__name__ = handler.__name__
    return write


put_object = locking_write(objects.put_object, _lock_of_request, body="Put Object")
copy_object = locking_write(objects.copy_object, _lock_of_request)
complete_multipart_upload = locking_write(multipart.complete_multipart_upload, _lock_of_upload)
# A form's lock fields are not read: the bucket's default retention applies.
post_object = locking_write(postobject.post_object, lambda ctx, call, now: None)


def create_multipart_upload(ctx: S3Context, call: S3Call) -> bytes:
    """
    CreateMultipartUpload, keeping the lock its headers ask for (checked
    as PutObject's) with the upload, for the object it completes.
    """
    asked = lock_of_headers(call.headers, ctx.now())
    if asked is None:
        return multipart.create_multipart_upload(ctx, call)
    if not lockstate.lock_enabled(ctx, ctx.bucket(call).name):
        raise missing_lock_configuration()
    retention, hold = asked
    kept = {"Mode": retention["Mode"], "RetainUntilDate": retention["RetainUntilDate"].isoformat()} if retention else {}
    return multipart.create_multipart_upload(ctx, call, json.dumps({"retention": kept, "hold": hold}))


def upload_part(ctx: S3Context, call: S3Call) -> Any:
    """
    UploadPart, whose bytes must be checked (as PutObject's) when the
    object it makes is to be locked.
    """
    assert call.bucket is not None
    # (An unknown bucket has no lock; the handler answers NoSuchBucket.)
    if lockstate.lock_enabled(ctx, call.bucket):
        upload = multipart.addressed_upload(ctx, call)  # authorized first
        if upload.object_lock is not None or default_retention(ctx, call.bucket, ctx.now()):
            require_digest(call, "Put Part")
    return multipart.upload_part(ctx, call)


# Reads: the lock in GetObject's and HeadObject's headers


def lock_headers(ctx: S3Context, bucket: str, key: str, version_id: str | None) -> dict[str, str]:
    headers = {}
    retention = lockstate.retention_of(ctx, bucket, key, version_id)
    if retention:
        headers[MODE_HEADER] = retention["Mode"]
        headers[UNTIL_HEADER] = iso(retention["RetainUntilDate"])
    hold = lockstate.legal_hold_of(ctx, bucket, key, version_id)
    if hold is not None:
        headers[LEGAL_HOLD_HEADER] = hold
    return headers


def get_object(ctx: S3Context, call: S3Call) -> Any:
    """
    GetObject and HeadObject, with the version's lock in
    C{x-amz-object-lock-*} headers in a bucket with Object Lock.
    """
    bucket = None if call.bucket is None else ctx.store.get_bucket(call.bucket)
    if bucket is None or call.key is None or not lockstate.lock_enabled(ctx, bucket.name):
        return objects.get_object(ctx, call)
    asked = call.query.get("versionId")
    if asked is not None:
        version_id = versions.parse_version_id(asked) if versions.valid_version_id(asked) else None
    else:
        current = ctx.store.get_object(bucket.name, call.key)
        version_id = None if current is None else current.version_id
    headers = lock_headers(ctx, bucket.name, call.key, version_id)
    # Set before the body may start streaming; taken back if the request fails.
    call.set_headers(headers)
    try:
        return objects.get_object(ctx, call)
    except AwsError:
        for name in headers:
            call.request.responseHeaders.removeHeader(name)
        raise


# What the lock forbids


def delete_object(ctx: S3Context, call: S3Call) -> bytes:
    """
    DeleteObject, refused with AccessDenied (as S3 does) for a version
    that a legal hold or an unexpired retention protects.
    """
    version = call.query.get("versionId")
    if version is None or call.key is None:
        return versions.delete_object(ctx, call)
    bucket = ctx.bucket(call)
    version_id = versions.parse_version_id(version)
    if lockstate.protected(ctx, bucket, call.key, version_id, call):
        raise access.access_denied()
    answer = versions.delete_object(ctx, call)
    lockstate.forget(ctx, bucket.name, call.key, version_id)
    return answer


def put_bucket_versioning(ctx: S3Context, call: S3Call) -> bytes:
    """
    PutBucketVersioning, refusing to suspend versioning of a bucket with
    Object Lock as S3 does.
    """
    bucket = ctx.bucket(call)
    if lockstate.lock_enabled(ctx, bucket.name) and b"<Status>Suspended</Status>" in call.body():
        raise AwsError(
            "InvalidBucketState",
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
            409,
            {"BucketName": bucket.name},
        )
    return versions.put_bucket_versioning(ctx, call)
