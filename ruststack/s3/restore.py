"""
RestoreObject as S3 answers it for objects that were never archived: every
object RustStack keeps is readable at once, so a restore is refused with
InvalidObjectState (S3's answer for STANDARD and the other instant storage
classes). An object stored with an archive class (GLACIER, DEEP_ARCHIVE)
would need a restore RustStack does not emulate: 501, not a pretence.
"""

from __future__ import annotations

from ruststack.aws.errors import AwsError
from ruststack.s3 import objects, versions
from ruststack.s3.call import S3Call, S3Context

ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})


def restore_object(ctx: S3Context, call: S3Call) -> bytes:
    record = objects.existing_object(ctx, call)
    call.request.responseHeaders.removeHeader(versions.VERSION_HEADER)
    if record.meta.storage_class in ARCHIVED:
        raise AwsError(
            "NotImplemented", "A header or query you provided implies functionality that is not implemented.", 501
        )
    raise AwsError("InvalidObjectState", "Restore is not allowed for the object's current storage class", 403)
