"""
S3 event notifications to Lambda, over real sockets: the destination checks
of PutBucketNotificationConfiguration, the event records functions receive
for each kind of write, and the classic pattern of an upload that a second
function turns into a thumbnail in another bucket.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import urllib.parse
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.awslambda.functions import create
from tests.cli import needs_cli, run_aws
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "s3,lambda,iam", "--lambda-idle-timeout", "60")

_names = itertools.count()

# Records each event it gets in the bucket its event names (RECORDS env).
RECORDER = """
import json, os, time, boto3

s3 = boto3.client("s3")

def handler(event, context):
    started = time.time()
    record = event["Records"][0]
    s3.put_object(
        Bucket=os.environ["RECORDS"],
        Key=record["s3"]["object"]["sequencer"] + "/" + context.aws_request_id,
        Body=json.dumps({"event": event, "started": started}),
    )
"""

# The Flask-on-Lambda pattern's second function: a "thumbnail" (the bytes
# reversed and upper-cased) of each upload, in another bucket.
THUMBNAILER = """
import os, urllib.parse, boto3

s3 = boto3.client("s3")

def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=os.environ["THUMBS"], Key="thumbnails/" + key, Body=body[::-1].upper())
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


@pytest.fixture(scope="module")
def s3(stack):
    return stack.client("s3")


@pytest.fixture(scope="module")
def lambda_client(stack):
    return stack.client("lambda")


def allow_s3(lambda_client, function: str, bucket: str, account: str = "000000000000") -> None:
    lambda_client.add_permission(
        FunctionName=function,
        StatementId=f"s3-{bucket}",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount=account,
    )


@pytest.fixture
def recorder(s3, lambda_client):
    """
    A recorder function and the bucket it records into: (function ARN, records bucket).
    """
    records = unique("records")
    s3.create_bucket(Bucket=records)
    name = unique("recorder")
    arn = create(lambda_client, name, RECORDER, Environment={"Variables": {"RECORDS": records}})["FunctionArn"]
    return arn, records


def configure(s3, bucket: str, function_arn: str, events=("s3:ObjectCreated:*", "s3:ObjectRemoved:*"), rules=()):
    entry: dict[str, Any] = {"LambdaFunctionArn": function_arn, "Events": list(events), "Id": "rule-1"}
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules]}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [entry]}
    )


def recorded(s3, records: str, count: int, timeout: float = 20.0) -> list[dict]:
    """
    The first C{count} records the recorder wrote, in sequencer order (waits for them).
    """
    deadline = time.monotonic() + timeout
    while True:
        keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=records).get("Contents", []))
        if len(keys) >= count:
            return [json.loads(s3.get_object(Bucket=records, Key=key)["Body"].read()) for key in keys]
        assert time.monotonic() < deadline, f"only {len(keys)} of {count} events arrived"
        time.sleep(0.1)


def watched(s3, lambda_client, recorder, **options) -> str:
    arn, _ = recorder
    bucket = unique("watched")
    s3.create_bucket(Bucket=bucket)
    allow_s3(lambda_client, arn, bucket)
    configure(s3, bucket, arn, **options)
    return bucket


# -- Checking destinations


def test_function_without_permission_is_refused(s3, recorder):
    arn, _ = recorder
    bucket = unique("refused")
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as raised:
        configure(s3, bucket, arn)
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentName1"] == f"{arn}, null"
    assert error["ArgumentValue1"] == f"Not authorized to invoke function [{arn}]"
    assert s3.get_bucket_notification_configuration(Bucket=bucket).get("LambdaFunctionConfigurations") is None


def test_permission_for_another_bucket_is_refused(s3, lambda_client, recorder):
    arn, _ = recorder
    bucket = unique("other")
    s3.create_bucket(Bucket=bucket)
    allow_s3(lambda_client, arn, bucket + "-not-this-one")
    with pytest.raises(ClientError) as raised:
        configure(s3, bucket, arn)
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"


