"""
Every log group of every account and region, in memory, bounded per account,
and with C{--data-dir} written to one file a moment after each change.

Bounds: an account's events may hold up to C{max_bytes} (messages plus about
60 bytes each, L{ruststack.cloudwatchlogs.events.EVENT_OVERHEAD}); past it,
the oldest events of the account go first (by timestamp, across its
streams), as if their retention had passed. Retention itself drops events
when read and in a sweep (L{LogStore.sweep}).

The file holds a JSON head (groups, streams, their counters) and, per
stream, its event columns as raw bytes; it is written by a thread from a
copy the reactor takes (lists and arrays copied, messages shared: they are
immutable), and replaced atomically.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.cloudwatchlogs.events import EVENT_OVERHEAD, StreamEvents
from ruststack.state_file import replacing, state_path

_STATE_FILE = "logs.bin"
_MAGIC = b"RSLOGS2\n"
DAY_MS = 86_400_000
# PutRetentionPolicy's values (botocore logs model, Days).
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def group_not_found() -> AwsError:
    return AwsError("ResourceNotFoundException", "The specified log group does not exist.", 400)


def stream_not_found() -> AwsError:
    return AwsError("ResourceNotFoundException", "The specified log stream does not exist.", 400)


@attrs.define(eq=False)
class LogStream:
    name: str
    created: int
    events: StreamEvents = attrs.field(factory=StreamEvents)
    last_ingestion: int | None = None
    uploads: int = 0  # PutLogEvents calls: the sequence tokens it answers

    def first_time(self) -> int | None:
        return self.events.times[0] if len(self.events) else None

    def last_time(self) -> int | None:
        return self.events.times[-1] if len(self.events) else None


@attrs.define(eq=False)
class LogGroup:
    account: str
    region: str
    name: str
    created: int
    retention_days: int | None = None
    tags: dict[str, str] = attrs.field(factory=dict)
    kms_key_id: str | None = None
    log_group_class: str = "STANDARD"
    deletion_protection: bool = False
    streams: dict[str, LogStream] = attrs.field(factory=dict)
    next_seq: int = 1

    @property
    def arn(self) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.name}"

    def oldest_kept(self, now_ms: int) -> int:
        """
        The oldest timestamp its retention keeps (0 without retention).
        """
        return now_ms - self.retention_days * DAY_MS if self.retention_days else 0

    def stored_bytes(self) -> int:
        # The messages' bytes: what the columns hold, less their overhead.
        return sum(s.events.size - EVENT_OVERHEAD * len(s.events) for s in self.streams.values())

    def stream(self, name: str) -> LogStream:
        found = self.streams.get(name)
        if found is None:
            raise stream_not_found()
        return found

    def head(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created": self.created,
            "retention": self.retention_days,
            "tags": dict(self.tags),  # a copy: a thread writes it while the reactor may tag
            "kms": self.kms_key_id,
            "class": self.log_group_class,
            "protected": self.deletion_protection,
            "next_seq": self.next_seq,
        }


class LogStore:
    """
    Log groups by (account, region) and name.
    """

    def __init__(self, state_dir: str | None = None, max_bytes: int = 256 * 2**20) -> None:
        self.path = state_path(state_dir, _STATE_FILE)
        self.max_bytes = max_bytes
        self.groups: dict[tuple[str, str], dict[str, LogGroup]] = {}
        self.account_bytes: dict[str, int] = {}
        if self.path and os.path.exists(self.path):
            with open(self.path, "rb") as f:
                self._load(f.read())

    def reset(self) -> None:
        self.groups.clear()
        self.account_bytes.clear()

    # Finding.

    def groups_of(self, account: str, region: str) -> dict[str, LogGroup]:
        return self.groups.get((account, region), {})

    def group(self, account: str, region: str, name: str) -> LogGroup:
        found = self.groups_of(account, region).get(name)
        if found is None:
            raise group_not_found()
        return found

    def all_groups(self) -> Iterator[LogGroup]:
        for groups in self.groups.values():
            yield from groups.values()

    # Changing.

    def add_group(self, group: LogGroup) -> None:
        self.groups.setdefault((group.account, group.region), {})[group.name] = group

    def delete_group(self, group: LogGroup) -> None:
        for stream in group.streams.values():
            self._freed(group.account, stream.events.size)
        del self.groups[(group.account, group.region)][group.name]

    def delete_stream(self, group: LogGroup, stream: LogStream) -> None:
        self._freed(group.account, stream.events.size)
        del group.streams[stream.name]

    def ingest(self, group: LogGroup, stream: LogStream, events: list[tuple[int, bytes]], now_ms: int) -> None:
        """
        Store C{events} (timestamp, UTF-8 message) in C{stream}, numbered in
        ingestion order; then keep the account within its bound.
        """
        if not events:
            return
        seq = group.next_seq
        group.next_seq = seq + len(events)
        added = stream.events.add(((t, seq + i, m) for i, (t, m) in enumerate(events)), now_ms)
        stream.last_ingestion = now_ms
        total = self.account_bytes.get(group.account, 0) + added
        self.account_bytes[group.account] = total
        if total > self.max_bytes:
            self._evict(group.account)

    def _freed(self, account: str, size: int) -> None:
        self.account_bytes[account] = max(0, self.account_bytes.get(account, 0) - size)

    def _evict(self, account: str) -> None:
        """
        Drop the account's oldest events until it holds 90% of its bound
        (some room, so that a busy account does not evict at every batch).
        """
        goal = self.max_bytes * 9 // 10
        streams = [
            (group, stream)
            for (owner, _), groups in self.groups.items()
            if owner == account
            for group in groups.values()
            for stream in group.streams.values()
            if len(stream.events)
        ]
        while self.account_bytes.get(account, 0) > goal and streams:
            group, stream = min(streams, key=lambda pair: pair[1].events.times[0])
            events = stream.events
            # The oldest tenth of that stream at a time (at least one event).
            freed = events.drop_first(max(1, len(events) // 10))
            self._freed(account, freed)
            if not len(events):
                streams.remove((group, stream))

    def sweep(self, now_ms: int) -> int:
        """
        Drop the events every group's retention no longer keeps; the number
        of bytes freed.
        """
        freed = 0
        for group in self.all_groups():
            if not group.retention_days:
                continue
            oldest = group.oldest_kept(now_ms)
            for stream in group.streams.values():
                dropped = stream.events.drop_before(oldest)
                if dropped:
                    self._freed(group.account, dropped)
                    freed += dropped
        return freed

    # Persistence.

    def snapshot(self) -> list[tuple[dict[str, Any], list[tuple[dict[str, Any], StreamEvents]]]]:
        """
        A copy of the state that a thread can write while the reactor goes
        on changing the store.
        """
        copied = []
        for group in self.all_groups():
            streams = []
            for stream in group.streams.values():
                events = StreamEvents()
                source = stream.events
                events.times, events.seqs = source.times[:], source.seqs[:]
                events.ingested, events.messages = source.ingested[:], source.messages[:]
                head = {
                    "name": stream.name,
                    "created": stream.created,
                    "last_ingestion": stream.last_ingestion,
                    "uploads": stream.uploads,
                }
                streams.append((head, events))
            copied.append(({"account": group.account, "region": group.region, **group.head()}, streams))
        return copied

    def write(self, snapshot: list) -> None:
        """
        Write C{snapshot} (from L{snapshot}) to the state file (in a thread).
        """
        if self.path is None:
            return
        heads, parts = [], []
        for group_head, streams in snapshot:
            stream_heads = []
            for stream_head, events in streams:
                count, dumped = events.dump()
                stream_heads.append({**stream_head, "count": count})
                parts.append(dumped)
            heads.append({**group_head, "streams": stream_heads})
        head = json.dumps(heads).encode("utf-8")
        with replacing(self.path) as f:
            f.write(_MAGIC + struct.pack("<Q", len(head)) + head)
            for dumped in parts:
                for blob in dumped:
                    f.write(blob)

    def _load(self, data: bytes) -> None:
        if not data.startswith(_MAGIC):
            return
        (length,) = struct.unpack_from("<Q", data, len(_MAGIC))
        start = len(_MAGIC) + 8
        heads = json.loads(data[start : start + length])
        view = memoryview(data)[start + length :]
        offset = 0
        for head in heads:
            group = LogGroup(
                account=head["account"],
                region=head["region"],
                name=head["name"],
                created=head["created"],
                retention_days=head["retention"],
                tags=head["tags"],
                kms_key_id=head["kms"],
                log_group_class=head["class"],
                deletion_protection=head["protected"],
                next_seq=head["next_seq"],
            )
            for stream_head in head["streams"]:
                events, used = StreamEvents.load(stream_head["count"], view[offset:])
                offset += used
                group.streams[stream_head["name"]] = LogStream(
                    stream_head["name"],
                    stream_head["created"],
                    events,
                    stream_head["last_ingestion"],
                    stream_head["uploads"],
                )
                self.account_bytes[group.account] = self.account_bytes.get(group.account, 0) + events.size
            self.add_group(group)
