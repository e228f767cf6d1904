"""
The S3 resource behind the real edge, without sockets: raw HTTP fed to an
EdgeSite protocol over a StringTransport, time from a task.Clock.
"""

from __future__ import annotations

import re

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import connectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from ruststack import config, stack
from ruststack.edge import EdgeSite
from ruststack.s3.service import S3Service


class Edge:
    def __init__(self) -> None:
        self.clock = Clock()
        self.stack = stack.build(config.Config(port=0, services=("s3",)), self.clock)
        self.site = EdgeSite(self.stack.edge, reactor=self.clock)

    def request(self, method: str, path: str, body: bytes = b"", **headers: str) -> tuple[int, dict, bytes]:
        protocol = self.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        transport = StringTransport()
        protocol.makeConnection(transport)
        lines = [f"{method} {path} HTTP/1.1", "Host: " + headers.pop("host", "127.0.0.1:4566")]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        if body or method in ("PUT", "POST"):
            lines.append(f"Content-Length: {len(body)}")
        protocol.dataReceived(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head, _, rest = transport.value().partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        response_headers = {}
        for line in header_lines:
            name, _, value = line.partition(": ")
            response_headers[name.lower()] = value
        protocol.connectionLost(connectionDone)
        return int(status_line.split()[1]), response_headers, rest


@pytest.fixture
def edge():
    made = Edge()
    yield made
    s3 = made.stack.aws_services["s3"]
    assert isinstance(s3, S3Service)
    s3.store.close()


def test_missing_key_is_s3_xml(edge):
    assert edge.request("PUT", "/bucket-one")[0] == 200
    status, headers, body = edge.request("GET", "/bucket-one/nothing")
    assert status == 404
    assert re.fullmatch(r"[0-9A-F]{16}", headers["x-amz-request-id"])
    assert headers["x-amz-id-2"]
    assert headers["server"] == "AmazonS3"
    assert headers["content-type"] == "application/xml"
    assert b"<Code>NoSuchKey</Code>" in body
    assert b"<Key>nothing</Key>" in body
    assert f"<RequestId>{headers['x-amz-request-id']}</RequestId>".encode() in body


def test_head_errors_have_no_body(edge):
    status, headers, body = edge.request("HEAD", "/no-such-bucket/k")
    assert status == 404
    assert body == b""
    assert headers["x-amz-request-id"]


def test_times_come_from_the_clock(edge):
    edge.request("PUT", "/bucket-one")
    edge.clock.advance(86400 + 3.5)
    edge.request("PUT", "/bucket-one/k", b"data")
    status, headers, body = edge.request("GET", "/bucket-one/k")
    assert (status, body) == (200, b"data")
    assert headers["last-modified"] == "Fri, 02 Jan 1970 00:00:03 GMT"
    assert headers["etag"] == '"8d777f385d3dfec8815d20f7496026dc"'
    status, _, body = edge.request("GET", "/bucket-one/k", if_modified_since="Fri, 02 Jan 1970 00:00:03 GMT")
    assert (status, body) == (304, b"")
    status, _, _ = edge.request("GET", "/bucket-one/k", if_unmodified_since="Fri, 02 Jan 1970 00:00:02 GMT")
    assert status == 412
    _, _, listing = edge.request("GET", "/bucket-one?list-type=2")
    assert b"<LastModified>1970-01-02T00:00:03.500Z</LastModified>" in listing


def test_virtual_host_style(edge):
    edge.request("PUT", "/bucket-one")
    assert edge.request("PUT", "/k", b"v", host="bucket-one.localhost:4566")[0] == 200
    assert edge.request("GET", "/k", host="bucket-one.s3.us-east-1.amazonaws.com")[2] == b"v"
    assert edge.request("GET", "/bucket-one/k")[2] == b"v"


def test_method_not_allowed(edge):
    edge.request("PUT", "/bucket-one")
    status, _, body = edge.request("PATCH", "/bucket-one/k")
    assert status == 405
    assert b"<Code>MethodNotAllowed</Code>" in body


def test_a_handler_bug_is_an_s3_internal_error(edge, monkeypatch):
    from ruststack.s3 import operations

    def broken(ctx, call):
        raise RuntimeError("a bug")

    monkeypatch.setitem(operations.HANDLERS, "ListBuckets", broken)
    status, headers, body = edge.request("GET", "/")
    assert status == 500
    assert b"<Code>InternalError</Code>" in body
    assert headers["x-amz-request-id"]