def test_missing_function_and_queue_are_refused(s3):
    bucket = unique("missing")
    s3.create_bucket(Bucket=bucket)
    missing = "arn:aws:lambda:us-east-1:000000000000:function:no-such-function"
    queue = "arn:aws:sqs:us-east-1:000000000000:no-sqs-here"
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}],
                "LambdaFunctionConfigurations": [{"LambdaFunctionArn": missing, "Events": ["s3:ObjectRemoved:*"]}],
            },
        )
    error = raised.value.response["Error"]
    assert (error["ArgumentName1"], error["ArgumentName2"]) == (queue, f"{missing}, null")
    assert error["ArgumentValue2"] == f"Not authorized to invoke function [{missing}]"


def test_configuration_is_kept_with_an_id(s3, lambda_client, recorder):
    arn, _ = recorder
    bucket = unique("kept")
    s3.create_bucket(Bucket=bucket)
    allow_s3(lambda_client, arn, bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:Put"]}],
            "EventBridgeConfiguration": {},
        },
    )
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    (entry,) = got["LambdaFunctionConfigurations"]
    assert entry["Id"] and entry["LambdaFunctionArn"] == arn and entry["Events"] == ["s3:ObjectCreated:Put"]
    assert got["EventBridgeConfiguration"] == {}


def test_duplicate_prefix_rule_is_refused(s3, lambda_client, recorder):
    arn, _ = recorder
    bucket = unique("dup")
    s3.create_bucket(Bucket=bucket)
    allow_s3(lambda_client, arn, bucket)
    with pytest.raises(ClientError) as raised:
        configure(s3, bucket, arn, rules=[("prefix", "a"), ("prefix", "b")])
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidArgument",
        "Cannot specify more than one prefix rule in a filter.",
    )


def test_overlapping_configurations_are_refused(s3, lambda_client, recorder):
    arn, _ = recorder
    bucket = unique("overlap")
    s3.create_bucket(Bucket=bucket)
    allow_s3(lambda_client, arn, bucket)
    rules = [{"Name": "prefix", "Value": "images/"}]
    entries = [
        {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": rules}}},
        {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:Put"]},
    ]
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": entries}
        )
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidArgument"
    assert error["Message"].startswith("Configuration is ambiguously defined.")
    entries[1]["Events"] = ["s3:ObjectRemoved:*"]  # another event type: no overlap
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": entries}
    )


# -- Events


def test_put_event_record(s3, lambda_client, recorder):
    arn, records = recorder
    bucket = watched(s3, lambda_client, recorder)
    key = "photos/red flower(1)~.jpg"
    put = s3.put_object(Bucket=bucket, Key=key, Body=b"0123456789")
    (got,) = recorded(s3, records, 1)
    (record,) = got["event"]["Records"]
    headers = put["ResponseMetadata"]["HTTPHeaders"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"].endswith("Z") and len(record["eventTime"]) == len("1970-01-01T00:00:00.000Z")
    assert record["requestParameters"] == {"sourceIPAddress": "127.0.0.1"}
    assert record["responseElements"] == {
        "x-amz-request-id": headers["x-amz-request-id"],
        "x-amz-id-2": headers["x-amz-id-2"],
    }
    assert record["userIdentity"]["principalId"]
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0"
    assert s3_part["configurationId"] == "rule-1"
    assert s3_part["bucket"]["name"] == bucket
    assert s3_part["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert s3_part["bucket"]["ownerIdentity"]["principalId"]
    obj = s3_part["object"]
    assert obj["key"] == "photos/red+flower%281%29%7E.jpg"
    assert urllib.parse.unquote_plus(obj["key"]) == key
    assert obj["size"] == 10
    assert obj["eTag"] == put["ETag"].strip('"')
    assert "versionId" not in obj
    assert len(obj["sequencer"]) == 18


def test_every_write_kind(s3, lambda_client, recorder):
    arn, records = recorder
    bucket = watched(s3, lambda_client, recorder)
    s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    form = s3.generate_presigned_post(bucket, "p")  # POST Object, as a browser's form
    assert requests.post(form["url"], data=form["fields"], files={"file": ("f", b"p")}, timeout=30).status_code == 204
    s3.copy_object(Bucket=bucket, Key="b", CopySource={"Bucket": bucket, "Key": "a"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="c")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="c", UploadId=upload, PartNumber=1, Body=b"c" * 10)
    for _ in range(2):  # an SDK's retry of the completion is answered alike, and makes no event
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="c",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
    s3.delete_object(Bucket=bucket, Key="a")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}]})
    names = [
        (r["event"]["Records"][0]["eventName"], r["event"]["Records"][0]["s3"]["object"]["key"])
        for r in recorded(s3, records, 7)
    ]
    assert names == [
        ("ObjectCreated:Put", "a"),
        ("ObjectCreated:Post", "p"),
        ("ObjectCreated:Copy", "b"),
        ("ObjectCreated:CompleteMultipartUpload", "c"),
        ("ObjectRemoved:Delete", "a"),
        ("ObjectRemoved:Delete", "b"),
        ("ObjectRemoved:Delete", "c"),
    ]
    time.sleep(0.3)
    assert len(s3.list_objects_v2(Bucket=records)["Contents"]) == 7
    removed = recorded(s3, records, 7)[4]["event"]["Records"][0]["s3"]["object"]
    assert set(removed) == {"key", "sequencer"}


