"""
Presigned URLs (SigV4 query form) opened with a plain HTTP client, with
signature checking off and with --auth verify.
"""

from __future__ import annotations

import time

import pytest
import requests
from botocore.config import Config

from ruststack.testing import RustStackProcess


@pytest.fixture(scope="module", params=["off", "verify"])
def any_auth_stack(request, tmp_path_factory):
    args = ["--services", "s3"]
    if request.param == "verify":
        credentials = tmp_path_factory.mktemp("auth") / "credentials"
        credentials.write_text("[default]\naws_access_key_id = test\naws_secret_access_key = test\n")
        args += ["--auth", "verify", "--credentials-file", str(credentials)]
    process = RustStackProcess.start(*args)
    yield request.param, process
    process.stop()


def sigv4_client(stack):
    # boto3 presigns S3 URLs with SigV2 unless told otherwise; RustStack
    # verifies SigV4 (the query form), which is what this is about.
    return stack.client("s3", config=Config(signature_version="s3v4"))


def test_presigned_put_and_get(any_auth_stack):
    _, stack = any_auth_stack
    s3 = sigv4_client(stack)
    s3.create_bucket(Bucket="presigned")
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "presigned", "Key": "p k"}, ExpiresIn=300)
    response = requests.put(put_url, data=b"presigned body", timeout=10)
    assert response.status_code == 200, response.text
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "p k"}, ExpiresIn=300)
    response = requests.get(get_url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"presigned body"
    assert response.headers["x-amz-request-id"]
    ranged = requests.get(get_url, headers={"Range": "bytes=0-8"}, timeout=10)
    assert ranged.status_code == 206
    assert ranged.content == b"presigned"


def test_presigned_get_with_response_overrides(any_auth_stack):
    _, stack = any_auth_stack
    s3 = sigv4_client(stack)
    s3.create_bucket(Bucket="presigned-override")
    s3.put_object(Bucket="presigned-override", Key="k", Body=b"x")
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": "presigned-override", "Key": "k", "ResponseContentDisposition": "attachment; filename=x.txt"},
    )
    response = requests.get(url, timeout=10)
    assert response.headers["Content-Disposition"] == "attachment; filename=x.txt"


def test_expired_and_tampered_urls(any_auth_stack):
    mode, stack = any_auth_stack
    s3 = sigv4_client(stack)
    s3.create_bucket(Bucket="presigned-expiry")
    s3.put_object(Bucket="presigned-expiry", Key="k", Body=b"secret")
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned-expiry", "Key": "k"}, ExpiresIn=1)
    good = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned-expiry", "Key": "k"}, ExpiresIn=300)
    tampered = good.replace("/k?", "/other?")
    time.sleep(2.1)
    # Expiry holds with --auth off too: tests of expiry behave as on AWS.
    response = requests.get(expired, timeout=10)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "<Message>Request has expired</Message>" in response.text
    assert "<X-Amz-Expires>1</X-Amz-Expires>" in response.text
    if mode == "off":
        # Without verification any signature is accepted: that is the point of --auth off.
        assert requests.get(tampered, timeout=10).status_code == 404
        return
    response = requests.get(tampered, timeout=10)
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text
    put = s3.generate_presigned_url("put_object", Params={"Bucket": "presigned-expiry", "Key": "k"}, ExpiresIn=300)
    response = requests.put(put.replace("X-Amz-Signature=", "X-Amz-Signature=0"), data=b"overwrite", timeout=10)
    assert response.status_code == 403
    assert s3.get_object(Bucket="presigned-expiry", Key="k")["Body"].read() == b"secret"
