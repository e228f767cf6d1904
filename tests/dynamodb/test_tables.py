"""
Tables, indexes, streams, tags and continuous backups end to end: ARNs name
the caller's region and account everywhere, and what DynamoDB Local lacks
the proxy supplies.
"""

from __future__ import annotations

import re

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key

from tests.dynamodb.helpers import client_as, make_table, requires_dynamodb_local

pytestmark = requires_dynamodb_local

ACCOUNT = "000000000000"  # the default account: access key "test" names none


def arn(region: str, resource: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:dynamodb:{region}:{account}:{resource}"


def test_create_describe_delete_with_indexes(client, stack):
    created = make_table(client)
    region = stack.region
    assert created["TableStatus"] == "CREATING"
    assert created["TableArn"] == arn(region, "table/items")
    assert re.fullmatch(r"[0-9a-f-]{36}", created["TableId"])
    assert [index["IndexStatus"] for index in created["GlobalSecondaryIndexes"]] == ["CREATING"]
    client.get_waiter("table_exists").wait(TableName="items", WaiterConfig={"Delay": 1})
    table = client.describe_table(TableName="items")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableId"] == created["TableId"]
    assert table["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
    }
    gsi = table["GlobalSecondaryIndexes"][0]
    assert gsi["IndexArn"] == arn(region, "table/items/index/by-gk")
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert table["LocalSecondaryIndexes"][0]["IndexArn"] == arn(region, "table/items/index/by-pk-gk")
    assert client.list_tables()["TableNames"] == ["items"]
    by_arn = client.describe_table(TableName=table["TableArn"])["Table"]
    assert by_arn["TableName"] == "items"
    deleted = client.delete_table(TableName="items")["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    assert deleted["TableArn"] == arn(region, "table/items")
    client.get_waiter("table_not_exists").wait(TableName="items", WaiterConfig={"Delay": 1})
    assert client.list_tables()["TableNames"] == []


def test_provisioned_throughput_without_epoch_dates(client):
    client.create_table(
        TableName="provisioned",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
    )
    throughput = client.describe_table(TableName="provisioned")["Table"]["ProvisionedThroughput"]
    assert throughput == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 5, "WriteCapacityUnits": 3}
    updated = client.update_table(
        TableName="provisioned", ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3}
    )["TableDescription"]
    assert updated["TableStatus"] == "UPDATING"
    table = client.describe_table(TableName="provisioned")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 7


