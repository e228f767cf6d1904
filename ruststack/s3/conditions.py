"""
Conditional requests with S3's precedence.

GetObject/HeadObject: If-Match and If-Unmodified-Since decide 412 (If-Match
wins when both are present); If-None-Match and If-Modified-Since decide 304
(If-None-Match wins). PutObject: C{If-None-Match: *} and C{If-Match}.
CopyObject's C{x-amz-copy-source-if-*} all fail with 412.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from email.utils import parsedate_to_datetime


class Outcome(enum.Enum):
    PROCEED = "proceed"
    NOT_MODIFIED = "304"
    PRECONDITION_FAILED = "412"


def etag_matches(header: str, etag: str) -> bool:
    """
    Whether an C{If-Match}/C{If-None-Match} list names C{etag} (quoted or
    not) or is C{*}.
    """
    bare = etag.strip('"')
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == "*" or candidate.strip('"') == bare:
            return True
    return False


def parse_http_date(text: str | None) -> float | None:
    """
    An HTTP date in POSIX seconds, or C{None} when absent or unreadable
    (S3 ignores a date condition it cannot read).
    """
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def evaluate_read(headers: Mapping[str, str], etag: str, last_modified: float, prefix: str = "if-") -> Outcome:
    """
    The outcome of GetObject/HeadObject's conditions (C{prefix} C{"if-"}),
    for an object with C{etag} last modified at C{last_modified} (seconds).
    """
    modified = int(last_modified)
    if_match = headers.get(prefix + "match")
    if if_match is not None:
        if not etag_matches(if_match, etag):
            return Outcome.PRECONDITION_FAILED
    else:
        since = parse_http_date(headers.get(prefix + "unmodified-since"))
        if since is not None and modified > since:
            return Outcome.PRECONDITION_FAILED
    if_none_match = headers.get(prefix + "none-match")
    if if_none_match is not None:
        if etag_matches(if_none_match, etag):
            return Outcome.NOT_MODIFIED
    else:
        since = parse_http_date(headers.get(prefix + "modified-since"))
        if since is not None and modified <= since:
            return Outcome.NOT_MODIFIED
    return Outcome.PROCEED


def evaluate_copy_source(headers: Mapping[str, str], etag: str, last_modified: float) -> bool:
    """
    Whether CopyObject/UploadPartCopy may proceed under the
    C{x-amz-copy-source-if-*} headers (any failure is 412).
    """
    return evaluate_read(headers, etag, last_modified, "x-amz-copy-source-if-") is Outcome.PROCEED


def evaluate_write(headers: Mapping[str, str], current_etag: str | None) -> Outcome | None:
    """
    PutObject's conditions against the current object (C{None} if absent):
    C{PRECONDITION_FAILED}, C{None} for If-Match on a missing key (S3 answers
    NoSuchKey), else C{PROCEED}.
    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    """
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None and current_etag is not None and etag_matches(if_none_match, current_etag):
        return Outcome.PRECONDITION_FAILED
    if_match = headers.get("if-match")
    if if_match is not None:
        if current_etag is None:
            return None
        if not etag_matches(if_match, current_etag):
            return Outcome.PRECONDITION_FAILED
    return Outcome.PROCEED
