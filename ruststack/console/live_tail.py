"""
A live tail of a log group as server-sent events (C{text/event-stream}).

Each open tail reads the group through the logs API, signed as the page's
account like every other read of the console, and writes the new events as
C{event: log} messages. It reads when CloudWatch Logs says the group has new
events (L{ILogNotices}), or, if no such notices are offered, every
C{POLL_INTERVAL}; never while nobody watches. A read asks which streams
changed (DescribeLogStreams, newest first) and reads each from where it left
off (GetLogEvents' forward token), so it fetches only new events, whatever
their timestamps (an environment ships an invocation's lines when it ends,
with the times they were printed). At most one read is in flight per tail
and reads come at most one per C{MIN_READ_INTERVAL} on average, in bursts
of C{READ_BURST} (a token bucket: the first lines of an idle function are
read at once, a busy one's every C{MIN_READ_INTERVAL}) (notices that come
meanwhile make one more read); the number of tails is bounded per process
(L{TailLimit}); a tail stops when its browser goes away (C{notifyFinish}).
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

# Reading without notices; the least time between two reads (a busy
# function's notices come with every shipment, and each read is two calls
# through the edge on the reactor the invocations use: at 100 ms apart they
# cost a busy function's warm invokes some 3 ms of p50, at 250 ms below a
# millisecond -- bench/console_tail.py); a comment now and then, so that a
# browser that went away without closing is noticed by the failed write.
POLL_INTERVAL = 0.25
MIN_READ_INTERVAL = 0.25
READ_BURST = 3
KEEPALIVE_INTERVAL = 15.0
# The backlog a new tail starts with.
BACKLOG = 20
# A stream first seen after the tail opened is read from this long before.
LOOK_BACK_MS = 60_000
# The streams a read looks at (the most recently written).
STREAMS = 10
# The first time FilterLogEvents reads newest first from (its own limit).
_DESCENDING_SINCE_MS = 1_704_067_200_000
_PAGE = 1000

# A logs API call: (operation, parameters) -> its output.
LogsCall = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
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


@attrs.define
class _Stream:
    # What a tail knows of one stream: its last seen state and where to read on.
    seen: tuple[Any, Any] = (None, None)
    token: str | None = None


class LogTail:
    """
    One browser's tail of one log group.
    """

    def __init__(
        self,
        reactor: Any,
        request: Any,  # a twisted.web request
        group: str,
        logs: LogsCall,
        watch: Watch | None,
        limit: TailLimit,
    ) -> None:
        self.reactor = reactor
        self.request = request
        self.group = group
        self.logs = logs
        self.watch = watch
        self.limit = limit
        self.stopped = False
        self.reads = 0
        self._streams: dict[str, _Stream] = {}
        # The backlog's events, not to be sent again by a stream's first read.
        self._backlog_keys: set[tuple[str, int, str]] = set()
        self._opened = 0
        # The read bucket: reads it allows now, and when it was last filled.
        self._tokens = float(READ_BURST)
        self._filled = reactor.seconds()
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
        self._opened = int(self.reactor.seconds() * 1000)
        defer.ensureDeferred(self._start())
        return NOT_DONE_YET

    async def _start(self) -> None:
        try:
            await self._prime()
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

    async def _prime(self) -> None:
        # Where each stream ends now: reads go on from there. (What is stored
        # between this and the backlog is in both, and sent once.)
        for name, state in await self._changed_streams():
            output = await self._call("GetLogEvents", {"logStreamName": name, "startFromHead": False, "limit": 1})
            self._streams[name] = _Stream(state, output.get("nextForwardToken"))

    async def _changed_streams(self) -> list[tuple[str, tuple[Any, Any]]]:
        params = {"orderBy": "LastEventTime", "descending": True, "limit": STREAMS}
        described = await self._call("DescribeLogStreams", params)
        changed = []
        for stream in described.get("logStreams", []):
            name = stream["logStreamName"]
            state = (stream.get("lastEventTimestamp"), stream.get("lastIngestionTime"))
            known = self._streams.get(name)
            if known is None or known.seen != state:
                changed.append((name, state))
        return changed

    async def _backlog(self) -> None:
        params = {"startTime": _DESCENDING_SINCE_MS, "startFromHead": False, "limit": BACKLOG}
        output = await self._call("FilterLogEvents", params)
        events = sorted(output.get("events", []), key=lambda e: (e["timestamp"], e.get("eventId", "")))
        self._backlog_keys = {(e.get("logStreamName", ""), e["timestamp"], e["message"]) for e in events}
        self._send(events)

    async def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.reads += 1
        try:
            return await self.logs(operation, {"logGroupName": self.group, **params})
        except AwsCallError as e:
            if e.code == "ResourceNotFoundException":
                return {}  # no invocation wrote it yet
            raise

    def wake(self) -> None:
        """
        The group may have new events: read them (once more after the read
        in flight, if any; later when the read bucket is empty).
        """
        if self.stopped:
            return
        if self._reading is not None:
            self._again = True
            return
        wait = self._take_read()
        if wait > 0:
            self._reading = task.deferLater(self.reactor, wait, lambda: None)
            self._reading.addCallback(lambda _: defer.ensureDeferred(self._read()))
        else:
            self._reading = defer.ensureDeferred(self._read())
        self._reading.addBoth(self._read_done)

    def _take_read(self) -> float:
        """
        Take a read from the bucket: how long to wait for it (0: none). The
        bucket may owe one read (one read at most waits), which it refills
        first.
        """
        now = self.reactor.seconds()
        self._tokens = min(float(READ_BURST), self._tokens + (now - self._filled) / MIN_READ_INTERVAL) - 1
        self._filled = now
        return max(0.0, -self._tokens * MIN_READ_INTERVAL)

    def _read_done(self, result: Any) -> None:
        self._reading = None
        if isinstance(result, Failure):
            self._error(result.value)
        if self._again and not self.stopped:
            self._again = False
            self.wake()

    async def _read(self) -> None:
        if self.stopped:
            return
        events: list[dict[str, Any]] = []
        for name, state in await self._changed_streams():
            self._streams.setdefault(name, _Stream()).seen = state
            events += await self._read_stream(name)
        events.sort(key=lambda e: e["timestamp"])
        self._backlog_keys = set()  # what was stored before the first read is sent
        self._send(events)

    async def _read_stream(self, name: str) -> list[dict[str, Any]]:
        # The stream's events after the last read (GetLogEvents pages on
        # until its forward token stays where it is).
        known = self._streams[name]
        found: list[dict[str, Any]] = []
        while not self.stopped:
            params: dict[str, Any] = {"logStreamName": name, "startFromHead": True, "limit": _PAGE}
            if known.token is None:
                params["startTime"] = self._opened - LOOK_BACK_MS
            else:
                params["nextToken"] = known.token
            output = await self._call("GetLogEvents", params)
            page = output.get("events", [])
            found += [{**event, "logStreamName": name} for event in page]
            following = output.get("nextForwardToken")
            if not page or following is None or following == known.token:
                known.token = following or known.token
                break
            known.token = following
            if len(page) < _PAGE:
                break  # a short page is the last
        if self._backlog_keys:
            found = [e for e in found if (name, e["timestamp"], e["message"]) not in self._backlog_keys]
        return found

    def _send(self, events: list[dict[str, Any]]) -> None:
        if self.stopped or not events:
            return
        chunks = []
        for event in events:
            data = {
                "timestamp": int(event["timestamp"]),
                "stream": event.get("logStreamName", ""),
                "message": event.get("message", "").rstrip("\n"),
            }
            chunks.append(sse("log", data))
        self.request.write(b"".join(chunks))

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