def test_streams_name_the_callers_region_and_account(stack):
    client = client_as(stack, "123456789012")
    streams = client_as(stack, "123456789012", service="dynamodbstreams")
    region = stack.region
    created = make_table(
        client,
        "streamed",
        sort=False,
        gsi=False,
        lsi=False,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    stream_arn = created["LatestStreamArn"]
    assert stream_arn.startswith(arn(region, "table/streamed/stream/", "123456789012"))
    client.put_item(TableName="streamed", Item={"pk": {"S": "a"}})
    listed = streams.list_streams(TableName="streamed")["Streams"]
    assert [s["StreamArn"] for s in listed] == [stream_arn]
    description = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    assert description["StreamArn"] == stream_arn
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=description["Shards"][0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert "ddblocal" not in iterator and "000000000000" not in iterator
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [(r["eventName"], r["awsRegion"]) for r in records] == [("INSERT", region)]
    assert records[0]["dynamodb"]["Keys"] == {"pk": {"S": "a"}}


def test_tags_kept_by_the_proxy(client):
    created = make_table(client, gsi=False, lsi=False)
    table_arn = created["TableArn"]
    client.tag_resource(ResourceArn=table_arn, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "test"}])
    client.untag_resource(ResourceArn=table_arn, TagKeys=["env"])
    assert client.list_tags_of_resource(ResourceArn=table_arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_of_resource(ResourceArn=table_arn.replace("table/items", "table/other"))
    client.delete_table(TableName="items")
    make_table(client, gsi=False, lsi=False)
    assert client.list_tags_of_resource(ResourceArn=table_arn)["Tags"] == []


def test_tags_given_at_creation(client):
    created = make_table(client, "tagged", sort=False, gsi=False, lsi=False, Tags=[{"Key": "k", "Value": "v"}])
    assert client.list_tags_of_resource(ResourceArn=created["TableArn"])["Tags"] == [{"Key": "k", "Value": "v"}]


def test_continuous_backups(client):
    make_table(client, gsi=False, lsi=False)
    described = client.describe_continuous_backups(TableName="items")["ContinuousBackupsDescription"]
    assert described == {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }
    updated = client.update_continuous_backups(
        TableName="items", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert updated["PointInTimeRecoveryStatus"] == "ENABLED"
    assert updated["EarliestRestorableDateTime"] <= updated["LatestRestorableDateTime"]
    with pytest.raises(client.exceptions.TableNotFoundException):
        client.describe_continuous_backups(TableName="nope")


def test_resource_api(stack):
    dynamodb = boto3.session.Session().resource(
        "dynamodb",
        endpoint_url=stack.endpoint_url,
        region_name=stack.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    table = dynamodb.create_table(
        TableName="people",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "city", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-city",
                "KeySchema": [{"AttributeName": "city", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    assert table.table_status == "CREATING"
    table.wait_until_exists()
    table.reload()
    assert table.table_status == "ACTIVE"
    with table.batch_writer() as batch:
        for i in range(40):
            batch.put_item(Item={"id": f"p{i}", "city": "Oslo" if i % 4 == 0 else "Rome", "age": i})
    assert table.get_item(Key={"id": "p4"})["Item"] == {"id": "p4", "city": "Oslo", "age": 4}
    oslo = table.query(IndexName="by-city", KeyConditionExpression=Key("city").eq("Oslo"))["Items"]
    assert sorted(int(item["age"]) for item in oslo) == list(range(0, 40, 4))
    old = table.scan(FilterExpression=Attr("age").gte(35))["Items"]
    assert sorted(int(item["age"]) for item in old) == [35, 36, 37, 38, 39]
    table.update_item(
        Key={"id": "p1"},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": "Ada"},
    )
    assert table.get_item(Key={"id": "p1"})["Item"]["name"] == "Ada"
    with pytest.raises(dynamodb.meta.client.exceptions.ConditionalCheckFailedException):
        table.put_item(Item={"id": "p1"}, ConditionExpression=Attr("id").not_exists())
    table.delete()
    table.wait_until_not_exists()


def test_read_only_views_of_features_not_offered(client):
    table_arn = make_table(client, gsi=False, lsi=False)["TableArn"]
    assert client.list_backups()["BackupSummaries"] == []
    assert client.list_global_tables()["GlobalTables"] == []
    assert client.list_exports()["ExportSummaries"] == []
    assert client.list_imports()["ImportSummaryList"] == []
    assert client.list_contributor_insights()["ContributorInsightsSummaries"] == []
    insights = client.describe_contributor_insights(TableName="items")
    assert (insights["TableName"], insights["ContributorInsightsStatus"]) == ("items", "DISABLED")
    kinesis = client.describe_kinesis_streaming_destination(TableName="items")
    assert kinesis["KinesisDataStreamDestinations"] == []
    with pytest.raises(client.exceptions.PolicyNotFoundException):
        client.get_resource_policy(ResourceArn=table_arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_kinesis_streaming_destination(TableName="nope")


def test_on_demand_throughput_kept_by_the_proxy(client):
    """
    DynamoDB Local refuses OnDemandThroughput on CreateTable and fails with
    a 500 on UpdateTable (found by the property tests of hostile bodies).
    """
    created = make_table(
        client, "capped", sort=False, gsi=False, lsi=False, OnDemandThroughput={"MaxReadRequestUnits": 100}
    )
    # The limit not given reads -1 ("none"), as AWS reports it.
    assert created["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": -1}
    updated = client.update_table(TableName="capped", OnDemandThroughput={"MaxWriteRequestUnits": 50})
    assert updated["TableDescription"]["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    assert client.update_table(TableName="capped", OnDemandThroughput={})["TableDescription"]["TableName"] == "capped"
    described = client.describe_table(TableName="capped")["Table"]
    assert described["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}


def test_table_class_kept_by_the_proxy(client):
    created = make_table(client, "classy", sort=False, gsi=False, lsi=False, TableClass="STANDARD_INFREQUENT_ACCESS")
    assert created["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    updated = client.update_table(TableName="classy", TableClass="STANDARD")["TableDescription"]
    assert (updated["TableStatus"], updated["TableClassSummary"]) == ("UPDATING", {"TableClass": "STANDARD"})
    both = client.update_table(
        TableName="classy",
        TableClass="STANDARD_INFREQUENT_ACCESS",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )["TableDescription"]
    assert both["StreamSpecification"]["StreamEnabled"] is True
    table = client.describe_table(TableName="classy")["Table"]
    assert table["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    assert table["LatestStreamArn"].startswith(created["TableArn"] + "/stream/")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.update_table(TableName="nope", TableClass="STANDARD")
