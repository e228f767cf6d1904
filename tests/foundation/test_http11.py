"""
The edge's HTTP/1.1 grammar against twisted.web's: the same bytes, valid and
hostile, go to the fast lane and to twisted.web's HTTPChannel; every request
the lane serves must be one twisted.web reads the same way (method, target,
fields, body), or the lane must have handed the connection over.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from twisted.internet import protocol
from twisted.internet.testing import StringTransport
from twisted.web import http
from twisted.web.http_headers import Headers
from zope.interface import implementer

from ruststack import http11
from ruststack.aws.identity import Caller
from ruststack.edge import LaneRoute, _EdgeChannel
from ruststack.fastlane import FastLane
from ruststack.interfaces import IExchanges


@attrs.frozen
class Parsed:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class _RecordingChannel(http.HTTPChannel):
    """
    twisted.web's channel, keeping what its requests read.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Parsed | None] = []


class _Recorder(http.Request):
    def process(self) -> None:
        fields: dict[str, list[str]] = {}
        for name, values in self.requestHeaders.getAllRawHeaders():
            fields.setdefault(name.decode("latin-1").lower(), []).extend(v.decode("latin-1") for v in values)
        assert self.content is not None  # set while the request is read
        self.content.seek(0)
        body = self.content.read()
        # Repeated fields cannot equal a lane parse: keep them visibly apart.
        headers = {name: values[0] if len(values) == 1 else repr(values) for name, values in fields.items()}
        assert isinstance(self.channel, _RecordingChannel)
        self.channel.seen.append(
            Parsed(self.method.decode("latin-1"), self.uri.decode("latin-1"), headers, body)
            if self.clientproto == b"HTTP/1.1"
            else None
        )
        self.setHeader(b"content-length", b"0")
        self.finish()


def twisted_reads(pieces: list[bytes]) -> list[Parsed | None]:
    """
    The requests twisted.web's channel reads from C{pieces}, in order, until
    it refuses one or the bytes end.
    """
    channel = _RecordingChannel()
    channel.timeOut = None
    channel.requestFactory = _Recorder
    transport = StringTransport()
    channel.makeConnection(transport)
    for piece in pieces:
        if transport.disconnecting:
            break
        try:
            channel.dataReceived(piece)
        except ValueError:
            # twisted.web's Request parses a POST's Content-Type with the
            # email package, which raises on control characters: not read.
            break
    return channel.seen


@implementer(IExchanges)
class _Served:
    name = "dynamodb"

    def __init__(self) -> None:
        self.seen: list[Parsed] = []

    def serve(self, exchange) -> None:
        self.seen.append(Parsed("POST", "/", dict(exchange.headers), exchange.body))
        exchange.respond(200, [], b"")


class _HandedOff(protocol.Protocol):
    def __init__(self, site) -> None:
        self.site = site

    def makeConnection(self, transport) -> None:
        self.site.handed_off = True


class _LaneSite:
    """
    What a fast lane needs of its site: a route for every request to a
    service that records what it serves.
    """

    timeOut = None  # no deadlines here: tests/foundation/test_limits.py has them

    def __init__(self) -> None:
        self.channels: set = set()
        self.service = _Served()
        self.edge = self
        self.handed_off = False

    def lane_route(self, headers) -> LaneRoute:
        return LaneRoute(self.service, Caller("000000000000", "us-east-1"), None)

    def web_channel(self, addr) -> _HandedOff:
        return _HandedOff(self)


def lane_reads(pieces: list[bytes]) -> tuple[list[Parsed], bool]:
    """
    The requests the fast lane serves itself from C{pieces}, and whether it
    handed the connection to twisted.web.
    """
    site = _LaneSite()
    lane = FastLane(site, None)
    lane.makeConnection(StringTransport())
    for piece in pieces:
        lane.dataReceived(piece)
    return site.service.seen, site.handed_off


def check_same_reading(pieces: list[bytes]) -> None:
    served, _ = lane_reads(pieces)
    read = twisted_reads(pieces)
    assert served == read[: len(served)], "the lane read a request twisted.web reads otherwise (or refuses)"


