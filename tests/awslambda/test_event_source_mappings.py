"""
Event source mappings from DynamoDB streams, through boto3 against a real
RustStack (DynamoDB Local, S3, Lambda): a write to a table reaches the mapped
function, which puts each event it gets into S3, where the test reads it.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess, _client
from tests.awslambda.conftest import available
from tests.awslambda.functions import create

pytestmark = pytest.mark.skipif(
    available("dynamodb", "s3") != ["dynamodb", "s3"], reason="needs DynamoDB and S3 in this tree"
)

# Puts the event into S3 (key: arrival order), then fails as MODE says.
SINK = """
import json, os, time, boto3

s3 = boto3.client("s3")

def handler(event, context):
    s3.put_object(Bucket=os.environ["BUCKET"], Key=f"{os.environ['PREFIX']}/{time.time_ns()}",
                  Body=json.dumps(event).encode())
    mode = os.environ.get("MODE", "")
    bad = [r["dynamodb"]["SequenceNumber"] for r in event.get("Records", [])
           if "bad" in r["dynamodb"].get("NewImage", {})]
    if mode == "fail":
        raise ValueError("always")
    if mode == "fail-bad" and bad:
        raise ValueError("a bad record")
    if mode == "partial":
        return {"batchItemFailures": [{"itemIdentifier": number} for number in bad]}
    return {"ok": len(event.get("Records", []))}
