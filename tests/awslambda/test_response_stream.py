"""
InvokeWithResponseStream through boto3's EventStream against a real
RustStack (both executors), function URLs in RESPONSE_STREAM mode over real
sockets, and the event-stream encoder against botocore's own decoder.
"""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.awslambda import event_stream
from ruststack.awslambda.response_streaming import CHUNK, events
from ruststack.interfaces import InvokeResult
from tests.awslambda import functions
from tests.awslambda.functions import create
from tests.awslambda.test_function_urls import fetch, public_url

BIG = """
def handler(event, context):
    return "x" * event["size"]
"""

URL_APP = """
import json

def handler(event, context):
    size = int((event.get("queryStringParameters") or {}).get("size", "0"))
    return {"statusCode": 201, "headers": {"Content-Type": "text/plain", "X-Size": str(size)},
            "body": "y" * size if size else json.dumps({"path": event["rawPath"]})}
"""


@pytest.fixture(params=["process", "docker"])
def stack(request):
    """
    The tests that run a function run with both executors.
    """
    return request.getfixturevalue(f"{request.param}_stack")


def streamed(client, name: str, event=None, **kwargs) -> tuple[dict, list[dict]]:
    """
    InvokeWithResponseStream's answer and its events, read to the end.
    """
    answer = client.invoke_with_response_stream(FunctionName=name, Payload=json.dumps(event or {}).encode(), **kwargs)
    return answer, list(answer["EventStream"])


def payload_of(received: list[dict]) -> bytes:
    return b"".join(item["PayloadChunk"]["Payload"] for item in received if "PayloadChunk" in item)


