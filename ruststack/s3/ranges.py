"""
The C{Range} header as S3 reads it: one byte range (C{bytes=0-99},
C{bytes=-100}, C{bytes=100-}); an unsatisfiable one is refused with 416
InvalidRange; anything S3 does not understand (malformed, several ranges)
is ignored and the whole object is sent.
See https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
"""

from __future__ import annotations

import re

import attrs

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


@attrs.frozen
class ByteRange:
    """
    An inclusive range of an object of C{size} bytes.
    """

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.size}"


class Unsatisfiable(Exception):
    """
    The range names no byte of the object.
    """


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """
    The range C{header} selects in an object of C{size} bytes, or C{None}
    for the whole object; raise L{Unsatisfiable} when it selects nothing.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable()
        return ByteRange(max(0, size - suffix), size - 1, size)
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise Unsatisfiable()
    return ByteRange(first, min(last, size - 1), size)


def parse_copy_range(header: str, size: int) -> ByteRange:
    """
    UploadPartCopy's C{x-amz-copy-source-range}: only C{bytes=first-last},
    within the source object. Raise C{ValueError} otherwise.
    """
    match = _RANGE.match(header)
    if match is None or not match.group(1) or not match.group(2):
        raise ValueError("The x-amz-copy-source-range value must be of the form bytes=first-last")
    first, last = int(match.group(1)), int(match.group(2))
    if last < first or last >= size:
        raise ValueError(f"Range specified is not valid for source object of size: {size}")
    return ByteRange(first, last, size)
