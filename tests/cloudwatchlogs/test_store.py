"""
The store without the edge: columns kept in order whatever the upload
order, the per-account bound, the retention sweep and the sink on a fake
clock, and the state file.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.task import Clock

from ruststack.cloudwatchlogs.events import DUMP_CHUNK, EVENT_OVERHEAD, StreamEvents
from ruststack.cloudwatchlogs.service import SHIP_DELAY, SWEEP_INTERVAL, LogsService
from ruststack.cloudwatchlogs.store import DAY_MS, LogGroup, LogStore, LogStream
from ruststack.interfaces import ILogSink


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), max_size=20), max_size=6))
def test_events_stay_in_key_order(batches):
    events, seq, expected = StreamEvents(), 1, []
    for batch in batches:
        stored = [(t, seq + i, f"{t}/{seq + i}".encode()) for i, t in enumerate(batch)]
        seq += len(batch)
        events.add(stored, ingested=seq)
        expected += stored
    expected.sort()
    assert list(zip(events.times, events.seqs, events.messages, strict=True)) == expected
    assert events.size == sum(len(m) + EVENT_OVERHEAD for _, _, m in expected)
    for time, seq_, _ in expected:
        index = events.position(time, seq_)
        assert (events.times[index], events.seqs[index]) == (time, seq_)
        assert events.after(time, seq_) == index + 1


@pytest.mark.parametrize("count", [0, 3, DUMP_CHUNK, DUMP_CHUNK * 2 + 5])
def test_dump_and_load(count):
    events = StreamEvents()
    events.add([(i // 2, i + 1, f"m{i}é".encode() * (i % 3)) for i in range(count)], ingested=9)
    count, parts = events.dump()
    dumped = b"".join(parts)
    loaded, used = StreamEvents.load(count, memoryview(dumped + b"after"))
    assert used == len(dumped)
    assert (list(loaded.times), list(loaded.seqs), list(loaded.ingested), loaded.messages, loaded.size) == (
        list(events.times),
        list(events.seqs),
        list(events.ingested),
        events.messages,
        events.size,
    )


def _group(store: LogStore, account: str, name: str) -> tuple[LogGroup, LogStream]:
    group = LogGroup(account, "us-east-1", name, 0)
    store.add_group(group)
    stream = group.streams["s"] = LogStream("s", 0)
    return group, stream


def test_an_account_past_its_bound_loses_its_oldest_events_first():
    store = LogStore(max_bytes=100 * (100 + EVENT_OVERHEAD))
    old_group, old = _group(store, "111111111111", "old")
    new_group, new = _group(store, "111111111111", "new")
    other_group, other = _group(store, "222222222222", "other")
    message = b"x" * 100
    store.ingest(old_group, old, [(t, message) for t in range(0, 50)], now_ms=0)
    store.ingest(other_group, other, [(t, message) for t in range(0, 90)], now_ms=0)
    store.ingest(new_group, new, [(t, message) for t in range(100, 160)], now_ms=0)
    # 110 events of account 1: it falls to 90% of its bound, from its oldest.
    assert store.account_bytes["111111111111"] <= 90 * (100 + EVENT_OVERHEAD)
    assert len(new.events) == 60
    assert list(old.events.times) == list(range(50 - len(old.events), 50))
    # The other account is untouched.
    assert len(other.events) == 90


def test_sweep_drops_what_retention_no_longer_keeps():
    store = LogStore()
    group, stream = _group(store, "111111111111", "g")
    now = 100 * DAY_MS
    store.ingest(group, stream, [(now - 3 * DAY_MS, b"old"), (now - 1000, b"new")], now_ms=now)
    assert store.sweep(now) == 0  # no retention: kept forever
    group.retention_days = 1
    assert store.sweep(now) == 3 + EVENT_OVERHEAD
    assert stream.events.messages == [b"new"]
    assert store.account_bytes["111111111111"] == 3 + EVENT_OVERHEAD


def test_the_service_sweeps_on_its_clock():
    clock = Clock()
    clock.advance(100 * 86_400)
    service = LogsService(clock, LogStore())
    service.startService()
    group, stream = _group(service.store, "111111111111", "g")
    group.retention_days = 1
    service.store.ingest(group, stream, [(service.now() - 2 * DAY_MS, b"old"), (service.now(), b"new")], service.now())
    clock.advance(SWEEP_INTERVAL)
    assert stream.events.messages == [b"new"]
    service.stopService()


def test_the_sink_stores_later_and_creates_what_is_missing():
    clock = Clock()
    service = LogsService(clock, LogStore())
    sink = ILogSink(service)
    read = []

    def events():
        read.append(True)
        yield 1000, "computed late\n"

    sink.put("111111111111", "us-east-1", "/aws/lambda/f", "2026/01/01/[$LATEST]abc", events())
    # Nothing is read or stored before the reactor's next turns.
    assert read == [] and service.store.groups == {}
    clock.advance(SHIP_DELAY)
    group = service.store.group("111111111111", "us-east-1", "/aws/lambda/f")
    stream = group.streams["2026/01/01/[$LATEST]abc"]
    assert stream.events.messages == [b"computed late\n"]
    assert group.created == stream.created == int(SHIP_DELAY * 1000)


def test_a_sink_batch_that_fails_is_dropped_alone():
    clock = Clock()
    service = LogsService(clock, LogStore())

    def broken():
        yield 1, "fine"
        raise RuntimeError("a writer's bug")

    service.put("1", "r", "g", "s", broken())
    service.put("1", "r", "g", "s", [(2, "kept")])
    clock.advance(SHIP_DELAY)
    # The broken batch goes whole (its first event too); the next is stored.
    assert service.store.group("1", "r", "g").streams["s"].events.messages == [b"kept"]


def test_state_file_round_trip(tmp_path):
    store = LogStore(str(tmp_path))
    group, stream = _group(store, "111111111111", "g")
    group.retention_days, group.tags = 7, {"a": "b"}
    store.ingest(group, stream, [(1, b"one"), (2, "två".encode())], now_ms=5)
    stream.uploads = 3
    store.write(store.snapshot())
    again = LogStore(str(tmp_path))
    loaded = again.group("111111111111", "us-east-1", "g")
    assert (loaded.retention_days, loaded.tags, loaded.next_seq) == (7, {"a": "b"}, 3)
    events = loaded.streams["s"].events
    assert events.messages == [b"one", "två".encode()] and list(events.ingested) == [5, 5]
    assert loaded.streams["s"].uploads == 3
    assert again.account_bytes == store.account_bytes
