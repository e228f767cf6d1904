"""
What the Lambda pages show, read through the Lambda and CloudWatch Logs
APIs as the page's account: the functions, a function's configuration,
versions, aliases and URLs, and its invocations from its log group.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import attrs
from twisted.internet import defer

from ruststack.console.apigateway_data import ApiCall
from ruststack.console.client import AwsCallError
from ruststack.console.lambda_logs import Invocation, invocations_of

# FilterLogEvents reads newest first only from a startTime on or after this.
_DESCENDING_SINCE_MS = 1_704_067_200_000
# Events read for the recent invocations (newest first): enough for the last
# few dozen invocations of a chatty function.
RECENT_EVENTS = 2000
RECENT_INVOCATIONS = 50


async def together(*steps: Coroutine[Any, Any, Any]) -> list[Any]:
    """
    Run C{steps} at once: their results, or the first error as it was raised.
    """
    try:
        return await defer.gatherResults([defer.ensureDeferred(step) for step in steps], consumeErrors=True)
    except defer.FirstError as e:
        e.subFailure.raiseException()
        raise  # not reached


def log_group(function: str) -> str:
    return f"/aws/lambda/{function}"


async def functions(call: ApiCall) -> list[dict[str, Any]]:
    """
    Every function's configuration (ListFunctions, all pages), by name.
    """
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"MaxItems": 50}
    while True:
        output = await call("lambda", "ListFunctions", params)
        found.extend(output.get("Functions", []))
        marker = output.get("NextMarker")
        if not marker:
            return sorted(found, key=lambda f: f["FunctionName"])
        params["Marker"] = marker


@attrs.frozen
class FunctionView:
    configuration: dict[str, Any]
    code: dict[str, Any]
    tags: dict[str, str]
    versions: list[dict[str, Any]]
    aliases: list[dict[str, Any]]
    urls: list[dict[str, Any]]


async def _pages(call: ApiCall, operation: str, params: dict[str, Any], items: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params = dict(params)
    while True:
        output = await call("lambda", operation, params)
        found.extend(output.get(items, []))
        marker = output.get("NextMarker")
        if not marker:
            return found
        params["Marker"] = marker


async def function(call: ApiCall, name: str) -> FunctionView:
    """
    A function's configuration and code (GetFunction), its versions,
    aliases and function URLs. Raises L{AwsCallError} (404
    C{ResourceNotFoundException}) for a function that does not exist.
    """
    output = await call("lambda", "GetFunction", {"FunctionName": name})
    # The rest at once: each is a round trip through the edge.
    versions, aliases, urls = await together(
        _pages(call, "ListVersionsByFunction", {"FunctionName": name}, "Versions"),
        _pages(call, "ListAliases", {"FunctionName": name}, "Aliases"),
        _urls(call, name),
    )
    return FunctionView(
        output.get("Configuration", {}), output.get("Code", {}), output.get("Tags", {}), versions, aliases, urls
    )


async def _urls(call: ApiCall, name: str) -> list[dict[str, Any]]:
    try:
        return await _pages(call, "ListFunctionUrlConfigs", {"FunctionName": name}, "FunctionUrlConfigs")
    except AwsCallError as e:
        if e.status != 501:
            raise
        return []


async def _filter(call: ApiCall, params: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        output = await call("logs", "FilterLogEvents", params)
    except AwsCallError as e:
        if e.code == "ResourceNotFoundException":
            return []  # never invoked (or its logs were deleted)
        raise
    return output.get("events", [])


async def recent_invocations(
    call: ApiCall, function: str, limit: int = RECENT_INVOCATIONS, events: int = RECENT_EVENTS
) -> list[Invocation]:
    """
    The function's last invocations, newest first, from the newest
    C{events} events of its log group.
    """
    read = await _filter(
        call,
        {
            "logGroupName": log_group(function),
            "startTime": _DESCENDING_SINCE_MS,
            "startFromHead": False,
            "limit": events,
        },
    )
    return invocations_of(read)[:limit]


async def invocations_between(call: ApiCall, function: str, start_ms: int, end_ms: int) -> list[Invocation]:
    """
    The function's invocations that started in [start_ms, end_ms], with
    every line they logged (read up to a minute after C{end_ms}).
    """
    read = await _filter(
        call,
        {"logGroupName": log_group(function), "startTime": start_ms, "endTime": end_ms + 60_000, "limit": 10_000},
    )
    return [i for i in invocations_of(read) if start_ms <= i.started <= end_ms]


async def invocation(call: ApiCall, function: str, stream: str, request_id: str, started_ms: int) -> Invocation | None:
    """
    One invocation with its lines, read from its stream from its START on.
    """
    read = await _filter(
        call,
        {"logGroupName": log_group(function), "logStreamNames": [stream], "startTime": started_ms, "limit": 10_000},
    )
    for found in invocations_of(read):
        if found.request_id == request_id:
            return found
    return None
