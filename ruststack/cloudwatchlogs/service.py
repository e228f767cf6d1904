"""
The CloudWatch Logs service of a stack: the control and data plane on the
service contract, the sink other services write to (L{ILogSink}), the
retention sweep, and the state file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from twisted.application import service
from twisted.internet import defer, task, threads
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ruststack.cloudwatchlogs.operations import HANDLERS, Call
from ruststack.cloudwatchlogs.store import LogGroup, LogStore, LogStream
from ruststack.interfaces import IAwsService, ILogNotices, ILogSink
from ruststack.protocol import Handler, Protocol
from ruststack.service_resource import ServiceResource, StoredService

log = Logger()

PROTOCOL = Protocol.for_service("logs")
# Operations that change the state (and so the state file).
_WRITES = frozenset(
    {
        "CreateLogGroup",
        "DeleteLogGroup",
        "PutLogGroupDeletionProtection",
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
        "TagResource",
        "UntagResource",
        "TagLogGroup",
        "UntagLogGroup",
        "CreateLogStream",
        "DeleteLogStream",
        "PutLogEvents",
    }
)
# Seconds: how long shipped events wait (so that storing them never delays
# the answer of the invocation that wrote them), between retention sweeps,
# and between a change and the state file's rewrite.
SHIP_DELAY = 0.05
SWEEP_INTERVAL = 60.0
SAVE_DELAY = 1.0


@implementer(IAwsService, ILogSink, ILogNotices)
class LogsService(StoredService, service.Service):
    name = "logs"  # type: ignore[assignment]  # Service declares None

    def __init__(self, reactor: Any, store: LogStore) -> None:
        self.reactor = reactor
        self.store = store
        handlers = {name: self._saving(h) if name in _WRITES else h for name, h in HANDLERS.items()}
        handlers["PutLogEvents"] = self._noticed(handlers["PutLogEvents"])
        self.resource = ServiceResource(PROTOCOL, handlers, self._context)
        self._shipments: list[tuple[str, str, str, str, Iterable[tuple[int, Any]]]] = []
        self._ship_call: Any = None
        self._save_call: Any = None
        self._saving_now: defer.Deferred | None = None
        self._dirty = False
        # (account, region, group) -> the notices of those who wait for its events.
        self._watchers: dict[tuple[str, str, str], set[Callable[[], None]]] = {}
        self._sweeper = task.LoopingCall(self.sweep)
        self._sweeper.clock = reactor

    def _context(self, request: Any) -> Call:
        caller = request.caller
        return Call(self.store, caller.account, caller.region, self.now())

    def now(self) -> int:
        return int(self.reactor.seconds() * 1000)

    def _saving(self, handler: Handler) -> Handler:
        async def changed(call: Call, params: dict[str, Any]) -> Any:
            output = await handler(call, params)  # type: ignore[misc]
            self.changed()
            return output

        return changed

    def _noticed(self, handler: Handler) -> Handler:
        # Events put through the API wake the group's watchers as shipped ones do.
        async def put(call: Call, params: dict[str, Any]) -> Any:
            output = await handler(call, params)  # type: ignore[misc]
            if self._watchers:
                self._notify({(call.account, call.region, params["logGroupName"])})
            return output

        return put

    # IAwsService

    def reset(self) -> None:
        self._shipments.clear()
        self.store.reset()
        self.changed()

    # ILogSink

    def put(self, account: str, region: str, group: str, stream: str, events: Iterable[tuple[int, Any]]) -> None:
        self._shipments.append((account, region, group, stream, events))
        if self._ship_call is None:
            self._ship_call = self.reactor.callLater(SHIP_DELAY, self.ship)

    def ship(self) -> None:
        """
        Store what was put since the last time.
        """
        self._ship_call = None
        shipments, self._shipments = self._shipments, []
        now = self.now()
        for account, region, group_name, stream_name, events in shipments:
            try:
                batch = [(int(time), str(message).encode("utf-8", "replace")) for time, message in events]
            except Exception:
                log.failure("Log events for {group} could not be read", group=group_name)
                continue
            group = self.store.groups_of(account, region).get(group_name)
            if group is None:
                group = LogGroup(account, region, group_name, now)
                self.store.add_group(group)
            stream = group.streams.get(stream_name)
            if stream is None:
                stream = group.streams[stream_name] = LogStream(stream_name, now)
            self.store.ingest(group, stream, batch, now)
        if shipments:
            self.changed()
            if self._watchers:
                self._notify({(account, region, name) for account, region, name, _, _ in shipments})

    # ILogNotices

    def watch(self, account: str, region: str, group: str, notice: Callable[[], None]) -> Callable[[], None]:
        key = (account, region, group)
        self._watchers.setdefault(key, set()).add(notice)

        def stop() -> None:
            notices = self._watchers.get(key)
            if notices is not None:
                notices.discard(notice)
                if not notices:
                    del self._watchers[key]

        return stop

    def watched(self, account: str, region: str, group: str) -> bool:
        return bool(self._watchers) and (account, region, group) in self._watchers

    def _notify(self, groups: set[tuple[str, str, str]]) -> None:
        for key in groups:
            for notice in list(self._watchers.get(key, ())):
                try:
                    notice()
                except Exception:
                    log.failure("A log watcher of {group} failed", group=key[2])

    # Retention and the state file.

    def sweep(self) -> None:
        if self.store.sweep(self.now()):
            self.changed()

    def changed(self) -> None:
        """
        The state changed: rewrite the state file soon (once for many changes).
        """
        if self.store.path is None:
            return
        self._dirty = True
        if self._save_call is None and self._saving_now is None:
            self._save_call = self.reactor.callLater(SAVE_DELAY, self._save)

    def _save(self) -> defer.Deferred:
        self._save_call = None
        self._dirty = False
        snapshot = self.store.snapshot()
        saving = self._saving_now = threads.deferToThreadPool(
            self.reactor, self.reactor.getThreadPool(), self.store.write, snapshot
        )

        def done(result: Any) -> None:
            self._saving_now = None
            if isinstance(result, Failure):
                log.failure("CloudWatch Logs could not write its state file", result)
            if self._dirty:
                self._dirty = False
                self.changed()

        saving.addBoth(done)
        return saving

    def startService(self) -> None:
        super().startService()
        self._sweeper.start(SWEEP_INTERVAL, now=False)

    async def _stop(self) -> None:
        if self._sweeper.running:
            self._sweeper.stop()
        if self._ship_call is not None:
            self._ship_call.cancel()
            self.ship()
        if self._save_call is not None:
            self._save_call.cancel()
            self._save_call = None
        if self._saving_now is not None:
            await self._saving_now
        if self.store.path is not None:
            await self._save()

    def stopService(self) -> defer.Deferred:
        super().stopService()
        return defer.ensureDeferred(self._stop())


def make_service(context: Any) -> LogsService:
    """
    The CloudWatch Logs service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    return LogsService(context.reactor, LogStore(context.state_dir("logs"), context.config.logs_max_mib * 2**20))
