"""
A lean HTTP/1.1 client for the one server the proxy talks to: DynamoDB Local
on loopback.

twisted.web's Agent is general (proxies, TLS, redirects, body producers) and
costs a few hundred microseconds of Python per request; the proxy's budget is
under 0.3 ms in total. This client writes a request as one buffer over a
kept-alive connection with TCP_NODELAY and parses the answer (Content-Length
or chunked) into one L{BackendResponse}.
"""

from __future__ import annotations

import json
import typing
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs
from twisted.internet import defer, protocol, tcp
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.python.failure import Failure

from ruststack.http11 import is_field_value

JSON_10 = b"application/x-amz-json-1.0"
JSON_11 = b"application/x-amz-json-1.1"
_REQUEST_HEAD = (
    b"POST / HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: %s\r\nX-Amz-Target: %s\r\n"
    b"Authorization: %s\r\nContent-Length: %d\r\n\r\n"
)


def request_head(
    host: bytes, port: int, content_type: bytes, target: bytes, authorization: bytes, length: int
) -> bytes:
    """
    The head of a request to DynamoDB Local. Its values come from RustStack
    (the identity's authorization) or were checked by the proxy, and are
    checked again here: a value that could end its line would let a client
    write fields, or a whole request, of its own.
    """
    for value in (host, content_type, target, authorization):
        if not is_field_value(value):
            raise ValueError(f"refusing to send {value!r} in a request head")
    return _REQUEST_HEAD % (host, port, content_type, target, authorization, length)


class BackendError(Exception):
    """
    The connection to DynamoDB Local failed or broke before an answer came.
    """


class BackendResponse(typing.NamedTuple):
    """
    An HTTP answer: status, headers (lower-case names to the last value) and
    the whole body, or C{b""} if it was C{streamed} to a body sink.
    """

    status: int
    headers: dict[bytes, bytes]
    body: bytes
    streamed: bool = False


class BodySink(typing.Protocol):
    def write(self, data: bytes) -> None: ...


# Given the status and headers of an answer, a sink to pass its body on to
# as it arrives, or None to have it whole in the BackendResponse.
HeadHandler = Callable[[int, dict[bytes, bytes]], BodySink | None]


