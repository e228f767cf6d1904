"""
The bucket policy condition S3 deployment templates use most, SAM CLI's
managed bucket among them: Deny s3:* when aws:SecureTransport is false.
Over HTTP it refuses even the owner; over HTTPS it does not apply.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from ruststack.s3 import policy
from tests.s3.conftest import client


def _deny_insecure(bucket: str) -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        }
    )


def test_plain_http_is_denied_https_is_not(tls_stack):
    process, url, cert = tls_stack
    https = client(url, verify=cert)
    http = client(process.endpoint_url)
    https.create_bucket(Bucket="tls-only")
    https.put_bucket_policy(Bucket="tls-only", Policy=_deny_insecure("tls-only"))
    https.put_object(Bucket="tls-only", Key="k", Body=b"over TLS")
    assert https.get_object(Bucket="tls-only", Key="k")["Body"].read() == b"over TLS"
    for attempt in (
        lambda: http.get_object(Bucket="tls-only", Key="k"),
        lambda: http.put_object(Bucket="tls-only", Key="k", Body=b"plain"),
        lambda: http.list_objects_v2(Bucket="tls-only"),
    ):
        with pytest.raises(ClientError) as raised:
            attempt()
        assert raised.value.response["Error"]["Code"] == "AccessDenied"
    # The owner may still manage the policy itself, over either.
    http.delete_bucket_policy(Bucket="tls-only")
    assert http.get_object(Bucket="tls-only", Key="k")["Body"].read() == b"over TLS"


@pytest.mark.parametrize(
    "condition, secure, holds",
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, False, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, True, False),
        ({"Bool": {"aws:securetransport": ["TRUE"]}}, True, True),
        ({"BoolIfExists": {"aws:SecureTransport": False}}, False, True),
        ({"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:SourceVpc": "vpc-1"}}, False, None),
        ({"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:SourceVpc": "vpc-1"}}, True, False),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, True, None),
    ],
)
def test_conditions_decided_or_not(condition, secure, holds):
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}
    parsed = policy.parse(json.dumps({"Statement": [statement | {"Condition": condition}]}).encode(), "b")
    assert policy.conditions_hold(parsed.statements[0].conditions, secure) is holds
    # An Allow grants only what it can decide holds; a Deny applies unless it can decide it does not.
    assert policy.decide(parsed, "222222222222", "111111111111", "s3:GetObject", "arn:aws:s3:::b/k", secure) is (
        holds is True
    )
    deny = policy.parse(
        json.dumps({"Statement": [statement | {"Effect": "Deny", "Condition": condition}]}).encode(), "b"
    )
    assert policy.decide(deny, "111111111111", "111111111111", "s3:GetObject", "arn:aws:s3:::b/k", secure) is (
        holds is False
    )
