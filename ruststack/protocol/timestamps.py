"""
Timestamps in the three forms AWS protocols use, read and written.

Which form a member takes: its C{timestampFormat} if the model gives one,
else the protocol's default for where it travels (headers RFC 822, query
strings and XML ISO 8601, JSON bodies epoch seconds). See
https://smithy.io/2.0/spec/protocol-traits.html#timestampformat-trait
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime

ISO8601 = "iso8601"
RFC822 = "rfc822"
EPOCH = "unixtimestamp"

_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)
# Beyond year 9999 either way: no datetime holds it.
_EPOCH_LIMIT = 253402300800
_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d):?(\d\d))\Z", re.ASCII
)


def default_format(protocol: str, location: str | None) -> str:
    """
    The format of a timestamp member that names none, by protocol and
    where it travels (C{header}, C{querystring}, C{uri} or C{None} for the
    body).
    """
    if location == "header":
        return RFC822
    if location in ("querystring", "uri"):
        return ISO8601
    if protocol in ("json", "rest-json"):
        return EPOCH
    return ISO8601


def member_format(shape, protocol: str, location: str | None) -> str:
    """
    The format of a timestamp shape where it travels.
    """
    return (shape.serialization.get("timestampFormat") or default_format(protocol, location)).lower()


def parse(value: object, timestamp_format: str) -> datetime:
    """
    A timestamp from the wire as an aware UTC datetime; L{ValueError} if it
    is not one in C{timestamp_format}. Epoch seconds may be a number or its
    text; an ISO 8601 timestamp may carry an offset.
    """
    if timestamp_format == EPOCH:
        return from_epoch(value)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    if timestamp_format == RFC822:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"not an RFC 822 date: {value!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    match = _ISO.match(value)
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, offset_h, offset_m = match.groups()
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, tzinfo=UTC)
    if not zulu:
        offset = timedelta(hours=int(offset_h), minutes=int(offset_m))
        moment = moment - offset if sign == "+" else moment + offset
    return moment


def from_epoch(value: object) -> datetime:
    """
    Epoch seconds (a number, or its text) as an aware UTC datetime.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not epoch seconds: {value!r}")
    # As decimal text, so that 8615030400.001 keeps its millisecond.
    try:
        seconds = Decimal(value if isinstance(value, str) else repr(value))
    except InvalidOperation:
        raise ValueError(f"not epoch seconds: {value!r}") from None
    if not seconds.is_finite() or abs(seconds) > _EPOCH_LIMIT:
        raise ValueError(f"epoch seconds out of range: {value!r}")
    whole = math.floor(seconds)
    microseconds = round((seconds - whole) * 1_000_000)
    try:
        return _EPOCH_START + timedelta(seconds=whole, microseconds=microseconds)
    except OverflowError:
        raise ValueError(f"epoch seconds out of range: {value!r}") from None


def to_datetime(value: object) -> datetime:
    """
    What a handler gives for a timestamp (an aware or naive UTC datetime,
    or epoch seconds) as an aware UTC datetime.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return from_epoch(value)


def format(value: object, timestamp_format: str, milliseconds: bool = False) -> str | int | float:
    """
    A timestamp as C{timestamp_format} writes it: ISO 8601 with a C{Z}
    (milliseconds when there are any, or always with C{milliseconds}, as S3
    writes them), RFC 822 in GMT (whole seconds), or epoch seconds (an
    integer, or a number with milliseconds).
    """
    moment = to_datetime(value)
    if timestamp_format == EPOCH:
        seconds = (moment - _EPOCH_START) // timedelta(seconds=1)
        millis = moment.microsecond // 1000
        return seconds + millis / 1000 if millis else seconds
    if timestamp_format == RFC822:
        return format_datetime(moment.replace(microsecond=0), usegmt=True)
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if milliseconds or moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"
