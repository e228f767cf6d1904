"""
Lambda's logs in CloudWatch Logs: what a function prints, its errors, and
the START / END / REPORT lines Lambda writes, in /aws/lambda/<function>, one
stream per environment named YYYY/MM/DD/[$LATEST]<32 hex>; read with boto3
and with the AWS CLI v2 (`aws logs tail`, `--follow`, `filter-log-events`).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import time

import pytest

from ruststack.testing import RustStackProcess
from tests.awslambda.functions import ROLE, package

AWS_V2 = "/usr/bin/aws"
PRINTS = """
import sys

def handler(event, context):
    print("hello from", context.function_name)
    print("second line")
    if event.get("fail"):
        raise ValueError("it went wrong")
    return "ok"
"""
STREAM = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")


@pytest.fixture(scope="module")
def stack():
    process = RustStackProcess.start("--services", "logs,lambda", "--lambda-idle-timeout", "60")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def clients(stack):
    return stack.client("lambda"), stack.client("logs")


def deploy(lambda_client, name: str, source: str = PRINTS) -> None:
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": package({"app.py": source})},
    )
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)


def messages_of(logs, group: str, stream: str, count: int, timeout: float = 10.0) -> list[str]:
    """
    The stream's messages once it has at least C{count} (shipping is
    deferred a moment past the invocation's answer).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if len(events) >= count or time.monotonic() > deadline:
            return [e["message"] for e in events]
        time.sleep(0.05)


def streams_of(logs, group: str, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        except logs.exceptions.ResourceNotFoundException:
            streams = []
        if streams or time.monotonic() > deadline:
            return [s["logStreamName"] for s in streams]
        time.sleep(0.05)


def test_invocation_lines_reach_the_function_log_group(clients):
    lambda_client, logs = clients
    deploy(lambda_client, "printer")
    first = lambda_client.invoke(FunctionName="printer", Payload=b"{}")
    second = lambda_client.invoke(FunctionName="printer", Payload=b"{}")
    ids = [first["ResponseMetadata"]["RequestId"], second["ResponseMetadata"]["RequestId"]]
    (stream,) = streams_of(logs, "/aws/lambda/printer")
    assert STREAM.match(stream)
    assert stream.startswith(time.strftime("%Y/%m/%d/", time.gmtime()))
    lines = messages_of(logs, "/aws/lambda/printer", stream, 11)
    assert lines[0] == "INIT_START Runtime Version: python:3.11\n"
    for request_id, at in zip(ids, (1, 6), strict=True):
        start, hello, second_line, end, report = lines[at : at + 5]
        assert start == f"START RequestId: {request_id} Version: $LATEST\n"
        assert hello == "hello from printer\n"
        assert second_line == "second line\n"
        assert end == f"END RequestId: {request_id}\n"
        assert re.fullmatch(
            rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
            r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?\n",
            report,
        )
    assert "Init Duration" in lines[5] and "Init Duration" not in lines[10]
    group = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/printer")["logGroups"][0]
    assert group["logGroupName"] == "/aws/lambda/printer"


def test_errors_and_tracebacks_are_logged(clients):
    lambda_client, logs = clients
    deploy(lambda_client, "failing")
    answer = lambda_client.invoke(FunctionName="failing", Payload=json.dumps({"fail": True}).encode())
    assert answer["FunctionError"] == "Unhandled"
    (stream,) = streams_of(logs, "/aws/lambda/failing")
    lines = messages_of(logs, "/aws/lambda/failing", stream, 7)
    text = "".join(lines)
    assert "it went wrong" in text
    assert "ValueError" in text
    assert lines[-2].startswith("END RequestId: ")


def test_each_environment_has_its_stream(clients):
    lambda_client, logs = clients
    sleeper = "import time\n\ndef handler(event, context):\n    time.sleep(0.5)\n    print('slept')\n"
    deploy(lambda_client, "sleeper", sleeper)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: lambda_client.invoke(FunctionName="sleeper", Payload=b"{}"), range(2)))
    deadline = time.monotonic() + 10
    while len(streams := streams_of(logs, "/aws/lambda/sleeper")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(streams) == 2 and all(STREAM.match(s) for s in streams)
    found = logs.filter_log_events(logGroupName="/aws/lambda/sleeper", filterPattern="slept")["events"]
    assert sorted(e["logStreamName"] for e in found) == sorted(streams)


def test_lambda_runs_without_cloudwatch_logs(tmp_path):
    process = RustStackProcess.start("--services", "lambda")
    try:
        lambda_client = process.client("lambda")
        deploy(lambda_client, "alone")
        answer = lambda_client.invoke(FunctionName="alone", Payload=b"{}", LogType="Tail")
        assert answer["StatusCode"] == 200
        import base64

        assert "hello from alone" in base64.b64decode(answer["LogResult"]).decode()
        # CloudWatch Logs itself answers that it is not running, in its own protocol.
        logs = process.client("logs")
        with pytest.raises(logs.exceptions.ClientError) as refused:
            logs.describe_log_groups()
        error = refused.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("NotImplemented", 501)
    finally:
        process.stop()


# The AWS CLI v2


def _cli(stack: RustStackProcess, tmp_path) -> tuple[list[str], dict[str, str]]:
    if not os.path.exists(AWS_V2) or shutil.which(AWS_V2) is None:
        pytest.skip("the AWS CLI v2 (Debian's awscli, scripts/install-system-deps.sh) is not installed")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        # The CLI is Python: unbuffered, --follow's lines reach the pipe as printed.
        "PYTHONUNBUFFERED": "1",
    }
    return [AWS_V2, "--endpoint-url", stack.endpoint_url, "--color", "off"], env


