"""
Validation and unreadable requests, message by message: the words AWS uses
(several of these messages are copied from answers AWS gave), the code
each service uses, the wire form of the error.
"""

from __future__ import annotations

import json

import pytest

from ruststack.aws.errors import AwsError
from ruststack.protocol import Protocol, ProtocolRequest
from tests.protocol.wire import parse_with_botocore, request_from_botocore


def refused(service: str, operation_name: str, params: dict) -> AwsError:
    """
    The error the layer answers a request botocore sends for C{params} with.
    """
    protocol = Protocol.for_service(service)
    operation = protocol.model.operation_model(operation_name)
    request = request_from_botocore(operation, params)
    with pytest.raises(AwsError) as raised:
        match = protocol.match(request, {operation_name})
        protocol.validate(match.operation, protocol.parse(match, request))
    # Whatever it is, a client reads it as that code.
    assert parse_with_botocore(operation, protocol.error(raised.value))["Error"]["Code"] == raised.value.code
    return raised.value


def test_dynamodb_missing_required_member():
    error = refused(
        "dynamodb",
        "CreateTable",
        {
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    assert error.code == "ValidationException"
    assert error.message == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"
    )
    # DynamoDB names Coral's validation errors in Coral's namespace.
    body = json.loads(Protocol.for_service("dynamodb").error(error).body)
    assert body == {"__type": "com.amazon.coral.validate#ValidationException", "message": error.message}


def test_nested_paths_name_list_items_as_members():
    error = refused(
        "dynamodb",
        "CreateTable",
        {
            "TableName": "notes",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "BAD"}],
        },
    )
    assert error.message == (
        "1 validation error detected: Value 'BAD' at 'keySchema.1.member.keyType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HASH, RANGE]"
    )


def test_logs_reports_every_broken_constraint_as_invalid_parameter():
    # As CloudWatch Logs answered (fluent-plugin-cloudwatch-logs issue 223).
    error = refused("logs", "DescribeLogGroups", {"logGroupNamePrefix": ""})
    assert error.code == "InvalidParameterException"
    assert error.message == (
        "2 validation errors detected: Value '' at 'logGroupNamePrefix' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+; "
        "Value '' at 'logGroupNamePrefix' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        # Both as CloudWatch Logs answered (aws-embedded-metrics-java issue 65, crossfeed issue 374).
        (
            "CreateLogGroup",
            {"logGroupName": "testServiceName:latest-metrics"},
            "1 validation error detected: Value 'testServiceName:latest-metrics' at 'logGroupName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
        ),
        (
            "PutLogEvents",
            {
                "logGroupName": "g",
                "logStreamName": "worker/main/arn:aws:ecs",
                "logEvents": [{"timestamp": 1, "message": "m"}],
            },
            "1 validation error detected: Value 'worker/main/arn:aws:ecs' at 'logStreamName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [^:*]*",
        ),
    ],
)
def test_logs_patterns_match_the_whole_value(operation, params, message):
    assert refused("logs", operation, params).message == message


def test_query_services_answer_validation_error_in_xml():
    error = refused("iam", "CreateUser", {"UserName": "bad name!"})
    assert error.code == "ValidationError"
    assert error.message == (
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )
    response = Protocol.for_service("iam").error(error, request_id="rid")
    assert response.status == 400
    assert response.body.decode() == (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>ValidationError</Code><Message>{error.message}</Message></Error>"
        "<RequestId>rid</RequestId></ErrorResponse>"
    )


def test_a_sensitive_value_is_not_echoed():
    error = refused("iam", "CreateLoginProfile", {"UserName": "bob", "Password": "\x01"})
    assert error.message == (
        "1 validation error detected: Value at 'password' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
    )