"""


@pytest.fixture
def stack(request):
    """
    The process executor's stack; both executors' where a test asks for it.
    """
    return request.getfixturevalue(f"{getattr(request, 'param', 'process')}_stack")


@pytest.fixture
def clients(stack):
    stack.reset("lambda", "dynamodb", "s3")
    return stack.client("lambda"), stack.client("dynamodb"), stack.client("s3")


def _bucket(s3) -> str:
    name = f"esm-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _table(dynamodb, name: str = "notes", view: str = "NEW_AND_OLD_IMAGES") -> str:
    created = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return created["TableDescription"]["LatestStreamArn"]


def _sink(lambda_client, name: str, bucket: str, mode: str = "", prefix: str | None = None) -> str:
    variables = {"BUCKET": bucket, "PREFIX": prefix or name, "MODE": mode}
    return create(lambda_client, name, SINK, Environment={"Variables": variables})["FunctionArn"]


def _wait_state(lambda_client, mapping_uuid: str, state: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        mapping = lambda_client.get_event_source_mapping(UUID=mapping_uuid)
        if mapping["State"] == state:
            return mapping
        assert time.monotonic() < deadline, f"still {mapping['State']}, not {state}"
        time.sleep(0.05)


def _map(lambda_client, function: str, stream: str, **settings) -> dict:
    settings.setdefault("StartingPosition", "LATEST")
    created = lambda_client.create_event_source_mapping(FunctionName=function, EventSourceArn=stream, **settings)
    _wait_state(lambda_client, created["UUID"], "Enabled" if settings.get("Enabled", True) else "Disabled")
    return created


def _events(s3, bucket: str, prefix: str, count: int, timeout: float = 15.0) -> list[dict]:
    """
    The first C{count} events the function put under C{prefix}, in the order
    it got them (waiting for them).
    """
    deadline = time.monotonic() + timeout
    while True:
        keys = sorted(
            (item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", [])),
            key=lambda key: int(key.rsplit("/", 1)[1]),
        )
        if len(keys) >= count:
            return [json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]
        assert time.monotonic() < deadline, f"{len(keys)} events under {prefix}, not {count}"
        time.sleep(0.05)


def _none_for(s3, bucket: str, prefix: str, seconds: float) -> None:
    time.sleep(seconds)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("KeyCount", 0) == 0


def _records(events: list[dict]) -> list[dict]:
    return [record for event in events for record in event["Records"]]


@pytest.mark.parametrize("stack", ["process", "docker"], indirect=True)
def test_writes_reach_the_function_as_dynamodb_stream_events(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    stream = _table(dynamodb)
    function_arn = _sink(lambda_client, "sink", bucket)
    _map(lambda_client, "sink", stream)
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "a"}, "body": {"S": "hello"}, "blob": {"B": b"\x00\x01"}})
    dynamodb.update_item(
        TableName="notes",
        Key={"id": {"S": "a"}},
        UpdateExpression="SET body = :b",
        ExpressionAttributeValues={":b": {"S": "bye"}},
    )
    dynamodb.delete_item(TableName="notes", Key={"id": {"S": "a"}})
    records = _records(_events(s3, bucket, "sink", 1))
    while len(records) < 3:
        records = _records(_events(s3, bucket, "sink", len(records) + 1))
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert = records[0]
    assert list(insert) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert insert["eventVersion"] == "1.1"
    assert insert["eventSource"] == "aws:dynamodb"
    assert insert["awsRegion"] == "us-east-1"
    assert insert["eventSourceARN"] == stream
    body = insert["dynamodb"]
    assert body["Keys"] == {"id": {"S": "a"}}
    assert body["NewImage"] == {"id": {"S": "a"}, "body": {"S": "hello"}, "blob": {"B": "AAE="}}
    assert "OldImage" not in body
    assert body["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(body["ApproximateCreationDateTime"], (int, float))
    assert isinstance(body["SizeBytes"], int) and body["SequenceNumber"].isdigit()
    assert records[1]["dynamodb"]["OldImage"]["body"] == {"S": "hello"}
    assert records[2]["dynamodb"]["OldImage"]["body"] == {"S": "bye"} and "NewImage" not in records[2]["dynamodb"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers)
    mapping = lambda_client.list_event_source_mappings(FunctionName="sink")["EventSourceMappings"][0]
    assert mapping["FunctionArn"] == function_arn
    assert mapping["LastProcessingResult"] == "OK"


def test_the_api_answers_as_lambda_does(clients, stack):
    lambda_client, dynamodb, s3 = clients
    stream = _table(dynamodb)
    _sink(lambda_client, "sink", _bucket(s3))
    created = lambda_client.create_event_source_mapping(
        FunctionName="sink", EventSourceArn=stream, StartingPosition="TRIM_HORIZON", Enabled=False
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "User action"
    assert created["BatchSize"] == 100
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1
    assert created["BisectBatchOnFunctionError"] is False
    assert created["DestinationConfig"] == {"OnFailure": {}}
    assert created["FunctionResponseTypes"] == []
    assert created["LastProcessingResult"] == "No records processed"
    assert (
        created["EventSourceMappingArn"]
        == f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{created['UUID']}"
    )
    uuid.UUID(created["UUID"])
    assert _wait_state(lambda_client, created["UUID"], "Disabled")["StartingPosition"] == "TRIM_HORIZON"

    with pytest.raises(ClientError) as caught:
        lambda_client.create_event_source_mapping(FunctionName="sink", EventSourceArn=stream, StartingPosition="LATEST")
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    assert f"Please update or delete the existing mapping with UUID {created['UUID']}" in str(caught.value)

    with pytest.raises(ClientError) as caught:
        lambda_client.get_event_source_mapping(UUID=str(uuid.uuid4()))
    assert caught.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "The resource you requested does not exist.",
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    def refused(**params) -> ClientError:
        with pytest.raises(ClientError) as caught:
            lambda_client.create_event_source_mapping(FunctionName="sink", **params)
        return caught.value

    error = refused(EventSourceArn="arn:aws:s3:::bucket", StartingPosition="LATEST")
    assert error.response["Error"]["Code"] == "InvalidParameterValueException"
    error = refused(EventSourceArn="arn:aws:sqs:us-east-1:000000000000:queue")
    assert error.response["Error"]["Code"] == "NotImplemented"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    gone = stream.replace("table/notes", "table/other")
    error = refused(EventSourceArn=gone, StartingPosition="LATEST")
    assert error.response["Error"] == {"Code": "InvalidParameterValueException", "Message": f"Stream not found: {gone}"}
    error = refused(EventSourceArn=stream.replace("notes", "other"), StartingPosition="LATEST", BatchSize=2000)
    assert "Maximum batch window in seconds must be greater than 0" in error.response["Error"]["Message"]
    error = refused(
        EventSourceArn=stream, StartingPosition="LATEST", FilterCriteria={"Filters": [{"Pattern": '{"a": 1}'}]}
    )
    assert error.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "Invalid filter pattern definition.",
    }
    error = refused(EventSourceArn=stream)
    assert error.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as caught:
        lambda_client.create_event_source_mapping(
            FunctionName="nothing", EventSourceArn=stream, StartingPosition="LATEST"
        )
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_listing_pages_by_function_and_source(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    streams = [_table(dynamodb, f"table{i}") for i in range(3)]
    _sink(lambda_client, "one", bucket)
    _sink(lambda_client, "two", bucket)
    made = [
        lambda_client.create_event_source_mapping(
            FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST", Enabled=False
        )["UUID"]
        for function, stream in [("one", streams[0]), ("one", streams[1]), ("two", streams[2]), ("two", streams[0])]
    ]
    pages = lambda_client.get_paginator("list_event_source_mappings").paginate(PaginationConfig={"PageSize": 1})
    listed = [m["UUID"] for page in pages for m in page["EventSourceMappings"]]
    assert sorted(listed) == sorted(made) and len(listed) == 4
    by_function = lambda_client.list_event_source_mappings(FunctionName="one")["EventSourceMappings"]
    assert sorted(m["UUID"] for m in by_function) == sorted(made[:2])
    by_source = lambda_client.list_event_source_mappings(EventSourceArn=streams[0])["EventSourceMappings"]
    assert sorted(m["UUID"] for m in by_source) == sorted([made[0], made[3]])
    both = lambda_client.list_event_source_mappings(FunctionName="two", EventSourceArn=streams[0])
    assert [m["UUID"] for m in both["EventSourceMappings"]] == [made[3]]


def test_filter_criteria_choose_the_records(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    stream = _table(dynamodb)
    _sink(lambda_client, "sink", bucket)
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": [{"prefix": "act"}]}}}}
    mapping = _map(lambda_client, "sink", stream, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == pattern
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "1"}, "status": {"S": "idle"}})
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "2"}, "status": {"S": "active"}})
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "2"}, "status": {"S": "actual"}})  # MODIFY
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "3"}, "status": {"S": "action"}})
    records = _records(_events(s3, bucket, "sink", 1))
    while len(records) < 2:
        records = _records(_events(s3, bucket, "sink", len(records) + 1))
    time.sleep(0.5)
    records = _records(_events(s3, bucket, "sink", 1))
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records] == ["2", "3"]


def test_batches_gather_within_the_window(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    stream = _table(dynamodb)
    _sink(lambda_client, "sink", bucket)
    _map(lambda_client, "sink", stream, BatchSize=3, MaximumBatchingWindowInSeconds=2)
    for i in range(5):
        dynamodb.put_item(TableName="notes", Item={"id": {"S": f"item{i}"}})
    events = _events(s3, bucket, "sink", 2)
    assert [len(event["Records"]) for event in events] == [3, 2]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in _records(events)] == [f"item{i}" for i in range(5)]


def test_a_failing_batch_is_retried_then_sent_to_the_on_failure_destination(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    stream = _table(dynamodb)
    function_arn = _sink(lambda_client, "failing", bucket, mode="fail")
    destination = _sink(lambda_client, "dlq", bucket)
    mapping = _map(
        lambda_client,
        "failing",
        stream,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": destination}},
    )
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": destination}}
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "x"}})
    (failure,) = _events(s3, bucket, "dlq", 1)
    attempts = _events(s3, bucket, "failing", 2)
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    sequence = attempts[0]["Records"][0]["dynamodb"]["SequenceNumber"]
    assert failure["requestContext"]["functionArn"] == function_arn
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert failure["version"] == "1.0"
    info = failure["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence
    assert info["batchSize"] == 1 and info["streamArn"] == stream
    assert info["shardId"].startswith("shardId-")
    assert set(info) == {
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    }


def test_bisect_isolates_the_bad_record(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    stream = _table(dynamodb)
    _sink(lambda_client, "picky", bucket, mode="fail-bad")
    destination = _sink(lambda_client, "dlq", bucket)
    _map(
        lambda_client,
        "picky",
        stream,
        BatchSize=4,
        MaximumBatchingWindowInSeconds=2,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": destination}},
    )
    for key in ("a", "b", "c", "d"):
        item = {"id": {"S": key}, **({"bad": {"BOOL": True}} if key == "c" else {})}
        dynamodb.put_item(TableName="notes", Item=item)
    (failure,) = _events(s3, bucket, "dlq", 1)
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    batches = [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in _events(s3, bucket, "picky", 4)]
    # [a b c d] fails; [a b] passes; [c d] fails; [c] fails (to the destination); [d] passes.
    assert batches == [["a", "b", "c", "d"], ["a", "b"], ["c", "d"], ["c"], ["d"]][: len(batches)]
    assert _events(s3, bucket, "picky", 5)[-1]["Records"][0]["dynamodb"]["Keys"]["id"]["S"] == "d"
    seq = failure["DDBStreamBatchInfo"]["startSequenceNumber"]
    assert seq == _events(s3, bucket, "picky", 4)[3]["Records"][0]["dynamodb"]["SequenceNumber"]


def test_report_batch_item_failures_retries_from_the_first_failed_item(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    stream = _table(dynamodb)
    _sink(lambda_client, "partial", bucket, mode="partial")
    destination = _sink(lambda_client, "dlq", bucket)
    mapping = _map(
        lambda_client,
        "partial",
        stream,
        BatchSize=3,
        MaximumBatchingWindowInSeconds=2,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": destination}},
    )
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for key in ("a", "b", "c"):
        item = {"id": {"S": key}, **({"bad": {"BOOL": True}} if key == "b" else {})}
        dynamodb.put_item(TableName="notes", Item=item)
    (failure,) = _events(s3, bucket, "dlq", 1)
    # The first attempt reports b: a is done, [b c] retried once, then given up.
    batches = [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in _events(s3, bucket, "partial", 2)]
    assert batches == [["a", "b", "c"], ["b", "c"]]
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert "functionError" not in failure["responseContext"] or not failure["responseContext"]["functionError"]


def test_disable_enable_and_delete(clients):
    lambda_client, dynamodb, s3 = clients
    bucket = _bucket(s3)
    stream = _table(dynamodb)
    _sink(lambda_client, "sink", bucket)
    mapping_uuid = _map(lambda_client, "sink", stream)["UUID"]
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "first"}})
    _events(s3, bucket, "sink", 1)

    disabling = lambda_client.update_event_source_mapping(UUID=mapping_uuid, Enabled=False)
    assert disabling["State"] == "Disabling" and disabling["ResponseMetadata"]["HTTPStatusCode"] == 202
    _wait_state(lambda_client, mapping_uuid, "Disabled")
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "while-disabled"}})
    time.sleep(0.6)
    assert len(_events(s3, bucket, "sink", 1)) == 1

    enabling = lambda_client.update_event_source_mapping(UUID=mapping_uuid, Enabled=True, BatchSize=5)
    assert enabling["State"] == "Enabling" and enabling["BatchSize"] == 5
    _wait_state(lambda_client, mapping_uuid, "Enabled")
    # It resumes where it stopped.
    second = _events(s3, bucket, "sink", 2)[1]
    assert second["Records"][0]["dynamodb"]["Keys"] == {"id": {"S": "while-disabled"}}

    deleting = lambda_client.delete_event_source_mapping(UUID=mapping_uuid)
    assert deleting["State"] == "Deleting" and deleting["ResponseMetadata"]["HTTPStatusCode"] == 202
    deadline = time.monotonic() + 5
    while True:
        try:
            lambda_client.get_event_source_mapping(UUID=mapping_uuid)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "after-delete"}})
    time.sleep(0.6)
    assert len(_events(s3, bucket, "sink", 2)) == 2


def test_mappings_belong_to_their_account_and_region(clients, stack):
    lambda_client, dynamodb, s3 = clients
    stream = _table(dynamodb)
    _sink(lambda_client, "sink", _bucket(s3))
    mapping_uuid = _map(lambda_client, "sink", stream, Enabled=False)["UUID"]
    other = stack.client("lambda", aws_access_key_id="111111111111")
    elsewhere = _client("lambda", stack.endpoint_url, "eu-west-1")
    for client in (other, elsewhere):
        assert client.list_event_source_mappings()["EventSourceMappings"] == []
        with pytest.raises(ClientError) as caught:
            client.get_event_source_mapping(UUID=mapping_uuid)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as caught:
            client.delete_event_source_mapping(UUID=mapping_uuid)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # Another account's function cannot read this account's stream.
    _sink(other, "theirs", "unused-bucket")
    with pytest.raises(ClientError) as caught:
        other.create_event_source_mapping(FunctionName="theirs", EventSourceArn=stream, StartingPosition="LATEST")
    assert caught.value.response["Error"]["Message"].startswith(f"Cannot access stream {stream}.")
    assert lambda_client.get_event_source_mapping(UUID=mapping_uuid)["State"] == "Disabled"


def test_mappings_and_positions_survive_a_restart(tmp_path):
    data = str(tmp_path / "data")
    options = ("--services", "s3,dynamodb,iam,lambda", "--data-dir", data)
    stack = RustStackProcess.start(*options)
    try:
        lambda_client, dynamodb, s3 = stack.client("lambda"), stack.client("dynamodb"), stack.client("s3")
        bucket = _bucket(s3)
        stream = _table(dynamodb)
        _sink(lambda_client, "sink", bucket)
        mapping_uuid = _map(lambda_client, "sink", stream)["UUID"]
        dynamodb.put_item(TableName="notes", Item={"id": {"S": "before"}})
        _events(s3, bucket, "sink", 1)
    finally:
        stack.stop()
    stack = RustStackProcess.start(*options)
    try:
        lambda_client, dynamodb, s3 = stack.client("lambda"), stack.client("dynamodb"), stack.client("s3")
        assert _wait_state(lambda_client, mapping_uuid, "Enabled")["EventSourceArn"] == stream
        dynamodb.put_item(TableName="notes", Item={"id": {"S": "after"}})
        events = _events(s3, bucket, "sink", 2)
        time.sleep(0.5)
        events = _events(s3, bucket, "sink", 2)
        assert [r["dynamodb"]["Keys"]["id"]["S"] for r in _records(events)] == ["before", "after"]
    finally:
        stack.stop()
