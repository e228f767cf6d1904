"""
Time to live as AWS runs it: only items whose TTL attribute is a Number of
epoch seconds, expired and not older than five years, are deleted; until
then reads return them; the deletion's stream record is a REMOVE by the
service dynamodb.amazonaws.com. DynamoDB Local sweeps about every 10 s.
"""

from __future__ import annotations

import time

from tests.dynamodb.helpers import requires_dynamodb_local, wait_until

pytestmark = requires_dynamodb_local

# Five calendar years are 1,826 or 1,827 days: DynamoDB Local's cut-off is
# "now minus five years" (measured on 2026-12-01: an expiry 1,826 days
# less 60 s ago was deleted, one 1,826 days and 60 s ago kept).
MORE_THAN_FIVE_YEARS = 1830 * 86400
SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def records(streams, arn: str) -> list[dict]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]


def test_expired_items_are_deleted_by_the_service(stack, client):
    streams = stack.client("dynamodbstreams")
    arn = client.create_table(
        TableName="sessions",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    client.update_time_to_live(TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(time.time())
    kept = {
        "string": {"S": str(now - 10)},
        "set": {"NS": [str(now - 10)]},
        "too-old": {"N": str(now - MORE_THAN_FIVE_YEARS)},
        "milliseconds": {"N": str((now - 10) * 1000)},
        "future": {"N": str(now + 3600)},
    }
    for name, value in kept.items():
        client.put_item(TableName="sessions", Item={"pk": {"S": name}, "exp": value})
    expired = {"pk": {"S": "expired"}, "exp": {"N": str(now + 2)}}
    client.put_item(TableName="sessions", Item=expired)
    client.put_item(TableName="sessions", Item={"pk": {"S": "by-user"}})
    client.delete_item(TableName="sessions", Key={"pk": {"S": "by-user"}})

    # Expired, yet read until the sweep deletes it.
    time.sleep(max(0, now + 3 - time.time()))
    assert client.get_item(TableName="sessions", Key={"pk": {"S": "expired"}})["Item"] == expired

    def gone() -> bool:
        return "Item" not in client.get_item(TableName="sessions", Key={"pk": {"S": "expired"}})

    wait_until(gone, timeout=30, interval=0.25)
    left = {item["pk"]["S"] for item in client.scan(TableName="sessions")["Items"]}
    assert left == set(kept)

    removals = [record for record in records(streams, arn) if record["eventName"] == "REMOVE"]
    by_user, by_ttl = removals
    assert by_user["dynamodb"]["Keys"] == {"pk": {"S": "by-user"}}
    assert "userIdentity" not in by_user
    assert by_ttl["dynamodb"]["Keys"] == {"pk": {"S": "expired"}}
    assert by_ttl["dynamodb"]["OldImage"] == expired
    assert by_ttl["userIdentity"] == SERVICE
    assert by_ttl["awsRegion"] == stack.region
