"""
The API Gateway page's request form: a request sent to a stage through the
real data plane -- over a socket to the edge, as any client would send it --
and the invocations it caused, found in the log groups of the functions the
API's integrations name.

RustStack's answers carry no Lambda request id (nor do AWS's), so the
invocations are those of the API's functions that started while the request
was in flight, read from their log groups once their REPORT lines are there.
Another client calling the same functions at the same moment would show too.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import treq
from twisted.internet import task
from twisted.internet.task import Cooperator
from twisted.web.client import Agent, FileBodyProducer
from twisted.web.http_headers import Headers

from ruststack.console.apigateway_data import ApiCall
from ruststack.console.lambda_data import invocations_between
from ruststack.console.lambda_logs import Invocation

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# The largest answer body the page shows (the rest is cut, and said so).
MAX_BODY = 256 * 1024
# How long to wait for the invocations' REPORT lines after the answer, and
# for a first START line (lines ship some 50 ms after an invocation ends).
LOG_WAIT = 3.0
START_WAIT = 0.5
# Seconds an answer may take (API Gateway's integrations time out at 30).
TIMEOUT = 60
_LOG_POLL = 0.1


@attrs.frozen
class Sent:
    url: str
    host: str
    status: int
    phrase: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    elapsed_ms: float
    invocations: dict[str, list[Invocation]]


def target(
    edge_url: str, api_id: str, stage: str, path: str, query: str, http_api: bool, form: str = "host"
) -> tuple[str, str]:
    """
    The URL to connect to and the C{Host} to send: the host form goes to
    the edge with C{Host: <api>.execute-api.localhost:<port>} (Python does
    not resolve C{*.localhost}), the path form to C{/restapis/...}.
    """
    parts = urlsplit(edge_url)
    port = f":{parts.port}" if parts.port else ""
    # What the browser would send for what was typed: reserved characters
    # kept, the rest (spaces, non-ASCII) percent-encoded.
    path = quote("/" + path.lstrip("/"), safe="/%:@!$&'()*+,;=~")
    query = quote(query.lstrip("?"), safe="/%:@!$&'()*+,;=~?")
    named = quote(stage, safe="$")
    suffix = f"?{query}" if query else ""
    base = f"{parts.scheme}://{parts.hostname}{port}"
    if form == "path":
        return f"{base}/restapis/{api_id}/{named}/_user_request_{path}{suffix}", f"localhost{port}"
    prefix = "" if http_api and stage == "$default" else f"/{named}"
    return f"{base}{prefix}{path}{suffix}", f"{api_id}.execute-api.localhost{port}"


def parse_headers(text: str) -> list[tuple[str, str]]:
    """
    C{Name: value} lines (blank lines and lines without a colon are skipped).
    """
    found = []
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip():
            found.append((name.strip(), value.strip()))
    return found


async def send(
    reactor: Any,
    call: ApiCall,
    edge_url: str,
    api_id: str,
    stage: str,
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    functions: Iterable[str],
    http_api: bool,
    form: str = "host",
) -> Sent:
    url, host = target(edge_url, api_id, stage, path, query, http_api, form)
    sent_headers = Headers({b"host": [host.encode("ascii")]})
    for name, value in headers:
        if name.lower() != "host":
            sent_headers.addRawHeader(name.encode("latin-1"), value.encode("latin-1"))
    started = reactor.seconds()
    # twisted's own Agent, not treq.request: the answer as the data plane sent
    # it -- no redirect followed, no gzip asked for or decoded (whose decoder
    # would also leave an empty Content-Encoding on a plain answer).
    agent = Agent(reactor, connectTimeout=10)
    producer = FileBodyProducer(io.BytesIO(body), cooperator=Cooperator(scheduler=_now(reactor))) if body else None
    requested = agent.request(method.encode("ascii"), url.encode("ascii"), sent_headers, producer)
    requested.addTimeout(TIMEOUT, reactor)
    response = await requested
    content = await treq.content(response)
    finished = reactor.seconds()
    answer_headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.getAllRawHeaders()
        for value in values
    ]
    invocations = await _invocations(
        reactor, call, sorted(set(functions)), int(started * 1000), int(finished * 1000) + 1
    )
    return Sent(
        url,
        host,
        response.code,
        response.phrase.decode("latin-1"),
        answer_headers,
        content[:MAX_BODY],
        len(content) > MAX_BODY,
        (finished - started) * 1000,
        invocations,
    )


def _now(reactor: Any) -> Any:
    # The body producer's steps run on the given reactor (tests' too).
    return lambda step: reactor.callLater(0, step)


async def _invocations(
    reactor: Any, call: ApiCall, functions: list[str], start_ms: int, end_ms: int
) -> dict[str, list[Invocation]]:
    """
    Each function's invocations that started in the window, waiting a little
    for their log lines (shipped just after each invocation ends) to end
    with a REPORT.
    """
    found: dict[str, list[Invocation]] = {}
    began = reactor.seconds()
    waiting = list(functions)
    while waiting:
        waited = reactor.seconds() - began
        for name in list(waiting):
            invocations = await invocations_between(call, name, start_ms, end_ms)
            found[name] = invocations
            if invocations and all(i.report is not None for i in invocations):
                waiting.remove(name)
            elif not invocations and waited >= START_WAIT:
                waiting.remove(name)  # not called by this request
        if not waiting or waited >= LOG_WAIT:
            break
        await task.deferLater(reactor, _LOG_POLL, lambda: None)
    return {name: invocations for name, invocations in found.items() if invocations}
