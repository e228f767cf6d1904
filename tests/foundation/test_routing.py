"""
The edge's choice of service for a request.
"""

import pytest

from ruststack.aws import sigv4
from ruststack.routing import Router, known_claims

route = Router.of(known_claims()).route


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
        # Unsigned requests belong to S3 unless a service claims them beyond doubt.
        ("127.0.0.1:4566", b"/2015-03-31/functions/f/invocations", {}, None, "s3"),
        ("127.0.0.1:4566", b"/restapis-logs/key.txt", {}, None, "s3"),
        ("127.0.0.1:4566", b"/restapis", {}, None, "s3"),
        ("127.0.0.1:4566", b"/restapis/abc/prod/key.txt", {}, None, "s3"),
        ("127.0.0.1:4566", b"/restapis", {}, signed("apigateway"), "apigateway"),
        ("127.0.0.1:4566", b"/restapis/abc/prod/_user_request_/x", {}, None, "apigateway"),
        ("abc123.execute-api.localhost:4566", b"/prod/x", {}, None, "apigateway"),
        ("bucket.localhost:4566", b"/key", {}, None, "s3"),
        ("127.0.0.1:4566", b"/", {}, signed("sqs"), "sqs"),
        ("127.0.0.1:4566", b"/", {"x-amz-target": "AmazonSQS.SendMessage"}, None, "AmazonSQS"),
        # STS's unsigned AssumeRoleWithWebIdentity: a form posted to /; S3 takes none.
        ("127.0.0.1:4566", b"/", {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}, None, "sts"),
        ("127.0.0.1:4566", b"/bucket", {"content-type": "application/x-www-form-urlencoded"}, None, "s3"),
        ("127.0.0.1:4566", b"/", {"content-type": "multipart/form-data; boundary=x"}, None, "s3"),
    ],
)
def test_route(host, path, headers, signature, expected):
    assert route(host, path, headers, signature) == expected


def test_scope_wins_over_path():
    """
    A signed S3 request whose key looks like a Lambda path is still S3.
    """
    assert route("127.0.0.1", b"/2015-03-31/functions", {}, signed("s3")) == "s3"


# S3 keys that look like other services' paths, read unsigned (a presigned
# URL's signature is in its query; with --auth off an unsigned read is the
# default account's) and presigned.
LOOKALIKES = ["restapis-logs/key.txt", "2024-01-01/key.txt", "2015-03-31/functions/f/invocations", "restapis/a/b/c"]


@pytest.fixture(scope="module")
def every_service():
    from ruststack.testing import RustStackProcess

    stack = RustStackProcess.start("--services", "s3,lambda,apigateway")
    try:
        yield stack
    finally:
        stack.stop()


@pytest.mark.parametrize("key", LOOKALIKES)
def test_s3_keys_that_look_like_other_services_paths(every_service, key):
    import requests

    s3 = every_service.client("s3")
    bucket, _, name = key.partition("/")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=name, Body=b"mine")
    unsigned = requests.get(f"{every_service.endpoint_url}/{key}", timeout=10)
    assert (unsigned.status_code, unsigned.content) == (200, b"mine")
    presigned = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": name})
    assert requests.get(presigned, timeout=10).content == b"mine"


@pytest.mark.parametrize(
    ("service", "call", "state"),
    [
        ("sns", lambda c: c.list_topics(), "not provided"),  # query
        ("stepfunctions", lambda c: c.list_state_machines(), "not provided"),  # json
        ("kms", lambda c: c.list_keys(), "not provided"),  # json, a target prefix of its own
        ("sqs", lambda c: c.list_queues(), "not provided"),  # json (botocore speaks JSON to SQS now)
        ("dynamodb", lambda c: c.list_tables(), "not enabled"),
    ],
)
def test_a_service_not_running_answers_in_its_own_protocol(every_service, service, call, state):
    """
    botocore reads the answer (NotImplemented and RustStack's message), where
    S3's XML used to show as "An error occurred (Unknown)".
    """
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        call(every_service.client(service))
    error = raised.value.response["Error"]
    assert error["Code"] == "NotImplemented"
    assert f"is {state} in this RustStack" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
