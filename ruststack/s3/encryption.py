"""
Server-side encryption as S3 tells it: SSE-S3 (C{AES256}, every object's
since January 2023), SSE-KMS (C{aws:kms}) and DSSE-KMS (C{aws:kms:dsse}),
asked by a write's headers or else by the bucket's default encryption,
kept with the object and told on every answer about its bytes; and SSE-C,
a key of the client's own that every read of the object must bring again
(over TLS), of which S3 keeps only the MD5.

RustStack has no KMS: the bytes are kept as they come, and a KMS key is a
name. A key id is told as its key ARN in the bucket's region and account,
an alias as its alias ARN (AWS would name the key it points to), and a
write asking for a KMS key without naming one gets that account's
C{aws/s3} managed key, as on AWS, under a stable made-up id.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
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
CUSTOMER_ALGORITHM = "x-amz-server-side-encryption-customer-algorithm"
CUSTOMER_KEY = "x-amz-server-side-encryption-customer-key"
CUSTOMER_KEY_MD5 = "x-amz-server-side-encryption-customer-key-md5"  # (request headers are read in lower case)
CUSTOMER_KEY_MD5_TOLD = "x-amz-server-side-encryption-customer-key-MD5"
_CUSTOMER = (CUSTOMER_ALGORITHM, CUSTOMER_KEY, CUSTOMER_KEY_MD5)
# A copy's source key comes in the same headers under x-amz-copy-source-.
_COPY_SOURCE_CUSTOMER = tuple("x-amz-copy-source-" + name[len("x-amz-") :] for name in _CUSTOMER)
_NEEDS_TLS = (
    "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."
)
_KMS = ("aws:kms", "aws:kms:dsse")
_MANAGED_KEYS = uuid.UUID("8a1d2c8e-7f57-4c36-9b1e-3c1a4f0e2b6d")


def of_write(ctx: S3Context, bucket: Bucket, headers: Mapping[str, str], secure: bool) -> dict[str, Any] | None:
    """
    The encryption of the object a write makes (PutObject, CopyObject,
    CreateMultipartUpload, POST Object): as its headers ask, else as the
    bucket's default encryption does; C{None} for plain SSE-S3, what most
    objects have. A header that is not one S3 takes is InvalidArgument;
    SSE-C asks for TLS (C{secure}).
    """
    algorithm = headers.get(ALGORITHM)
    customer = customer_key(headers, secure)
    if customer is not None:
        if algorithm is not None:
            raise invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method"
                " specified.",
                ALGORITHM,
                algorithm,
            )
        return {"algorithm": SSE_S3, "customer_key_md5": customer}
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
    if "customer_key_md5" in kept:
        return {CUSTOMER_ALGORITHM: kept["algorithm"], CUSTOMER_KEY_MD5_TOLD: kept["customer_key_md5"]}
    told = {ALGORITHM: kept["algorithm"], KEY_ID: kept["key"]}
    if kept.get("bucket_key"):
        told[BUCKET_KEY] = "true"
    if with_context and "context" in kept:
        told[CONTEXT] = kept["context"]
    return told


def customer_key(headers: Mapping[str, str], secure: bool, copy_source: bool = False) -> str | None:
    """
    The MD5 of the SSE-C key a request brings (a copy's source's, with
    C{copy_source}), checked as S3 checks it; C{None} when it brings none.
    """
    names = _COPY_SOURCE_CUSTOMER if copy_source else _CUSTOMER
    algorithm, key, md5 = headers.get(names[0]), headers.get(names[1]), headers.get(names[2])
    if algorithm is None and key is None and md5 is None:
        return None  # (every read of an object without SSE-C: kept cheap)
    if not secure:
        raise AwsError("InvalidRequest", _NEEDS_TLS, 400)
    if algorithm is None:
        raise _customer_argument("must provide a valid encryption algorithm.", names[0])
    if algorithm != SSE_S3:
        raise AwsError(
            "InvalidEncryptionAlgorithmError",
            "The Encryption request you specified is not valid. Supported value: AES256.",
            400,
            {"ArgumentName": names[0], "ArgumentValue": algorithm},
        )
    if key is None:
        raise _customer_argument("must provide an appropriate secret key.", names[1])
    if md5 is None:
        raise _customer_argument("must provide the client calculated MD5 of the secret key.", names[2])
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise invalid_argument("The secret key was invalid for the specified algorithm.", names[1], "")
    if base64.b64encode(hashlib.md5(raw).digest()).decode() != md5:
        raise invalid_argument(
            "The calculated MD5 hash of the key did not match the hash that was provided.", names[2], md5
        )
    return md5


def check_read(
    kept: dict[str, Any] | None, headers: Mapping[str, str], secure: bool, copy_source: bool = False
) -> None:
    """
    Refuse a read of an object encrypted as C{kept} (GET, HEAD, a copy's
    source...) that does not bring the SSE-C key it was written with, or
    that brings one to an object written without; and one that names an
    encryption (a copy's names its new object's), which a read cannot
    change.
    """
    if not copy_source and ALGORITHM in headers:
        raise invalid_argument(
            "x-amz-server-side-encryption header is not supported for this operation.", ALGORITHM, headers[ALGORITHM]
        )
    given = customer_key(headers, secure, copy_source)
    stored = None if kept is None else kept.get("customer_key_md5")
    if stored is None:
        if given is not None:
            raise _not_applicable()
        return
    if given is None:
        raise AwsError(
            "InvalidRequest",
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided"
            " to retrieve the object.",
            400,
        )
    if given != stored:
        raise AwsError("AccessDenied", "Access Denied", 403)


def check_part(kept: dict[str, Any] | None, headers: Mapping[str, str], secure: bool) -> None:
    """
    Refuse a part (UploadPart, UploadPartCopy) of an upload begun with an
    SSE-C key that does not bring the same key, or that brings one to an
    upload begun without.
    """
    given = customer_key(headers, secure)
    stored = None if kept is None else kept.get("customer_key_md5")
    if stored is None and given is not None:
        raise _not_applicable()
    if stored is not None and given is None:
        raise AwsError(
            "InvalidRequest",
            "The multipart upload initiate requested encryption. Subsequent part requests must include the"
            " appropriate encryption parameters.",
            400,
        )
    if stored is not None and given != stored:
        raise invalid_argument(
            "The provided encryption parameters did not match the ones used originally.", CUSTOMER_KEY_MD5, given or ""
        )


def _not_applicable() -> AwsError:
    # An SSE-C key brought to an object (or upload) stored without one.
    return AwsError("InvalidRequest", "The encryption parameters are not applicable to this object.", 400)


def _customer_argument(what: str, header: str) -> AwsError:
    return invalid_argument(
        f"Requests specifying Server Side Encryption with Customer provided keys {what}", header, ""
    )


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
