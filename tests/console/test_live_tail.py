"""
The live tail's machinery without a stack: reads only when told (or polled
without notices), one read in flight, bounded, stopped with the browser.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, task
from twisted.web.test.requesthelper import DummyRequest

from ruststack.console.client import AwsCallError
from ruststack.console.live_tail import POLL_INTERVAL, LogTail, TailLimit


class Group:
    """
    A log group behind a fake FilterLogEvents, and its watchers.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.notices: set = set()
        self.pending: defer.Deferred | None = None
        self.missing = False

    def add(self, time: int, message: str) -> None:
        self.events.append(
            {"logStreamName": "s", "timestamp": time, "message": message, "eventId": f"{time:020d}{len(self.events)}"}
        )

    async def filter(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        if self.pending is not None:
            await self.pending
        if self.missing:
            raise AwsCallError("ResourceNotFoundException", "nope", 400, "FilterLogEvents")
        chosen = [e for e in self.events if e["timestamp"] >= params["startTime"]]
        if not params.get("startFromHead", True):
            chosen = chosen[::-1][: params["limit"]]
        return {"events": chosen}

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
    tail = LogTail(clock, request, "/aws/lambda/f", group.filter, group.watch if watch else None, limit or TailLimit())
    return request, tail, tail.render()


def test_backlog_then_notified_events() -> None:
    clock = task.Clock()
    clock.advance(100)
    group = Group()
    group.add(99_000, "old line\n")
    request, tail, rendered = open_tail(group, clock)
    assert request.responseHeaders.getRawHeaders(b"content-type") == [b"text/event-stream; charset=utf-8"]
    assert "old line" in written(request)
    assert len(group.notices) == 1
    reads = tail.reads
    clock.advance(60)  # no notice, no read (only a keepalive comment)
    assert tail.reads == reads
    assert ": keepalive" in written(request)
    group.add(160_000, "new line\n")
    group.notify()
    text = written(request)
    assert text.count("new line") == 1 and text.count("old line") == 1
    assert 'event: log\ndata: {"timestamp":160000,"stream":"s","message":"new line"}' in text


def test_one_read_in_flight() -> None:
    clock = task.Clock()
    group = Group()
    request, tail, _ = open_tail(group, clock)
    reads = tail.reads
    group.pending = defer.Deferred()
    for _ in range(5):
        group.notify()
    assert tail.reads == reads + 1
    pending, group.pending = group.pending, None
    pending.callback(None)
    assert tail.reads == reads + 2  # one more for the notices that came meanwhile


def test_stops_with_the_browser() -> None:
    clock = task.Clock()
    group = Group()
    limit = TailLimit(most=1)
    request, tail, _ = open_tail(group, clock, limit)
    assert limit.open == 1
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
    reads = tail.reads
    clock.pump([POLL_INTERVAL] * 4)
    assert tail.reads == reads + 4
    request.finish()
    clock.pump([POLL_INTERVAL] * 4)
    assert tail.reads == reads + 4


def test_missing_group_is_empty() -> None:
    clock = task.Clock()
    group = Group()
    group.missing = True
    request, tail, _ = open_tail(group, clock)
    assert "failure" not in written(request)


def test_late_events_inside_the_look_back_arrive_once() -> None:
    clock = task.Clock()
    clock.advance(100)
    group = Group()
    request, tail, _ = open_tail(group, clock)
    group.add(100_500, "second\n")
    group.notify()
    group.add(100_200, "printed earlier, stored later\n")
    group.notify()
    group.notify()
    text = written(request)
    assert text.count("printed earlier") == 1 and text.count("second") == 1
