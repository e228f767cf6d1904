"""
How long a DynamoDB write takes to reach the function an event source
mapping feeds from the table's stream (target: 250 ms p50).

    python -m bench.stream_latency [writes]

Starts a RustStack (process executor), maps a function to a table's stream,
then writes items one at a time, each carrying the time it was sent; the
function (on the same machine, so the same clock) puts how long each record
took to reach it into S3, which this reads back at the end.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
import zipfile

from ruststack.testing import RustStackProcess

FUNCTION = """
import json, time, boto3

s3 = boto3.client("s3")

def handler(event, context):
    now = time.time()
    for record in event["Records"]:
        sent = float(record["dynamodb"]["NewImage"]["sent"]["N"])
        key = record["dynamodb"]["Keys"]["id"]["S"]
        s3.put_object(Bucket="latency", Key=key, Body=json.dumps(now - sent).encode())
"""


def main(writes: int = 100) -> None:
    stack = RustStackProcess.start("--services", "s3,dynamodb,lambda", "--lambda-idle-timeout", "600")
    try:
        lambda_client, dynamodb, s3 = stack.client("lambda"), stack.client("dynamodb"), stack.client("s3")
        s3.create_bucket(Bucket="latency")
        stream = dynamodb.create_table(
            TableName="latency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]["LatestStreamArn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", FUNCTION)
        lambda_client.create_function(
            FunctionName="latency",
            Runtime=f"python3.{sys.version_info.minor}",
            Handler="app.handler",
            Role="arn:aws:iam::000000000000:role/lambda",
            Code={"ZipFile": code.getvalue()},
            Timeout=30,
        )
        lambda_client.get_waiter("function_active_v2").wait(FunctionName="latency")
        mapping = lambda_client.create_event_source_mapping(
            FunctionName="latency", EventSourceArn=stream, StartingPosition="LATEST"
        )["UUID"]
        while lambda_client.get_event_source_mapping(UUID=mapping)["State"] != "Enabled":
            time.sleep(0.05)
        # One write to warm the function's environment, not counted.
        dynamodb.put_item(TableName="latency", Item={"id": {"S": "warm"}, "sent": {"N": str(time.time())}})
        _wait(s3, 1)
        for index in range(writes):
            dynamodb.put_item(TableName="latency", Item={"id": {"S": f"w{index}"}, "sent": {"N": repr(time.time())}})
            time.sleep(0.3)  # one at a time: each its own batch
        _wait(s3, writes + 1)
        seconds = [
            json.loads(s3.get_object(Bucket="latency", Key=f"w{index}")["Body"].read()) for index in range(writes)
        ]
        quantiles = statistics.quantiles(seconds, n=100)
        print(
            f"write -> function, {writes} writes: p50 {quantiles[49] * 1000:.0f} ms, p90 {quantiles[89] * 1000:.0f} ms,"
            f" p99 {quantiles[98] * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
        )
    finally:
        stack.stop()


def _wait(s3, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while s3.list_objects_v2(Bucket="latency").get("KeyCount", 0) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} records reached the function")
        time.sleep(0.1)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
