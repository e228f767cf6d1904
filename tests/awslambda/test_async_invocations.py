"""
Asynchronous invocations through boto3 against a real RustStack: retries of
function errors with Lambda's back-off, the maximum event age, and the
records sent to destination functions, exactly as AWS documents them.

The stacks here run with C{--lambda-async-time-scale 0.005}: Lambda's one
and two minute retry delays take 0.3 s and 0.6 s, a 60 s maximum event age
0.3 s (the scheduler's own timing is checked with a task.Clock in
test_async_scheduler.py).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.awslambda import functions
from tests.awslambda.conftest import _start, docker_image
from tests.awslambda.functions import create

SCALE = 0.005

# Reports each attempt to the collector, then fails or answers as the event says.
REPORTS = """
import json, os, time, urllib.request

def handler(event, context):
    report = {"attempt": event.get("tag"), "request_id": context.aws_request_id, "at": time.time()}
    urllib.request.urlopen(urllib.request.Request(os.environ["COLLECTOR"], data=json.dumps(report).encode()))
    if event.get("fail"):
        raise ValueError("failing on purpose")
    return {"answer": event.get("tag")}
"""

# A destination: sends the record it is invoked with to the collector.
FORWARDS = """
import json, os, urllib.request

def handler(event, context):
    body = json.dumps({"record": event, "invoked_as": context.invoked_function_arn}).encode()
    urllib.request.urlopen(urllib.request.Request(os.environ["COLLECTOR"], data=body))
"""

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def scaled_process_stack():
    process = _start("--lambda-async-time-scale", str(SCALE))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def scaled_docker_stack():
    process = _start(
        "--lambda-executor", "docker", "--lambda-image", docker_image(), "--lambda-async-time-scale", str(SCALE)
    )
    yield process
    process.stop()


@pytest.fixture
def stack(scaled_process_stack):
    return scaled_process_stack


def _functions(client, url: str) -> tuple[str, str]:
    variables = {"Variables": {"COLLECTOR": url}}
    arn = create(client, "worker", REPORTS, Environment=variables)["FunctionArn"]
    destination = create(client, "destination", FORWARDS, Environment=variables)["FunctionArn"]
    return arn, destination


def _wait_for(received: list[bytes], wanted, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bodies = [json.loads(body) for body in list(received)]
        if wanted(bodies):
            return bodies
        time.sleep(0.05)
    raise AssertionError(f"not received in time: {list(received)}")


def _records(bodies: list[dict]) -> list[dict]:
    return [body for body in bodies if "record" in body]


def _attempts(bodies: list[dict]) -> list[dict]:
    return [body for body in bodies if "attempt" in body]


@pytest.mark.parametrize("executor", ["process", "docker"])
def test_function_errors_are_retried_twice_then_recorded_on_failure(request, collector, executor):
    stack = request.getfixturevalue(f"scaled_{executor}_stack")
    stack.reset("lambda")
    client = stack.client("lambda")
    url, received = collector
    arn, destination = _functions(client, url)
    client.put_function_event_invoke_config(
        FunctionName="worker", DestinationConfig={"OnFailure": {"Destination": destination}}
    )
    answer = client.invoke(
        FunctionName="worker", InvocationType="Event", Payload=json.dumps({"tag": "t", "fail": True})
    )
    assert answer["StatusCode"] == 202
    request_id = answer["ResponseMetadata"]["RequestId"]
    bodies = _wait_for(received, lambda bodies: _records(bodies))
    attempts = _attempts(bodies)
    # Three attempts with one request id, 1 and 2 "minutes" apart.
    assert [attempt["request_id"] for attempt in attempts] == [request_id] * 3
    first, second, third = (attempt["at"] for attempt in attempts)
    assert second - first >= 60 * SCALE and third - second >= 120 * SCALE
    [body] = _records(bodies)
    record = body["record"]
    assert TIMESTAMP.match(record.pop("timestamp"))
    trace = record["responsePayload"].pop("stackTrace")
    assert isinstance(trace, list) and trace
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"tag": "t", "fail": True},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "failing on purpose", "errorType": "ValueError", "requestId": request_id},
    }
    assert body["invoked_as"] == destination


def test_success_is_recorded_on_success(stack, collector):
    client = stack.client("lambda")
    stack.reset("lambda")
    url, received = collector
    arn, destination = _functions(client, url)
    client.put_function_event_invoke_config(
        FunctionName="worker", DestinationConfig={"OnSuccess": {"Destination": destination}}
    )
    answer = client.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"tag": "ok"}))
    [body] = _records(_wait_for(received, _records))
    record = body["record"]
    del record["timestamp"]
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": answer["ResponseMetadata"]["RequestId"],
            "functionArn": f"{arn}:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"tag": "ok"},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"answer": "ok"},
    }


def test_maximum_retry_attempts_zero_and_an_alias_configuration(stack, collector):
    client = stack.client("lambda")
    stack.reset("lambda")
    url, received = collector
    arn, destination = _functions(client, url)
    client.publish_version(FunctionName="worker")
    client.create_alias(FunctionName="worker", Name="live", FunctionVersion="1")
    # The alias's configuration applies to events sent to the alias, not to unqualified ones.
    client.put_function_event_invoke_config(
        FunctionName="worker",
        Qualifier="live",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": destination}},
    )
    answer = client.invoke_async(FunctionName="worker:live", InvokeArgs=json.dumps({"tag": "a", "fail": True}))
    assert answer["Status"] == 202
    [body] = _records(_wait_for(received, _records))
    record = body["record"]
    assert record["requestContext"]["functionArn"] == f"{arn}:live"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "1", "functionError": "Unhandled"}
    time.sleep(200 * SCALE)
    assert len(_attempts([json.loads(b) for b in received])) == 1


def test_an_event_throttled_past_its_maximum_age_is_recorded(stack, collector):
    client = stack.client("lambda")
    stack.reset("lambda")
    url, received = collector
    arn, destination = _functions(client, url)
    client.put_function_concurrency(FunctionName="worker", ReservedConcurrentExecutions=0)
    client.put_function_event_invoke_config(
        FunctionName="worker",
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": destination}},
    )
    answer = client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"tag": "late"}')
    [body] = _records(_wait_for(received, _records))
    record = body["record"]
    del record["timestamp"]
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": answer["ResponseMetadata"]["RequestId"],
            "functionArn": f"{arn}:$LATEST",
            "condition": "EventAgeExceeded",
            "approximateInvokeCount": 0,
        },
        "requestPayload": {"tag": "late"},
    }
    assert _attempts([json.loads(b) for b in received]) == []


def test_without_configuration_a_failing_event_is_retried_twice(stack, collector):
    client = stack.client("lambda")
    stack.reset("lambda")
    url, received = collector
    _functions(client, url)
    client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"fail": true}')
    _wait_for(received, lambda bodies: len(_attempts(bodies)) == 3)
    time.sleep(400 * SCALE)
    assert len(received) == 3


def test_a_reset_forgets_pending_retries(stack, collector):
    client = stack.client("lambda")
    stack.reset("lambda")
    url, received = collector
    _functions(client, url)
    client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"fail": true}')
    _wait_for(received, lambda bodies: len(_attempts(bodies)) == 1)
    stack.reset("lambda")
    time.sleep(400 * SCALE)
    assert len(received) == 1


def test_echo_still_runs_as_an_event(stack):
    client = stack.client("lambda")
    stack.reset("lambda")
    create(client, "echo", functions.ECHO)
    assert client.invoke(FunctionName="echo", InvocationType="Event")["StatusCode"] == 202
