"""
AWS's binary event stream framing (C{application/vnd.amazon.eventstream}),
as SelectObjectContent answers with it: each message is a prelude (total
length, headers length, the prelude's CRC32), headers (name, type 7 =
string, value), the payload, and the CRC32 of all before it.
See https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html
"""

from __future__ import annotations

import struct
import zlib

_STRING = 7


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode("utf-8"), value.encode("utf-8")
    return struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", _STRING, len(raw_value)) + raw_value


def message(headers: list[tuple[str, str]], payload: bytes = b"") -> bytes:
    encoded = b"".join(_header(name, value) for name, value in headers)
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + encoded + payload
    return body + struct.pack("!I", zlib.crc32(body))


def event(kind: str, payload: bytes = b"", content_type: str | None = None) -> bytes:
    headers = [(":event-type", kind)]
    if content_type is not None:
        headers.append((":content-type", content_type))
    headers.append((":message-type", "event"))
    return message(headers, payload)


def records(payload: bytes) -> bytes:
    return event("Records", payload, "application/octet-stream")


def _details(root: str, scanned: int, processed: int, returned: int) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{root}><BytesScanned>{scanned}</BytesScanned>'
        f"<BytesProcessed>{processed}</BytesProcessed><BytesReturned>{returned}</BytesReturned></{root}>"
    ).encode()


def stats(scanned: int, processed: int, returned: int) -> bytes:
    return event("Stats", _details("Stats", scanned, processed, returned), "text/xml")


def progress(scanned: int, processed: int, returned: int) -> bytes:
    return event("Progress", _details("Progress", scanned, processed, returned), "text/xml")


def cont() -> bytes:
    return event("Cont")


def end() -> bytes:
    return event("End")


def error(code: str, text: str) -> bytes:
    return message([(":error-code", code), (":error-message", text), (":message-type", "error")])
