"""
Lambda on the service contract, as a client sees the wire: signed raw
requests over a real socket (what boto3 hides: bodies, headers, the answer to
a request that is no operation) and boto3 where it shows enough. The
protocol's own rules without a socket are in test_wire_rules.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import time
import urllib.parse
import zipfile

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.awslambda import functions
from tests.awslambda.functions import ROLE, create

REGION = "us-east-1"


def send(stack, method: str, path: str, body: bytes = b"", key: str = "test", **headers: str) -> requests.Response:
    """
    One request signed for Lambda, sent as it is.
    """
    request = AWSRequest(method, stack.endpoint_url + path, data=body, headers=headers)
    SigV4Auth(Credentials(key, "test"), "lambda", REGION).add_auth(request)
    return requests.request(method, request.url, data=body, headers=dict(request.headers), timeout=30)


def error_of(response: requests.Response) -> tuple[int, str, dict]:
    return response.status_code, response.headers.get("x-amzn-ErrorType", ""), response.json()


def test_a_request_that_is_no_operation_is_unknown(lambda_client, stack):
    answer = send(stack, "GET", "/2015-03-31/nothing")
    assert error_of(answer) == (
        404,
        "UnknownOperationException",
        {"message": "Unknown operation GET /2015-03-31/nothing"},
    )


def test_an_invalid_function_name_is_refused_as_the_model_says(lambda_client, stack):
    answer = send(stack, "GET", "/2015-03-31/functions/" + urllib.parse.quote("bad name", safe=""))
    status, code, body = error_of(answer)
    assert (status, code) == (400, "ValidationException")
    assert body["message"].startswith(
        "1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy constraint:"
        " Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
    )


def test_out_of_range_max_items_is_refused(lambda_client):
    with pytest.raises(lambda_client.exceptions.ClientError) as raised:
        lambda_client.list_functions(MaxItems=10001)
    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '10001' at 'maxItems' failed to satisfy constraint:"
        " Member must have value less than or equal to 10000",
    }


def test_an_unknown_runtime_is_lambdas_own_error(lambda_client):
    # Lambda checks Runtime itself, and says which it knows "or be a valid ARN".
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
        create(lambda_client, "runtime", functions.ECHO, Runtime="python9.9")
    message = raised.value.response["Error"]["Message"]
    assert message.startswith(
        "Value python9.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["
    )
    assert message.endswith("] or be a valid ARN") and "python3.11" in message


def test_an_unreadable_document_is_a_serialization_error(lambda_client, stack):
    # The control plane's documents are the protocol's to read (InvalidRequestContentException
    # is Invoke's, for its payload: test_invoke.py).
    answer = send(stack, "POST", "/2015-03-31/functions", b'{"FunctionName": ', **{"Content-Type": "application/json"})
    assert error_of(answer)[:2] == (400, "SerializationException")
    answer = send(stack, "PUT", "/2015-03-31/functions/f/configuration", b'{"Timeout": "long"}')
    assert error_of(answer) == (
        400,
        "SerializationException",
        {"message": "STRING_VALUE can not be converted to an Integer"},
    )


def test_invoke_answers_on_the_wire(lambda_client, stack):
    create(lambda_client, "wire", functions.ECHO)
    answer = send(stack, "POST", "/2015-03-31/functions/wire/invocations", b'{"a": 1}')
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["X-Amz-Executed-Version"] == "$LATEST"
    assert "X-Amz-Function-Error" not in answer.headers and "X-Amz-Log-Result" not in answer.headers
    body = answer.json()
    assert body["event"] == {"a": 1}
    # One id for the request and the invocation it started.
    assert body["request_id"] == answer.headers["x-amzn-RequestId"]
    event = send(stack, "POST", "/2015-03-31/functions/wire/invocations", b"{}", **{"X-Amz-Invocation-Type": "Event"})
    assert (event.status_code, event.content) == (202, b"")
    dry = send(stack, "POST", "/2015-03-31/functions/wire/invocations", b"{}", **{"X-Amz-Invocation-Type": "DryRun"})
    assert (dry.status_code, dry.content) == (204, b"")
    odd = send(stack, "POST", "/2015-03-31/functions/wire/invocations", b"{}", **{"X-Amz-Invocation-Type": "Later"})
    assert error_of(odd) == (
        400,
        "ValidationException",
        {
            "message": "1 validation error detected: Value 'Later' at 'invocationType' failed to satisfy constraint:"
            " Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        },
    )


def test_client_context_must_be_base64(lambda_client):
    create(lambda_client, "context", functions.ECHO)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
        lambda_client.invoke(FunctionName="context", Payload=b"{}", ClientContext="not base64!")
    assert raised.value.response["Error"]["Message"] == "Client context must be a valid Base64-encoded JSON object."


def test_a_client_context_that_is_not_even_ascii_is_refused(lambda_client, stack):
    create(lambda_client, "context-bytes", functions.ECHO)
    path = "/2015-03-31/functions/context-bytes/invocations"
    answer = send(stack, "POST", path, b"{}", **{"X-Amz-Client-Context": "\x80\xff"})
    assert error_of(answer) == (
        400,
        "InvalidParameterValueException",
        {"Type": "User", "message": "Client context must be a valid Base64-encoded JSON object."},
    )


def test_an_event_payload_over_its_limit_is_refused(lambda_client):
    create(lambda_client, "events", functions.ECHO)
    payload = json.dumps({"x": "a" * (1024 * 1024)}).encode()
    with pytest.raises(lambda_client.exceptions.ClientError) as raised:
        lambda_client.invoke(FunctionName="events", InvocationType="Event", Payload=payload)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert raised.value.response["Error"] == {
        "Code": "RequestEntityTooLargeException",
        "Message": "Request must be smaller than 1048576 bytes for the InvokeFunction operation",
    }


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/2015-03-31/functions"), ("PUT", "/2015-03-31/functions/big/code")]
)
def test_a_code_request_over_aws_limit_is_refused_unread(lambda_client, stack, method, path):
    # 69905067 bytes: a 50 MB zip in base64 and a little JSON. A larger one is
    # refused before it is read (the zip inside would be decoded and checked).
    zip_file = base64.b64encode(b"\0" * (52 * 1024 * 1024)).decode()
    document = (
        {"ZipFile": zip_file}
        if method == "PUT"
        else {"FunctionName": "big", "Role": ROLE, "Code": {"ZipFile": zip_file}}
    )
    answer = send(stack, method, path, json.dumps(document).encode())
    operation = "CreateFunction" if method == "POST" else "UpdateFunctionCode"
    assert error_of(answer) == (
        413,
        "RequestEntityTooLargeException",
        {"message": f"Request must be smaller than 69905067 bytes for the {operation} operation"},
    )


def test_invoke_async_runs_the_function(lambda_client):
    # The function marks itself through RustStack (its AWS_ENDPOINT_URL).
    source = """
