"""
Item operations end to end through boto3's client API.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.dynamodb.helpers import make_table, requires_dynamodb_local

pytestmark = requires_dynamodb_local


def test_design_notes_conditional_put_and_update_with_attribute_names(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    client.put_item(TableName="items", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException) as raised:
        client.put_item(TableName="items", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
    assert raised.value.response["Error"]["Message"] == "The conditional request failed"
    client.update_item(
        TableName="items",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET #attr = :val",
        ExpressionAttributeNames={"#attr": "status"},
        ExpressionAttributeValues={":val": {"S": "done"}},
    )
    item = client.get_item(TableName="items", Key={"pk": {"S": "a"}})["Item"]
    assert item == {"pk": {"S": "a"}, "n": {"N": "1"}, "status": {"S": "done"}}


def test_condition_failure_returns_the_item_when_asked(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    client.put_item(TableName="items", Item={"pk": {"S": "a"}, "v": {"N": "7"}})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException) as raised:
        client.update_item(
            TableName="items",
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET v = :new",
            ConditionExpression="v = :old",
            ExpressionAttributeValues={":new": {"N": "8"}, ":old": {"N": "6"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert raised.value.response["Item"] == {"pk": {"S": "a"}, "v": {"N": "7"}}


def test_get_item_of_a_missing_item_has_no_item(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    answer = client.get_item(TableName="items", Key={"pk": {"S": "nothing"}})
    assert "Item" not in answer
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_item_operations_with_expressions(client):
    make_table(client)
    client.put_item(
        TableName="items",
        Item={"pk": {"S": "p"}, "sk": {"S": "1"}, "gk": {"S": "g"}, "tags": {"SS": ["x", "y"]}, "n": {"N": "1"}},
    )
    client.update_item(
        TableName="items",
        Key={"pk": {"S": "p"}, "sk": {"S": "1"}},
        UpdateExpression="SET m = :m",
        ExpressionAttributeValues={":m": {"M": {}}},
    )
    answer = client.update_item(
        TableName="items",
        Key={"pk": {"S": "p"}, "sk": {"S": "1"}},
        UpdateExpression="ADD n :one REMOVE tags SET m.#k = :v",
        ConditionExpression="attribute_exists(pk) AND n = :n",
        ExpressionAttributeNames={"#k": "key"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"N": "1"}, ":v": {"S": "v"}},
        ReturnValues="UPDATED_NEW",
    )
    assert answer["Attributes"] == {"n": {"N": "2"}, "m": {"M": {"key": {"S": "v"}}}}
    projected = client.get_item(
        TableName="items",
        Key={"pk": {"S": "p"}, "sk": {"S": "1"}},
        ProjectionExpression="#n, m.#k",
        ExpressionAttributeNames={"#n": "n", "#k": "key"},
        ConsistentRead=True,
    )["Item"]
    assert projected == {"n": {"N": "2"}, "m": {"M": {"key": {"S": "v"}}}}
    deleted = client.delete_item(
        TableName="items",
        Key={"pk": {"S": "p"}, "sk": {"S": "1"}},
        ConditionExpression="n > :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_OLD",
    )
    assert deleted["Attributes"]["gk"] == {"S": "g"}
    assert "Item" not in client.get_item(TableName="items", Key={"pk": {"S": "p"}, "sk": {"S": "1"}})


def test_query_on_a_gsi_and_an_lsi(client):
    make_table(client)
    for i in range(6):
        client.put_item(
            TableName="items",
            Item={"pk": {"S": "p"}, "sk": {"S": f"{i:02d}"}, "gk": {"S": "even" if i % 2 == 0 else "odd"}},
        )
    by_gsi = client.query(
        TableName="items",
        IndexName="by-gk",
        KeyConditionExpression="gk = :g",
        ExpressionAttributeValues={":g": {"S": "odd"}},
    )
    assert sorted(item["sk"]["S"] for item in by_gsi["Items"]) == ["01", "03", "05"]
    by_lsi = client.query(
        TableName="items",
        IndexName="by-pk-gk",
        KeyConditionExpression="pk = :p AND gk = :g",
        ExpressionAttributeValues={":p": {"S": "p"}, ":g": {"S": "even"}},
    )
    assert by_lsi["Count"] == 3
    assert set(by_lsi["Items"][0]) == {"pk", "sk", "gk"}
    ranged = client.query(
        TableName="items",
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"S": "02"}, ":b": {"S": "04"}},
        ScanIndexForward=False,
    )
    assert [item["sk"]["S"] for item in ranged["Items"]] == ["04", "03", "02"]


def _write_many(client, count: int) -> None:
    for start in range(0, count, 25):
        requests = [
            {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": f"{i:05d}"}, "gk": {"S": "g"}}}}
            for i in range(start, min(start + 25, count))
        ]
        answer = client.batch_write_item(RequestItems={"items": requests})
        assert not answer["UnprocessedItems"]


def test_query_and_scan_pagination_over_1000_items(client):
    make_table(client, gsi=False, lsi=False)
    _write_many(client, 1200)
    seen: list[str] = []
    pages = 0
    start: dict = {}
    while True:
        page = client.query(
            TableName="items",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            Limit=500,
            **start,
        )
        pages += 1
        seen.extend(item["sk"]["S"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    assert pages >= 3
    assert seen == [f"{i:05d}" for i in range(1200)]
    scanned: list[str] = []
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName="items", PaginationConfig={"PageSize": 300}):
        scanned.extend(item["sk"]["S"] for item in page["Items"])
    assert sorted(scanned) == seen


def test_batch_get_and_write(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    client.batch_write_item(
        RequestItems={
            "items": [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"N": str(i)}}}} for i in range(10)]
        }
    )
    client.batch_write_item(RequestItems={"items": [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
    answer = client.batch_get_item(
        RequestItems={"items": {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(10)], "ProjectionExpression": "v"}}
    )
    values = sorted(int(item["v"]["N"]) for item in answer["Responses"]["items"])
    assert values == list(range(1, 10))
    assert not answer["UnprocessedKeys"]


def test_transact_write_cancellation_reasons(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    client.put_item(TableName="items", Item={"pk": {"S": "taken"}})
    with pytest.raises(client.exceptions.TransactionCanceledException) as raised:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "items", "Item": {"pk": {"S": "new"}}}},
                {
                    "Put": {
                        "TableName": "items",
                        "Item": {"pk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    response = raised.value.response
    assert response["Error"]["Message"].startswith("Transaction cancelled, please refer cancellation reasons")
    reasons = response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"] == {"pk": {"S": "taken"}}
    assert "Item" not in client.get_item(TableName="items", Key={"pk": {"S": "new"}})
    got = client.transact_get_items(TransactItems=[{"Get": {"TableName": "items", "Key": {"pk": {"S": "taken"}}}}])
    assert got["Responses"][0]["Item"] == {"pk": {"S": "taken"}}


def test_partiql(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    client.execute_statement(Statement="INSERT INTO \"items\" VALUE {'pk': 'a', 'v': 1}")
    answer = client.execute_statement(Statement='SELECT v FROM "items" WHERE pk = ?', Parameters=[{"S": "a"}])
    assert answer["Items"] == [{"v": {"N": "1"}}]


def test_time_to_live(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    client.update_time_to_live(TableName="items", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    described = client.describe_time_to_live(TableName="items")["TimeToLiveDescription"]
    assert described == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_errors_read_as_aws_writes_them(client, stack):
    make_table(client)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.describe_table(TableName="nope")
    assert raised.value.response["Error"]["Message"] == "Requested resource not found: Table: nope not found"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.get_item(TableName="nope", Key={"pk": {"S": "a"}})
    assert raised.value.response["Error"]["Message"] == "Requested resource not found"
    with pytest.raises(client.exceptions.ResourceInUseException) as raised:
        make_table(client)
    assert raised.value.response["Error"]["Message"] == "Table already exists: items"
    with pytest.raises(ClientError) as raised:
        client.get_item(TableName="items", Key={"pk": {"S": "a"}})
    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "The provided key element does not match the schema",
    }
    assert len(raised.value.response["ResponseMetadata"]["RequestId"]) == 52


def test_partiql_batches_and_transactions(client):
    make_table(client, sort=False, gsi=False, lsi=False)
    answers = client.batch_execute_statement(
        Statements=[
            {"Statement": "INSERT INTO \"items\" VALUE {'pk': ?}", "Parameters": [{"S": f"b{i}"}]} for i in range(3)
        ]
    )["Responses"]
    assert [answer.get("Error") for answer in answers] == [None, None, None]
    client.execute_transaction(
        TransactStatements=[
            {"Statement": 'UPDATE "items" SET v = ? WHERE pk = ?', "Parameters": [{"N": "5"}, {"S": "b0"}]},
            {"Statement": 'DELETE FROM "items" WHERE pk = ?', "Parameters": [{"S": "b1"}]},
        ]
    )
    items = {item["pk"]["S"]: item for item in client.scan(TableName="items")["Items"]}
    assert sorted(items) == ["b0", "b2"] and items["b0"]["v"] == {"N": "5"}


def test_arns_in_item_data_are_kept_and_tables_may_be_named_by_arn(client):
    table_arn = make_table(client, sort=False, gsi=False, lsi=False)["TableArn"]
    item = {"pk": {"S": "a"}, "ref": {"S": table_arn}, "refs": {"L": [{"S": "x"}, {"S": table_arn}]}}
    client.put_item(TableName="items", Item=item)
    # Read by name (passed on as it arrives) and by ARN (read whole, rewritten).
    assert client.get_item(TableName="items", Key={"pk": {"S": "a"}})["Item"] == item
    by_arn = client.get_item(TableName=table_arn, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert by_arn["Item"] == item
    assert by_arn["ConsumedCapacity"]["TableName"] == table_arn
    assert client.scan(TableName="items")["Items"] == [item]
    batch = client.batch_get_item(RequestItems={table_arn: {"Keys": [{"pk": {"S": "a"}}]}})
    assert batch["Responses"] == {table_arn: [item]}


@pytest.mark.parametrize("body", [b'{"TableName": ', b"[1, 2]", b""], ids=["truncated", "array", "empty"])
def test_a_body_that_is_no_json_object_is_refused_as_aws_does(stack, body):
    """
    DynamoDB Local fails these with a 500 InternalFailure (which SDKs retry);
    AWS answers 400 SerializationException, a bare type.
    """
    import http.client
    import json
    import zlib

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"}
    request = AWSRequest("POST", stack.endpoint_url + "/", data=body, headers=headers)
    SigV4Auth(Credentials("111122223333", "x"), "dynamodb", "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection(stack.endpoint_url.split("//", 1)[1], timeout=10)
    connection.request("POST", "/", body=body, headers=dict(request.headers.items()))
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    assert answer.status == 400
    assert json.loads(data) == {"__type": "com.amazon.coral.service#SerializationException"}
    assert answer.getheader("x-amz-crc32") == str(zlib.crc32(data))
