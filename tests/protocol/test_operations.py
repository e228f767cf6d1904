"""
Finding a request's operation: REST URI templates (greedy labels, static
query parts, operations sharing a URI), X-Amz-Target, Action and Version;
and each protocol's answer when a request is no operation.
"""

from __future__ import annotations

import pytest
from botocore.model import OperationModel

from ruststack.aws.errors import AwsError
from ruststack.protocol import Protocol, ProtocolRequest


def s3(method: str, target: str, **headers: str) -> OperationModel:
    return Protocol.for_service("s3").operation(ProtocolRequest.from_target(method, target, headers))


@pytest.mark.parametrize(
    ("method", "target", "headers", "expected"),
    [
        ("GET", "/", {}, "ListBuckets"),
        ("PUT", "/bucket", {}, "CreateBucket"),
        ("PUT", "/bucket/", {}, "CreateBucket"),
        ("GET", "/bucket?list-type=2&prefix=a", {}, "ListObjectsV2"),
        ("GET", "/bucket?prefix=a", {}, "ListObjects"),
        ("GET", "/bucket?location", {}, "GetBucketLocation"),
        ("PUT", "/bucket/a/b%20c", {}, "PutObject"),
        ("PUT", "/bucket/a/b%20c", {"x-amz-copy-source": "/other/key"}, "CopyObject"),
        ("PUT", "/bucket/key?partNumber=1&uploadId=u", {}, "UploadPart"),
        ("PUT", "/bucket/key?partNumber=1&uploadId=u", {"x-amz-copy-source": "/b/k"}, "UploadPartCopy"),
        ("GET", "/bucket/key", {}, "GetObject"),
        ("GET", "/bucket/key?uploadId=u", {}, "ListParts"),
        ("DELETE", "/bucket/key", {}, "DeleteObject"),
        ("DELETE", "/bucket/key?uploadId=u", {}, "AbortMultipartUpload"),
        ("PUT", "/bucket/key?tagging", {}, "PutObjectTagging"),
        ("POST", "/bucket?delete", {}, "DeleteObjects"),
        ("POST", "/bucket/key?uploads", {}, "CreateMultipartUpload"),
        ("POST", "/WriteGetObjectResponse", {}, "WriteGetObjectResponse"),
        ("HEAD", "/bucket/dir/", {}, "HeadObject"),
        # An ignored parameter does not make another operation.
        ("GET", "/bucket/key?response-content-type=text/plain&x-id=GetObject", {}, "GetObject"),
    ],
)
def test_s3_operations_from_http_bindings(method, target, headers, expected):
    assert s3(method, target, **headers).name == expected


def test_s3_greedy_key_keeps_slashes_and_encoded_slashes():
    protocol = Protocol.for_service("s3")
    request = ProtocolRequest.from_target("GET", "/bucket/a//b%2Fc%20d+e")
    match = protocol.match(request)
    assert protocol.parse(match, request) == {"Bucket": "bucket", "Key": "a//b/c d+e"}


def test_operations_the_wire_cannot_tell_apart_prefer_the_implemented_one():
    protocol = Protocol.for_service("s3")
    request = ProtocolRequest.from_target("GET", "/bucket?lifecycle")
    assert protocol.operation(request).name == "GetBucketLifecycle"
    assert protocol.operation(request, {"GetBucketLifecycleConfiguration"}).name == "GetBucketLifecycleConfiguration"


@pytest.mark.parametrize(
    ("method", "target", "expected"),
    [
        ("GET", "/2018-10-31/layers", "ListLayers"),
        ("GET", "/2018-10-31/layers?find=LayerVersion&Arn=x", "GetLayerVersionByArn"),
        ("POST", "/2015-03-31/functions/my-function/invocations", "Invoke"),
        ("GET", "/2015-03-31/functions/", "ListFunctions"),
        ("GET", "/2015-03-31/functions", "ListFunctions"),
        ("GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af", "GetFunction"),
        ("GET", "/2015-03-31/functions/f/configuration", "GetFunctionConfiguration"),
    ],
)
def test_lambda_operations(method, target, expected):
    assert Protocol.for_service("lambda").operation(ProtocolRequest.from_target(method, target)).name == expected


def test_a_pinned_query_value_names_its_operation():
    protocol = Protocol.for_service("apigateway")
    assert protocol.operation(ProtocolRequest.from_target("POST", "/restapis")).name == "CreateRestApi"
    assert protocol.operation(ProtocolRequest.from_target("POST", "/restapis?mode=import")).name == "ImportRestApi"


def test_json_operation_from_target():
    protocol = Protocol.for_service("logs")
    request = ProtocolRequest("POST", "/", "", {"X-Amz-Target": "Logs_20140328.CreateLogGroup"}, b"{}")
    assert protocol.operation(request).name == "CreateLogGroup"


@pytest.mark.parametrize(
    "target", ["", "Logs_20140328.NoSuchThing", "DynamoDB_20120810.CreateLogGroup", "CreateLogGroup"]
)
def test_json_unknown_target(target):
    protocol = Protocol.for_service("logs")
    with pytest.raises(AwsError) as raised:
        protocol.operation(ProtocolRequest("POST", "/", "", {"X-Amz-Target": target}, b"{}"))
    assert (raised.value.code, raised.value.status) == ("UnknownOperationException", 400)


def form(body: str) -> ProtocolRequest:
    return ProtocolRequest("POST", "/", "", {"Content-Type": "application/x-www-form-urlencoded"}, body.encode())


def test_query_operation_from_action_in_the_body_or_the_query_string():
    protocol = Protocol.for_service("sts")
    assert protocol.operation(form("Action=GetCallerIdentity&Version=2011-06-15")).name == "GetCallerIdentity"
    get = ProtocolRequest.from_target("GET", "/?Action=GetCallerIdentity&Version=2011-06-15")
    assert protocol.operation(get).name == "GetCallerIdentity"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ("Version=2011-06-15", "MissingAction", "The request is missing an action or a required parameter."),
        ("Action=Nope&Version=2011-06-15", "InvalidAction", "Could not find operation Nope for version 2011-06-15"),
        (
            "Action=GetCallerIdentity&Version=2010-05-08",
            "InvalidAction",
            "Could not find operation GetCallerIdentity for version 2010-05-08",
        ),
    ],
)
def test_query_no_such_action(body, code, message):
    with pytest.raises(AwsError) as raised:
        Protocol.for_service("sts").operation(form(body))
    assert (raised.value.code, raised.value.message, raised.value.status) == (code, message, 400)


def test_s3_method_not_allowed_names_method_and_resource():
    with pytest.raises(AwsError) as raised:
        s3("PATCH", "/bucket/key")
    error = raised.value
    assert (error.code, error.status) == ("MethodNotAllowed", 405)
    assert error.fields == {"Method": "PATCH", "ResourceType": "OBJECT"}


def test_s3_unknown_subresource_is_not_implemented():
    with pytest.raises(AwsError) as raised:
        s3("PUT", "/bucket/key?uploads")
    assert (raised.value.code, raised.value.status) == ("NotImplemented", 501)


def test_rest_json_unknown_path():
    with pytest.raises(AwsError) as raised:
        Protocol.for_service("lambda").operation(ProtocolRequest.from_target("GET", "/2015-03-31/nothing"))
    assert (raised.value.code, raised.value.status) == ("UnknownOperationException", 404)


def test_s3_query_that_is_not_utf8_is_an_invalid_uri():
    with pytest.raises(AwsError) as raised:
        s3("GET", "/bucket?prefix=%ff")
    assert raised.value.code == "InvalidURI"
