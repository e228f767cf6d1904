"""
S3's legacy SigV2, against requests signed by botocore itself.
"""

from urllib.parse import urlsplit

from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ruststack.aws import sigv2, sigv4
from ruststack.s3.addressing import sigv2_resources

KEY, SECRET = "AKIDEXAMPLE", "secret"


def verify(request: AWSRequest, secret: str = SECRET, host: str = "127.0.0.1:4566") -> bool:
    parts = urlsplit(request.url)
    headers = {k.lower(): v for k, v in request.headers.items()}
    signature = sigv2.parse_request(headers, dict(sigv4.split_query(parts.query)))
    assert signature is not None
    return sigv2.verify(
        signature, secret, request.method, sigv2_resources(host, parts.path), parts.query, request.headers.items()
    )


def test_header_form():
    request = AWSRequest("PUT", "http://127.0.0.1:4566/bucket/key", headers={"Content-Type": "text/plain"})
    request.headers["x-amz-meta-colour"] = "blue"
    HmacV1Auth(Credentials(KEY, SECRET)).add_auth(request)
    signature = sigv2.parse_request({"authorization": request.headers["Authorization"]}, {})
    assert signature is not None
    assert signature.access_key == KEY and signature.expires is None
    assert verify(request)
    assert not verify(request, secret="other")


def test_bucket_resource_has_a_trailing_slash():
    request = AWSRequest("PUT", "http://127.0.0.1:4566/bucket")
    request.auth_path = "/bucket/"
    HmacV1Auth(Credentials(KEY, SECRET)).add_auth(request)
    assert verify(request)


def test_virtual_host_form():
    request = AWSRequest("GET", "http://bucket.localhost:4566/key")
    request.auth_path = "/bucket/key"
    HmacV1Auth(Credentials(KEY, SECRET)).add_auth(request)
    assert verify(request, host="bucket.localhost:4566")


def test_query_form_and_expiry():
    request = AWSRequest("GET", "http://127.0.0.1:4566/bucket/key")
    HmacV1QueryAuth(Credentials(KEY, SECRET), expires=60).add_auth(request)
    query = dict(sigv4.split_query(urlsplit(request.url).query))
    signature = sigv2.parse_request({}, query)
    expires = int(query["Expires"])
    assert signature is not None and signature.expires == expires
    assert not signature.expired(expires - 1) and signature.expired(expires + 1)
    assert verify(request)
    request.url = request.url.replace("/bucket/key", "/bucket/other")
    assert not verify(request)


def test_not_sigv2():
    assert sigv2.parse_request({"authorization": "AWS4-HMAC-SHA256 Credential=x"}, {}) is None
    assert sigv2.parse_request({}, {"AWSAccessKeyId": "A", "Signature": "s", "Expires": "soon"}) is None
