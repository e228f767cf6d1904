"""
What the protocol layer takes in and gives back: plain values, no twisted.web,
so that any resource can use it and tests need no socket.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import IO, Any, NamedTuple
from urllib.parse import unquote_to_bytes

import attrs

Body = bytes | IO[bytes]


def _lower_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@attrs.frozen
class ProtocolRequest:
    """
    One request as it came: the method, the path and query as they were sent
    (still percent-encoded), the headers and the body.

    @ivar path: the raw path; for S3, path style (a virtual-host request's
        bucket first: C{/bucket/key}).
    @ivar query: the raw query string, without C{?}.
    @ivar headers: header values by lower-case name (repeated fields joined
        with C{,} as HTTP allows).
    @ivar body: the body's bytes, or a readable binary file (twisted.web's
        spooled body, S3's upload sink): read only for a document body,
        handed through as it is for a streaming payload.
    """

    method: str
    path: str = "/"
    query: str = ""
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_lower_headers)
    body: Body = b""

    @classmethod
    def from_target(
        cls, method: str, target: str, headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), body: Body = b""
    ) -> ProtocolRequest:
        """
        A request from its request-target (C{/path?query}) and header pairs.
        """
        path, _, query = target.partition("?")
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        joined: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        return cls(method.upper(), path or "/", query, joined, body)

    def header(self, name: str) -> str | None:
        """
        A header's value by lower-case name, or C{None}.
        """
        return self.headers.get(name)

    def body_bytes(self) -> bytes:
        """
        The whole body (a document body: small, bounded by the edge).
        """
        body = self.body
        if isinstance(body, bytes | bytearray | memoryview):
            return bytes(body)
        if hasattr(body, "seek"):
            body.seek(0)
        return body.read()

    def body_stream(self) -> IO[bytes]:
        """
        The body as a readable file, for a streaming payload.
        """
        body = self.body
        if isinstance(body, bytes | bytearray | memoryview):
            return io.BytesIO(bytes(body))
        return body


class Response(NamedTuple):
    """
    An answer: status, header pairs (names as AWS spells them, without
    C{Content-Length}) and the body: bytes, or what a handler gave for a
    streaming payload (a file, a producer) to be sent as it is.
    """

    status: int
    headers: list[tuple[str, str]]
    body: Any


def query_pairs(raw: str) -> list[tuple[str, str]]:
    """
    A raw query string (or a form body) as decoded (name, value) pairs in
    order, blank values kept (C{?tagging}), C{+} a space as in a form;
    L{UnicodeDecodeError} for bytes that are not UTF-8.
    """
    pairs = []
    for item in raw.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((_decode(name), _decode(value)))
    return pairs


def _decode(raw: str) -> str:
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")


def decode_label(raw: str) -> str:
    """
    A percent-encoded path segment (or greedy label) as text (C{+} stays a
    plus in a path); L{UnicodeDecodeError} for bytes that are not UTF-8.
    """
    return unquote_to_bytes(raw).decode("utf-8")
