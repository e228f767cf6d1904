"""
A live tail of a log group as server-sent events (C{text/event-stream}).

Each open tail reads the group through the logs API (FilterLogEvents, signed
as the page's account, like every other read of the console) and writes the
new events as C{event: log} messages. It reads when CloudWatch Logs says the
group has new events (L{ILogNotices}), or, if no such notices are offered,
every C{POLL_INTERVAL}; never while nobody watches. At most one read is in
flight per tail (notices that come meanwhile make one more read), the number
of tails is bounded per process (L{TailLimit}), and a tail stops when its
browser goes away (C{notifyFinish}).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from twisted.internet import defer, task
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET

from ruststack.console.client import AwsCallError

log = Logger()

# Events printed a while before they were stored still reach the tail: each
# read looks back this far (an environment ships an invocation's lines when
# it ends, with the times they were printed) and skips what it sent already.
LOOK_BACK_MS = 30_000
# Reading without notices; and a comment now and then, so that a browser
# that went away without closing is noticed by the failed write.
POLL_INTERVAL = 0.25
KEEPALIVE_INTERVAL = 15.0
# The backlog a new tail starts with.
BACKLOG = 20
# The first time FilterLogEvents reads newest first from (its own limit).
_DESCENDING_SINCE_MS = 1_704_067_200_000
# Events one read sends at most (more wait for the next read).
_READ_LIMIT = 1000

# A logs API call: FilterLogEvents' parameters -> its output.
Filter = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
# Start watching (a notice callable) -> a callable that stops; None: poll.
Watch = Callable[[Callable[[], None]], Callable[[], None]]


@attrs.define
class TailLimit:
    """
    How many tails may be open at once in this process.
    """

    most: int = 16
    open: int = 0

    def acquire(self) -> bool:
        if self.open >= self.most:
            return False
        self.open += 1
        return True

    def release(self) -> None:
        self.open = max(0, self.open - 1)


def sse(event: str, data: Any, event_id: str | None = None) -> bytes:
    """
    One server-sent event: C{data} as JSON on one line.
    """
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class LogTail:
    """
    One browser's tail of one log group.
    """

    def __init__(
        self,
        reactor: Any,
        request: Any,  # a twisted.web request
        group: str,
        filter_events: Filter,
        watch: Watch | None,
        limit: TailLimit,
    ) -> None:
        self.reactor = reactor
        self.request = request
        self.group = group
        self.filter_events = filter_events
        self.watch = watch
        self.limit = limit
        self.stopped = False
        self.reads = 0
        # What was sent: event id -> timestamp, for the look-back window.
        self._sent: dict[str, int] = {}
        self._since: int = 0
        self._reading: defer.Deferred | None = None
        self._again = False
        self._unwatch: Callable[[], None] | None = None
        self._poller: task.LoopingCall | None = None
        self._keepalive = task.LoopingCall(self._ping)
        self._keepalive.clock = reactor

    def render(self) -> int | bytes:
        """
        Answer the request with the stream (or 503 when too many are open).
        """
        request = self.request
        if not self.limit.acquire():
            request.setResponseCode(503)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            request.setHeader(b"retry-after", b"5")
            return f"Too many live tails are open (at most {self.limit.most}).\n".encode()
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"cache-control", b"no-cache")
        request.setHeader(b"x-accel-buffering", b"no")
        request.write(b"retry: 2000\n\n")
        request.notifyFinish().addBoth(self.stop)
        self._since = int(self.reactor.seconds() * 1000)
        defer.ensureDeferred(self._start())
        return NOT_DONE_YET

    async def _start(self) -> None:
        try:
            await self._backlog()
        except Exception as e:
            self._error(e)
        if self.stopped:
            return
        if self.watch is not None:
            self._unwatch = self.watch(self.wake)
        else:
            self._poller = task.LoopingCall(self.wake)
            self._poller.clock = self.reactor
            self._poller.start(POLL_INTERVAL, now=False)
        self._keepalive.start(KEEPALIVE_INTERVAL, now=False)
        # What came between the backlog and the watch.
        self.wake()

    async def _backlog(self) -> None:
        output = await self._filter({"startTime": _DESCENDING_SINCE_MS, "startFromHead": False, "limit": BACKLOG})
        self._send(sorted(output.get("events", []), key=_event_order))

    async def _filter(self, params: dict[str, Any]) -> dict[str, Any]:
        self.reads += 1
        try:
            return await self.filter_events({"logGroupName": self.group, **params})
        except AwsCallError as e:
            if e.code == "ResourceNotFoundException":
                return {"events": []}  # no invocation wrote it yet
            raise

    def wake(self) -> None:
        """
        The group may have new events: read them (once more after the read
        in flight, if any).
        """
        if self.stopped:
            return
        if self._reading is not None:
            self._again = True
            return
        self._reading = defer.ensureDeferred(self._read())
        self._reading.addBoth(self._read_done)

    def _read_done(self, result: Any) -> None:
        self._reading = None
        if isinstance(result, Failure):
            self._error(result.value)
        if self._again and not self.stopped:
            self._again = False
            self.wake()

    async def _read(self) -> None:
        start = max(0, self._since - LOOK_BACK_MS)
        params: dict[str, Any] = {"startTime": start, "startFromHead": True, "limit": _READ_LIMIT}
        output = await self._filter(params)
        if not self.stopped:
            self._send(output.get("events", []))

    def _send(self, events: list[dict[str, Any]]) -> None:
        if self.stopped:
            return
        chunks = []
        for event in events:
            event_id = event.get("eventId") or f"{event['timestamp']}:{event['message']}"
            if event_id in self._sent:
                continue
            time = int(event["timestamp"])
            self._sent[event_id] = time
            self._since = max(self._since, time)
            data = {
                "timestamp": time,
                "stream": event.get("logStreamName", ""),
                "message": event.get("message", "").rstrip("\n"),
            }
            chunks.append(sse("log", data, event_id))
        if chunks:
            self.request.write(b"".join(chunks))
        # Forget what the look-back window no longer reaches.
        horizon = self._since - LOOK_BACK_MS
        if len(self._sent) > 2 * _READ_LIMIT or any(t < horizon for t in self._sent.values()):
            self._sent = {k: t for k, t in self._sent.items() if t >= horizon}

    def _error(self, error: Any) -> None:
        if self.stopped:
            return
        log.info("Live tail of {group} could not read: {error}", group=self.group, error=error)
        self.request.write(sse("failure", {"message": str(error)}))

    def _ping(self) -> None:
        if not self.stopped:
            self.request.write(b": keepalive\n\n")

    def stop(self, _: Any = None) -> None:
        """
        The browser went away (or the stream ended): stop reading.
        """
        if self.stopped:
            return
        self.stopped = True
        self.limit.release()
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._poller is not None and self._poller.running:
            self._poller.stop()
        if self._keepalive.running:
            self._keepalive.stop()


def _event_order(event: dict[str, Any]) -> tuple[int, str]:
    return int(event.get("timestamp", 0)), str(event.get("eventId", ""))