def test_cli_tail_and_filter(stack, clients, tmp_path):
    lambda_client, logs = clients
    deploy(lambda_client, "tailed")
    request_id = lambda_client.invoke(FunctionName="tailed", Payload=b"{}")["ResponseMetadata"]["RequestId"]
    (stream,) = streams_of(logs, "/aws/lambda/tailed")
    messages_of(logs, "/aws/lambda/tailed", stream, 6)
    aws, env = _cli(stack, tmp_path)
    tail = subprocess.run(
        [*aws, "logs", "tail", "/aws/lambda/tailed", "--format", "short"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = tail.stdout.splitlines()
    assert any(line.endswith(f"START RequestId: {request_id} Version: $LATEST") for line in lines)
    assert any(line.endswith("hello from tailed") for line in lines)
    filtered = subprocess.run(
        [
            *aws,
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/aws/lambda/tailed",
            "--filter-pattern",
            '"second line"',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    events = json.loads(filtered.stdout)["events"]
    assert [e["message"] for e in events] == ["second line\n"]
    assert events[0]["logStreamName"] == stream


def test_cli_tail_follow_sees_a_new_invocation(stack, clients, tmp_path):
    lambda_client, logs = clients
    deploy(lambda_client, "followed", PRINTS.replace('"second line"', 'event.get("say", "nothing")'))
    logs.create_log_group(logGroupName="/aws/lambda/followed")
    aws, env = _cli(stack, tmp_path)
    follow = subprocess.Popen(
        [*aws, "logs", "tail", "/aws/lambda/followed", "--follow", "--format", "short"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert follow.stdout is not None and follow.stderr is not None
    try:
        time.sleep(1.0)  # its first poll, of an empty group
        lambda_client.invoke(FunctionName="followed", Payload=json.dumps({"say": "followed line 42"}).encode())
        seen = b""
        deadline = time.monotonic() + 30
        while b"followed line 42" not in seen and time.monotonic() < deadline:
            readable, _, _ = select.select([follow.stdout], [], [], 0.5)
            if readable:
                chunk = os.read(follow.stdout.fileno(), 65536)
                assert chunk, follow.stderr.read()  # it ended
                seen += chunk
        assert b"followed line 42" in seen
    finally:
        follow.kill()
        follow.wait()


def test_the_docker_executor_ships_the_same_lines(tmp_path):
    from tests.awslambda.conftest import docker_image

    image = docker_image()  # skips without a Docker engine
    process = RustStackProcess.start(
        "--services", "logs,lambda", "--lambda-executor", "docker", "--lambda-image", image
    )
    try:
        lambda_client, logs = process.client("lambda"), process.client("logs")
        deploy(lambda_client, "in-docker")
        request_id = lambda_client.invoke(FunctionName="in-docker", Payload=b"{}")["ResponseMetadata"]["RequestId"]
        (stream,) = streams_of(logs, "/aws/lambda/in-docker", timeout=30)
        assert STREAM.match(stream)
        lines = messages_of(logs, "/aws/lambda/in-docker", stream, 6)
        assert lines[1:5] == [
            f"START RequestId: {request_id} Version: $LATEST\n",
            "hello from in-docker\n",
            "second line\n",
            f"END RequestId: {request_id}\n",
        ]
        # Docker does not say how much memory the container used: no Max Memory Used.
        assert lines[5].startswith(f"REPORT RequestId: {request_id}\t") and "Max Memory Used" not in lines[5]
    finally:
        process.stop()
