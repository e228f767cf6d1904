"""
The C{aws-chunked} content encoding, decoded incrementally.

Every form a client sends (STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)
has the same frame: C{<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n}
repeated, then a zero-size chunk, optional trailer lines
(C{x-amz-checksum-crc32:<b64>}, C{x-amz-trailer-signature:<sig>}) and an
empty line. See
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

_MAX_LINE = 4096


class ChunkedEncodingError(ValueError):
    """
    The body is not valid aws-chunked.
    """


class AwsChunkedDecoder:
    """
    Feed raw bytes with L{feed}; decoded payload bytes go to C{sink} as they
    are found. After L{finish}, C{trailers} holds the trailing headers (lower
    case names) and C{signatures} the chunk signatures in order.
    """

    def __init__(self, sink: Callable[[bytes], None], on_chunk: Callable[[str, bytes], None] | None = None) -> None:
        """
        @param on_chunk: if given, called at the end of each chunk with its
            C{chunk-signature} and the SHA-256 of its data (for checking
            signed chunks).
        """
        self._sink = sink
        self._on_chunk = on_chunk
        self._chunk_hash: hashlib._Hash | None = None
        self._chunk_signature = ""
        self._buffer = b""
        self._remaining = 0  # payload bytes left in the current chunk
        self._state = "size"  # size | data | data-end | trailer | done
        self.trailers: dict[str, str] = {}
        self.signatures: list[str] = []

    def feed(self, data: bytes) -> None:
        if self._state == "data" and not self._buffer and len(data) <= self._remaining:
            # The hot path: a piece in the middle of a chunk.
            self._remaining -= len(data)
            self._data(data)
            return
        self._buffer += data
        while self._buffer:
            if self._state == "data":
                piece = self._buffer[: self._remaining]
                self._buffer = self._buffer[len(piece) :]
                self._remaining -= len(piece)
                self._data(piece)
                if self._remaining:
                    return
                continue
            if self._state == "data-end":
                if len(self._buffer) < 2:
                    return
                if self._buffer[:2] != b"\r\n":
                    raise ChunkedEncodingError("chunk data not followed by CRLF")
                self._buffer = self._buffer[2:]
                self._state = "size"
                continue
            if self._state == "done":
                if self._buffer.strip(b"\r\n"):
                    raise ChunkedEncodingError("data after the final chunk")
                self._buffer = b""
                return
            line = self._line()
            if line is None:
                return
            if self._state == "size":
                self._size_line(line)
            else:
                self._trailer_line(line)

    def _data(self, piece: bytes) -> None:
        if self._chunk_hash is not None:
            self._chunk_hash.update(piece)
        self._sink(piece)
        if not self._remaining:
            self._state = "data-end"
            self._chunk_done()

    def _chunk_done(self) -> None:
        if self._on_chunk is not None and self._chunk_hash is not None:
            self._on_chunk(self._chunk_signature, self._chunk_hash.digest())

    def finish(self) -> None:
        """
        Raise L{ChunkedEncodingError} unless the body ended where it should.
        """
        if self._state == "trailer" and self._buffer == b"":
            # Some clients end the trailer section without the final CRLF.
            self._state = "done"
        if self._state != "done":
            raise ChunkedEncodingError("the body ended before the final chunk")

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > _MAX_LINE:
                raise ChunkedEncodingError("chunk header too long")
            return None
        line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
        return line

    def _size_line(self, line: bytes) -> None:
        size_text, _, extension = line.partition(b";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise ChunkedEncodingError(f"bad chunk size {size_text[:32]!r}") from None
        if size < 0:
            raise ChunkedEncodingError("negative chunk size")
        name, _, value = extension.partition(b"=")
        self._chunk_signature = ""
        if name.strip() == b"chunk-signature":
            self._chunk_signature = value.strip().decode("ascii", "replace")
            self.signatures.append(self._chunk_signature)
        if self._on_chunk is not None:
            self._chunk_hash = hashlib.sha256()
        if size == 0:
            self._chunk_done()
            self._state = "trailer"
        else:
            self._remaining = size
            self._state = "data"

    def _trailer_line(self, line: bytes) -> None:
        if not line:
            self._state = "done"
            return
        name, colon, value = line.partition(b":")
        if not colon:
            raise ChunkedEncodingError(f"bad trailer {line[:64]!r}")
        self.trailers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
