"""
InvokeWithResponseStream (botocore C{lambda} model), and sending an answer
as it comes, with chunked transfer encoding.

Response streaming is native to Node.js on AWS; the answer of a runtime that
does not stream (Python's) arrives whole, and Lambda sends it as the stream:
the function's result in C{PayloadChunk} events, then an C{InvokeComplete}
event (C{ErrorCode}, C{ErrorDetails}, C{LogResult} for C{LogType=Tail}).
Such an answer may be larger than a buffered one (the streaming limit).
Anything refused before the function answers (not found, throttled, a bad
payload) is a plain JSON error, as for Invoke.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IPullProducer
from zope.interface import implementer

from ruststack.awslambda import access, event_stream
from ruststack.awslambda.calls import Call
from ruststack.awslambda.environment import abandonable
from ruststack.awslambda.invocations import check_json, client_context
from ruststack.interfaces import InvokeResult
from ruststack.protocol import Response
from ruststack.service_resource import ServiceResource, protocol_request, write_response

CONTENT_TYPE = "application/vnd.amazon.eventstream"
# A streamed answer's limit, "Lambda quotas": 200 MB since July 2025 (20 MB before).
MAX_STREAMED_RESPONSE = 200 * 1024 * 1024
# The largest piece of an answer one PayloadChunk (or one HTTP chunk) carries.
CHUNK = 64 * 1024


@implementer(IPullProducer)
class StreamedBody:
    """
    An answer's body as pieces, each written when the connection wants
    more, with no C{Content-Length}: HTTP/1.1 sends it chunked.
    """

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces: Iterator[bytes] = iter(pieces)
        self._request: Any = None

    def send(self, request: Any) -> None:
        """
        Write the body on C{request}, whose status and headers are set, then
        finish it.
        """
        if request.finished or getattr(request, "_disconnected", False):
            return
        request.responseHeaders.removeHeader(b"content-length")
        self._request = request
        request.registerProducer(self, False)

    def resumeProducing(self) -> None:
        request = self._request
        if request is None:
            return
        piece = next(self._pieces, None)
        if piece is None:
            self._request = None
            request.unregisterProducer()
            request.finish()
            return
        request.write(piece)

    def stopProducing(self) -> None:
        # The client left.
        self._request = None
        self._pieces = iter(())


def events(result: InvokeResult, size: int = CHUNK) -> Iterator[bytes]:
    """
    The event stream of a whole answer: its payload in C{PayloadChunk}s of
    at most C{size} bytes, then C{InvokeComplete}. A function error is
    reported by C{InvokeComplete} alone: C{ErrorCode} the function error
    (C{Unhandled}), C{ErrorDetails} the error document the runtime gave.
    """
    complete: dict[str, str] = {}
    if result.function_error:
        complete["ErrorCode"] = result.function_error
        complete["ErrorDetails"] = result.payload.decode("utf-8", "replace")
    else:
        for piece in event_stream.chunks(result.payload, size):
            yield event_stream.event("PayloadChunk", "application/octet-stream", piece)
    if result.log_result is not None:
        complete["LogResult"] = result.log_result
    body = json.dumps(complete, separators=(",", ":")).encode()
    yield event_stream.event("InvokeComplete", "application/json", body)


async def invoke_with_response_stream(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], access.INVOKE, params.get("Qualifier"))
    function = call.service.pick(target)
    payload: bytes = params.get("Payload", b"")
    check_json(payload)
    if params.get("InvocationType") == "DryRun":
        return {"StatusCode": 204}
    context = client_context(params.get("ClientContext"))
    tail = params.get("LogType") == "Tail"
    running = defer.ensureDeferred(
        call.service.run(
            function, payload, tail, context, call.request_id, target.arn, max_response=MAX_STREAMED_RESPONSE
        )
    )
    # A client that goes away abandons its wait, not the invocation.
    result, _ = await abandonable(running)
    return {
        "StatusCode": 200,
        "ExecutedVersion": result.executed_version,
        "ResponseStreamContentType": CONTENT_TYPE,
        "EventStream": StreamedBody(events(result)),
    }


class StreamingControlPlane(ServiceResource):
    """
    Lambda's control plane: every answer as L{ServiceResource} writes it,
    but for an event stream (L{StreamedBody}), sent as it is produced.
    """

    async def _serve(self, request: Any) -> None:
        context = self.context(request)
        request_id = getattr(context, "request_id", None)
        response = await self.protocol.handle(protocol_request(request), self.handlers, context, request_id)
        if isinstance(response.body, StreamedBody):
            stream_response(request, response)
        else:
            write_response(request, response)


def stream_response(request: Any, response: Response) -> None:
    if request.finished:
        return
    request.setResponseCode(response.status)
    for name, value in response.headers:
        request.responseHeaders.addRawHeader(name, value)
    response.body.send(request)
