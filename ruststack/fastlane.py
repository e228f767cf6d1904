"""
The edge's fast lane: routine requests to services that serve exchanges
(DynamoDB) answered straight from a connection's bytes, without twisted.web.

Profiling the DynamoDB proxy put twisted.web's request machinery (line-by-line
parsing, Headers, Request, resource lookup, writes buffered to the next
reactor turn) above everything else the proxy does. Every connection starts
in the lane. A request whose head is routine -- C{POST /} over HTTP/1.1 with
a Content-Length, for a service providing L{IExchanges}, with a valid
signature when signatures are verified -- is served here as an
L{IExchange}. The first request that is not (a GET, chunked or large bodies,
a bad signature, C{/_ruststack/health}) hands the connection, from that
request on, to twisted.web's HTTPChannel for good, which answers it (and any
error) the ordinary way. Heads are read and written by L{ruststack.http11},
whose grammar is a strict subset of twisted.web's: a request the lane reads
is one twisted.web would read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from twisted.internet import defer, protocol, tcp
from twisted.internet.interfaces import IPullProducer, ITCPTransport
from twisted.python.failure import Failure
from zope.interface import implementer

from ruststack.aws import identity
from ruststack.http11 import MAX_HEAD, content_length, read_head, response_head
from ruststack.interfaces import IExchange

# Requests larger than this take twisted.web's path, which spools bodies.
MAX_BODY = 1 << 20
_REFUSED_HEADERS = frozenset({"transfer-encoding", "expect", "upgrade"})


class _Routine(NamedTuple):
    """
    A routine request whose body may still be arriving.
    """

    headers: dict[str, str]
    route: Any  # ruststack.edge.LaneRoute
    length: int
    body_start: int


@implementer(IExchange)
class RawExchange:
    """
    A request served by the fast lane; its answer goes straight to the
    connection.
    """

    def __init__(self, lane: FastLane, caller: identity.Caller, headers: dict[str, str], body: bytes) -> None:
        self.lane = lane
        self.caller = caller
        self.headers = headers
        self.body = body
        self.started = False
        self.done = False
        self._head = b""
        self._gone: defer.Deferred | None = None

    def header(self, name: bytes) -> bytes | None:
        value = self.headers.get(name.decode("latin-1"))
        return None if value is None else value.encode("latin-1")

    def respond(self, status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> None:
        if self.done:
            return
        self.started = True
        self.lane.send(response_head(status, [*headers, (b"Content-Length", b"%d" % len(body))]), body)
        self._end()

    def start(self, status: int, headers: Sequence[tuple[bytes, bytes]]) -> None:
        # Held back to leave with the first piece of the body: one packet.
        self.started = True
        self._head = response_head(status, headers)

    def write(self, data: bytes) -> None:
        if self.done:
            return
        if self._head:
            head, self._head = self._head, b""
            self.lane.send(head, data)
        else:
            self.lane.send(data)

    def finish(self) -> None:
        if self.done:
            return
        if self._head:
            self.lane.send(self._head)
        self._end()

    def abort(self) -> None:
        if not self.done:
            self.done = True
            self.lane.transport.abortConnection()

    def notify_gone(self) -> defer.Deferred:
        if self._gone is None:
            self._gone = defer.Deferred()
        return self._gone

    def connection_lost(self) -> None:
        if not self.done:
            self.done = True
            if self._gone is not None:
                self._gone.callback(None)

    def _end(self) -> None:
        self.done = True
        self.lane.exchange_ended(self)


@implementer(IPullProducer)
class FastLane(protocol.Protocol):
    """
    An edge connection: serves routine requests itself until the first that
    is not, then hands the connection to twisted.web.

    @ivar channel: the twisted.web channel the connection was handed to.
    """

    transport: Any = None

    def __init__(self, site: Any, addr: Any) -> None:
        self.site = site
        self.addr = addr
        self.channel: protocol.Protocol | None = None
        self.gone: defer.Deferred[None] = defer.Deferred()
        self._buffer = b""
        self._pending: _Routine | None = None
        self._exchange: RawExchange | None = None
        self._socket: Any = None
        self._draining = self._registering = self._paused = self._serving = False
        self._deadline: Any = None
        self._deadline_at: float | None = None

    def connectionMade(self) -> None:
        if ITCPTransport.providedBy(self.transport):
            # Small AWS exchanges are latency-bound: without TCP_NODELAY an
            # answer written in pieces waits on the client's delayed ACK.
            self.transport.setTcpNoDelay(True)
        if isinstance(self.transport, tcp.Connection):
            self._socket = self.transport.getHandle()
        self.site.channels.add(self)
        self._set_deadline()

    def _set_deadline(self) -> None:
        """
        Close the connection unless the next request has arrived whole
        within the site's timeout: from the connection or the end of the
        last answer while idle, from its first byte once it starts. Data
        trickling in does not extend it.
        """
        # A time to compare with, and one timer that looks at it when it
        # fires: setting a deadline per request costs no timer of its own.
        timeout = self.site.timeOut
        if timeout:
            self._deadline_at = self.site.reactor.seconds() + timeout
            if self._deadline is None:
                self._deadline = self.site.reactor.callLater(timeout, self._check_deadline)

    def _clear_deadline(self) -> None:
        # The server's turn: no deadline on the client (the timer, when it
        # fires, finds none and ends).
        self._deadline_at = None

    def _check_deadline(self) -> None:
        self._deadline = None
        if self._deadline_at is None:
            return
        remaining = self._deadline_at - self.site.reactor.seconds()
        if remaining > 0:
            self._deadline = self.site.reactor.callLater(remaining, self._check_deadline)
        else:
            self.transport.loseConnection()

    def _stop_timer(self) -> None:
        self._deadline_at = None
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def dataReceived(self, data: bytes) -> None:
        if self.channel is not None:
            self.channel.dataReceived(data)
            return
        if not self._buffer and self._exchange is None:
            self._set_deadline()  # a request starts
        self._buffer += data
        if self._exchange is None:
            self._serve_buffered()
        elif len(self._buffer) > MAX_BODY + MAX_HEAD and not self._paused:
            # A client that sends faster than it is answered waits.
            self._paused = True
            self.transport.pauseProducing()

    def _serve_buffered(self) -> None:
        # A loop rather than recursion: an exchange answered at once ends
        # while this runs, and leaves the next pipelined request to the loop.
        if self._serving:
            return
        self._serving = True
        try:
            while self._buffer and self._exchange is None and self.channel is None:
                if not self._serve_next():
                    return
        finally:
            self._serving = False

    def _serve_next(self) -> bool:
        """
        Serve the request at the start of the buffer, or hand off; C{False}
        if its bytes are not all in yet.
        """
        buffer = self._buffer
        if self._pending is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    self._hand_off()
                return False
            pending = self._routine(buffer[:end], end + 4)
            if pending is None:
                self._hand_off()
                return False
            self._pending = pending
        head = self._pending
        end = head.body_start + head.length
        if len(buffer) < end:
            return False
        body = buffer[head.body_start : end]
        caller = head.route.caller or self._verified_caller(head, body)
        if caller is None:
            self._hand_off()
            return False
        self._pending = None
        self._buffer = buffer[end:]
        self._clear_deadline()  # the server's turn: no deadline on the client
        exchange = self._exchange = RawExchange(self, caller, head.headers, body)
        head.route.service.serve(exchange)
        return True

    def _routine(self, head: bytes, body_start: int) -> _Routine | None:
        """
        What the lane needs of a request it serves; C{None} if it is not
        routine.
        """
        parsed = read_head(head)
        if parsed is None:
            return None
        method, target, headers = parsed
        if method != "POST" or target != "/" or not _REFUSED_HEADERS.isdisjoint(headers):
            return None
        if headers.get("connection", "").lower() == "close":
            return None
        length = content_length(headers)
        if length is None or length > MAX_BODY:
            return None
        route = self.site.edge.lane_route(headers)
        if route is None:
            return None
        return _Routine(headers, route, length, body_start)

    def _verified_caller(self, head: _Routine, body: bytes) -> identity.Caller | None:
        """
        Who sends a request whose signature is verified; C{None} if it fails
        (for twisted.web's path to refuse).
        """
        authenticator = self.site.edge.authenticator
        signature = head.route.signature
        payload_hash = head.headers.get("x-amz-content-sha256") or identity.body_sha256(body)
        try:
            authenticator.authenticate(signature, "POST", "/", (), head.headers.items(), payload_hash)
        except identity.AuthenticationError:
            return None
        return authenticator.identify(signature)

    def send(self, data: bytes, more: bytes = b"") -> None:
        """
        Write C{data} and C{more} to the connection. Between answers Twisted's
        buffer is empty, so the socket is tried at once (one gathering write,
        no copy), saving the reactor turn (two epoll changes and a wake-up)
        that C{transport.write} costs. What it does not take is queued behind
        Twisted's buffer, and the socket is left alone until that buffer is
        empty again (L{resumeProducing}).
        """
        if self._socket is not None and not self._draining:
            try:
                sent = self._socket.sendmsg([data, more]) if more else self._socket.send(data)
            except OSError:
                sent = 0  # the transport notices a broken connection itself
            if sent == len(data) + len(more):
                return
            if sent < len(data):
                self.transport.write(data[sent:])
                if more:
                    self.transport.write(more)
            else:
                self.transport.write(more[sent - len(data) :])
            # A pull producer is asked for more whenever the transport has
            # written all it holds (and once at once, which is ignored).
            self._draining = self._registering = True
            self.transport.registerProducer(self, False)
            self._registering = False
            return
        self.transport.write(data)
        if more:
            self.transport.write(more)

    def resumeProducing(self) -> None:
        if self._draining and not self._registering:
            self._draining = False
            self.transport.unregisterProducer()

    def stopProducing(self) -> None:
        pass

    def exchange_ended(self, exchange: RawExchange) -> None:
        if exchange is self._exchange:
            self._exchange = None
            self._set_deadline()
            if self._paused:
                self._paused = False
                self.transport.resumeProducing()
            self._serve_buffered()

    def _hand_off(self) -> None:
        self._stop_timer()  # twisted.web's channel keeps its own
        if self._draining:
            self._draining = False
            self.transport.unregisterProducer()
        self._socket = None
        channel = self.channel = self.site.web_channel(self.addr)
        channel.makeConnection(self.transport)
        data, self._buffer, self._pending = self._buffer, b"", None
        if data:
            channel.dataReceived(data)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self._stop_timer()
        if self.channel is not None:
            self.channel.connectionLost(reason)
        if self._exchange is not None:
            self._exchange.connection_lost()
            self._exchange = None
        self.site.channels.discard(self)
        self.gone.callback(None)
