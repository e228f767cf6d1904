"""
Pagination tokens and event ids.

A position in a log group is an event key C{(timestamp, seq)}: GetLogEvents'
tokens and FilterLogEvents' C{nextToken} are C{f/<56 digits>/s} (read on
after that key) or C{b/<56 digits>/s} (read back before it), the digits
being the key, as AWS's own tokens look; an event's id is its key's 56
digits. DescribeLogStreams' token is the sort key of the next stream,
base64url-encoded. A token that is none of these is AWS's
C{InvalidParameterException} "The specified nextToken is invalid."
"""

from __future__ import annotations

import base64
import binascii
import re

import attrs

from ruststack.aws.errors import AwsError

_TIME_DIGITS = 26
_SEQ_DIGITS = 30
_POSITION = re.compile(r"([fb])/(\d{56})/s\Z")


def invalid_token() -> AwsError:
    return AwsError("InvalidParameterException", "The specified nextToken is invalid.", 400)


@attrs.frozen
class Position:
    """
    A point between events: C{forward} reads the events after
    C{(time, seq)}, backward the events before it.
    """

    forward: bool
    time: int
    seq: int

    def token(self) -> str:
        return f"{'f' if self.forward else 'b'}/{event_id(self.time, self.seq)}/s"

    @classmethod
    def parse(cls, token: str) -> Position:
        match = _POSITION.match(token)
        if match is None:
            raise invalid_token()
        digits = match.group(2)
        return cls(match.group(1) == "f", int(digits[:_TIME_DIGITS]), int(digits[_TIME_DIGITS:]))


def event_id(time: int, seq: int) -> str:
    """
    The 56-digit id of the event C{(time, seq)} (unique in its log group).
    """
    return f"{time:0{_TIME_DIGITS}d}{seq:0{_SEQ_DIGITS}d}"


def stream_token(key: tuple[int, str]) -> str:
    """
    DescribeLogStreams' token: the sort key (last event time, name) of the
    first stream of the next page.
    """
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode("ascii")


def parse_stream_token(token: str) -> tuple[int, str]:
    try:
        time, _, name = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8").partition(":")
        return int(time), name
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_token() from None
