"""
A function's invocations, read back from its log group: the START, END and
REPORT lines Lambda (and RustStack's environments) write around each
invocation, and the lines the function printed between them.

    invocations = invocations_of(events)   # FilterLogEvents' events, any order

Only what the lines say is used, so the console shows what CloudWatch Logs
holds -- a log group filled by PutLogEvents reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

_START = re.compile(r"START RequestId: (?P<id>\S+)(?: Version: (?P<version>\S+))?")
_END = re.compile(r"END RequestId: (?P<id>\S+)")
_REPORT = re.compile(r"REPORT RequestId: (?P<id>\S+)")
# awslambdaric's first line of an unhandled error: "[ERROR] ValueError: why".
_ERROR = re.compile(r"\[ERROR\] (?P<type>[A-Za-z_][\w.]*)")
_TIMED_OUT = re.compile(r"\S+ \S+ Task timed out after")
_MILLISECONDS = re.compile(r"(?P<number>\d+(?:\.\d+)?) ms")
_MEGABYTES = re.compile(r"(?P<number>\d+) MB")


@attrs.frozen
class Report:
    """
    What a REPORT line says; a field it lacks is C{None}.
    """

    request_id: str
    duration_ms: float | None = None
    billed_ms: int | None = None
    memory_size_mb: int | None = None
    max_memory_mb: int | None = None
    init_ms: float | None = None
    status: str | None = None
    error_type: str | None = None


def _number(pattern: re.Pattern[str], text: str, kind: type) -> Any:
    match = pattern.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return kind(match.group("number"))
    except ValueError:
        return None


_FIELDS: dict[str, tuple[str, re.Pattern[str] | None, type]] = {
    "Duration": ("duration_ms", _MILLISECONDS, float),
    "Billed Duration": ("billed_ms", _MILLISECONDS, int),
    "Memory Size": ("memory_size_mb", _MEGABYTES, int),
    "Max Memory Used": ("max_memory_mb", _MEGABYTES, int),
    "Init Duration": ("init_ms", _MILLISECONDS, float),
    "Status": ("status", None, str),
    "Error Type": ("error_type", None, str),
}


def parse_report(line: str) -> Report | None:
    """
    A REPORT line's fields (tab-separated C{Name: value}), or C{None} when
    C{line} is not one. Unknown or malformed fields are left out.
    """
    match = _REPORT.match(line)
    if match is None:
        return None
    fields: dict[str, Any] = {}
    for part in line[match.end() :].split("\t"):
        name, colon, value = part.partition(":")
        known = _FIELDS.get(name.strip())
        if not colon or known is None:
            continue
        attribute, pattern, kind = known
        parsed = (value.strip() or None) if pattern is None else _number(pattern, value, kind)
        if parsed is not None:
            fields[attribute] = parsed
    return Report(match.group("id"), **fields)


@attrs.define
class Invocation:
    """
    One invocation as its log tells it. C{status} is the REPORT's (C{timeout},
    C{error}), else C{error} when the function printed an unhandled error,
    else C{success} once the REPORT is there, else C{running}.
    """

    request_id: str
    stream: str
    started: int  # ms since the epoch
    version: str | None = None
    ended: int | None = None
    report: Report | None = None
    error_type: str | None = None
    timed_out: bool = False
    lines: list[tuple[int, str]] = attrs.field(factory=list)

    @property
    def status(self) -> str:
        if self.report is not None and self.report.status:
            return self.report.status
        if self.timed_out:
            return "timeout"
        if self.error_type is not None:
            return "error"
        return "success" if self.report is not None else "running"

    @property
    def error(self) -> str | None:
        if self.report is not None and self.report.error_type:
            return self.report.error_type
        if self.timed_out and self.error_type is None:
            return "Sandbox.Timedout"
        return self.error_type


def _order(event: Mapping[str, Any]) -> tuple[int, str, int]:
    # Events of one millisecond keep their stored order: FilterLogEvents'
    # event ids say it whichever way the events were read; without them
    # (GetLogEvents), the order given, which is then the stored one.
    return int(event.get("timestamp", 0)), str(event.get("eventId", "")), int(event.get("_index", 0))


def invocations_of(events: Iterable[Mapping[str, Any]]) -> list[Invocation]:
    """
    The invocations the events tell of, newest first: FilterLogEvents'
    (with their event ids) in either order, or GetLogEvents' in theirs. A line belongs to the invocation whose
    START came before it in the same stream; lines before any START (the
    INIT_START of a new environment) belong to none. An invocation whose
    START fell outside the events read is left out.
    """
    by_stream: dict[str, list[Mapping[str, Any]]] = {}
    for index, event in enumerate(events):
        by_stream.setdefault(str(event.get("logStreamName", "")), []).append({**event, "_index": index})
    found: list[Invocation] = []
    for stream, stream_events in by_stream.items():
        current: Invocation | None = None
        for event in sorted(stream_events, key=_order):
            message = str(event.get("message", "")).rstrip("\n")
            time = int(event.get("timestamp", 0))
            start = _START.match(message)
            if start is not None:
                current = Invocation(start.group("id"), stream, time, start.group("version"))
                current.lines.append((time, message))
                found.append(current)
                continue
            if current is None:
                continue
            current.lines.append((time, message))
            if _END.match(message):
                current.ended = time
                continue
            report = parse_report(message)
            if report is not None:
                if report.request_id == current.request_id:
                    current.report = report
                    current.ended = current.ended or time
                current = None
                continue
            if current.error_type is None:
                error = _ERROR.match(message)
                if error is not None:
                    current.error_type = error.group("type")
            if _TIMED_OUT.match(message) and current.request_id in message:
                current.timed_out = True
    found.sort(key=lambda invocation: invocation.started, reverse=True)
    return found
