"""
The private names of Twisted that RustStack uses (ruststack/twisted_private.py),
checked against the installed Twisted: an upgrade that changes one fails here.
"""

from __future__ import annotations

import socket

import pytest_twisted
from twisted.internet import defer, protocol, reactor
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.web import http

from ruststack import twisted_private


def test_the_request_line_is_readable_while_the_body_arrives():
    seen = []

    class Early(http.Request):
        def gotLength(self, length):
            seen.append(twisted_private.request_line(self.channel))
            super().gotLength(length)

    channel = http.HTTPChannel()
    channel.requestFactory = Early
    channel.makeConnection(StringTransport())
    channel.dataReceived(b"PUT /bucket/key?x=1 HTTP/1.0\r\nContent-Length: 5\r\n\r\nab")
    assert seen == [(b"PUT", b"/bucket/key?x=1", b"HTTP/1.0")]
    channel.connectionLost(protocol.connectionDone)


def test_a_client_that_left_is_seen_gone():
    processed: list[http.Request] = []

    class Waiting(http.Request):
        def process(self) -> None:
            processed.append(self)  # answered by the test

    channel = http.HTTPChannel()
    channel.requestFactory = Waiting
    channel.makeConnection(StringTransport())
    channel.dataReceived(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    (request,) = processed
    assert not twisted_private.client_gone(request)
    channel.connectionLost(protocol.connectionDone)
    assert twisted_private.client_gone(request)


@pytest_twisted.ensureDeferred
async def test_unsent_bytes_of_a_tcp_transport():
    connected: defer.Deferred = defer.Deferred()

    class Server(protocol.Protocol):
        def connectionMade(self):
            connected.callback(self.transport)

    factory = protocol.ServerFactory()
    factory.protocol = Server
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    address = port.getHost()
    assert isinstance(address, IPv4Address)
    client = socket.create_connection(("127.0.0.1", address.port))
    transport = None
    try:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        transport = await connected
        assert twisted_private.unsent(transport) == 0
        transport.write(b"x" * 100)  # gathered, not yet written
        assert twisted_private.unsent(transport) == 100
        transport.write(b"y" * (8 << 20))  # more than the socket takes
        for _ in range(20):
            d: defer.Deferred = defer.Deferred()
            reactor.callLater(0.01, d.callback, None)
            await d
        assert 0 < twisted_private.unsent(transport) < (8 << 20) + 100
    finally:
        if transport is not None:
            transport.abortConnection()
        client.close()
        await defer.maybeDeferred(port.stopListening)