def test_versioned_bucket(s3, lambda_client, recorder):
    arn, records = recorder
    bucket = watched(s3, lambda_client, recorder, events=("s3:ObjectCreated:Put", "s3:ObjectRemoved:*"))
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")
    marker = s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_object(Bucket=bucket, Key="k", VersionId=put["VersionId"])
    records_got = [r["event"]["Records"][0] for r in recorded(s3, records, 3)]
    assert [(r["eventName"], r["s3"]["object"].get("versionId")) for r in records_got] == [
        ("ObjectCreated:Put", put["VersionId"]),
        ("ObjectRemoved:DeleteMarkerCreated", marker["VersionId"]),
        ("ObjectRemoved:Delete", put["VersionId"]),
    ]


def test_filters_and_event_types(s3, lambda_client, recorder):
    arn, records = recorder
    bucket = watched(
        s3, lambda_client, recorder, events=("s3:ObjectCreated:Put",), rules=[("prefix", "in/"), ("suffix", ".jpg")]
    )
    s3.put_object(Bucket=bucket, Key="in/skip.png", Body=b"x")
    s3.put_object(Bucket=bucket, Key="out/skip.jpg", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="in/copied.jpg", CopySource={"Bucket": bucket, "Key": "in/skip.png"})
    s3.delete_object(Bucket=bucket, Key="in/skip.png")
    s3.put_object(Bucket=bucket, Key="in/yes.jpg", Body=b"x")
    (got,) = recorded(s3, records, 1)
    time.sleep(0.5)  # nothing else comes
    assert len(s3.list_objects_v2(Bucket=records).get("Contents", [])) == 1
    assert got["event"]["Records"][0]["s3"]["object"]["key"] == "in/yes.jpg"


def test_event_starts_soon_after_the_answer(s3, lambda_client, recorder):
    arn, records = recorder
    bucket = watched(s3, lambda_client, recorder)
    s3.put_object(Bucket=bucket, Key="warm", Body=b"x")  # the environment starts
    recorded(s3, records, 1)
    s3.put_object(Bucket=bucket, Key="timed", Body=b"x")
    answered = time.time()
    got = recorded(s3, records, 2)
    started = max(item["started"] for item in got)
    assert started - answered < 1.0


# -- The classic pattern


