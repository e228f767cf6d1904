"""
Destinations of asynchronous invocations: which ARNs a DestinationConfig
takes, the invocation record Lambda sends them, and its delivery
("Capturing records of Lambda asynchronous invocations", Lambda developer
guide).

A record goes where RustStack has the service: to another Lambda function
(an Event invocation of it). SQS, SNS and S3 destinations are stored but
RustStack has no such service to deliver to; EventBridge has rules but no
PutEvents. Those records are logged instead, as AWS would count a
C{DestinationDeliveryFailures}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from ruststack.aws.errors import AwsError
from ruststack.awslambda import access, names
from ruststack.awslambda.functions import LambdaFunction, invalid
from ruststack.interfaces import InvokeResult

if TYPE_CHECKING:
    from ruststack.awslambda.store import FunctionStore

log = Logger()

# requestContext.condition
SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"

# The services a destination ARN may name (S3 on failure only).
_SERVICES = frozenset(("lambda", "sqs", "sns", "events", "s3"))


def check(config: Mapping[str, Any], store: FunctionStore, function: LambdaFunction) -> dict[str, dict[str, str]]:
    """
    A C{DestinationConfig} as Lambda checks it for C{function}, normalised
    to the form Lambda answers with (C{OnSuccess} and C{OnFailure} both
    present, C{{}} where no destination is set).
    """
    success = (config.get("OnSuccess") or {}).get("Destination") or None
    failure = (config.get("OnFailure") or {}).get("Destination") or None
    valid = True
    for arn, on_failure in ((success, False), (failure, True)):
        if arn is not None:
            valid = _check_arn(arn, on_failure, store, function) and valid
    if not valid:
        success_text = f"OnSuccess(destination={success})" if success else "null"
        failure_text = f"OnFailure(destination={failure})" if failure else "null"
        raise invalid(
            f"The provided destination config DestinationConfig(onSuccess={success_text}, onFailure={failure_text})"
            " is invalid."
        )
    return {
        "OnSuccess": {"Destination": success} if success else {},
        "OnFailure": {"Destination": failure} if failure else {},
    }


def _check_arn(arn: str, on_failure: bool, store: FunctionStore, function: LambdaFunction) -> bool:
    # The protocol layer has checked the model's pattern (arn:partition:service:...).
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service not in _SERVICES or (service == "s3" and not on_failure):
        return False
    if service == "lambda":
        destination = _destination_function(store, arn)
        if destination is None:
            raise invalid(f"The destination ARN {arn} is invalid.")
        if destination.name == function.name and destination.account == function.account:
            raise invalid("You can't specify the function as a destination for itself.")
    return True


def _destination_function(store: FunctionStore, arn: str) -> LambdaFunction | None:
    # The version or alias a function ARN names, if it is there.
    try:
        ref = names.parse(arn, "", "")
    except AwsError:
        return None
    function = store.get(ref.account, ref.region, ref.name)
    if function is None:
        return None
    target = access.qualified(function, ref.qualifier)
    return None if target is None else target.version


def record(
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    payload: bytes,
    result: InvokeResult | None,
    now: float,
) -> dict[str, Any]:
    """
    The invocation record of an event, as AWS documents it: C{version}
    1.0, its C{timestamp}, the C{requestContext}, the C{requestPayload} and,
    once the function ran, the C{responseContext} and C{responsePayload} of
    its last attempt.
    """
    document: dict[str, Any] = {
        "version": "1.0",
        "timestamp": timestamp(now),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": _json(payload or b"{}"),
    }
    if result is not None:
        response: dict[str, Any] = {"statusCode": result.status, "executedVersion": result.executed_version}
        if result.function_error:
            response["functionError"] = result.function_error
        document["responseContext"] = response
        document["responsePayload"] = _json(result.payload)
    return document


def timestamp(when: float) -> str:
    """
    The record's C{timestamp}: ISO 8601 in UTC with milliseconds
    (C{2019-11-14T18:16:05.568Z}).
    """
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _json(payload: bytes) -> Any:
    # A function's answer is JSON (awslambdaric serialises it); anything else is kept as text.
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


def deliver(service: Any, source: LambdaFunction, arn: str, document: Mapping[str, Any]) -> None:
    """
    Send C{document} to the destination C{arn} of an invocation of
    C{source}: an Event invocation of a destination function; a log line
    where RustStack has no service to deliver to.
    """
    kind = arn.split(":")[2] if arn.count(":") >= 5 else ""
    condition = document["requestContext"]["condition"]
    if kind == "lambda":
        destination = _destination_function(service.store, arn)
        if destination is not None:
            payload = json.dumps(document).encode()
            service.enqueue_event(destination, payload, None, arn)
            return
        log.warn(
            "Destination {arn} of {function} ({condition}) is gone: record not delivered",
            arn=arn,
            function=source.name,
            condition=condition,
        )
        return
    reason = (
        "EventBridge in RustStack has no PutEvents"
        if kind == "events"
        else f"RustStack has no {kind.upper()} to deliver to"
    )
    log.info(
        "Destination {arn} of {function} ({condition}) not delivered: {reason}; record: {record}",
        arn=arn,
        function=source.name,
        condition=condition,
        reason=reason,
        record=json.dumps(document),
    )
