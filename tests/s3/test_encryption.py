"""
Server-side encryption through boto3 over real sockets: SSE-S3 by default,
SSE-KMS and DSSE-KMS asked by a write or by the bucket's default
encryption, kept with the object and told on every answer about it (PUT,
GET, HEAD, copies, multipart uploads), and the headers S3 refuses.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3 import configs, documents, encryption
from ruststack.s3.records import Bucket
from tests.s3.conftest import client

_MANAGED_KEY = re.compile(r"^arn:aws:kms:us-east-1:000000000000:key/[0-9a-f-]{36}$")
_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
_KEY_ARN = f"arn:aws:kms:us-east-1:000000000000:key/{_KEY_ID}"


def _told(answer: dict) -> tuple:
    return answer.get("ServerSideEncryption"), answer.get("SSEKMSKeyId"), answer.get("BucketKeyEnabled")


def _refused(call, **params) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def test_every_object_is_sse_s3_unless_asked(s3, bucket):
    assert _told(s3.put_object(Bucket=bucket, Key="plain", Body=b"x")) == ("AES256", None, None)
    assert _told(s3.head_object(Bucket=bucket, Key="plain")) == ("AES256", None, None)
    assert _told(s3.put_object(Bucket=bucket, Key="asked", Body=b"x", ServerSideEncryption="AES256"))[0] == "AES256"


def test_kms_asked_by_the_write_is_kept_and_told(s3, bucket):
    managed = s3.put_object(Bucket=bucket, Key="managed", Body=b"m", ServerSideEncryption="aws:kms")
    algorithm, key, _ = _told(managed)
    assert algorithm == "aws:kms" and _MANAGED_KEY.match(key)
    # The account's aws/s3 key is one key: the same for every write.
    assert _told(s3.put_object(Bucket=bucket, Key="again", Body=b"a", ServerSideEncryption="aws:kms"))[1] == key
    for read in (s3.head_object, s3.get_object):
        assert _told(read(Bucket=bucket, Key="managed")) == ("aws:kms", key, None)

    context = base64.b64encode(json.dumps({"purpose": "test"}).encode()).decode()
    named = s3.put_object(
        Bucket=bucket,
        Key="named",
        Body=b"n",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=_KEY_ID,
        SSEKMSEncryptionContext=context,
        BucketKeyEnabled=True,
    )
    assert _told(named) == ("aws:kms", _KEY_ARN, True) and named["SSEKMSEncryptionContext"] == context
    got = s3.get_object(Bucket=bucket, Key="named")
    assert _told(got) == ("aws:kms", _KEY_ARN, True) and "SSEKMSEncryptionContext" not in got
    arn = "arn:aws:kms:eu-west-1:111111111111:key/other"
    assert _told(
        s3.put_object(Bucket=bucket, Key="arn", Body=b"a", ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=arn)
    )[:2] == ("aws:kms:dsse", arn)


def test_headers_s3_refuses(s3, bucket):
    assert _refused(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES-256") == (
        400,
        "InvalidArgument",
        "The encryption method specified is not supported",
    )
    requires = (
        "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"
    )
    for extra in ({}, {"ServerSideEncryption": "AES256"}):
        assert _refused(s3.put_object, Bucket=bucket, Key="k", Body=b"x", SSEKMSKeyId=_KEY_ID, **extra) == (
            400,
            "InvalidArgument",
            requires,
        )
    assert _refused(s3.create_multipart_upload, Bucket=bucket, Key="k", ServerSideEncryption="rot13")[1] == (
        "InvalidArgument"
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_a_read_naming_an_encryption_is_refused(s3, bucket):
    # boto3's GetObject and HeadObject have no ServerSideEncryption: the header goes in as a client sending it would.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")

    def add_header(request, **kwargs):
        request.headers["x-amz-server-side-encryption"] = "aws:kms"

    events = s3.meta.events
    for operation in ("GetObject", "HeadObject"):
        events.register(f"before-sign.s3.{operation}", add_header)
    try:
        with pytest.raises(ClientError) as excinfo:
            s3.get_object(Bucket=bucket, Key="k")
        assert excinfo.value.response["Error"] == {
            "Code": "InvalidArgument",
            "Message": "x-amz-server-side-encryption header is not supported for this operation.",
            "ArgumentName": "x-amz-server-side-encryption",
            "ArgumentValue": "aws:kms",
        }
        with pytest.raises(ClientError) as excinfo:
            s3.head_object(Bucket=bucket, Key="k")
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        for operation in ("GetObject", "HeadObject"):
            events.unregister(f"before-sign.s3.{operation}", add_header)
    # A copy's header names its new object's encryption.
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}, ServerSideEncryption="AES256")
    assert s3.get_object(Bucket=bucket, Key="c")["ServerSideEncryption"] == "AES256"


def test_the_bucket_default_applies_to_writes_that_ask_nothing(s3, bucket):
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": _KEY_ID},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    assert _told(s3.put_object(Bucket=bucket, Key="default", Body=b"d")) == ("aws:kms", _KEY_ARN, True)
    assert _told(s3.put_object(Bucket=bucket, Key="s3", Body=b"s", ServerSideEncryption="AES256")) == (
        "AES256",
        None,
        None,
    )
    # A copy is encrypted as its request or its bucket says, never as its source was.
    s3.delete_bucket_encryption(Bucket=bucket)
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "default"})
    assert _told(copied) == ("AES256", None, None)
    assert _told(s3.head_object(Bucket=bucket, Key="copy")) == ("AES256", None, None)
    # Copying an object onto itself changing only its encryption is a change.
    again = s3.copy_object(
        Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "copy"}, ServerSideEncryption="aws:kms"
    )
    assert _told(again)[0] == "aws:kms"
    assert _told(s3.head_object(Bucket=bucket, Key="copy"))[0] == "aws:kms"


def test_multipart_uploads_keep_their_encryption(s3, bucket):
    started = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=_KEY_ID)
    assert _told(started)[:2] == ("aws:kms", _KEY_ARN)
    upload = started["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part")
    assert _told(part)[:2] == ("aws:kms", _KEY_ARN)
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    assert _told(done)[:2] == ("aws:kms", _KEY_ARN)
    # A retried completion answers the same.
    retried = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    assert _told(retried)[:2] == ("aws:kms", _KEY_ARN)
    assert _told(s3.head_object(Bucket=bucket, Key="mp"))[:2] == ("aws:kms", _KEY_ARN)


def test_a_post_form_asks_as_headers_do(s3, bucket):
    fields = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": _KEY_ID}
    form = s3.generate_presigned_post(bucket, "posted", Fields=fields, Conditions=[{k: v} for k, v in fields.items()])
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("f", b"form")}, timeout=30)
    assert posted.status_code == 204, posted.text
    assert posted.headers["x-amz-server-side-encryption"] == "aws:kms"
    assert _told(s3.head_object(Bucket=bucket, Key="posted"))[:2] == ("aws:kms", _KEY_ARN)


_HEADER_VALUES = st.none() | st.sampled_from(["AES256", "aws:kms", "aws:kms:dsse", "true", "", "alias/a"]) | st.text()


@given(
    st.fixed_dictionaries(
        {},
        optional={
            name: _HEADER_VALUES.filter(lambda v: v is not None)
            for name in (
                encryption.ALGORITHM,
                encryption.KEY_ID,
                encryption.CONTEXT,
                encryption.BUCKET_KEY,
                encryption.CUSTOMER_ALGORITHM,
                encryption.CUSTOMER_KEY,
                encryption.CUSTOMER_KEY_MD5,
            )
        },
    ),
    st.sampled_from([None, "AES256", "aws:kms"]),
)
@settings(max_examples=300)
def test_any_headers_are_kept_or_refused_as_invalid_argument(headers, default):
    """
    Whatever a write's encryption headers say, the write is either given
    an encryption S3 has (told back in headers S3 sends) or refused with
    400 InvalidArgument (InvalidEncryptionAlgorithmError for SSE-C's); a
    key or context without aws:kms never passes.
    """
    document = None
    if default is not None:
        rule = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default}}]}
        document = documents.write(configs.ENCRYPTION.put, rule)
    ctx = SimpleNamespace(store=SimpleNamespace(bucket_config=lambda bucket, kind: document))
    bucket = Bucket("b", "000000000000", "us-east-1", 0.0)
    try:
        kept = encryption.of_write(ctx, bucket, headers, True)  # type: ignore[arg-type]
    except AwsError as error:
        assert (error.status, error.code) in ((400, "InvalidArgument"), (400, "InvalidEncryptionAlgorithmError"))
        return
    told = encryption.headers(kept, with_context=True)
    if kept is not None and "customer_key_md5" in kept:
        # SSE-C: only with a whole, matching key, and never beside another algorithm.
        assert encryption.ALGORITHM not in headers and encryption.ALGORITHM not in told
        assert told[encryption.CUSTOMER_KEY_MD5_TOLD] == headers[encryption.CUSTOMER_KEY_MD5]
        return
    assert told[encryption.ALGORITHM] in ("AES256", "aws:kms", "aws:kms:dsse")
    asked = headers.get(encryption.ALGORITHM) or default or "AES256"
    assert told[encryption.ALGORITHM] == asked
    assert (encryption.KEY_ID in told) == (asked != "AES256")
    assert encryption.KEY_ID not in headers or asked != "AES256"


# SSE-C: a key of the client's own, which every read must bring again, over TLS.

_CUSTOMER_KEY = bytes(range(32))
_OTHER_KEY = bytes(range(1, 33))


def _customer(key: bytes = _CUSTOMER_KEY) -> dict[str, Any]:
    # botocore sends the key in base64 and its MD5 itself.
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


@pytest.fixture
def tls_s3(tls_stack):
    _, url, cert = tls_stack
    s3 = client(url, verify=cert)
    name = f"sse-c-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return s3, name


def test_sse_c_objects_are_read_only_with_their_key(tls_s3):
    s3, bucket = tls_s3
    put = s3.put_object(Bucket=bucket, Key="secret", Body=b"mine", **_customer())
    md5 = base64.b64encode(hashlib.md5(_CUSTOMER_KEY).digest()).decode()
    assert (put["SSECustomerAlgorithm"], put["SSECustomerKeyMD5"]) == ("AES256", md5)
    assert "ServerSideEncryption" not in put
    got = s3.get_object(Bucket=bucket, Key="secret", **_customer())
    assert got["Body"].read() == b"mine" and got["SSECustomerKeyMD5"] == md5
    assert s3.head_object(Bucket=bucket, Key="secret", **_customer())["SSECustomerAlgorithm"] == "AES256"
    assert _refused(s3.get_object, Bucket=bucket, Key="secret") == (
        400,
        "InvalidRequest",
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to"
        " retrieve the object.",
    )
    assert _refused(s3.get_object, Bucket=bucket, Key="secret", **_customer(_OTHER_KEY))[:2] == (403, "AccessDenied")
    s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    assert _refused(s3.get_object, Bucket=bucket, Key="plain", **_customer()) == (
        400,
        "InvalidRequest",
        "The encryption parameters are not applicable to this object.",
    )
    # A copy brings the source's key apart from its own.
    source = {"Bucket": bucket, "Key": "secret"}
    assert _refused(s3.copy_object, Bucket=bucket, Key="copy", CopySource=source)[:2] == (400, "InvalidRequest")
    s3.copy_object(
        Bucket=bucket,
        Key="copy",
        CopySource=source,
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=_CUSTOMER_KEY,
    )
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"mine"


def test_sse_c_keys_s3_refuses(tls_s3, s3, bucket):
    secure, name = tls_s3
    assert _refused(s3.put_object, Bucket=bucket, Key="k", Body=b"x", **_customer()) == (
        400,
        "InvalidRequest",
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
    )
    assert _refused(secure.put_object, Bucket=name, Key="k", Body=b"x", **_customer(b"short"))[1:] == (
        "InvalidArgument",
        "The secret key was invalid for the specified algorithm.",
    )
    assert _refused(secure.put_object, Bucket=name, Key="k", Body=b"x", ServerSideEncryption="AES256", **_customer())[
        1:
    ] == (
        "InvalidArgument",
        "Server Side Encryption with Customer provided key is incompatible with the encryption method specified.",
    )
    assert "Contents" not in secure.list_objects_v2(Bucket=name)


def test_sse_c_multipart_parts_bring_the_key(tls_s3):
    s3, bucket = tls_s3
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **_customer())["UploadId"]
    refused = _refused(s3.upload_part, Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p")
    assert refused[:2] == (400, "InvalidRequest")
    other = _refused(
        s3.upload_part, Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p", **_customer(_OTHER_KEY)
    )
    assert other[:2] == (400, "InvalidArgument")
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part", **_customer())
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts)
    assert s3.get_object(Bucket=bucket, Key="mp", **_customer())["Body"].read() == b"part"
    assert _refused(s3.head_object, Bucket=bucket, Key="mp")[0] == 400
