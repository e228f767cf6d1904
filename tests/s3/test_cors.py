"""
CORS: Put/Get/DeleteBucketCors through boto3, preflights and browser
requests over a real socket with http.client (what a browser sends: no
signature on the preflight), under --auth verify too; and the rule
matcher's property test.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.s3.cors import matching_rule
from tests.s3.conftest import client, send_raw

_APP = "https://app.example.com"
_RULES = [
    {
        "ID": "uploads",
        "AllowedOrigins": ["https://*.example.com"],
        "AllowedMethods": ["PUT", "POST"],
        "AllowedHeaders": ["content-type", "x-amz-*"],
        "ExposeHeaders": ["ETag", "x-amz-version-id"],
        "MaxAgeSeconds": 3000,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"]},
]
_NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method /"
    " Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)


def _error(raised) -> tuple[int, str, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_put_get_delete(s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_cors(Bucket=bucket)
    assert _error(raised) == (404, "NoSuchCORSConfiguration", "The CORS configuration does not exist")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": _RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == _RULES
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_cors(Bucket=bucket)
    assert _error(raised)[1] == "NoSuchCORSConfiguration"


@pytest.mark.parametrize(
    "rule, message",
    [
        (
            {"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]},
            "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
        ),
        (
            {"AllowedOrigins": ["https://*.*.example"], "AllowedMethods": ["GET"]},
            'AllowedOrigin "https://*.*.example" can not have more than one wildcard.',
        ),
        (
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-*-*"]},
            'AllowedHeader "x-*-*" can not have more than one wildcard.',
        ),
    ],
)
def test_bad_rules(s3, bucket, rule, message):
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert _error(raised) == (400, "InvalidRequest", message)


def test_empty_or_missing_members_are_malformed(stack, s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": []})
    assert _error(raised)[:2] == (400, "MalformedXML")
    response, body = send_raw(
        stack,
        "PUT",
        f"/{bucket}?cors",
        b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    )
    assert response.status == 400 and b"<Code>MalformedXML</Code>" in body


def _preflight(stack, bucket: str, key: str, **headers: str):
    return send_raw(stack, "OPTIONS", f"/{bucket}/{key}", b"", headers)


def test_preflight_allowed(stack, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": _RULES})
    response, body = _preflight(
        stack,
        bucket,
        "photo.jpg",
        Origin=_APP,
        **{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"},
    )
    assert (response.status, body) == (200, b"")
    assert response.getheader("Access-Control-Allow-Origin") == _APP
    assert response.getheader("Access-Control-Allow-Methods") == "PUT, POST"
    assert response.getheader("Access-Control-Allow-Headers") == "content-type, x-amz-date"
    assert response.getheader("Access-Control-Expose-Headers") == "ETag, x-amz-version-id"
    assert response.getheader("Access-Control-Max-Age") == "3000"
    assert response.getheader("Access-Control-Allow-Credentials") == "true"
    assert response.getheader("Vary") == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    # The wildcard rule answers any origin with "*", without credentials.
    response, _ = _preflight(stack, bucket, "k", Origin="http://elsewhere", **{"Access-Control-Request-Method": "GET"})
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert response.getheader("Access-Control-Allow-Credentials") is None


def test_preflight_refused(stack, s3, bucket):
    response, body = _preflight(stack, bucket, "k", Origin=_APP, **{"Access-Control-Request-Method": "PUT"})
    assert response.status == 403
    assert b"<Code>AccessForbidden</Code>" in body
    assert b"<Message>CORSResponse: CORS is not enabled for this bucket.</Message>" in body
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": _RULES})
    for origin, method, headers in (
        ("https://evil.test", "PUT", ""),  # origin not allowed
        (_APP, "DELETE", ""),  # method not allowed
        (_APP, "PUT", "authorization"),  # header not allowed
    ):
        extra = {"Access-Control-Request-Headers": headers} if headers else {}
        response, body = _preflight(
            stack, bucket, "k", Origin=origin, **{"Access-Control-Request-Method": method}, **extra
        )
        assert response.status == 403, (origin, method, headers)
        assert f"<Message>{_NOT_ALLOWED}</Message>".encode() in body.replace(b"&apos;", b"'")
        assert f"<Method>{method}</Method><ResourceType>OBJECT</ResourceType>".encode() in body
        assert response.getheader("Access-Control-Allow-Origin") is None
    response, body = _preflight(stack, bucket, "k", **{"Access-Control-Request-Method": "PUT"})
    assert response.status == 400 and b"Insufficient information. Origin request header needed." in body
    response, body = _preflight(stack, bucket, "k", Origin=_APP)
    assert response.status == 400 and b"Invalid Access-Control-Request-Method: null" in body


def test_browser_requests_get_cors_headers(stack, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": _RULES})
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    response, body = send_raw(stack, "GET", f"/{bucket}/k", b"", {"Origin": "http://anywhere"})
    assert (response.status, body) == (200, b"hello")
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert response.getheader("Access-Control-Allow-Methods") == "GET, HEAD"
    # Errors carry them too, so the browser lets the app read them.
    response, body = send_raw(stack, "GET", f"/{bucket}/missing", b"", {"Origin": _APP})
    assert response.status == 404
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    # No matching rule: no Access-Control-* headers, but Vary.
    response, _ = send_raw(stack, "DELETE", f"/{bucket}/k", b"", {"Origin": "https://evil.test"})
    assert response.getheader("Access-Control-Allow-Origin") is None
    assert response.getheader("Vary") == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    # Without an Origin, nothing.
    response, _ = send_raw(stack, "GET", f"/{bucket}/k", b"")
    assert response.getheader("Access-Control-Allow-Origin") is None and response.getheader("Vary") is None


def test_preflight_needs_no_credentials_under_verify(verifying_stack):
    s3 = client(verifying_stack.endpoint_url)
    s3.create_bucket(Bucket="cors-verified")
    s3.put_bucket_cors(Bucket="cors-verified", CORSConfiguration={"CORSRules": _RULES})
    response, _ = _preflight(
        verifying_stack, "cors-verified", "k", Origin=_APP, **{"Access-Control-Request-Method": "POST"}
    )
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == _APP
    # Anything else unsigned is still refused.
    response, _ = send_raw(verifying_stack, "GET", "/cors-verified/k", b"", {"Origin": _APP})
    assert response.status == 403


_ORIGINS = st.sampled_from(["*", "https://*.example.com", "https://app.example.com", "http://*", "null"])
_METHODS = st.sampled_from(["GET", "PUT", "HEAD", "POST", "DELETE"])
_HEADERS = st.sampled_from(["*", "content-type", "x-amz-*", "Authorization"])


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "AllowedOrigins": st.lists(_ORIGINS, min_size=1, max_size=3),
                "AllowedMethods": st.lists(_METHODS, min_size=1, max_size=3),
                "AllowedHeaders": st.lists(_HEADERS, max_size=3),
            }
        ),
        max_size=4,
    ),
    st.text(max_size=30) | st.sampled_from(["https://app.example.com", "https://x.example.com", "http://a"]),
    _METHODS,
    st.lists(st.sampled_from(["content-type", "X-Amz-Date", "authorization", "x"]), max_size=3),
)
def test_matching_rule_is_the_first_that_allows_all(rules, origin, method, headers):
    found = matching_rule(rules, origin, method, headers)
    if found is None:
        return
    assert found is next(rule for rule in rules if matching_rule([rule], origin, method, headers) is rule)
    assert method in found["AllowedMethods"]
    assert any(allowed == origin or "*" in allowed for allowed in found["AllowedOrigins"])
    if headers:
        assert found["AllowedHeaders"]
