"""
L{IExchange} over a twisted.web request: how a service that serves
exchanges answers the requests that reach it through twisted.web rather
than the edge's fast lane.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twisted.internet import defer
from twisted.web.server import Request
from zope.interface import implementer

from ruststack.interfaces import IExchange


@implementer(IExchange)
class WebExchange:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.caller = getattr(request, "caller", None)
        content = request.content
        if content is None:
            self.body = b""
        else:
            content.seek(0)
            self.body = content.read()

    def header(self, name: bytes) -> bytes | None:
        return self.request.getHeader(name)

    @property
    def started(self) -> bool:
        return bool(self.request.startedWriting)

    @property
    def done(self) -> bool:
        # twisted.web drops the channel of a request whose client has gone.
        return bool(self.request.finished) or self.request.channel is None

    def respond(self, status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> None:
        self.start(status, [*headers, (b"content-length", b"%d" % len(body))])
        self.write(body)
        self.finish()

    def start(self, status: int, headers: Sequence[tuple[bytes, bytes]]) -> None:
        if self.done:
            return
        request = self.request
        request.setResponseCode(status)
        for name, value in headers:
            request.responseHeaders.setRawHeaders(name, [value])

    def write(self, data: bytes) -> None:
        if not self.done:
            self.request.write(data)

    def finish(self) -> None:
        if not self.done:
            self.request.finish()

    def abort(self) -> None:
        transport: Any = getattr(self.request.channel, "transport", None)
        if transport is not None:
            transport.abortConnection()

    def notify_gone(self) -> defer.Deferred:
        gone: defer.Deferred = defer.Deferred()
        self.request.notifyFinish().addErrback(lambda _: gone.callback(None))
        return gone
