"""
The live tail's machinery without a stack: reads only when told (or polled
without notices), one read in flight, bounded, stopped with the browser.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, task
from twisted.web.test.requesthelper import DummyRequest

from ruststack.console.client import AwsCallError
from ruststack.console.live_tail import MIN_READ_INTERVAL, POLL_INTERVAL, READ_BURST, LogTail, TailLimit


class Group:
    """
    A log group behind a fake of the three logs operations a tail calls,
    and its watchers. Positions in a stream are indexes.
    """

    def __init__(self) -> None:
        self.streams: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.notices: set = set()
        self.pending: defer.Deferred | None = None
        self.missing = False
        self.ingested = 0

    def add(self, time: int, message: str, stream: str = "s") -> None:
        self.ingested += 1
        self.streams.setdefault(stream, []).append({"timestamp": time, "message": message, "at": self.ingested})

    async def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        if self.pending is not None:
            await self.pending
        if self.missing:
            raise AwsCallError("ResourceNotFoundException", "nope", 400, operation)
        if operation == "DescribeLogStreams":
            ordered = sorted(self.streams.items(), key=lambda item: item[1][-1]["timestamp"], reverse=True)
            return {
                "logStreams": [
                    {"logStreamName": name, "lastEventTimestamp": e[-1]["timestamp"], "lastIngestionTime": e[-1]["at"]}
                    for name, e in ordered[: params["limit"]]
                ]
            }
        if operation == "GetLogEvents":
            events = self.streams[params["logStreamName"]]
            if "nextToken" in params:
                start = int(params["nextToken"])
            elif params.get("startFromHead"):
                start = next((i for i, e in enumerate(events) if e["timestamp"] >= params["startTime"]), len(events))
            else:
                start = max(0, len(events) - params["limit"])
            page = events[start : start + params["limit"]]
            return {"events": page, "nextForwardToken": str(start + len(page))}
        assert operation == "FilterLogEvents" and not params["startFromHead"]
        every = [{**e, "logStreamName": name} for name, events in self.streams.items() for e in events]
        every.sort(key=lambda e: (e["timestamp"], e["at"]), reverse=True)
        return {"events": [{**e, "eventId": f"{e['timestamp']:020d}{e['at']:08d}"} for e in every[: params["limit"]]]}

    def watch(self, notice):
        self.notices.add(notice)
        return lambda: self.notices.discard(notice)

    def notify(self) -> None:
        for notice in list(self.notices):
            notice()


def written(request: DummyRequest) -> str:
    return b"".join(request.written).decode()


def open_tail(group: Group, clock: task.Clock, limit: TailLimit | None = None, watch: bool = True):
    request = DummyRequest([b""])
    tail = LogTail(clock, request, "/aws/lambda/f", group.call, group.watch if watch else None, limit or TailLimit())
    return request, tail, tail.render()


def reads(group: Group) -> int:
    return sum(1 for operation, _ in group.calls if operation == "DescribeLogStreams")


def test_backlog_then_notified_events() -> None:
    clock = task.Clock()
    clock.advance(100)
    group = Group()
    group.add(99_000, "old line\n")
    request, tail, rendered = open_tail(group, clock)
    assert request.responseHeaders.getRawHeaders(b"content-type") == [b"text/event-stream; charset=utf-8"]
    assert "old line" in written(request)
    assert len(group.notices) == 1
    clock.advance(MIN_READ_INTERVAL)
    before = len(group.calls)
    clock.advance(60)  # no notice, no read (only a keepalive comment)
    assert len(group.calls) == before
    assert ": keepalive" in written(request)
    group.add(160_000, "new line\n")
    group.notify()
    text = written(request)
    assert text.count("new line") == 1 and text.count("old line") == 1
    assert 'event: log\ndata: {"timestamp":160000,"stream":"s","message":"new line"}' in text


def test_one_read_in_flight_and_reads_bounded() -> None:
    clock = task.Clock()
    group = Group()
    request, tail, _ = open_tail(group, clock)
    clock.advance(MIN_READ_INTERVAL * READ_BURST)  # a full bucket
    first = reads(group)
    group.pending = defer.Deferred()
    for _ in range(5):
        group.notify()
    assert reads(group) == first + 1
    pending, group.pending = group.pending, None
    pending.callback(None)
    assert reads(group) == first + 2  # one more, at once, for the notices that came meanwhile
    for _ in range(20):  # a busy function: a notice every 50 ms for a second
        group.notify()
        clock.advance(0.05)
    # the burst left in the bucket, then one per interval
    assert reads(group) - first - 2 in range(READ_BURST - 2 + 4, READ_BURST - 2 + 6)
    clock.advance(MIN_READ_INTERVAL)
    settled = reads(group)
    clock.advance(10)
    assert reads(group) == settled


def test_stops_with_the_browser() -> None:
    clock = task.Clock()
    group = Group()
    limit = TailLimit(most=1)
    request, tail, _ = open_tail(group, clock, limit)
    assert limit.open == 1
    clock.advance(MIN_READ_INTERVAL)
    request.finish()  # DummyRequest fires notifyFinish as a closed connection would
    assert tail.stopped and not group.notices and limit.open == 0
    assert not clock.getDelayedCalls()


def test_bounded() -> None:
    clock = task.Clock()
    group = Group()
    limit = TailLimit(most=1)
    open_tail(group, clock, limit)
    request, tail, rendered = open_tail(group, clock, limit)
    assert request.responseCode == 503
    assert b"Too many live tails" in rendered


def test_polls_without_notices() -> None:
    clock = task.Clock()
    group = Group()
    request, tail, _ = open_tail(group, clock, watch=False)
    clock.advance(MIN_READ_INTERVAL)
    first = reads(group)
    clock.pump([POLL_INTERVAL] * 4)
    assert reads(group) == first + 4
    request.finish()
    clock.pump([POLL_INTERVAL] * 4)
    assert reads(group) == first + 4


def test_missing_group_is_empty() -> None:
    clock = task.Clock()
    group = Group()
    group.missing = True
    request, tail, _ = open_tail(group, clock)
    clock.advance(1)
    assert "failure" not in written(request)


def test_only_new_events_whatever_their_time() -> None:
    clock = task.Clock()
    clock.advance(100)
    group = Group()
    for n in range(30):
        group.add(90_000 + n, f"before {n}\n")
    request, tail, _ = open_tail(group, clock)
    backlog = written(request)
    assert "before 29" in backlog and "before 9\n" not in backlog and backlog.count("event: log") == 20
    group.add(100_500, "second\n")
    group.notify()
    clock.advance(MIN_READ_INTERVAL)
    # An invocation's lines are stored when it ends, with the times they were printed.
    group.add(99_000, "printed before the tail opened, stored after\n", stream="t")
    group.add(100_200, "printed earlier, stored later\n")
    group.notify()
    clock.advance(MIN_READ_INTERVAL)
    group.notify()
    clock.advance(MIN_READ_INTERVAL)
    text = written(request)
    for line in ("printed earlier", "second", "printed before the tail opened"):
        assert text.count(line) == 1
    assert text.count("event: log") == 23
    # Reads after the first fetch only what is new: one event per stream that changed.
    group.calls.clear()
    group.add(100_600, "third\n")
    group.notify()
    clock.advance(MIN_READ_INTERVAL)
    assert [operation for operation, _ in group.calls] == ["DescribeLogStreams", "GetLogEvents"]
    assert written(request).count("third") == 1