def test_the_answer_arrives_as_payload_chunks_then_invoke_complete(lambda_client, stack):
    create(lambda_client, "echo", functions.ECHO)
    answer, received = streamed(lambda_client, "echo", {"hello": "world"})
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert answer["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    assert [next(iter(item)) for item in received][-1] == "InvokeComplete"
    assert received[-1]["InvokeComplete"] == {}
    body = json.loads(payload_of(received))
    assert body["event"] == {"hello": "world"}
    assert body["request_id"] == answer["ResponseMetadata"]["RequestId"]
    assert body["function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"


def test_a_large_answer_is_split_and_may_pass_the_buffered_limit(lambda_client, stack):
    create(lambda_client, "big", BIG, MemorySize=512)
    size = 7 * 1024 * 1024  # over Invoke's 6 MB
    _, received = streamed(lambda_client, "big", {"size": size})
    chunks = [item["PayloadChunk"]["Payload"] for item in received if "PayloadChunk" in item]
    assert len(chunks) == -(-(size + 2) // CHUNK)  # the JSON string's quotes too
    assert all(len(chunk) <= CHUNK for chunk in chunks)
    assert json.loads(b"".join(chunks)) == "x" * size
    assert received[-1] == {"InvokeComplete": {}}
    # Invoke's own limit is unchanged.
    buffered = lambda_client.invoke(FunctionName="big", Payload=json.dumps({"size": size}).encode())
    assert buffered["FunctionError"] == "Unhandled"
    assert json.loads(buffered["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"
    # The runtime whose answer was refused exits; the next invocation gets a new environment.
    again = lambda_client.invoke(FunctionName="big", Payload=json.dumps({"size": 10}).encode())
    assert "FunctionError" not in again, again["Payload"].read()
    assert json.loads(again["Payload"].read()) == "x" * 10


def test_a_function_error_is_reported_by_invoke_complete(lambda_client, stack):
    create(lambda_client, "raises", functions.RAISES)
    answer, received = streamed(lambda_client, "raises", {"why": "testing"})
    assert answer["StatusCode"] == 200
    assert len(received) == 1
    complete = received[0]["InvokeComplete"]
    assert complete["ErrorCode"] == "Unhandled"
    details = json.loads(complete["ErrorDetails"])
    assert details["errorType"] == "ValueError"
    assert details["errorMessage"] == "something went wrong: testing"
    assert details["requestId"] == answer["ResponseMetadata"]["RequestId"]


def test_log_type_tail(lambda_client, stack):
    create(lambda_client, "echo", functions.ECHO)
    answer, received = streamed(lambda_client, "echo", {"print": "hello from the log"}, LogType="Tail")
    log = base64.b64decode(received[-1]["InvokeComplete"]["LogResult"]).decode()
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert "hello from the log" in log
    assert f"REPORT RequestId: {request_id}" in log


def test_qualifier_through_an_alias(lambda_client, stack):
    create(lambda_client, "echo", functions.ECHO)
    lambda_client.publish_version(FunctionName="echo")
    lambda_client.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")
    lambda_client.update_function_configuration(FunctionName="echo", Environment={"Variables": {"MY_V": "2"}})
    for kwargs in ({"FunctionName": "echo", "Qualifier": "live"}, {"FunctionName": "echo:live"}):
        answer = lambda_client.invoke_with_response_stream(Payload=b"{}", **kwargs)
        received = list(answer["EventStream"])
        assert answer["ExecutedVersion"] == "1"
        body = json.loads(payload_of(received))
        assert body["function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo:live"
        assert body["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
        assert "MY_V" not in body["env"]


def test_client_context(lambda_client):
    source = """
def handler(event, context):
    return context.client_context.custom
"""
    create(lambda_client, "client-context", source)
    context = base64.b64encode(json.dumps({"custom": {"tenant": "t1"}}).encode()).decode()
    _, received = streamed(lambda_client, "client-context", ClientContext=context)
    assert json.loads(payload_of(received)) == {"tenant": "t1"}
    with pytest.raises(ClientError) as raised:
        streamed(lambda_client, "client-context", ClientContext="not base64!")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_dry_run(lambda_client):
    create(lambda_client, "echo", functions.ECHO)
    answer, received = streamed(lambda_client, "echo", InvocationType="DryRun")
    assert answer["StatusCode"] == 204
    assert received == []


def error_of(client, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        client.invoke_with_response_stream(**kwargs)
    return raised.value.response


def test_errors_before_the_stream_are_plain_json(lambda_client):
    missing = error_of(lambda_client, FunctionName="nothing", Payload=b"{}")
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert missing["Error"]["Code"] == "ResourceNotFoundException"
    assert missing["Error"]["Message"] == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nothing"
    assert missing["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
    create(lambda_client, "echo", functions.ECHO)
    unknown_alias = error_of(lambda_client, FunctionName="echo", Qualifier="nope", Payload=b"{}")
    assert unknown_alias["Error"]["Code"] == "ResourceNotFoundException"
    not_json = error_of(lambda_client, FunctionName="echo", Payload=b"{not json")
    assert not_json["Error"]["Code"] == "InvalidRequestContentException"
    too_large = error_of(lambda_client, FunctionName="echo", Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert too_large["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert too_large["Error"]["Code"] == "RequestEntityTooLargeException"
    lambda_client.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    throttled = error_of(lambda_client, FunctionName="echo", Payload=b"{}")
    assert throttled["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert throttled["Error"]["Code"] == "TooManyRequestsException"
    assert throttled["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


# Function URLs in RESPONSE_STREAM mode


@pytest.fixture
def url_stack(stack):
    stack.reset("lambda")
    return stack


def test_a_response_stream_url_sends_the_answer_chunked(url_stack):
    client = url_stack.client("lambda")
    url_id = public_url(client, "site", URL_APP, InvokeMode="RESPONSE_STREAM")
    status, headers, body = fetch(url_stack, url_id, "/hello")
    assert status == 201
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    assert headers["content-type"] == "text/plain"
    assert json.loads(body) == {"path": "/hello"}
    # Past the 6 MB of a BUFFERED URL.
    size = 7 * 1024 * 1024
    status, headers, body = fetch(url_stack, url_id, f"/big?size={size}")
    assert (status, headers["x-size"], len(body)) == (201, str(size), size)
    client.update_function_url_config(FunctionName="site", InvokeMode="BUFFERED")
    status, headers, body = fetch(url_stack, url_id, "/hello")
    assert status == 201 and headers["content-length"] == str(len(body))
    status, headers, _ = fetch(url_stack, url_id, f"/big?size={size}")
    assert status == 502


# The encoder, against botocore's decoder

header_names = st.text(min_size=1, max_size=40).filter(lambda name: len(name.encode()) <= 255)
header_values = st.text(max_size=200)


def decoded(data: bytes, cuts: list[int]) -> list:
    # botocore's parser, fed the bytes in arbitrary pieces as a socket would.
    buffer = EventStreamBuffer()
    messages = []
    start = 0
    for cut in sorted({min(cut, len(data)) for cut in cuts}) + [len(data)]:
        buffer.add_data(data[start:cut])
        start = cut
        messages.extend(buffer)
    return messages


@given(
    st.lists(st.tuples(st.dictionaries(header_names, header_values, max_size=5), st.binary(max_size=3000)), max_size=4),
    st.lists(st.integers(min_value=0, max_value=20000), max_size=6),
)
def test_messages_round_trip_through_botocore(messages, cuts):
    data = b"".join(event_stream.message(headers.items(), payload) for headers, payload in messages)
    parsed = decoded(data, cuts)
    assert [(message.headers, message.payload) for message in parsed] == [
        (headers, payload) for headers, payload in messages
    ]


@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=700), st.booleans(), st.booleans())
def test_an_answer_round_trips_as_lambda_events(payload, size, failed, tail):
    result = InvokeResult(
        200,
        payload,
        function_error="Unhandled" if failed else None,
        log_result=base64.b64encode(b"log").decode() if tail else None,
    )
    parsed = decoded(b"".join(events(result, size)), [])
    assert all(message.headers[":message-type"] == "event" for message in parsed)
    chunks = [message for message in parsed if message.headers[":event-type"] == "PayloadChunk"]
    assert all(message.headers[":content-type"] == "application/octet-stream" for message in chunks)
    assert all(0 < len(message.payload) <= size for message in chunks)
    complete = parsed[-1]
    assert (complete.headers[":event-type"], complete.headers[":content-type"]) == (
        "InvokeComplete",
        "application/json",
    )
    document = json.loads(complete.payload)
    if failed:
        assert chunks == []
        assert document["ErrorCode"] == "Unhandled"
        assert document["ErrorDetails"] == payload.decode("utf-8", "replace")
    else:
        assert b"".join(message.payload for message in chunks) == payload
        assert "ErrorCode" not in document
    assert ("LogResult" in document) == tail
    assert len(parsed) == len(chunks) + 1


def test_the_prelude_and_crcs_are_as_aws_writes_them():
    data = event_stream.event("PayloadChunk", "application/octet-stream", b"hi")
    headers = b"".join(
        bytes((len(name),)) + name + b"\x07" + len(value).to_bytes(2, "big") + value
        for name, value in (
            (b":event-type", b"PayloadChunk"),
            (b":content-type", b"application/octet-stream"),
            (b":message-type", b"event"),
        )
    )
    assert int.from_bytes(data[:4], "big") == len(data) == 12 + len(headers) + 2 + 4
    assert int.from_bytes(data[4:8], "big") == len(headers)
    assert data[12 : 12 + len(headers)] == headers
    assert data[12 + len(headers) : -4] == b"hi"
    assert int.from_bytes(data[8:12], "big") == zlib.crc32(data[:8])
    assert int.from_bytes(data[-4:], "big") == zlib.crc32(data[:-4])
