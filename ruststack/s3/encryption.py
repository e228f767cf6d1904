"""
Server-side encryption as S3 tells it: SSE-S3 (C{AES256}, every object's
since January 2023), SSE-KMS (C{aws:kms}) and DSSE-KMS (C{aws:kms:dsse}),
asked by a write's headers or else by the bucket's default encryption,
kept with the object and told on every answer about its bytes.

RustStack has no KMS: the bytes are kept as they come, and a KMS key is a
name. A key id is told as its key ARN in the bucket's region and account,
an alias as its alias ARN (AWS would name the key it points to), and a
write asking for a KMS key without naming one gets that account's
C{aws/s3} managed key, as on AWS, under a stable made-up id.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.s3 import configs, documents
from ruststack.s3.call import S3Context, invalid_argument
from ruststack.s3.records import Bucket

ALGORITHM = "x-amz-server-side-encryption"
KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id"
CONTEXT = "x-amz-server-side-encryption-context"
BUCKET_KEY = "x-amz-server-side-encryption-bucket-key-enabled"
SSE_S3 = "AES256"
_KMS = ("aws:kms", "aws:kms:dsse")
_MANAGED_KEYS = uuid.UUID("8a1d2c8e-7f57-4c36-9b1e-3c1a4f0e2b6d")


def of_write(ctx: S3Context, bucket: Bucket, headers: Mapping[str, str]) -> dict[str, Any] | None:
    """
    The encryption of the object a write makes (PutObject, CopyObject,
    CreateMultipartUpload, POST Object): as its headers ask, else as the
    bucket's default encryption does; C{None} for plain SSE-S3, what most
    objects have. A header that is not one S3 takes is InvalidArgument.
    """
    algorithm = headers.get(ALGORITHM)
    if algorithm is None:
        if KEY_ID in headers or CONTEXT in headers:
            raise _needs_kms()
        stored = ctx.store.bucket_config(bucket.name, configs.ENCRYPTION.kind)
        if stored is None:
            return None  # (the default encryption: SSE-S3)
        algorithm, key_id, bucket_key = _bucket_default(stored)
        context = None
    else:
        if algorithm not in (SSE_S3, *_KMS):
            raise invalid_argument("The encryption method specified is not supported", ALGORITHM, algorithm)
        key_id, context = headers.get(KEY_ID), headers.get(CONTEXT)
        if algorithm == SSE_S3 and (key_id is not None or context is not None):
            raise _needs_kms()
        bucket_key = headers.get(BUCKET_KEY, "").lower() == "true"
    if algorithm == SSE_S3:
        return None
    kept: dict[str, Any] = {"algorithm": algorithm, "key": _key_arn(bucket, key_id)}
    if bucket_key:
        kept["bucket_key"] = True
    if context is not None:
        kept["context"] = context
    return kept


def headers(kept: dict[str, Any] | None, with_context: bool = False) -> dict[str, str]:
    """
    The headers that tell an object's encryption C{kept} (L{of_write}),
    with its encryption context for the answers that carry it (PutObject,
    CopyObject, CreateMultipartUpload).
    """
    if kept is None:
        return {ALGORITHM: SSE_S3}
    told = {ALGORITHM: kept["algorithm"], KEY_ID: kept["key"]}
    if kept.get("bucket_key"):
        told[BUCKET_KEY] = "true"
    if with_context and "context" in kept:
        told[CONTEXT] = kept["context"]
    return told


def _needs_kms() -> AwsError:
    return invalid_argument(
        "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        ALGORITHM,
        "null",
    )


@functools.lru_cache(maxsize=256)
def _bucket_default(document: str) -> tuple[str, str | None, bool]:
    # A bucket's PutBucketEncryption document, read once: (algorithm, KMS key, bucket key).
    rule = documents.values_of(configs.ENCRYPTION.put, document)["Rules"][0]
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return default.get("SSEAlgorithm", SSE_S3), default.get("KMSMasterKeyID"), bool(rule.get("BucketKeyEnabled"))


def _key_arn(bucket: Bucket, key_id: str | None) -> str:
    prefix = f"arn:aws:kms:{bucket.region}:{bucket.account}:"
    if not key_id:
        return prefix + "key/" + str(uuid.uuid5(_MANAGED_KEYS, prefix))
    if key_id.startswith("arn:"):
        return key_id
    return prefix + (key_id if key_id.startswith("alias/") else "key/" + key_id)