# Fields as clients write them, and what an attacker puts in their place.
_NAMES = st.sampled_from([b"Host", b"Content-Type", b"X-Amz-Target", b"Authorization", b"X-Amz-Date", b"x-a"])
_VALUES = st.sampled_from([b"127.0.0.1:4566", b"DynamoDB_20120810.GetItem", b"AWS4-HMAC-SHA256 Credential=a/b", b"x"])
_HOSTILE_NAMES = st.sampled_from(
    [
        b"Content-Length",
        b"content-length",
        b"Connection",
        b"Transfer-Encoding",
        b"Expect",
        b"Host ",
        b" Host",
        b"X\x00Y",
        b"X\nY",
        b"X\rY",
        b"",
        b"H\xe9",
    ]
) | st.binary(max_size=10)
_HOSTILE_VALUES = st.sampled_from(
    [
        b"DynamoDB_20120810.GetItem\nAuthorization: AWS4-HMAC-SHA256 x",
        b"a\n\nPOST / HTTP/1.1",
        b"close",
        b"chunked",
        b"identity",
        b"2",
        b"0002",
        b"\xc2\xb2",
        b"\xb2",
        b"+2",
        b" 2 ",
        b"2\n",
        b"1e3",
        b"",
        b"\x00",
        b"a\rb",
        b"caf\xe9",
        b"\t x \t",
        b"\x7f",
        b"a\x0bb",
    ]
) | st.binary(max_size=24)
_HOSTILE_SEPARATORS = st.sampled_from([b":", b" : ", b":\t", b"", b"\x00:"])
_HOSTILE_ENDINGS = st.sampled_from([b"\n", b"\r", b"\r\r\n", b"\r\n ", b"\r\n\t", b"\n\r"])
_HOSTILE_REQUEST_LINES = st.sampled_from(
    [
        b"POST / HTTP/1.0",
        b"GET / HTTP/1.1",
        b"POST /x HTTP/1.1",
        b"POST  / HTTP/1.1",
        b"post / HTTP/1.1",
        b"POST / HTTP/1.1 ",
        b"",
        b"POST\x00/ HTTP/1.1",
        b"POST / HTTP/1.1\x00",
        b"POST / http/1.1",
    ]
)


def _sometimes(draw, good, hostile):
    # Mostly well formed, so that the lane reads far enough for a hostile
    # piece among good ones to matter.
    return draw(hostile) if draw(st.integers(0, 15)) == 0 else draw(good)


@st.composite
def requests(draw) -> bytes:
    body = draw(st.binary(max_size=8))
    ending = st.just(b"\r\n")
    head = _sometimes(draw, st.just(b"POST / HTTP/1.1"), _HOSTILE_REQUEST_LINES) + _sometimes(
        draw, ending, _HOSTILE_ENDINGS
    )
    for _ in range(draw(st.integers(0, 5))):
        head += (
            _sometimes(draw, _NAMES, _HOSTILE_NAMES)
            + _sometimes(draw, st.just(b": "), _HOSTILE_SEPARATORS)
            + _sometimes(draw, _VALUES, _HOSTILE_VALUES)
            + _sometimes(draw, ending, _HOSTILE_ENDINGS)
        )
    if draw(st.integers(0, 5)):
        head += b"Content-Length: %d\r\n" % len(body)
    raw = head + b"\r\n" + body
    if not draw(st.integers(0, 5)):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=0, max_size=3)) + raw[at + draw(st.integers(0, 2)) :]
    return raw


@st.composite
def connections(draw) -> list[bytes]:
    data = b"".join(
        draw(st.lists(st.one_of(requests(), requests(), requests(), st.binary(max_size=40)), min_size=1, max_size=3))
    )
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=3)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


ROUTINE = b"POST / HTTP/1.1\r\nHost: h\r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\nContent-Length: 2\r\n\r\n{}"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(connections())
@example([ROUTINE])
@example([ROUTINE + ROUTINE])
@example([ROUTINE.replace(b"GetItem", b"GetItem\nAuthorization: AWS4-HMAC-SHA256 Credential=x")])
@example([ROUTINE.replace(b"GetItem", b"GetItem\n\nPOST / HTTP/1.1")])
@example([ROUTINE.replace(b"Length: 2", b"Length: \xc2\xb2")])
@example([ROUTINE.replace(b"Host", b"Ho\x00st")])
def test_the_lane_reads_nothing_twisted_web_reads_otherwise(pieces):
    check_same_reading(pieces)


