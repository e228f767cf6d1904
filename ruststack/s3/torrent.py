"""
GetObjectTorrent: an object's BitTorrent metainfo file (BEP 3), as S3
serves it: the S3 tracker's announce URL, and an info dictionary naming the
key, its length, the piece length (256 KiB) and the SHA-1 of every piece,
with S3's C{x-amz-bucket} / C{x-amz-key} entries.

The pieces are hashed by reading the object a piece at a time in a thread
of the reactor's pool: the object is never held whole, nor hashed on the
reactor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, BinaryIO

from twisted.internet import defer

from ruststack.aws.errors import AwsError
from ruststack.s3 import objects
from ruststack.s3.call import S3Call, S3Context

TRACKER = "http://s3-tracker.amazonaws.com:6969/announce"
PIECE_LENGTH = 256 * 1024
# S3 serves torrents of objects under 5 GB only.
MAX_SIZE = 5 * 1024**3

# int, bytes or str, list, or dict keyed by bytes or str (recursive types are more noise than help here).
Bencodable = Any


def bencode(value: Bencodable) -> bytes:
    """
    The bencoding of C{value}: integers, byte strings (text as UTF-8),
    lists, and dictionaries whose keys are sorted as raw byte strings.
    """
    parts: list[bytes] = []
    _encode(value, parts)
    return b"".join(parts)


def _encode(value: Bencodable, parts: list[bytes]) -> None:
    if isinstance(value, bool):
        raise TypeError("bencoding has no booleans")
    if isinstance(value, int):
        parts.append(b"i%de" % value)
    elif isinstance(value, (bytes, str)):
        raw = value.encode("utf-8") if isinstance(value, str) else value
        parts.append(b"%d:" % len(raw))
        parts.append(raw)
    elif isinstance(value, list):
        parts.append(b"l")
        for item in value:
            _encode(item, parts)
        parts.append(b"e")
    elif isinstance(value, dict):
        parts.append(b"d")
        keyed = sorted(((k.encode("utf-8") if isinstance(k, str) else k), v) for k, v in value.items())
        for key, item in keyed:
            _encode(key, parts)
            _encode(item, parts)
        parts.append(b"e")
    else:
        raise TypeError(f"cannot bencode {type(value).__name__}")


class BdecodeError(ValueError):
    pass


def bdecode(data: bytes) -> Bencodable:
    """
    The value C{data} bencodes (byte strings stay bytes, dictionary keys
    too); L{BdecodeError} unless C{data} is exactly one canonical value.
    """
    value, end = _decode(data, 0)
    if end != len(data):
        raise BdecodeError("trailing data")
    return value


def _decode(data: bytes, at: int) -> tuple[Bencodable, int]:
    if at >= len(data):
        raise BdecodeError("truncated")
    lead = data[at : at + 1]
    if lead == b"i":
        end = data.find(b"e", at)
        if end < 0:
            raise BdecodeError("unterminated integer")
        text = data[at + 1 : end]
        if not text or text in (b"-", b"-0") or (text.lstrip(b"-").startswith(b"0") and text.lstrip(b"-") != b"0"):
            raise BdecodeError("integer not canonical")
        if not text.lstrip(b"-").isdigit():
            raise BdecodeError("not an integer")
        return int(text), end + 1
    if lead == b"l":
        items: list[Bencodable] = []
        at += 1
        while data[at : at + 1] != b"e":
            item, at = _decode(data, at)
            items.append(item)
        return items, at + 1
    if lead == b"d":
        found: dict[bytes, Bencodable] = {}
        at += 1
        previous: bytes | None = None
        while data[at : at + 1] != b"e":
            key, at = _decode(data, at)
            if not isinstance(key, bytes) or (previous is not None and key <= previous):
                raise BdecodeError("dictionary keys must be sorted byte strings")
            found[key], at = _decode(data, at)
            previous = key
        return found, at + 1
    if lead.isdigit():
        colon = data.find(b":", at)
        if colon < 0 or not data[at:colon].isdigit() or (data[at : at + 1] == b"0" and colon - at > 1):
            raise BdecodeError("bad string length")
        start = colon + 1
        end = start + int(data[at:colon])
        if end > len(data):
            raise BdecodeError("truncated string")
        return data[start:end], end
    raise BdecodeError(f"unexpected {lead!r}")


def piece_hashes(chunks: Iterable[bytes], piece_length: int = PIECE_LENGTH) -> bytes:
    """
    The SHA-1 of every C{piece_length} piece of the bytes C{chunks} yield
    (of any sizes), concatenated; the last piece may be short.
    """
    hashes: list[bytes] = []
    piece = hashlib.sha1()
    filled = 0
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            taken = view[: piece_length - filled]
            piece.update(taken)
            filled += len(taken)
            view = view[len(taken) :]
            if filled == piece_length:
                hashes.append(piece.digest())
                piece, filled = hashlib.sha1(), 0
    if filled:
        hashes.append(piece.digest())
    return b"".join(hashes)


def _chunks_of(body: BinaryIO, size: int = PIECE_LENGTH * 4) -> Iterable[bytes]:
    try:
        while chunk := body.read(size):
            yield chunk
    finally:
        body.close()


def metainfo(bucket: str, key: str, length: int, pieces: bytes) -> bytes:
    return bencode(
        {
            "announce": TRACKER,
            "announce-list": [[TRACKER]],
            "info": {
                "length": length,
                "name": key,
                "piece length": PIECE_LENGTH,
                "pieces": pieces,
                "x-amz-bucket": bucket,
                "x-amz-key": key,
            },
        }
    )


def get_object_torrent(ctx: S3Context, call: S3Call) -> defer.Deferred:
    record = objects.existing_object(ctx, call)
    if record.size >= MAX_SIZE:
        raise AwsError("InvalidRequest", "Torrents are not available for objects of 5 GB or more.", 400)
    assert call.bucket is not None and call.key is not None
    bucket, key = call.bucket, call.key
    call.set_headers({"Content-Type": "application/x-bittorrent"})
    if record.inline is not None:
        return defer.succeed(metainfo(bucket, key, record.size, piece_hashes([record.inline])))
    body = ctx.store.open_body(record)
    found = ctx.store.run_in_thread(piece_hashes, _chunks_of(body))
    return found.addCallback(lambda pieces: metainfo(bucket, key, record.size, pieces))
