"""
Invoke and the deprecated InvokeAsync (botocore lambda model): the payload
limits, Invoke's JSON check, the invocation types, and a caller that leaves
abandoning its wait but not the invocation.
"""

from __future__ import annotations

import base64
import json
from typing import IO, Any

from twisted.internet import defer

from ruststack.aws.errors import AwsError
from ruststack.awslambda import access
from ruststack.awslambda.calls import Call
from ruststack.awslambda.environment import abandonable
from ruststack.awslambda.functions import invalid

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_EVENT_PAYLOAD = 1024 * 1024
# A request carrying a 50 MB zip in base64 (the limit of a direct upload):
# AWS refuses larger CreateFunction and UpdateFunctionCode requests.
MAX_CODE_REQUEST = 69905067


def payload_limit(operation: str, invocation_type: str | None) -> int | None:
    """
    The largest body C{operation} takes (C{None}: no limit of its own), by
    its C{X-Amz-Invocation-Type} header.
    """
    if operation in ("Invoke", "InvokeWithResponseStream"):
        return MAX_EVENT_PAYLOAD if invocation_type == "Event" else MAX_SYNC_PAYLOAD
    if operation == "InvokeAsync":
        return MAX_EVENT_PAYLOAD
    if operation in ("CreateFunction", "UpdateFunctionCode"):
        return MAX_CODE_REQUEST
    return None


def too_large(operation: str, limit: int) -> AwsError:
    # AWS's code and words ("Request must be smaller than 69905067 bytes for
    # the CreateFunction operation"), not the model's RequestTooLargeException.
    name = "InvokeFunction" if operation == "Invoke" else operation
    return AwsError(
        "RequestEntityTooLargeException", f"Request must be smaller than {limit} bytes for the {name} operation", 413
    )


def client_context(text: str | None) -> str | None:
    """
    C{X-Amz-Client-Context} (base64 of a JSON object) as the text the
    function's C{context.client_context} is read from.
    """
    if not text:
        return None
    try:
        return base64.b64decode(text, validate=True).decode()
    except ValueError:  # not base64 (or not ASCII at all), or not UTF-8 inside
        raise invalid("Client context must be a valid Base64-encoded JSON object.") from None


def check_json(payload: bytes) -> None:
    """
    Lambda passes only JSON to a function (an empty payload is C{{}}).
    """
    if not payload:
        return
    try:
        json.loads(payload)
    except ValueError as e:
        raise AwsError("InvalidRequestContentException", f"Could not parse request body into json: {e}", 400) from None


async def invoke(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], access.INVOKE, params.get("Qualifier"))
    # An alias with a routing configuration picks its version per invocation.
    function = call.service.pick(target)
    payload: bytes = params.get("Payload", b"")
    check_json(payload)
    invocation_type = params.get("InvocationType", "RequestResponse")
    if invocation_type == "DryRun":
        return {"StatusCode": 204}
    if invocation_type == "Event":
        call.service.enqueue_event(function, payload, call.request_id, target.arn)
        return {"StatusCode": 202}
    context = client_context(params.get("ClientContext"))
    tail = params.get("LogType") == "Tail"
    # A client that goes away abandons its wait, not the invocation.
    running = defer.ensureDeferred(call.service.run(function, payload, tail, context, call.request_id, target.arn))
    result, _ = await abandonable(running)
    return {
        "StatusCode": result.status,
        "Payload": result.payload,
        "FunctionError": result.function_error,
        "LogResult": result.log_result,
        "ExecutedVersion": result.executed_version,
    }


async def invoke_async(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], access.INVOKE)
    arguments: IO[bytes] = params["InvokeArgs"]  # a stream, bounded before it was read (LambdaProtocol.parse)
    call.service.enqueue_event(call.service.pick(target), arguments.read(), call.request_id, target.arn)
    return {"Status": 202}
