"""
The readers this issue added: where a request names tables (and which of
those ARNs are another account's or region's), table ARNs in TableName
given to DynamoDB Local as names, and TTL deletions' stream records.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ruststack.dynamodb import resources, rewrite
from ruststack.dynamodb.rewrite import Identity

CALLER = Identity.of("123456789012", "eu-west-1", "0" * 64)
OWN = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
OTHER_ACCOUNT = "arn:aws:dynamodb:eu-west-1:210987654321:table/orders"
OTHER_REGION = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
names = st.sampled_from(["orders", OWN, OTHER_ACCOUNT, OTHER_REGION, "arn:aws:s3:::bucket", "arn:", ""])


def test_every_place_a_request_names_a_table():
    params = {
        "TableName": "a",
        "RequestItems": {"b": {}, OWN: []},
        "TransactItems": [
            {"Put": {"TableName": "c"}},
            {"ConditionCheck": {"TableName": "d"}},
            {"Update": {"TableName": 7}},
            "junk",
        ],
        "StreamArn": "e",
    }
    assert sorted(resources.named(params)) == sorted(["a", "b", OWN, "c", "d", "e"])


def test_another_accounts_arn_is_denied_and_another_regions_not_found():
    denied = resources.foreign("GetItem", {"TableName": OTHER_ACCOUNT}, CALLER)
    assert denied is not None
    assert (denied.code, denied.status) == ("AccessDeniedException", 400)
    assert denied.message == (
        "User: arn:aws:iam::123456789012:root is not authorized to perform: dynamodb:GetItem on resource: "
        f"{OTHER_ACCOUNT} because no resource-based policy allows the dynamodb:GetItem action"
    )
    missing = resources.foreign("BatchGetItem", {"RequestItems": {OTHER_REGION: {}}}, CALLER)
    assert missing is not None
    assert (missing.code, missing.message) == ("ResourceNotFoundException", "Requested resource not found")
    transact = {"TransactItems": [{"Get": {"TableName": OWN}}, {"Delete": {"TableName": OTHER_ACCOUNT}}]}
    assert resources.foreign("TransactWriteItems", transact, CALLER) is not None
    assert resources.foreign("GetItem", {"TableName": OWN, "Key": {"pk": {"S": OTHER_ACCOUNT}}}, CALLER) is None


@given(json_values)
def test_any_document_is_read_without_failing(params):
    resources.foreign("GetItem", params, CALLER)


@given(
    st.lists(st.tuples(st.sampled_from(["TableName", "RequestItems", "TransactItems", "Key"]), names), max_size=5),
    json_values,
)
def test_a_foreign_arn_anywhere_a_table_is_named_is_found(placed, noise):
    params: dict = {"Item": noise}
    for where, name in placed:
        if where == "TableName":
            params["TableName"] = name
        elif where == "RequestItems":
            params.setdefault("RequestItems", {})[name] = {"Keys": []}
        elif where == "TransactItems":
            params.setdefault("TransactItems", []).append({"Get": {"TableName": name}})
        else:
            params["Key"] = {"pk": {"S": name}}  # item data: never a table
    named = set(resources.named(params))
    expect_foreign = bool(named & {OTHER_ACCOUNT, OTHER_REGION})
    assert (resources.foreign("Op", params, CALLER) is not None) == expect_foreign


@given(st.text(alphabet="abcXYZ019_.-", min_size=3, max_size=20), json_values)
def test_own_table_arns_as_table_name_reach_dynamodb_local_as_names(table, data):
    arn = CALLER.arn("table/" + table)
    body = json.dumps(
        {
            "TransactItems": [{"Get": {"TableName": arn, "Key": {"pk": {"S": arn}}}}],
            "TableName": arn,
            "Data": data,
        }
    ).encode()
    sent = json.loads(rewrite.request_to_local(body, CALLER))
    assert sent["TableName"] == table
    assert sent["TransactItems"][0]["Get"]["TableName"] == table
    assert sent["TransactItems"][0]["Get"]["Key"] == {"pk": {"S": arn}}  # item data kept
    # Index and stream ARNs keep DynamoDB Local's form.
    index = rewrite.request_to_local(json.dumps({"TableName": arn + "/index/i"}).encode(), CALLER)
    assert json.loads(index)["TableName"] == "arn:aws:dynamodb:ddblocal:000000000000:table/" + table + "/index/i"


def test_ttl_deletions_are_removes_by_the_service():
    local = (
        b'{"Records":[{"eventID":"1","eventName":"REMOVE","dynamodb":{}},'
        b'{"eventID":"2","eventName":"UNKNOWN_TO_SDK_VERSION","dynamodb":{"OldImage":{"s":{"S":'
        b'"\\"eventName\\":\\"UNKNOWN_TO_SDK_VERSION\\""}}}}]}'
    )
    changed = rewrite.ttl_removals(local)
    assert changed is not None
    first, second = json.loads(changed)["Records"]
    assert first == {"eventID": "1", "eventName": "REMOVE", "dynamodb": {}}
    assert second["eventName"] == "REMOVE"
    assert second["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    # Item data that spells the marker is left alone.
    assert second["dynamodb"]["OldImage"]["s"]["S"] == '"eventName":"UNKNOWN_TO_SDK_VERSION"'
    assert rewrite.ttl_removals(b'{"Records":[]}') is None


@given(st.lists(st.sampled_from([b'"eventName":"UNKNOWN_TO_SDK_VERSION"', b'"eventName"', b"x", b'"']), max_size=8))
def test_ttl_removals_of_any_bytes(pieces):
    body = b"".join(pieces)
    changed = rewrite.ttl_removals(body)
    marker = b'"eventName":"UNKNOWN_TO_SDK_VERSION"'
    assert (changed is None) == (marker not in body)
    assert changed is None or marker not in changed
