"""
Hostile request bodies over a real socket, through RustStack's edge: nested
far beyond anything DynamoDB takes, random JSON, random bytes. Every answer
is AWS's error (a 4xx with a JSON body botocore reads), never a 500.
"""

from __future__ import annotations

import functools
import http.client
import json
import zlib
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.dynamodb.json_depth import MAX_JSON_DEPTH
from tests.dynamodb.helpers import make_table, requires_dynamodb_local

pytestmark = requires_dynamodb_local

SERIALIZATION = {"__type": "com.amazon.coral.service#SerializationException"}
NESTING = (
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
)


def post(stack, target: str, body: bytes, signed: bool = True) -> tuple[int, dict, bytes]:
    """
    POST C{body} to RustStack as DynamoDB operation C{target}, signed with
    SigV4 (as the C{client} fixture signs) or unsigned.
    """
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + target}
    if signed:
        request = AWSRequest("POST", stack.endpoint_url + "/", data=body, headers=headers)
        SigV4Auth(Credentials("test", "test"), "dynamodb", stack.region).add_auth(request)
        headers = dict(request.headers.items())
    connection = http.client.HTTPConnection(stack.endpoint_url.split("//", 1)[1], timeout=30)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        return answer.status, {name.lower(): value for name, value in answer.getheaders()}, data
    finally:
        connection.close()


def assert_aws_error(status: int, headers: dict, data: bytes) -> dict:
    """
    An error as DynamoDB sends it: 4xx, a JSON object with a namespaced
    C{__type}, the CRC32 botocore checks.
    """
    assert 400 <= status < 500, (status, data[:300])
    document = json.loads(data)
    assert document["__type"].rpartition("#")[0] in (
        "com.amazon.coral.service",
        "com.amazon.coral.validate",
        "com.amazonaws.dynamodb.v20120810",
    )
    assert headers["x-amz-crc32"] == str(zlib.crc32(data))
    assert headers["content-type"] == "application/x-amz-json-1.0"
    return document


def nested_item(levels: int) -> bytes:
    """
    A PutItem whose attribute C{a} is C{levels} maps deep.
    """
    value = '{"S":"x"}'
    head, tail = '{"M":{"a":' * levels, "}}" * levels
    return ('{"TableName":"items","Item":{"pk":{"S":"p"},"a":' + head + value + tail + "}}").encode()


@pytest.mark.parametrize(
    "target, body",
    [
        ("PutItem", b'{"TableName":"items","Item":{"a":' + b'{"M":{"a":' * 100_000 + b"{}" + b"}}" * 100_000 + b"}}"),
        ("PutItem", b"[" * 100_000 + b"]" * 100_000),
        ("GetItem", b'{"TableName":"items","Key":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        # Answered by the proxy itself (tags) or read by it (a table class).
        ("TagResource", b'{"ResourceArn":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        (
            "UpdateTable",
            b'{"TableName":"items","TableClass":"STANDARD","X":' + b'[{"a":' * 50_000 + b"1" + b"}]" * 50_000 + b"}",
        ),
        # Unbalanced: never closed.
        ("Query", b'{"TableName":"items","ExpressionAttributeValues":' + b'{":v":' * 100_000),
    ],
    ids=["item-maps", "arrays", "key", "emulated", "table-class", "unclosed"],
)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_a_body_nested_100000_levels_is_a_serialization_error(stack, target, body, signed):
    status, headers, data = post(stack, target, body, signed)
    assert (status, json.loads(data)) == (400, SERIALIZATION), data[:300]
    assert_aws_error(status, headers, data)


def test_the_depth_limit_is_exact(client, stack):
    make_table(client, sort=False, gsi=False, lsi=False)
    # {"TableName":"items","Item":{"pk":...,"a":  is two levels deep, each map two more.
    deepest = (MAX_JSON_DEPTH - 3) // 2
    status, headers, data = post(stack, "PutItem", nested_item(deepest))
    assert status == 400 and assert_aws_error(status, headers, data) == {
        "__type": "com.amazon.coral.validate#ValidationException",
        "message": NESTING,
    }
    status, headers, data = post(stack, "PutItem", nested_item(deepest + 1))
    assert (status, json.loads(data)) == (400, SERIALIZATION)


def test_attribute_nesting_is_refused_as_aws_does(client, stack):
    """
    32 levels of nesting are DynamoDB's limit (31 maps around a scalar);
    deeper items get AWS's ValidationException, not a serialization error.
    """
    make_table(client, sort=False, gsi=False, lsi=False)
    status, _, data = post(stack, "PutItem", nested_item(31))
    assert (status, data) == (200, b"{}")
    for levels in (32, 33, 100):
        status, headers, data = post(stack, "PutItem", nested_item(levels))
        assert assert_aws_error(status, headers, data) == {
            "__type": "com.amazon.coral.validate#ValidationException",
            "message": NESTING,
        }


def test_table_class_named_elsewhere_in_an_update_is_no_table_class(client, stack):
    make_table(client, sort=False, gsi=False, lsi=False)
    body = {"TableName": "items", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "TableClass"}}]}
    status, headers, data = post(stack, "UpdateTable", json.dumps(body).encode())
    assert assert_aws_error(status, headers, data)["__type"].endswith("#ResourceNotFoundException")


