"""
What the proxy rewrites between callers and DynamoDB Local, byte for byte.
"""

from __future__ import annotations

import json
import zlib

import pytest

from ruststack.dynamodb import rewrite
from ruststack.dynamodb.rewrite import Identity

CALLER = Identity.of("123456789012", "eu-west-1", "0" * 64)


def test_identity_names_the_account_as_access_key_and_the_region():
    assert CALLER.authorization.startswith(
        b"AWS4-HMAC-SHA256 Credential=123456789012/20120810/eu-west-1/dynamodb/aws4_request,"
    )
    assert CALLER.arn("table/t") == "arn:aws:dynamodb:eu-west-1:123456789012:table/t"


def test_request_arns_go_to_ddblocal_and_come_back():
    sent = b'{"ResourceArn":"arn:aws:dynamodb:eu-west-1:123456789012:table/t"}'
    local = rewrite.request_to_local(sent, CALLER)
    assert local == b'{"ResourceArn":"arn:aws:dynamodb:ddblocal:000000000000:table/t"}'
    assert rewrite.response_from_local(local, CALLER) == sent
    other = b'{"ResourceArn":"arn:aws:dynamodb:us-east-1:123456789012:table/t"}'
    assert rewrite.request_to_local(other, CALLER) is other


def test_untouched_bodies_are_not_copied():
    assert rewrite.response_from_local(b'{"Item":{"pk":{"S":"a"}}}', CALLER) is None


def test_stream_records_name_the_region():
    local = (
        b'{"Records":[{"awsRegion":"ddblocal",'
        b'"eventSourceARN":"arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x"}]}'
    )
    changed = rewrite.response_from_local(local, CALLER)
    assert changed is not None
    records = json.loads(changed)["Records"]
    assert records == [
        {"awsRegion": "eu-west-1", "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/x"}
    ]


def test_table_names_may_be_arns():
    assert rewrite.table_name("arn:aws:dynamodb:eu-west-1:123456789012:table/t/index/i") == "t"
    assert rewrite.table_name("plain") == "plain"


def test_crc32_is_botocores():
    assert rewrite.crc32(b"{}") == str(zlib.crc32(b"{}")).encode()


def local_error(code: str, message: str, **fields) -> bytes:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "Message": message, **fields}).encode()


def translated(body: bytes, operation: str = "GetItem", sent: bytes = b'{"TableName":"t"}') -> dict:
    _, answer = rewrite.error_from_local(400, body, operation, sent, CALLER)
    return json.loads(answer)


@pytest.mark.parametrize("sent", [b'{"TableName": ', b"not json", b"[1,2]", b""])
def test_a_body_that_is_no_json_object_is_a_serialization_error(sent):
    internal = local_error("InternalFailure", "The request processing has failed because of an unknown error")
    status, answer = rewrite.error_from_local(500, internal, "GetItem", sent, CALLER)
    assert (status, json.loads(answer)) == (400, {"__type": "com.amazon.coral.service#SerializationException"})


def test_other_internal_failures_stay():
    internal = local_error("InternalFailure", "boom")
    sent = b'{"TableName":"t","Key":{"pk":{"S":"a"}}}'
    status, answer = rewrite.error_from_local(500, internal, "GetItem", sent, CALLER)
    assert (status, json.loads(answer)["message"]) == (500, "boom")


