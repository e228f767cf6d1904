"""
Tables named by ARN in TransactWriteItems, TransactGetItems, BatchGetItem
and BatchWriteItem, answered with the key the caller used; an ARN of another
account or region never reaches a table, the caller's own included (with
--auth verify, as an attack over a real socket).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, client_as, make_table, requires_dynamodb_local, wait_running

pytestmark = requires_dynamodb_local

KEY = {"pk": {"S": "k"}}


def simple_table(client, name: str = "orders") -> str:
    return make_table(client, name, sort=False, gsi=False, lsi=False)["TableArn"]


def test_transactions_take_table_arns(client):
    arn = simple_table(client)
    written = client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": arn, "Item": {**KEY, "n": {"N": "1"}}}},
            {
                "Update": {
                    "TableName": arn,
                    "Key": {"pk": {"S": "j"}},
                    "UpdateExpression": "SET n = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert [entry["TableName"] for entry in written["ConsumedCapacity"]] == [arn]
    got = client.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": arn, "Key": KEY}},
            {"Get": {"TableName": "orders", "Key": {"pk": {"S": "j"}}}},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert got["Responses"] == [{"Item": {**KEY, "n": {"N": "1"}}}, {"Item": {"pk": {"S": "j"}, "n": {"N": "1"}}}]
    # Named both ways, the table is counted under the ARN (the first key the caller used).
    assert [entry["TableName"] for entry in got["ConsumedCapacity"]] == [arn]

    client.transact_write_items(
        TransactItems=[
            {"ConditionCheck": {"TableName": arn, "Key": KEY, "ConditionExpression": "attribute_exists(pk)"}},
            {"Delete": {"TableName": arn, "Key": {"pk": {"S": "j"}}}},
        ]
    )
    assert "Item" not in client.get_item(TableName="orders", Key={"pk": {"S": "j"}})


def test_a_failed_transaction_by_arn_keeps_awss_cancellation(client):
    arn = simple_table(client)
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": arn, "Item": KEY, "ConditionExpression": "attribute_exists(pk)"}},
            ]
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert error["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
    ]


def test_batches_answer_with_the_key_the_caller_used(client):
    arn = simple_table(client)
    simple_table(client, "lines")
    written = client.batch_write_item(
        RequestItems={
            arn: [{"PutRequest": {"Item": KEY}}],
            "lines": [{"PutRequest": {"Item": KEY}}],
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert written["UnprocessedItems"] == {}
    assert sorted(entry["TableName"] for entry in written["ConsumedCapacity"]) == [arn, "lines"]
    got = client.batch_get_item(
        RequestItems={arn: {"Keys": [KEY]}, "lines": {"Keys": [KEY]}}, ReturnConsumedCapacity="TOTAL"
    )
    assert got["Responses"] == {arn: [KEY], "lines": [KEY]}


def test_an_unknown_table_by_arn_is_not_found(client):
    arn = simple_table(client).replace("table/orders", "table/missing")
    with pytest.raises(ClientError) as raised:
        client.transact_get_items(TransactItems=[{"Get": {"TableName": arn, "Key": KEY}}])
    assert raised.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "Requested resource not found",
    }


def test_another_regions_arn_does_not_reach_the_table_of_this_region(client, stack):
    arn = simple_table(client)
    client.put_item(TableName=arn, Item=KEY)
    elsewhere = arn.replace(f":{stack.region}:", ":eu-west-3:")
    for call in (
        lambda: client.get_item(TableName=elsewhere, Key=KEY),
        lambda: client.batch_get_item(RequestItems={elsewhere: {"Keys": [KEY]}}),
        lambda: client.transact_get_items(TransactItems=[{"Get": {"TableName": elsewhere, "Key": KEY}}]),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"] == {
            "Code": "ResourceNotFoundException",
            "Message": "Requested resource not found",
        }


@pytest.fixture(scope="module")
def tenants(tmp_path_factory):
    """
    A RustStack with --auth verify and two tenants: alice (111111111111)
    and mallory (222222222222).
    """
    credentials = tmp_path_factory.mktemp("tenants") / "credentials"
    credentials.write_text(
        "[alice]\naws_access_key_id = AKIALICE\naws_secret_access_key = secret-AKIALICE\n"
        "aws_account_id = 111111111111\n"
        "[mallory]\naws_access_key_id = AKIMALLORY\naws_secret_access_key = secret-AKIMALLORY\n"
        "aws_account_id = 222222222222\n"
    )
    stack = RustStackProcess.start(
        "--services",
        "dynamodb",
        "--dynamodb-local-jar",
        JAR,
        "--auth",
        "verify",
        "--credentials-file",
        str(credentials),
    )
    try:
        wait_running(stack)
        yield stack
    finally:
        stack.stop()


def test_another_accounts_arn_is_refused_and_reaches_no_table(tenants):
    alice, mallory = client_as(tenants, "AKIALICE"), client_as(tenants, "AKIMALLORY")
    for client in (alice, mallory):
        for name in list(client.list_tables()["TableNames"]):
            client.delete_table(TableName=name)
    victim = simple_table(alice, "payroll")
    alice.put_item(TableName="payroll", Item={**KEY, "salary": {"N": "100"}})
    # Mallory has a table of the same name: DynamoDB Local, which reads only
    # the name out of an ARN, would have served it for Alice's ARN.
    simple_table(mallory, "payroll")
    mallory.put_item(TableName="payroll", Item={**KEY, "salary": {"N": "1"}})

    attacks = {
        "GetItem": lambda: mallory.get_item(TableName=victim, Key=KEY),
        "PutItem": lambda: mallory.put_item(TableName=victim, Item={**KEY, "salary": {"N": "999"}}),
        "DescribeTable": lambda: mallory.describe_table(TableName=victim),
        "DeleteTable": lambda: mallory.delete_table(TableName=victim),
        "Scan": lambda: mallory.scan(TableName=victim),
        "BatchGetItem": lambda: mallory.batch_get_item(RequestItems={victim: {"Keys": [KEY]}}),
        "BatchWriteItem": lambda: mallory.batch_write_item(
            RequestItems={victim: [{"PutRequest": {"Item": {**KEY, "salary": {"N": "999"}}}}]}
        ),
        "TransactGetItems": lambda: mallory.transact_get_items(
            TransactItems=[{"Get": {"TableName": victim, "Key": KEY}}]
        ),
        "TransactWriteItems": lambda: mallory.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "payroll", "Item": {"pk": {"S": "decoy"}}}},
                {"Delete": {"TableName": victim, "Key": KEY}},
            ]
        ),
        "CreateBackup": lambda: mallory.create_backup(TableName=victim, BackupName="stolen"),
    }
    for operation, attack in attacks.items():
        with pytest.raises(ClientError) as raised:
            attack()
        error = raised.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, operation
        assert error["Error"] == {
            "Code": "AccessDeniedException",
            "Message": f"User: arn:aws:iam::222222222222:root is not authorized to perform: dynamodb:{operation} "
            f"on resource: {victim} because no resource-based policy allows the dynamodb:{operation} action",
        }, operation

    # Neither Alice's table nor Mallory's own was touched.
    assert alice.scan(TableName="payroll")["Items"] == [{**KEY, "salary": {"N": "100"}}]
    assert mallory.scan(TableName="payroll")["Items"] == [{**KEY, "salary": {"N": "1"}}]
    assert alice.list_backups()["BackupSummaries"] == []
    # Alice reaches her table by its ARN.
    assert alice.transact_get_items(TransactItems=[{"Get": {"TableName": victim, "Key": KEY}}])["Responses"] == [
        {"Item": {**KEY, "salary": {"N": "100"}}}
    ]