OPERATIONS = [
    "PutItem",
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchWriteItem",
    "BatchGetItem",
    "TransactWriteItems",
    "CreateTable",
    "DescribeTable",
    "UpdateTable",
    "DeleteTable",
    "ListTables",
    "ExecuteStatement",
    "TagResource",
    "ListTagsOfResource",
    "DescribeContinuousBackups",
    "UpdateContinuousBackups",
]
MEMBERS = st.sampled_from(
    [
        "TableName",
        "Item",
        "Key",
        "ResourceArn",
        "Tags",
        "TableClass",
        "ExpressionAttributeValues",
        "RequestItems",
        "TransactItems",
        "Statement",
        "Limit",
        "PointInTimeRecoverySpecification",
        "KeySchema",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


def _settings(examples: int):
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_settings(300)
@given(
    operation=st.sampled_from(OPERATIONS),
    document=st.dictionaries(MEMBERS, JSON | st.just("items"), max_size=5),
)
def test_random_json_objects_get_aws_answers_never_a_500(stack, operation, document):
    status, headers, data = post(stack, operation, json.dumps(document).encode())
    if status != 200:
        assert_aws_error(status, headers, data)


@_settings(200)
@given(operation=st.sampled_from(OPERATIONS), body=st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()))
def test_random_bytes_and_json_values_get_aws_answers_never_a_500(stack, operation, body):
    status, headers, data = post(stack, operation, body)
    if status != 200:
        assert_aws_error(status, headers, data)


@_settings(60)
@given(
    operation=st.sampled_from(OPERATIONS),
    depth=st.integers(MAX_JSON_DEPTH - 5, 3 * MAX_JSON_DEPTH),
    opener=st.sampled_from([b"[", b'{"a":']),
)
def test_deep_documents_at_and_beyond_the_limit_get_aws_answers(stack, operation, depth, opener):
    closer = b"]" if opener == b"[" else b"}"
    body = b'{"TableName":"items","X":' + opener * depth + closer * depth + b"}"
    status, headers, data = post(stack, operation, body)
    if status != 200:
        assert_aws_error(status, headers, data)
    if depth + 1 > MAX_JSON_DEPTH:
        assert (status, json.loads(data)) == (400, SERIALIZATION)


def _model_value(shape, depth: int):
    """
    Values of C{shape} as botocore models it, now and then any JSON value
    instead (a member of the wrong type).
    """
    kind = shape.type_name
    wrong = JSON if depth < 6 else st.none()
    if depth > 6:
        return st.none()
    if kind == "structure":
        members = {name: _model_value(member, depth + 1) for name, member in shape.members.items()}
        right: st.SearchStrategy[Any] = st.fixed_dictionaries({}, optional=members) if members else st.just({})
    elif kind == "list":
        right = st.lists(_model_value(shape.member, depth + 1), max_size=2)
    elif kind == "map":
        right = st.dictionaries(st.text(max_size=4), _model_value(shape.value, depth + 1), max_size=2)
    elif kind in ("string", "blob"):
        right = st.sampled_from(["items", "", "arn:aws:dynamodb:us-east-1:000000000000:table/items", "S", "a = :v"])
        if getattr(shape, "enum", None):
            right = right | st.sampled_from(shape.enum)
    elif kind in ("integer", "long"):
        right = st.integers(-2, 200)
    elif kind == "boolean":
        right = st.booleans()
    else:
        right = st.one_of(st.integers(0, 2_000_000_000), st.floats(0, 2e9))
    return st.one_of(right, right, right, wrong)


@functools.cache
def _operation_documents(operation: str):
    from ruststack.dynamodb.shapes import _model

    return _model_value(_model().operation_model(operation).input_shape, 0)


@_settings(300)
@given(
    data=st.data(),
    operation=st.sampled_from(OPERATIONS + ["UpdateTimeToLive", "TransactGetItems", "BatchExecuteStatement"]),
)
def test_documents_shaped_like_the_model_with_wrong_members_get_aws_answers(client, stack, data, operation):
    if not client.list_tables()["TableNames"]:
        make_table(client, sort=False, gsi=False, lsi=False)
    document = data.draw(_operation_documents(operation))
    status, headers, data_ = post(stack, operation, json.dumps(document).encode())
    if status != 200:
        assert_aws_error(status, headers, data_)
