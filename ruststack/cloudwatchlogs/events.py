"""
The events of one log stream, kept in columns: timestamps, ingestion
sequence numbers and ingestion times in C{array('q')}s, messages as UTF-8
C{bytes} in a list. An event costs its message and about 60 bytes, not the
few hundred a dict or tuple of Python objects would.

Events are ordered by C{(timestamp, seq)}: C{seq} numbers events in the order
their log group ingested them, so two events never share a key and the order
is that of AWS's reads (timestamp, then ingestion).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

# What one event costs beyond its message: three 8-byte columns, a list slot
# and the header of its bytes object.
EVENT_OVERHEAD = 3 * 8 + 8 + 33

# Events per chunk of messages in the state file.
DUMP_CHUNK = 4096

# An ingested event: (timestamp ms, seq, message).
Event = tuple[int, int, bytes]


class StreamEvents:
    """
    One stream's events, sorted by C{(timestamp, seq)}.
    """

    __slots__ = ("times", "seqs", "ingested", "messages", "size")

    def __init__(self) -> None:
        self.times = array("q")
        self.seqs = array("q")
        self.ingested = array("q")
        self.messages: list[bytes] = []
        self.size = 0  # bytes held, overhead included

    def __len__(self) -> int:
        return len(self.times)

    def add(self, batch: Iterable[Event], ingested: int) -> int:
        """
        Store C{batch} (any order; every C{seq} greater than those already
        stored), ingested at C{ingested}; the bytes it adds.
        """
        events = sorted(batch)
        if not events:
            return 0
        added = sum(len(m) for _, _, m in events) + EVENT_OVERHEAD * len(events)
        self.size += added
        times = self.times
        if times and events[0][0] < times[-1]:
            # Older than what is stored: merge with the tail it falls into
            # (one pass over that tail, never an insertion per event).
            at = bisect_right(times, events[0][0])
            tail = list(zip(times[at:], self.seqs[at:], self.messages[at:], self.ingested[at:], strict=True))
            merged = sorted([*tail, *((t, s, m, ingested) for t, s, m in events)], key=lambda e: (e[0], e[1]))
            del self.times[at:], self.seqs[at:], self.messages[at:], self.ingested[at:]
            self.times.extend(e[0] for e in merged)
            self.seqs.extend(e[1] for e in merged)
            self.messages.extend(e[2] for e in merged)
            self.ingested.extend(e[3] for e in merged)
            return added
        times.extend(t for t, _, _ in events)
        self.seqs.extend(s for _, s, _ in events)
        self.messages.extend(m for _, _, m in events)
        self.ingested.extend(array("q", [ingested]) * len(events))
        return added

    def position(self, time: int, seq: int) -> int:
        """
        The index of the first event whose key is C{(time, seq)} or after.
        """
        lo = bisect_left(self.times, time)
        hi = bisect_right(self.times, time, lo)
        return bisect_left(self.seqs, seq, lo, hi)

    def after(self, time: int, seq: int) -> int:
        """
        The index of the first event whose key is after C{(time, seq)}.
        """
        lo = bisect_left(self.times, time)
        hi = bisect_right(self.times, time, lo)
        return bisect_right(self.seqs, seq, lo, hi)

    def first_at(self, time: int) -> int:
        """
        The index of the first event at C{time} or later.
        """
        return bisect_left(self.times, time)

    def drop_first(self, count: int) -> int:
        """
        Forget the C{count} oldest events; the bytes freed.
        """
        if count <= 0:
            return 0
        freed = sum(len(m) for m in self.messages[:count]) + EVENT_OVERHEAD * min(count, len(self.times))
        del self.times[:count], self.seqs[:count], self.ingested[:count], self.messages[:count]
        self.size -= freed
        return freed

    def drop_before(self, time: int) -> int:
        """
        Forget the events older than C{time}; the bytes freed.
        """
        return self.drop_first(bisect_left(self.times, time))

    def message(self, index: int) -> str:
        return self.messages[index].decode("utf-8", "replace")

    # Persistence: the columns as bytes, and back.

    def dump(self) -> tuple[int, Iterator[bytes]]:
        """
        The event count and the byte strings that hold the events: the
        three columns, then the messages by chunks of L{DUMP_CHUNK}, each
        its lengths and its bytes. Written by a thread: no one step holds
        the GIL long, however many events there are.
        """
        return len(self.times), self._dumped()

    def _dumped(self) -> Iterator[bytes]:
        yield self.times.tobytes()
        yield self.seqs.tobytes()
        yield self.ingested.tobytes()
        messages = self.messages
        for start in range(0, len(messages), DUMP_CHUNK):
            chunk = messages[start : start + DUMP_CHUNK]
            yield array("q", map(len, chunk)).tobytes()
            yield b"".join(chunk)

    @classmethod
    def load(cls, count: int, data: memoryview) -> tuple[StreamEvents, int]:
        """
        Events written by L{dump} at the start of C{data}; them and the bytes read.
        """
        events = cls()
        width = 8 * count
        for index, column in enumerate((events.times, events.seqs, events.ingested)):
            column.frombytes(data[index * width : (index + 1) * width])
        offset = 3 * width
        messages = events.messages
        held = 0
        for start in range(0, count, DUMP_CHUNK):
            lengths = array("q")
            size = min(DUMP_CHUNK, count - start)
            lengths.frombytes(data[offset : offset + 8 * size])
            offset += 8 * size
            for length in lengths:
                messages.append(bytes(data[offset : offset + length]))
                offset += length
                held += length
        events.size = held + EVENT_OVERHEAD * count
        return events, offset
