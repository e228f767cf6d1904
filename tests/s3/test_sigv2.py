"""
S3's legacy SigV2: the presigned URLs boto3 makes by default (in us-east-1)
and header-signed requests (signature_version="s3"), with --auth verify.
"""

from __future__ import annotations

import time

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError


def test_default_presigned_url_is_sigv2_and_verifies(verifying_stack):
    s3 = verifying_stack.client("s3")
    s3.create_bucket(Bucket="legacy")
    s3.put_object(Bucket="legacy", Key="a b/c.txt", Body=b"legacy body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "legacy", "Key": "a b/c.txt"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "X-Amz-Credential" not in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.content == b"legacy body"


def test_presigned_sigv2_put(verifying_stack):
    s3 = verifying_stack.client("s3")
    s3.create_bucket(Bucket="legacy-put")
    url = s3.generate_presigned_url("put_object", Params={"Bucket": "legacy-put", "Key": "k"}, ExpiresIn=300)
    assert requests.put(url, data=b"sent", timeout=10).status_code == 200
    assert s3.get_object(Bucket="legacy-put", Key="k")["Body"].read() == b"sent"


def test_tampered_sigv2_url_is_refused(verifying_stack):
    s3 = verifying_stack.client("s3")
    s3.create_bucket(Bucket="legacy-tamper")
    s3.put_object(Bucket="legacy-tamper", Key="k", Body=b"x")
    s3.put_object(Bucket="legacy-tamper", Key="other", Body=b"y")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "legacy-tamper", "Key": "k"}, ExpiresIn=300)
    response = requests.get(url.replace("/k?", "/other?"), timeout=10)
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text


def test_expired_sigv2_url_is_refused(verifying_stack):
    s3 = verifying_stack.client("s3")
    s3.create_bucket(Bucket="legacy-expired")
    s3.put_object(Bucket="legacy-expired", Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "legacy-expired", "Key": "k"}, ExpiresIn=1)
    time.sleep(2.1)
    response = requests.get(url, timeout=10)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text and "Request has expired" in response.text


def test_header_signed_sigv2_requests(verifying_stack):
    s3 = verifying_stack.client("s3", config=Config(signature_version="s3"))
    s3.create_bucket(Bucket="legacy-header")
    s3.put_object(Bucket="legacy-header", Key="k", Body=b"header signed", ContentType="text/plain")
    assert s3.get_object(Bucket="legacy-header", Key="k")["Body"].read() == b"header signed"
    wrong = verifying_stack.client("s3", config=Config(signature_version="s3"), aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as raised:
        wrong.head_object(Bucket="legacy-header", Key="k")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    unknown = verifying_stack.client("s3", config=Config(signature_version="s3"), aws_access_key_id="NOBODY")
    with pytest.raises(ClientError) as raised:
        unknown.get_object(Bucket="legacy-header", Key="k")
    assert raised.value.response["Error"]["Code"] == "InvalidAccessKeyId"
