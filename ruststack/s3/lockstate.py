"""
What Object Lock keeps about an object version and the rules it enforces,
shared by the Object Lock operations (L{ruststack.s3.objectlock}) and the
deletes it forbids (DeleteObject, DeleteObjects).

A version's retention and legal hold are documents of their Put
operation's shape (L{ruststack.s3.documents}) kept in the store's
C{bucket_configs} as kinds C{retention ["key", "version"]} and
C{legal-hold [...]}: they go with the bucket, a reset and C{--data-dir} as
its configurations do.
"""

from __future__ import annotations

import json
from typing import Any

from ruststack.s3 import access, configs, documents
from ruststack.s3.call import S3Call, S3Context
from ruststack.s3.records import Bucket

COMPLIANCE = "COMPLIANCE"
GOVERNANCE = "GOVERNANCE"
BYPASS_HEADER = "x-amz-bypass-governance-retention"
RETENTION = "PutObjectRetention"
LEGAL_HOLD = "PutObjectLegalHold"


def lock_enabled(ctx: S3Context, bucket: str) -> bool:
    return ctx.store.bucket_config(bucket, configs.OBJECT_LOCK.kind) is not None


def _kind(name: str, key: str, version_id: str | None) -> str:
    # JSON keeps any key (and the null version) one unambiguous ASCII string.
    return f"{name} {json.dumps([key, version_id])}"


def retention_kind(key: str, version_id: str | None) -> str:
    return _kind("retention", key, version_id)


def legal_hold_kind(key: str, version_id: str | None) -> str:
    return _kind("legal-hold", key, version_id)


def retention_of(ctx: S3Context, bucket: str, key: str, version_id: str | None) -> dict[str, Any] | None:
    document = ctx.store.bucket_config(bucket, retention_kind(key, version_id))
    return None if document is None else dict(documents.values_of(RETENTION, document))


def legal_hold_of(ctx: S3Context, bucket: str, key: str, version_id: str | None) -> str | None:
    document = ctx.store.bucket_config(bucket, legal_hold_kind(key, version_id))
    return None if document is None else documents.values_of(LEGAL_HOLD, document).get("Status")


def set_retention(ctx: S3Context, bucket: str, key: str, version_id: str | None, values: dict[str, Any]) -> None:
    document = documents.write(RETENTION, values) if values else None
    ctx.store.set_bucket_config(bucket, retention_kind(key, version_id), document)


def set_legal_hold(ctx: S3Context, bucket: str, key: str, version_id: str | None, status: str) -> None:
    ctx.store.set_bucket_config(
        bucket, legal_hold_kind(key, version_id), documents.write(LEGAL_HOLD, {"Status": status})
    )


def forget(ctx: S3Context, bucket: str, key: str, version_id: str | None) -> None:
    """
    Drop what locked a version that is gone.
    """
    for kind in (retention_kind(key, version_id), legal_hold_kind(key, version_id)):
        ctx.store.set_bucket_config(bucket, kind, None)


def active(retention: dict[str, Any] | None, now: float) -> bool:
    return retention is not None and "RetainUntilDate" in retention and retention["RetainUntilDate"].timestamp() > now


def may_replace(current: dict[str, Any] | None, new: dict[str, Any], bypass: bool, now: float) -> bool:
    """
    Whether a version's retention C{current} may become C{new}: anything
    once it has expired; under COMPLIANCE only the same mode kept as long
    or longer; under GOVERNANCE that too, or anything with the bypass.
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


def bypassing(bucket: Bucket, call: S3Call) -> bool:
    """
    Whether C{call} asks to bypass GOVERNANCE retention and its caller may
    (C{s3:BypassGovernanceRetention}: the owner, or whom the policy grants it).
    """
    if call.headers.get(BYPASS_HEADER, "").strip().lower() != "true":
        return False
    return access.permits(bucket, call.caller.account, "s3:BypassGovernanceRetention", call.key, call.secure)


def protected(ctx: S3Context, bucket: Bucket, key: str, version_id: str | None, call: S3Call) -> bool:
    """
    Whether deleting the version C{version_id} of C{key} is forbidden: a
    legal hold, COMPLIANCE retention, or GOVERNANCE retention without the
    bypass. (Deleting without a version id only adds a delete marker, which
    no lock prevents.)
    """
    if not lock_enabled(ctx, bucket.name):
        return False
    if legal_hold_of(ctx, bucket.name, key, version_id) == "ON":
        return True
    retention = retention_of(ctx, bucket.name, key, version_id)
    if not active(retention, ctx.now()):
        return False
    assert retention is not None
    return not (retention["Mode"] == GOVERNANCE and bypassing(bucket, call))