class BackendConnection(protocol.Protocol):
    """
    One kept-alive connection, one request at a time.
    """

    transport: Any = None

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiting: defer.Deferred | None = None
        self._status = 0
        self._headers: dict[bytes, bytes] | None = None
        self._length: int | None = None
        self._chunked = False
        self._body = bytearray()
        self._on_head: HeadHandler | None = None
        self._sink: BodySink | None = None
        self._streamed = 0
        self._socket: Any = None
        self.pool: BackendPool | None = None
        self.connected_ok = False
        self.reusable = True
        self.lost: defer.Deferred = defer.Deferred()

    def connectionMade(self) -> None:
        self.connected_ok = True
        if isinstance(self.transport, tcp.Connection):
            self.transport.setTcpNoDelay(True)
            self._socket = self.transport.getHandle()

    def request(self, data: bytes, on_head: HeadHandler | None = None) -> defer.Deferred:
        """
        Send a whole serialized request; fire with its L{BackendResponse}.
        C{on_head} may choose to receive a Content-Length body as it arrives.
        """
        assert self._waiting is None, "one request at a time"
        self._on_head = on_head
        self._waiting = defer.Deferred(self._cancel)
        self._write(data)
        return self._waiting

    def _write(self, data: bytes) -> None:
        # transport.write() only buffers until the next reactor turn, which
        # costs two epoll changes and a wake-up per request. Between requests
        # this connection has nothing buffered, so try the socket at once;
        # whatever it does not take goes through Twisted, and the connection
        # is then not reused, so that no later request can overtake it.
        if self._socket is not None:
            try:
                sent = self._socket.send(data)
            except OSError:
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
            self.reusable = False
        self.transport.write(data)

    def _cancel(self, waiting: defer.Deferred) -> None:
        # The client went away: this connection is mid-answer, so it cannot
        # be reused; Deferred.cancel fails C{waiting} with CancelledError.
        self._waiting = None
        self.reusable = False
        self.transport.abortConnection()

    def dataReceived(self, data: bytes) -> None:
        sink = self._sink
        if sink is not None and not self._buffer:
            # The body of a streamed answer, passed on without copies.
            take = min(len(data), (self._length or 0) - self._streamed)
            self._streamed += take
            sink.write(data if take == len(data) else data[:take])
            data = data[take:]
            if self._streamed == self._length:
                self._done(b"", streamed=True)
            if not data:
                return
        self._buffer += data
        try:
            self._parse()
        except ValueError as e:
            self._fail(BackendError(f"unparsable answer from DynamoDB Local: {e}"))
            self.transport.abortConnection()

    def _parse(self) -> None:
        if self._headers is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self._buffer[:end]).split(b"\r\n")
            del self._buffer[: end + 4]
            self._status = int(lines[0].split(b" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            self._headers = headers
            if headers.get(b"connection", b"").lower() == b"close":
                self.reusable = False
            self._chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
            if not self._chunked:
                self._length = int(headers.get(b"content-length", b"0"))
                if self._on_head is not None:
                    self._sink = self._on_head(self._status, headers)
        if self._chunked:
            self._parse_chunks()
        elif self._sink is not None:
            self._pass_on(self._sink, self._length or 0)
        else:
            length = self._length or 0
            if len(self._buffer) >= length:
                with memoryview(self._buffer) as view:
                    body = bytes(view[:length])
                del self._buffer[:length]
                self._done(body)

    def _pass_on(self, sink: BodySink, length: int) -> None:
        take = min(len(self._buffer), length - self._streamed)
        if take:
            with memoryview(self._buffer) as view:
                piece = bytes(view[:take])
            del self._buffer[:take]
            self._streamed += take
            sink.write(piece)
        if self._streamed == length:
            self._done(b"", streamed=True)

    def _parse_chunks(self) -> None:
        while True:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                return
            size = int(bytes(self._buffer[:end]).split(b";", 1)[0], 16)
            if size == 0:
                trailer_end = self._buffer.find(b"\r\n\r\n", end)
                if trailer_end < 0:
                    return
                del self._buffer[: trailer_end + 4]
                self._done(bytes(self._body))
                return
            if len(self._buffer) < end + 2 + size + 2:
                return
            self._body += self._buffer[end + 2 : end + 2 + size]
            del self._buffer[: end + 2 + size + 2]

    def _done(self, body: bytes, streamed: bool = False) -> None:
        response = BackendResponse(self._status, self._headers or {}, body, streamed)
        self._headers, self._length, self._chunked, self._body = None, None, False, bytearray()
        self._on_head, self._sink, self._streamed = None, None, 0
        waiting, self._waiting = self._waiting, None
        # Back to the pool before the answer is handled, which may send the
        # next request.
        if self.pool is not None:
            self.pool.release(self)
        if waiting is not None:
            waiting.callback(response)

    def _fail(self, error: Exception) -> None:
        self.reusable = False
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            if self.pool is not None:
                self.pool.release(self)
            waiting.errback(Failure(error))

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.reusable = False
        self._fail(BackendError(f"DynamoDB Local closed the connection: {reason.getErrorMessage()}"))
        self.lost.callback(None)


class BackendFactory(protocol.Factory):
    protocol = BackendConnection
    noisy = False


@attrs.define(eq=False)
class BackendPool:
    """
    Kept-alive connections to C{host}:C{port}; idle ones are reused (most
    recently used first, as it is the warmest), at most C{max_idle} kept.
    """

    reactor: Any
    host: str
    port: int
    max_idle: int = 32
    _idle: deque = attrs.field(factory=deque)
    _open: set = attrs.field(factory=set)
    _closed: bool = False

    def request(self, head: bytes, body: bytes, on_head: HeadHandler | None = None) -> defer.Deferred:
        """
        Send C{head} (request line and headers, ending with the blank line)
        and C{body}; fire with a L{BackendResponse} or fail with
        L{BackendError}.
        """
        if self._closed:
            return defer.fail(BackendError("the connection pool is closed"))
        if self._idle:
            return self._idle.pop().request(head + body, on_head)
        d: Any = TCP4ClientEndpoint(self.reactor, self.host, self.port, timeout=5).connect(BackendFactory())
        d.addErrback(lambda f: Failure(BackendError(f"cannot reach DynamoDB Local: {f.getErrorMessage()}")))
        return d.addCallback(self._opened).addCallback(BackendConnection.request, head + body, on_head)

    def _opened(self, connection: BackendConnection) -> BackendConnection:
        self._open.add(connection)
        connection.pool = self
        connection.lost.addCallback(lambda _: self._forget(connection))
        return connection

    def _forget(self, connection: BackendConnection) -> None:
        self._open.discard(connection)
        try:
            self._idle.remove(connection)
        except ValueError:
            pass

    def release(self, connection: BackendConnection) -> None:
        """
        Take back a connection whose request is over: kept if it can serve
        another, else closed.
        """
        if connection.reusable and not self._closed and len(self._idle) < self.max_idle:
            self._idle.append(connection)
        elif connection.transport is not None and connection in self._open:
            connection.transport.loseConnection()

    def close(self) -> defer.Deferred:
        """
        Close every connection; fire once they are all gone.
        """
        self._closed = True
        self._idle.clear()
        waiting = [c.lost for c in self._open]
        for connection in list(self._open):
            connection.transport.abortConnection()
        return defer.DeferredList(waiting)


class _Supervised(typing.Protocol):
    port: int | None

    def when_ready(self, timeout: float) -> defer.Deferred: ...


@attrs.define(eq=False)
class DynamoDBLocalClient:
    """
    Requests to DynamoDB Local as a given identity, over a connection pool
    that follows it to its new port when it is restarted. While it is not
    running, requests wait for it (at most C{wait_timeout} seconds).
    """

    reactor: Any
    local: _Supervised
    wait_timeout: float = 20.0
    host: str = "127.0.0.1"
    _pool: BackendPool | None = None

    def call(
        self,
        authorization: bytes,
        target: bytes,
        body: bytes,
        content_type: bytes = JSON_10,
        on_head: HeadHandler | None = None,
    ) -> defer.Deferred:
        """
        POST one operation; fire with the L{BackendResponse} (see
        L{BackendConnection.request} for C{on_head}).
        """
        port = self.local.port
        if port is None:
            waiting = self.local.when_ready(self.wait_timeout)
            return waiting.addCallback(lambda _: self.call(authorization, target, body, content_type, on_head))
        pool = self._pool
        if pool is None or pool.port != port:
            if pool is not None:
                pool.close()
            pool = self._pool = BackendPool(self.reactor, self.host, port)
        try:
            head = request_head(self.host.encode(), port, content_type, target, authorization, len(body))
        except ValueError as e:
            return defer.fail(BackendError(str(e)))
        return pool.request(head, body, on_head)

    async def operation(self, authorization: bytes, name: str, params: dict) -> tuple[int, dict]:
        """
        A DynamoDB operation with a JSON document in and out: the status and
        the decoded answer.
        """
        response = await self.call(authorization, b"DynamoDB_20120810." + name.encode(), json.dumps(params).encode())
        return response.status, json.loads(response.body or b"{}")

    def close(self) -> defer.Deferred:
        pool, self._pool = self._pool, None
        return pool.close() if pool is not None else defer.succeed(None)
