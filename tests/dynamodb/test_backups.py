"""
On-demand backups and point-in-time restores over DynamoDB Local, through
boto3: the table scanned into a file, restored by writing, with AWS's
shapes and errors; per account; kept with --data-dir.
"""

from __future__ import annotations

import datetime
import os

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, client_as, make_table, requires_dynamodb_local, wait_running

pytestmark = requires_dynamodb_local


def fill(client, table: str, count: int) -> list[dict]:
    items = [
        {"pk": {"S": f"p{n:05d}"}, "sk": {"S": "s"}, "gk": {"S": f"g{n % 7}"}, "body": {"S": "x" * 100}}
        for n in range(count)
    ]
    for start in range(0, count, 25):
        client.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        )
    return items


def scan_all(client, table: str) -> list[dict]:
    pages = client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return sorted((item for page in pages for item in page["Items"]), key=lambda item: item["pk"]["S"])


def wait_active(client, table: str) -> dict:
    client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    return client.describe_table(TableName=table)["Table"]


def error_of(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Error"]["Code"], error["Error"]["Message"]


def test_backup_and_restore(client):
    source = make_table(client, "orders", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    client.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    items = fill(client, "orders", 300)

    details = client.create_backup(TableName="orders", BackupName="before-release")["BackupDetails"]
    assert details["BackupArn"].startswith(source["TableArn"] + "/backup/")
    assert details["BackupStatus"] == "AVAILABLE"
    assert details["BackupType"] == "USER"
    assert details["BackupName"] == "before-release"
    assert details["BackupSizeBytes"] > 0
    # Later changes are not in the backup.
    client.delete_item(TableName="orders", Key={"pk": {"S": "p00000"}, "sk": {"S": "s"}})

    described = client.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert described["BackupDetails"] == details
    table = described["SourceTableDetails"]
    assert (table["TableName"], table["TableId"], table["TableArn"]) == (
        "orders",
        source["TableId"],
        source["TableArn"],
    )
    assert (table["ItemCount"], table["BillingMode"]) == (300, "PAY_PER_REQUEST")
    assert table["KeySchema"] == source["KeySchema"]
    features = described["SourceTableFeatureDetails"]
    assert [index["IndexName"] for index in features["GlobalSecondaryIndexes"]] == ["by-gk"]
    assert [index["IndexName"] for index in features["LocalSecondaryIndexes"]] == ["by-pk-gk"]
    assert features["StreamDescription"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert features["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}

    restored = client.restore_table_from_backup(TargetTableName="orders-copy", BackupArn=details["BackupArn"])
    description = restored["TableDescription"]
    assert description["TableStatus"] == "CREATING"
    assert description["TableArn"] == source["TableArn"] + "-copy"
    assert description["RestoreSummary"]["SourceBackupArn"] == details["BackupArn"]
    assert description["RestoreSummary"]["SourceTableArn"] == source["TableArn"]
    assert description["RestoreSummary"]["RestoreDateTime"] == details["BackupCreationDateTime"]

    copy = wait_active(client, "orders-copy")
    assert copy["RestoreSummary"]["RestoreInProgress"] is False
    assert copy["TableId"] != source["TableId"]
    assert [index["IndexName"] for index in copy["GlobalSecondaryIndexes"]] == ["by-gk"]
    assert "StreamSpecification" not in copy  # AWS restores neither streams nor TTL settings
    assert scan_all(client, "orders-copy") == items
    by_index = client.query(
        TableName="orders-copy", IndexName="by-gk", KeyConditionExpression="gk = :g",
        ExpressionAttributeValues={":g": {"S": "g3"}},
    )  # fmt: skip
    assert by_index["Count"] == len([item for item in items if item["gk"]["S"] == "g3"])


def test_restore_overrides(client):
    make_table(client, "orders")
    fill(client, "orders", 10)
    arn = client.create_backup(TableName="orders", BackupName="first")["BackupDetails"]["BackupArn"]
    client.restore_table_from_backup(
        TargetTableName="slim",
        BackupArn=arn,
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        GlobalSecondaryIndexOverride=[],
        LocalSecondaryIndexOverride=[],
    )
    slim = wait_active(client, "slim")
    assert "GlobalSecondaryIndexes" not in slim and "LocalSecondaryIndexes" not in slim
    assert slim["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert {definition["AttributeName"] for definition in slim["AttributeDefinitions"]} == {"pk", "sk"}
    assert client.scan(TableName="slim", Select="COUNT")["Count"] == 10


def test_listing_filters_and_pages(client):
    make_table(client, "aaa", gsi=False, lsi=False)
    make_table(client, "bbb", gsi=False, lsi=False)
    arns = [
        client.create_backup(TableName=table, BackupName=f"{table}-{n}")["BackupDetails"]["BackupArn"]
        for n, table in enumerate(["aaa", "bbb", "aaa"])
    ]
    listed = client.list_backups()["BackupSummaries"]
    assert [summary["BackupArn"] for summary in listed] == arns
    assert set(listed[0]) == {
        "TableName", "TableId", "TableArn", "BackupArn", "BackupName", "BackupCreationDateTime",
        "BackupStatus", "BackupType", "BackupSizeBytes",
    }  # fmt: skip
    assert [s["BackupArn"] for s in client.list_backups(TableName="aaa")["BackupSummaries"]] == [arns[0], arns[2]]
    table_arn = listed[0]["TableArn"]
    assert [s["BackupArn"] for s in client.list_backups(TableName=table_arn)["BackupSummaries"]] == [arns[0], arns[2]]
    assert client.list_backups(BackupType="SYSTEM")["BackupSummaries"] == []
    assert len(client.list_backups(BackupType="ALL")["BackupSummaries"]) == 3

    first = client.list_backups(Limit=2)
    assert [s["BackupArn"] for s in first["BackupSummaries"]] == arns[:2]
    assert first["LastEvaluatedBackupArn"] == arns[1]
    rest = client.list_backups(Limit=2, ExclusiveStartBackupArn=first["LastEvaluatedBackupArn"])
    assert [s["BackupArn"] for s in rest["BackupSummaries"]] == arns[2:]
    assert "LastEvaluatedBackupArn" not in rest

    later = listed[-1]["BackupCreationDateTime"] + datetime.timedelta(seconds=1)
    assert client.list_backups(TimeRangeLowerBound=later)["BackupSummaries"] == []
    assert len(client.list_backups(TimeRangeUpperBound=later)["BackupSummaries"]) == 3

    deleted = client.delete_backup(BackupArn=arns[1])["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    assert [s["BackupArn"] for s in client.list_backups()["BackupSummaries"]] == [arns[0], arns[2]]


def test_errors_are_awss(client):
    make_table(client, "orders", gsi=False, lsi=False)
    make_table(client, "taken", gsi=False, lsi=False)
    assert error_of(lambda: client.create_backup(TableName="nothing", BackupName="first")) == (
        "TableNotFoundException",
        "Table not found: nothing",
    )
    assert error_of(lambda: client.create_backup(TableName="orders", BackupName="no spaces")) == (
        "ValidationException",
        "1 validation error detected: Value 'no spaces' at 'backupName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    )
    arn = client.create_backup(TableName="orders", BackupName="first")["BackupDetails"]["BackupArn"]
    missing = arn[:-8] + "00000000"
    for call in (
        lambda: client.describe_backup(BackupArn=missing),
        lambda: client.delete_backup(BackupArn=missing),
        lambda: client.restore_table_from_backup(TargetTableName="x-copy", BackupArn=missing),
    ):
        assert error_of(call) == ("BackupNotFoundException", f"Backup not found: {missing}")
    assert error_of(lambda: client.restore_table_from_backup(TargetTableName="taken", BackupArn=arn)) == (
        "TableAlreadyExistsException",
        "Table already exists: taken",
    )
    assert error_of(
        lambda: client.restore_table_to_point_in_time(
            SourceTableName="orders", TargetTableName="orders-pitr", UseLatestRestorableTime=True
        )
    ) == ("PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'orders'")
    assert error_of(
        lambda: client.restore_table_to_point_in_time(
            SourceTableName="nothing", TargetTableName="orders-pitr", UseLatestRestorableTime=True
        )
    ) == ("TableNotFoundException", "Table not found: nothing")


def test_point_in_time_restore_within_the_window(client):
    make_table(client, "orders")
    items = fill(client, "orders", 50)
    enabled = client.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    earliest = enabled["EarliestRestorableDateTime"]
    assert error_of(
        lambda: client.restore_table_to_point_in_time(
            SourceTableName="orders",
            TargetTableName="too-early",
            RestoreDateTime=earliest - datetime.timedelta(hours=1),
        )
    ) == (
        "InvalidRestoreTimeException",
        "Restore time must be between EarliestRestorableDateTime and LatestRestorableDateTime",
    )
    source_arn = client.describe_table(TableName="orders")["Table"]["TableArn"]
    answer = client.restore_table_to_point_in_time(
        SourceTableArn=source_arn, TargetTableName="orders-pitr", RestoreDateTime=earliest
    )["TableDescription"]
    assert answer["RestoreSummary"]["SourceTableArn"] == source_arn
    assert abs(answer["RestoreSummary"]["RestoreDateTime"] - earliest) < datetime.timedelta(seconds=1)
    assert answer["RestoreSummary"]["RestoreInProgress"] is True
    restored = wait_active(client, "orders-pitr")
    assert restored["RestoreSummary"]["RestoreInProgress"] is False
    assert scan_all(client, "orders-pitr") == items
    latest = client.restore_table_to_point_in_time(
        SourceTableName="orders", TargetTableName="orders-latest", UseLatestRestorableTime=True
    )
    assert latest["TableDescription"]["TableName"] == "orders-latest"
    assert len(scan_all(client, "orders-pitr")) == 50


def test_backups_are_per_account(stack, client):
    make_table(client, "orders", gsi=False, lsi=False)
    arn = client.create_backup(TableName="orders", BackupName="mine")["BackupDetails"]["BackupArn"]
    other = client_as(stack, "999999999999")
    assert other.list_backups()["BackupSummaries"] == []
    assert error_of(lambda: other.describe_backup(BackupArn=arn)) == (
        "BackupNotFoundException",
        f"Backup not found: {arn}",
    )
    assert error_of(lambda: other.restore_table_from_backup(TargetTableName="stolen", BackupArn=arn)) == (
        "BackupNotFoundException",
        f"Backup not found: {arn}",
    )
    assert "stolen" not in other.list_tables()["TableNames"]


def test_backups_survive_a_restart_with_data_dir(tmp_path):
    data = tmp_path / "data"

    def start() -> RustStackProcess:
        stack = RustStackProcess.start("--services", "dynamodb", "--dynamodb-local-jar", JAR, "--data-dir", str(data))
        wait_running(stack)
        return stack

    stack = start()
    try:
        client = stack.client("dynamodb")
        make_table(client, "orders", gsi=False, lsi=False)
        items = fill(client, "orders", 30)
        arn = client.create_backup(TableName="orders", BackupName="kept")["BackupDetails"]["BackupArn"]
    finally:
        stack.stop()
    account = arn.split(":")[4]
    files = os.listdir(data / "dynamodb" / "backups" / account / "us-east-1")
    assert files == [arn.rpartition("/")[2] + ".jsonl"]
    stack = start()
    try:
        client = stack.client("dynamodb")
        assert [s["BackupArn"] for s in client.list_backups()["BackupSummaries"]] == [arn]
        client.restore_table_from_backup(TargetTableName="again", BackupArn=arn)
        wait_active(client, "again")
        assert scan_all(client, "again") == items
        # Reset forgets backups, files included.
        stack.reset("dynamodb")
        assert client.list_backups()["BackupSummaries"] == []
        assert not os.path.exists(data / "dynamodb" / "backups" / account)
    finally:
        stack.stop()
