"""
Connections that stay silent or send too slowly are closed after
--idle-timeout: in the fast lane (a request must arrive whole within it),
and in twisted.web's channel (nothing received for that long).
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
from twisted.internet import task
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource

from ruststack.aws.identity import Authenticator
from ruststack.edge import EdgeResource, EdgeSite
from ruststack.limits import BoundedBody
from ruststack.testing import RustStackProcess
from tests.foundation.test_fastlane import EchoExchanges, signed_request


def lane_with_clock(service: EchoExchanges, timeout: float = 10.0):
    clock = task.Clock()
    edge = EdgeResource(Authenticator("000000000000", "us-east-1"), Resource())
    edge.register(service)
    lane = EdgeSite(edge, reactor=clock, timeout=timeout).buildProtocol(None)
    transport = StringTransport()
    lane.makeConnection(transport)
    return clock, lane, transport


def test_a_silent_connection_is_closed():
    clock, _, transport = lane_with_clock(EchoExchanges())
    clock.advance(9.9)
    assert not transport.disconnecting
    clock.advance(0.2)
    assert transport.disconnecting


def test_a_trickled_request_does_not_extend_its_deadline():
    clock, lane, transport = lane_with_clock(EchoExchanges())
    request = signed_request(4566, b"{}")
    assert len(request) > 300
    for byte in range(len(request) - 1):
        lane.dataReceived(request[byte : byte + 1])
        clock.advance(0.1)
        if transport.disconnecting:
            break
    assert transport.disconnecting and clock.seconds() <= 10.1


def test_the_deadline_waits_while_the_server_answers_and_restarts_after():
    service = EchoExchanges(hold=True)
    clock, lane, transport = lane_with_clock(service)
    clock.advance(5)
    lane.dataReceived(signed_request(4566, b"{}"))
    clock.advance(60)  # the server takes its time: not the client's fault
    assert len(service.held) == 1 and not transport.disconnecting
    exchange, _ = service.held[0]
    exchange.respond(200, [], b"{}")
    clock.advance(9.9)
    assert not transport.disconnecting
    clock.advance(0.2)
    assert transport.disconnecting


def test_a_bounded_body_keeps_its_limit():
    exceeded = []
    body = BoundedBody(10, lambda: exceeded.append(True))
    body.write(b"0123456789")
    assert not body.over
    body.write(b"x")
    body.write(b"more")
    assert body.over and exceeded == [True]


@pytest.fixture(scope="module")
def impatient():
    stack = RustStackProcess.start("--services", "s3", "--idle-timeout", "1")
    try:
        yield stack
    finally:
        stack.stop()


def closes_within(stack, send: list[bytes], pause: float = 0.0, limit: float = 6.0) -> float:
    """
    Send C{send} piece by piece (C{pause} apart) and return how long the
    server took to close the connection.
    """
    address = urlsplit(stack.endpoint_url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=limit) as connection:
        for piece in send:
            try:
                connection.sendall(piece)
            except OSError:
                break
            time.sleep(pause)
        while True:
            try:
                if not connection.recv(65536):
                    break
            except ConnectionResetError:
                break
    return time.monotonic() - started


@pytest.mark.parametrize(
    ("send", "pause"),
    [
        ([], 0.0),
        ([b"PUT /bucket/key HTTP/1.1\r\nHost: x\r\n"], 0.0),
        ([bytes([byte]) for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 40], 0.1),
        ([b"PUT /bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 5368709120\r\n\r\n"], 0.0),
    ],
    ids=["silent", "half-a-head", "slow-head", "five-gib-promised"],
)
def test_idle_and_slow_connections_are_closed(impatient, send, pause):
    assert closes_within(impatient, send, pause) < 5.0


def test_a_client_that_keeps_to_the_timeout_is_served(impatient):
    s3 = impatient.client("s3")
    s3.create_bucket(Bucket="patient")
    time.sleep(0.5)
    assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == ["patient"]
