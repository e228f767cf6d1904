"""
AWS's event-stream framing (C{application/vnd.amazon.eventstream}), as
botocore's L{botocore.eventstream} reads it, for the events a service sends:

    prelude   total length (4 bytes), headers length (4), CRC32 of those 8 (4)
    headers   name length (1), name, value type (1; 7 = string), value length (2), value
    payload
    CRC32 of everything before it (4)

all integers big-endian. Only string headers are written: an event needs no
other (C{:event-type}, C{:content-type}, C{:message-type}).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator

_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")
_STRING = 7
# botocore refuses larger headers sections and payloads (eventstream's limits).
MAX_HEADERS = 128 * 1024
MAX_PAYLOAD = 24 * 1024 * 1024


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode("utf-8"), value.encode("utf-8")
    if len(raw_name) > 255 or len(raw_value) > 0xFFFF:
        raise ValueError(f"event-stream header {name!r} is too long")
    return bytes((len(raw_name),)) + raw_name + bytes((_STRING,)) + struct.pack(">H", len(raw_value)) + raw_value


def message(headers: Iterable[tuple[str, str]], payload: bytes) -> bytes:
    """
    One event-stream message: C{headers} (name, string value) in their
    order, then C{payload}.
    """
    encoded = b"".join(_header(name, value) for name, value in headers)
    if len(encoded) > MAX_HEADERS or len(payload) > MAX_PAYLOAD:
        raise ValueError("event-stream message over botocore's limits")
    prelude = _PRELUDE.pack(_PRELUDE.size + _CRC.size + len(encoded) + len(payload) + _CRC.size, len(encoded))
    head = prelude + _CRC.pack(zlib.crc32(prelude))
    crc = zlib.crc32(payload, zlib.crc32(encoded, zlib.crc32(head)))
    return b"".join((head, encoded, payload, _CRC.pack(crc)))


def event(event_type: str, content_type: str, payload: bytes) -> bytes:
    """
    An event message, its headers in the order AWS sends them.
    """
    headers = ((":event-type", event_type), (":content-type", content_type), (":message-type", "event"))
    return message(headers, payload)


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    """
    C{data} in pieces of at most C{size} bytes (none for no data).
    """
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])
