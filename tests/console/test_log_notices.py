"""
CloudWatch Logs' notices (ILogNotices): a watcher of a log group hears of its
new events once they are stored, never of another account's or group's.
"""

from __future__ import annotations

from twisted.internet import task
from zope.interface.verify import verifyObject

from ruststack.cloudwatchlogs.service import SHIP_DELAY, LogsService
from ruststack.cloudwatchlogs.store import LogStore
from ruststack.interfaces import ILogNotices


def test_notices_after_shipping() -> None:
    clock = task.Clock()
    service = LogsService(clock, LogStore())
    verifyObject(ILogNotices, service)
    heard: list[str] = []
    stop = service.watch("111111111111", "us-east-1", "/aws/lambda/f", lambda: heard.append("f"))
    service.watch("222222222222", "us-east-1", "/aws/lambda/f", lambda: heard.append("other account"))
    service.watch("111111111111", "us-east-1", "/aws/lambda/g", lambda: heard.append("g"))
    service.put("111111111111", "us-east-1", "/aws/lambda/f", "s", [(1, "a\n")])
    service.put("111111111111", "us-east-1", "/aws/lambda/f", "s", [(2, "b\n")])
    assert heard == []  # not yet stored
    clock.advance(SHIP_DELAY)
    assert heard == ["f"]  # once per shipment of the group
    stop()
    stop()
    service.put("111111111111", "us-east-1", "/aws/lambda/f", "s", [(3, "c\n")])
    clock.advance(SHIP_DELAY)
    assert heard == ["f"]
    assert ("111111111111", "us-east-1", "/aws/lambda/f") not in service._watchers


def test_a_failing_watcher_does_not_stop_shipping() -> None:
    clock = task.Clock()
    service = LogsService(clock, LogStore())
    heard: list[int] = []

    def broken() -> None:
        raise RuntimeError("boom")

    service.watch("1", "r", "g", broken)
    service.watch("1", "r", "g", lambda: heard.append(1))
    service.put("1", "r", "g", "s", [(1, "a\n")])
    clock.advance(SHIP_DELAY)
    assert heard == [1]
    assert service.store.groups_of("1", "r")["g"].streams["s"]


def test_watched() -> None:
    service = LogsService(task.Clock(), LogStore())
    assert not service.watched("1", "r", "g")
    stop = service.watch("1", "r", "g", lambda: None)
    assert service.watched("1", "r", "g")
    assert (
        not service.watched("2", "r", "g")
        and not service.watched("1", "r2", "g")
        and not service.watched("1", "r", "h")
    )
    stop()
    assert not service.watched("1", "r", "g")
