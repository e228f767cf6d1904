"""
Listing keys in UTF-8 byte order with Prefix, Delimiter (CommonPrefixes),
a start position and MaxKeys, over an ordered index: each page costs a few
index seeks, never a sort. Shared by ListObjects, ListObjectsV2,
ListObjectVersions and ListMultipartUploads.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable

import attrs

# seek(lower, inclusive, upper, limit) -> rows whose key (bytes, first item
# of each row) is above `lower` (or at it, if inclusive) and below `upper`
# (None: no bound), in key order.
Seek = Callable[[bytes, bool, "bytes | None", int], Iterable]


@attrs.frozen
class Page:
    """
    One page: rows and common prefixes, and where the next page starts.

    @ivar next_after: the last key or common prefix of this page when
        truncated (ListObjects' NextMarker, the ContinuationToken's content).
    """

    rows: list
    common_prefixes: list[bytes]
    truncated: bool
    next_after: bytes | None


def successor(prefix: bytes) -> bytes | None:
    """
    The smallest byte string above every string starting with C{prefix}
    (C{None} if there is none: C{prefix} is all 0xff).
    """
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def list_page(
    seek: Seek, prefix: bytes, delimiter: bytes, after: bytes, max_keys: int, key_of: Callable | None = None
) -> Page:
    """
    The page of at most C{max_keys} entries (keys and common prefixes)
    after C{after} among keys starting with C{prefix}.

    A common prefix at or below C{after} is not repeated (so a marker that
    is a common prefix resumes past it, as in S3).

    @param key_of: the key of a row, when its first item is a position that
        extends the key (several multipart uploads of one key); by default
        the position is the key.
    """
    if max_keys == 0:
        return Page([], [], False, None)
    upper = successor(prefix) if prefix else None
    lower, inclusive = (after, False) if after >= prefix else (prefix, True)
    rows: list = []
    prefixes: list[bytes] = []
    last: bytes | None = None
    batch = max(2, min(max_keys + 1, 1001))
    while True:
        seen = 0
        for row in seek(lower, inclusive, upper, batch):
            seen += 1
            key = row[0] if key_of is None else key_of(row)
            if delimiter:
                at = key.find(delimiter, len(prefix))
                if at >= 0:
                    common = key[: at + len(delimiter)]
                    beyond = successor(common)
                    if common > after:
                        if len(rows) + len(prefixes) == max_keys:
                            return Page(rows, prefixes, True, last)
                        prefixes.append(common)
                        last = common
                    if beyond is None:
                        return Page(rows, prefixes, False, None)
                    lower, inclusive = beyond, True
                    break
            if len(rows) + len(prefixes) == max_keys:
                return Page(rows, prefixes, True, last)
            rows.append(row)
            last = row[0]
            lower, inclusive = last, False
        else:
            if seen < batch:
                return Page(rows, prefixes, False, None)


def encode_token(after: bytes) -> str:
    """
    An opaque ContinuationToken for the position after C{after}.
    """
    return base64.urlsafe_b64encode(b"1" + after).decode()


def decode_token(token: str) -> bytes:
    """
    The position in a ContinuationToken; C{ValueError} if it is not one of
    ours.
    """
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError(token) from None
    if not raw.startswith(b"1"):
        raise ValueError(token)
    return raw[1:]