def test_ranges_and_the_rest_json_wire_form():
    error = refused(
        "lambda",
        "CreateFunction",
        {"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {}, "MemorySize": 64},
    )
    assert error.code == "ValidationException"
    assert error.message == (
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )
    response = Protocol.for_service("lambda").error(error, request_id="rid")
    assert ("x-amzn-ErrorType", "ValidationException") in response.headers
    assert json.loads(response.body) == {"message": error.message}


def test_map_keys_are_judged_together():
    error = refused(
        "lambda",
        "TagResource",
        {"Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Tags": {"": "v", "ok": "v"}},
    )
    assert error.message == (
        "1 validation error detected: Value '{=v, ok=v}' at 'tags' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length greater than or equal to 1]"
    )


def test_a_list_of_scalars_is_judged_as_one():
    error = refused(
        "lambda",
        "CreateFunction",
        {"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {}, "Layers": ["nope", "also-nope"]},
    )
    assert error.message.startswith(
        "1 validation error detected: Value '[nope, also-nope]' at 'layers' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must satisfy regular expression pattern: ((arn:"
    )


def test_api_gateway_refuses_with_bad_request():
    error = refused("apigatewayv2", "CreateApi", {"Name": "api", "ProtocolType": "SOAP"})
    assert error.code == "BadRequestException"


# -- S3: its own errors, not Coral's


def test_s3_storage_class():
    error = refused("s3", "PutObject", {"Bucket": "b", "Key": "k", "StorageClass": "CHEAP"})
    assert (error.code, error.message) == ("InvalidStorageClass", "The storage class you specified is not valid")
    assert error.fields == {"StorageClassRequested": "CHEAP"}


def test_s3_header_argument():
    error = refused("s3", "PutObject", {"Bucket": "b", "Key": "k", "ACL": "everyone"})
    assert error.code == "InvalidArgument"
    assert error.fields == {"ArgumentName": "x-amz-acl", "ArgumentValue": "everyone"}
    body = Protocol.for_service("s3").error(error, method="PUT", request_id="rid").body.decode()
    assert "<ArgumentName>x-amz-acl</ArgumentName><ArgumentValue>everyone</ArgumentValue>" in body


def test_s3_missing_body():
    error = refused("s3", "PutBucketTagging", {"Bucket": "b"})
    assert (error.code, error.message) == ("MissingRequestBodyError", "Request body is empty.")


def test_s3_document_that_breaks_the_schema_is_malformed_xml():
    error = refused("s3", "PutBucketVersioning", {"Bucket": "b", "VersioningConfiguration": {"Status": "Sometimes"}})
    assert error.code == "MalformedXML"


def test_s3_integer_that_is_not_one():
    protocol = Protocol.for_service("s3")
    request = ProtocolRequest.from_target("GET", "/bucket?list-type=2&max-keys=ten")
    with pytest.raises(AwsError) as raised:
        protocol.parse(protocol.match(request), request)
    error = raised.value
    assert (error.code, error.message) == (
        "InvalidArgument",
        "Provided max-keys not an integer or within integer range.",
    )
    assert error.fields == {"ArgumentName": "max-keys", "ArgumentValue": "ten"}


def test_s3_ignores_a_conditional_header_that_is_not_a_date():
    # RFC 9110 13.1.3: an invalid If-Modified-Since is ignored, as S3 ignores it.
    protocol = Protocol.for_service("s3")
    request = ProtocolRequest.from_target("GET", "/bucket/key", {"If-Modified-Since": "yesterday"})
    assert protocol.parse(protocol.match(request), request) == {"Bucket": "bucket", "Key": "key"}


# -- bodies the protocol cannot read


def json_request(service: str, target: str, body: bytes) -> AwsError:
    protocol = Protocol.for_service(service)
    request = ProtocolRequest("POST", "/", "", {"X-Amz-Target": target}, body)
    with pytest.raises(AwsError) as raised:
        protocol.parse(protocol.match(request), request)
    return raised.value


@pytest.mark.parametrize("body", [b"", b"[]", b"not json", b"null", b'"text"'])
def test_dynamodb_body_that_is_no_object(body):
    error = json_request("dynamodb", "DynamoDB_20120810.ListTables", body)
    assert (error.code, error.message, error.status) == ("SerializationException", "", 400)
    answer = Protocol.for_service("dynamodb").error(error)
    assert json.loads(answer.body) == {"__type": "com.amazon.coral.service#SerializationException"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"TableName": 5}', "NUMBER_VALUE can not be converted to a String"),
        (b'{"TableName": {"a": 1}}', "Start of structure or map found where not expected."),
        (b'{"TableName": "t", "Limit": "5"}', "STRING_VALUE can not be converted to an Integer"),
        (b'{"TableName": "t", "Limit": true}', "BOOLEAN_VALUE can not be converted to an Integer"),
        (b'{"TableName": "t", "ExclusiveStartKey": []}', "Start of list found where not expected"),
    ],
)
def test_json_values_of_the_wrong_type(body, message):
    error = json_request("dynamodb", "DynamoDB_20120810.Scan", body)
    assert (error.code, error.message) == ("SerializationException", message)


def test_json_integral_float_is_an_integer():
    protocol = Protocol.for_service("dynamodb")
    request = ProtocolRequest(
        "POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.Scan"}, b'{"TableName":"t","Limit":5.0}'
    )
    assert protocol.parse(protocol.match(request), request) == {"TableName": "t", "Limit": 5}


def test_json_blob_that_is_not_base64():
    error = json_request("dynamodb", "DynamoDB_20120810.PutItem", b'{"TableName":"t","Item":{"k":{"B":"***"}}}')
    assert error.code == "SerializationException"


def test_query_value_that_is_not_its_type():
    protocol = Protocol.for_service("iam")
    request = ProtocolRequest("POST", "/", "", {}, b"Action=ListUsers&Version=2010-05-08&MaxItems=ten")
    with pytest.raises(AwsError) as raised:
        protocol.parse(protocol.match(request), request)
    assert (raised.value.code, raised.value.status) == ("InvalidParameterValue", 400)
