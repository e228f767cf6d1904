"""
The edge's choice of service for a request.
"""

import pytest

from ruststack.aws import sigv4
from ruststack.edge import route


def signed(service: str) -> sigv4.Signature:
    return sigv4.Signature(
        scope=sigv4.CredentialScope("AKID", "20261124", "eu-west-1", service),
        signed_headers=("host",),
        signature="0" * 64,
        amz_date="20261124T000000Z",
    )


@pytest.mark.parametrize(
    "host, path, headers, signature, expected",
    [
        ("127.0.0.1:4566", b"/bucket/key", {}, None, "s3"),
        ("127.0.0.1:4566", b"/", {}, signed("s3"), "s3"),
        ("127.0.0.1:4566", b"/", {"x-amz-target": "DynamoDB_20120810.GetItem"}, signed("dynamodb"), "dynamodb"),
        ("127.0.0.1:4566", b"/", {"x-amz-target": "DynamoDB_20120810.GetItem"}, None, "dynamodb"),
        ("127.0.0.1:4566", b"/", {"x-amz-target": "DynamoDBStreams_20120810.GetRecords"}, None, "dynamodb"),
        ("127.0.0.1:4566", b"/2015-03-31/functions", {}, signed("lambda"), "lambda"),
        ("127.0.0.1:4566", b"/2015-03-31/functions/f/invocations", {}, None, "lambda"),
        ("127.0.0.1:4566", b"/restapis", {}, signed("apigateway"), "apigateway"),
        ("127.0.0.1:4566", b"/restapis/abc/prod/_user_request_/x", {}, None, "apigateway"),
        ("abc123.execute-api.localhost:4566", b"/prod/x", {}, None, "apigateway"),
        ("bucket.localhost:4566", b"/key", {}, None, "s3"),
        ("127.0.0.1:4566", b"/", {}, signed("sqs"), "sqs"),
        ("127.0.0.1:4566", b"/", {"x-amz-target": "AmazonSQS.SendMessage"}, None, "AmazonSQS"),
    ],
)
def test_route(host, path, headers, signature, expected):
    assert route(host, path, headers, signature) == expected


def test_scope_wins_over_path():
    """
    A signed S3 request whose key looks like a Lambda path is still S3.
    """
    assert route("127.0.0.1", b"/2015-03-31/functions", {}, signed("s3")) == "s3"