def test_the_harness_sees_routine_requests_both_ways():
    # The property above is only worth something if both sides read these.
    served, handed_off = lane_reads([ROUTINE + ROUTINE])
    assert len(served) == 2 and not handed_off
    assert twisted_reads([ROUTINE + ROUTINE]) == served


@pytest.mark.parametrize(
    "hostile",
    [
        # A bare LF inside a value: a backend reading it would see a new field.
        ROUTINE.replace(b"GetItem", b"GetItem\nAuthorization: AWS4-HMAC-SHA256 Credential=444455556666/x"),
        # ... or, doubled, a second request.
        ROUTINE.replace(b"GetItem", b"GetItem\n\nPOST / HTTP/1.1\nContent-Length: 0\n"),
        ROUTINE.replace(b"GetItem", b"GetItem\rX: y"),
        ROUTINE.replace(b"Length: 2", b"Length: \xb2"),  # latin-1 superscript two, a digit to str.isdigit
        ROUTINE.replace(b"Length: 2", b"Length: \xc2\xb2"),
        ROUTINE.replace(b"Host", b"Ho\x00st"),
        ROUTINE.replace(b"Host: h", b"Host: h\r\n folded"),
        ROUTINE.replace(b"Host: h", b"Host: h\r\nContent-Length: 2"),
        ROUTINE.replace(b"Host: h", b"Host: caf\xe9"),
        b"\r\n" + ROUTINE,
        ROUTINE.replace(b"HTTP/1.1", b"HTTP/1.0"),
    ],
)
def test_hostile_heads_are_left_to_twisted_web(hostile):
    served, handed_off = lane_reads([hostile])
    assert served == [] and handed_off


@pytest.mark.parametrize(
    "head",
    [
        b"POST / HTTP/1.0\r\nHost: x",
        b"POST / HTTP/1.1\r\nHost: x\r\nhost: y",
        b"POST / HTTP/1.1\r\nHost : x",
        b"POST / HTTP/1.1\r\nno colon",
        b"POST /  HTTP/1.1\r\nHost: x",
        b"POST / HTTP/1.1\r\nX: a\nb",
        b"POST / HTTP/1.1\r\nX: \x7f",
    ],
)
def test_heads_the_lane_does_not_read(head):
    assert http11.read_head(head) is None


def test_a_routine_head():
    assert http11.read_head(b"POST / HTTP/1.1\r\nHost: a:1\r\nX-Amz-Target:  T.Op \r\nContent-Length: 2") == (
        "POST",
        "/",
        {"host": "a:1", "x-amz-target": "T.Op", "content-length": "2"},
    )


@pytest.mark.parametrize(("value", "length"), [("12", 12), ("0012", 12), ("²", None), ("+1", None), ("1 ", None)])
def test_content_length(value, length):
    assert http11.content_length({"content-length": value}) == length


def test_twisted_web_writes_response_heads_as_the_lane_does():
    headers = [
        (b"Server", b"Server"),
        (b"Content-Type", b"application/x-amz-json-1.0"),
        (b"x-amzn-RequestId", b"R1"),
        (b"x-amz-crc32", b"7"),
        (b"x-amz-meta-Color", b"red"),
        (b"Content-Length", b"2"),
    ]
    lane = http11.response_head(200, headers)
    transport = StringTransport()
    channel = _EdgeChannel()
    channel.makeConnection(transport)
    channel.setTimeout(None)
    twisted_headers = Headers()
    twisted_headers.setRawHeaders(b"date", [http11.date_value()])
    for name, value in headers:
        twisted_headers.addRawHeader(name, value)
    channel.writeHeaders(b"HTTP/1.1", b"200", b"OK", twisted_headers)
    assert transport.value() == lane
    assert b"\r\nx-amzn-RequestId: R1\r\n" in lane and b"\r\nx-amz-meta-color: red\r\n" in lane


def test_a_value_never_ends_a_response_head():
    head = http11.response_head(200, [(b"X-Echo", b"a\r\n\r\nHTTP/1.1 200 OK")])
    assert head.count(b"\r\n\r\n") == 1 and head.endswith(b"\r\n\r\n")