def test_upload_makes_a_thumbnail(s3, lambda_client):
    uploads, thumbs = unique("uploads"), unique("thumbs")
    s3.create_bucket(Bucket=uploads)
    s3.create_bucket(Bucket=thumbs)
    arn = create(lambda_client, unique("thumbnailer"), THUMBNAILER, Environment={"Variables": {"THUMBS": thumbs}})[
        "FunctionArn"
    ]
    allow_s3(lambda_client, arn, uploads)
    configure(s3, uploads, arn, events=("s3:ObjectCreated:*",), rules=[("suffix", ".png")])
    s3.put_object(Bucket=uploads, Key="cats/my cat.png", Body=b"picture")
    deadline = time.monotonic() + 20
    while True:
        try:
            body = s3.get_object(Bucket=thumbs, Key="thumbnails/cats/my cat.png")["Body"].read()
            break
        except ClientError:
            assert time.monotonic() < deadline, "no thumbnail"
            time.sleep(0.1)
    assert body == b"ERUTCIP"


def test_permission_removed_later_drops_events(s3, lambda_client, recorder):
    arn, records = recorder
    bucket = watched(s3, lambda_client, recorder)
    lambda_client.remove_permission(FunctionName=arn, StatementId=f"s3-{bucket}")
    s3.put_object(Bucket=bucket, Key="dropped", Body=b"x")  # answered as ever, the event is lost
    allow_s3(lambda_client, arn, bucket)
    s3.put_object(Bucket=bucket, Key="sent", Body=b"x")
    (got,) = recorded(s3, records, 1)
    assert got["event"]["Records"][0]["s3"]["object"]["key"] == "sent"


def test_reset_forgets_configurations(stack, s3, lambda_client, recorder):
    arn, _ = recorder
    bucket = watched(s3, lambda_client, recorder)
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    stack.reset("s3")
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_notification_configuration(Bucket=bucket)
    assert raised.value.response["Error"]["Code"] == "NoSuchBucket"


@needs_cli
def test_cli_configures_notifications(stack, s3, lambda_client, recorder):
    arn, records = recorder
    bucket = unique("cli")
    s3.create_bucket(Bucket=bucket)
    allow_s3(lambda_client, arn, bucket)
    document = {
        "LambdaFunctionConfigurations": [
            {
                "Id": "from-cli",
                "LambdaFunctionArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".txt"}]}},
            }
        ]
    }
    run_aws(
        stack.endpoint_url,
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        bucket,
        "--notification-configuration",
        json.dumps(document),
    )
    got = json.loads(
        run_aws(stack.endpoint_url, "s3api", "get-bucket-notification-configuration", "--bucket", bucket).stdout
    )
    assert got["LambdaFunctionConfigurations"][0]["Id"] == "from-cli"
    run_aws(stack.endpoint_url, "s3", "cp", "-", f"s3://{bucket}/note.txt", timeout=60)
    (record,) = recorded(s3, records, 1)
    assert record["event"]["Records"][0]["s3"]["configurationId"] == "from-cli"


def test_persistence(tmp_path):
    data_dir = str(tmp_path / "data")
    options = ("--services", "s3,lambda,iam", "--data-dir", data_dir)
    first = RustStackProcess.start(*options)
    try:
        s3, lambda_client = first.client("s3"), first.client("lambda")
        records = "kept-records"
        s3.create_bucket(Bucket=records)
        arn = create(lambda_client, "kept-recorder", RECORDER, Environment={"Variables": {"RECORDS": records}})[
            "FunctionArn"
        ]
        s3.create_bucket(Bucket="kept-watched")
        allow_s3(lambda_client, arn, "kept-watched")
        configure(s3, "kept-watched", arn)
    finally:
        first.stop()
    second = RustStackProcess.start(*options)
    try:
        s3 = second.client("s3")
        assert s3.get_bucket_notification_configuration(Bucket="kept-watched")["LambdaFunctionConfigurations"]
        s3.put_object(Bucket="kept-watched", Key="after-restart", Body=b"x")
        (got,) = recorded(s3, records, 1)
        assert got["event"]["Records"][0]["s3"]["object"]["key"] == "after-restart"
    finally:
        second.stop()