@pytest.mark.parametrize(
    "sent, error",
    [
        (
            b'{"TableName":{},"Key":{}}',
            ("SerializationException", "Start of structure or map found where not expected"),
        ),
        (b'{"TableName":"t","Key":[]}', ("SerializationException", "Unrecognized collection type class java.util.Map")),
        (b'{"TableName":5,"Key":{}}', ("SerializationException", "NUMBER_VALUE cannot be converted to String")),
        (
            b'{"TableName":"t","Key":{},"ConsistentRead":"yes"}',
            ("SerializationException", "Unexpected token received from parser"),
        ),
        (b'{"TableName":"t","Key":{"k":{"B":"not base64!"}}}', ("SerializationException", None)),
        (b'{"TableName":"t","Key":{"k":5}}', ("SerializationException", "Unexpected field type")),
        (b'{"TableName":"t","Key":{},"Limit":1e10}', None),
        (
            b'{"Key":{}}',
            (
                "ValidationException",
                "1 validation error detected: "
                "Value null at 'tableName' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            b'{"TableName":"t","Key":{},"ReturnConsumedCapacity":"ALL"}',
            (
                "ValidationException",
                "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: "
                "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
            ),
        ),
    ],
)
def test_internal_failures_of_a_request_aws_refuses_are_awss_refusal(sent, error):
    """
    DynamoDB Local fails members of the wrong JSON type (and some missing
    ones) with a 500; AWS refuses them as its JSON framework reads them.
    """
    internal = local_error("InternalFailure", "The request processing has failed because of an unknown error")
    status, answer = rewrite.error_from_local(500, internal, "GetItem", sent, CALLER)
    document = json.loads(answer)
    if error is None:  # GetItem has no Limit: an unknown member is ignored
        assert status == 500
        return
    assert status == 400
    assert (document["__type"].rpartition("#")[2], document.get("message")) == error


def test_constraint_messages_get_awss_count():
    message = "Value null at 'tableName' failed to satisfy constraint: Member must not be null"
    assert (
        translated(local_error("ValidationException", message))["message"] == "1 validation error detected: " + message
    )


def test_missing_table_messages_are_awss():
    missing = local_error("ResourceNotFoundException", "Cannot do operations on a non-existent table")
    assert translated(missing) == {
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found",
    }
    assert translated(missing, "DescribeTable")["message"] == "Requested resource not found: Table: t not found"
    existing = local_error("ResourceInUseException", "Cannot create preexisting table")
    assert translated(existing, "CreateTable")["message"] == "Table already exists: t"


def test_key_errors_read_as_awss():
    for message in (
        "One of the required keys was not given a value",
        "One or more parameter values were invalid: Type mismatch for key",
        "The number of conditions on the keys is invalid",
    ):
        answer = translated(local_error("ValidationException", message))
        assert answer == {
            "__type": "com.amazon.coral.validate#ValidationException",
            "message": "The provided key element does not match the schema",
        }
    query = translated(local_error("ValidationException", "The number of conditions on the keys is invalid"), "Query")
    assert query["message"] == "The number of conditions on the keys is invalid"


def test_other_members_and_the_models_message_name_are_kept():
    reasons = [{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}, {"Code": "None"}]
    answer = translated(
        local_error("TransactionCanceledException", "Transaction cancelled", CancellationReasons=reasons)
    )
    assert answer == {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "CancellationReasons": reasons,
        "Message": "Transaction cancelled",
    }
    condition = translated(
        local_error("ConditionalCheckFailedException", "The conditional request failed", Item={"pk": {"S": "a"}})
    )
    assert condition["Item"] == {"pk": {"S": "a"}} and condition["message"] == "The conditional request failed"


def test_an_unreadable_error_is_an_internal_error():
    assert rewrite.error_from_local(400, b"<html>oops</html>", "GetItem", b"{}", CALLER)[0] == 500
    assert translated(b"<html>oops</html>") == {
        "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "message": "Internal server error",
    }


def test_only_resource_names_are_rewritten_not_item_data():
    arn = b"arn:aws:dynamodb:eu-west-1:123456789012:table/t"
    local = b"arn:aws:dynamodb:ddblocal:000000000000:table/t"
    sent = (
        b'{"TableName": "' + arn + b'", "Item": {"a": {"S": "' + arn + b'"}, "s": {"SS": ["x", "' + arn + b'"]},'
        b' "m": {"M": {"k": {"S": "' + arn + b'"}}}}}'
    )
    # A table's ARN as TableName reaches DynamoDB Local as its name (its
    # transactions know no ARN); item data is kept.
    assert rewrite.request_to_local(sent, CALLER) == sent.replace(b'"TableName": "' + arn, b'"TableName": "t')
    batch = b'{"RequestItems":{"' + arn + b'":{"Keys":[]},"' + arn + b'2":[]}}'
    assert rewrite.request_to_local(batch, CALLER) == batch.replace(arn, local)
    for member in (b"ResourceArn", b"StreamArn", b"ShardIterator", b"ExclusiveStartStreamArn"):
        assert rewrite.request_to_local(b'{"' + member + b'":"' + arn + b'"}', CALLER) == (
            b'{"' + member + b'":"' + local + b'"}'
        )


def test_tables_named_by_arn_in_the_request_are_named_so_in_the_answer():
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/t"
    sent = json.dumps({"RequestItems": {arn: {"Keys": []}, "u": {"Keys": []}}}).encode()
    local = {
        "Responses": {"t": [], "u": []},
        "UnprocessedKeys": {},
        "ConsumedCapacity": [{"TableName": "t", "CapacityUnits": 1.0}, {"TableName": "u", "CapacityUnits": 1.0}],
    }
    named = rewrite.tables_by_arn(json.dumps(local).encode(), sent, CALLER)
    assert named is not None
    answer = json.loads(named)
    assert answer["Responses"] == {arn: [], "u": []}
    assert [entry["TableName"] for entry in answer["ConsumedCapacity"]] == [arn, "u"]
    # An ARN that is only item data names nothing.
    put = json.dumps({"TableName": "t", "Item": {"ref": {"S": arn}}}).encode()
    consumed = json.dumps({"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}}).encode()
    assert rewrite.tables_by_arn(consumed, put, CALLER) is None
