"""
SigV4 parsing and verification, against requests signed by botocore itself.
"""

from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ruststack.aws import sigv4

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def sign(request: AWSRequest, service: str, region: str = "us-east-1", secret: str = SECRET) -> AWSRequest:
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(Credentials(KEY, secret), service, region).add_auth(request)
    return request


def check(request: AWSRequest, secret: str = SECRET, payload_hash: str | None = None) -> bool:
    parts = urlsplit(request.url)
    headers = {k.lower(): v for k, v in request.headers.items()}
    signature = sigv4.parse_request(headers, sigv4.split_query(parts.query))
    assert signature is not None
    if payload_hash is None:
        payload_hash = headers.get("x-amz-content-sha256") or sigv4_body_hash(request.body)
    return sigv4.verify(
        signature,
        secret,
        request.method,
        parts.path,
        sigv4.split_query(parts.query),
        # On the wire the client's HTTP library adds Host, which botocore signed.
        [("Host", parts.netloc), *request.headers.items()],
        payload_hash,
    )


def sigv4_body_hash(body) -> str:
    import hashlib

    return hashlib.sha256(body or b"").hexdigest()


def test_parse_authorization_header():
    request = sign(AWSRequest("POST", "http://127.0.0.1:4566/", data=b"{}"), "dynamodb", "eu-west-3")
    signature = sigv4.parse_request({k.lower(): v for k, v in request.headers.items()}, [])
    assert signature is not None
    assert signature.scope == sigv4.CredentialScope(KEY, signature.amz_date[:8], "eu-west-3", "dynamodb")
    assert "host" in signature.signed_headers and "x-amz-date" in signature.signed_headers
    assert len(signature.signature) == 64 and not signature.presigned


def test_unsigned_request_has_no_signature():
    assert sigv4.parse_request({"host": "x"}, []) is None


def test_malformed_authorization():
    with pytest.raises(sigv4.MalformedSignature):
        sigv4.parse_request({"authorization": "AWS4-HMAC-SHA256 Credential=onlyakey"}, [])


def test_verify_json_request():
    request = sign(
        AWSRequest(
            "POST",
            "http://127.0.0.1:4566/",
            data=b'{"TableName": "t"}',
            headers={"X-Amz-Target": "DynamoDB_20120810.DescribeTable"},
        ),
        "dynamodb",
    )
    assert check(request)


def test_wrong_secret_does_not_verify():
    request = sign(AWSRequest("POST", "http://127.0.0.1:4566/", data=b"{}"), "dynamodb", secret="not-the-secret")
    assert not check(request)


def test_tampered_body_does_not_verify():
    request = sign(AWSRequest("POST", "http://127.0.0.1:4566/", data=b'{"a": 1}'), "lambda")
    assert not check(request, payload_hash=sigv4_body_hash(b'{"a": 2}'))


def test_verify_s3_request_with_encoded_key_and_query():
    request = AWSRequest(
        "PUT", "http://127.0.0.1:4566/bucket/caf%C3%A9%20key%2Bplus?tagging=&x-id=PutObject", data=b"x"
    )
    request.headers["X-Amz-Content-SHA256"] = sigv4_body_hash(b"x")
    sign(request, "s3")
    assert check(request)


def test_verify_lambda_path_is_double_encoded():
    request = sign(
        AWSRequest(
            "GET",
            "http://127.0.0.1:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af",
        ),
        "lambda",
    )
    assert check(request)


def test_presigned_url():
    request = AWSRequest("GET", "http://127.0.0.1:4566/bucket/key")
    S3SigV4QueryAuth(Credentials(KEY, SECRET), "s3", "us-east-1", expires=60).add_auth(request)
    parts = urlsplit(request.url)
    signature = sigv4.parse_request({}, sigv4.split_query(parts.query))
    assert signature is not None
    assert signature.presigned and signature.expires == 60
    assert check(request, payload_hash=sigv4.UNSIGNED_PAYLOAD)
    signed_at = signature.signed_at()
    assert not signature.expired(signed_at + 59)
    assert signature.expired(signed_at + 61)


def test_tampered_presigned_url():
    request = AWSRequest("GET", "http://127.0.0.1:4566/bucket/key")
    S3SigV4QueryAuth(Credentials(KEY, SECRET), "s3", "us-east-1", expires=60).add_auth(request)
    request.url = request.url.replace("/bucket/key", "/bucket/other")
    assert not check(request, payload_hash=sigv4.UNSIGNED_PAYLOAD)