import boto3

def handler(event, context):
    boto3.client("lambda").tag_resource(Resource=context.invoked_function_arn, Tags={"ran": event["marker"]})
"""
    arn = create(lambda_client, "legacy", source)["FunctionArn"]
    answer = lambda_client.invoke_async(FunctionName="legacy", InvokeArgs=json.dumps({"marker": "yes"}).encode())
    assert answer["Status"] == 202 and answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    deadline = time.monotonic() + 20
    while "ran" not in lambda_client.list_tags(Resource=arn)["Tags"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"ran": "yes"}


def test_access_denied_carries_message_alone(lambda_client, stack):
    create(lambda_client, "mine", functions.ECHO)
    arn = f"arn:aws:lambda:{REGION}:000000000000:function:mine"
    answer = send(stack, "GET", "/2015-03-31/functions/" + urllib.parse.quote(arn, safe=""), key="222222222222")
    message = (
        f"User: arn:aws:iam::222222222222:root is not authorized to perform: lambda:GetFunction on resource: {arn}"
        " because no resource-based policy allows the lambda:GetFunction action"
    )
    assert error_of(answer) == (403, "AccessDeniedException", {"Message": message})


def test_delete_function_answers_204(lambda_client, stack):
    create(lambda_client, "short-lived", functions.ECHO)
    answer = send(stack, "DELETE", "/2015-03-31/functions/short-lived")
    assert (answer.status_code, answer.content) == (204, b"")


# Code packages


def _open_fds(stack) -> int:
    return len(os.listdir(f"/proc/{stack.process.pid}/fd"))


def test_code_packages_download_and_refuse_what_is_no_package(lambda_client, stack):
    # About 3 MB that do not compress, so that a download outlasts the socket buffers.
    blob = os.urandom(3 * 1024 * 1024)
    lambda_client.create_function(
        FunctionName="big",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": _zip_with_blob(blob)},
    )
    # Served at once, as on AWS: a download asked for while the package is
    # still being kept waits for it.
    location = lambda_client.get_function(FunctionName="big")["Code"]["Location"]
    path = urllib.parse.urlsplit(location).path
    downloaded = requests.get(location, timeout=30)
    assert downloaded.status_code == 200 and downloaded.headers["Content-Type"] == "application/zip"
    assert int(downloaded.headers["Content-Length"]) == len(downloaded.content) > len(blob)
    assert blob in downloaded.content
    for other in (
        path.replace(path[-9:-4], "00000"),  # no such package
        "/2015-03-31/code-packages/..%2F..%2Ffunctions.json.zip",
        "/2015-03-31/code-packages/" + "A" * 64 + ".zip",
    ):
        refused = requests.get(stack.endpoint_url + other, timeout=30)
        assert refused.status_code == 404, other
        assert refused.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
        assert refused.json() == {"Type": "User", "Message": "The resource you requested does not exist."}
    # Clients that leave halfway through leave nothing open behind them.
    host, port = urllib.parse.urlsplit(location).netloc.split(":")
    before = _open_fds(stack)
    for _ in range(20):
        with socket.create_connection((host, int(port))) as client:
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 10
    while _open_fds(stack) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _open_fds(stack) <= before
    assert requests.get(location, timeout=30).content == downloaded.content


def _zip_with_blob(blob: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("app.py", functions.ECHO)
        archive.writestr("blob.bin", blob)
    return buffer.getvalue()
