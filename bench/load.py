"""
Load from several client processes: each builds its own operation (its own
connection), all start together, run for a bounded time (and at most a
bounded number of operations), and report each operation's latency.
"""

from __future__ import annotations

import array
import multiprocessing
import queue as queue_module
import time
import traceback
from collections.abc import Callable

import attrs

# An operation: called with its sequence number, does one request (or one
# whole listing...), raises if the answer is wrong, returns bytes moved.
Operation = Callable[[int], int | None]
MAX_ERRORS_PER_CLIENT = 10

_fork = multiprocessing.get_context("fork")

# Called in this process once every client is set up, just before the load
# starts: L{bench.harness.measure} samples the server there, so that set-up
# (creating a function, importing boto3) is not charged to the operations.
start_hook: Callable[[], None] | None = None


@attrs.frozen
class LoadResult:
    operations: int
    errors: int
    first_error: str | None
    seconds: float
    latencies: list[float]  # seconds, sorted
    bytes: int
    client_cpu: float = 0.0  # seconds the client processes spent in the timed window

    @property
    def rate(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _worker(make_op, index, messages, go, start_at, duration, max_ops) -> None:
    try:
        op = make_op(index)
    except BaseException:
        messages.put(("failed", index, traceback.format_exc(limit=3)))
        return
    messages.put(("ready", index, None))
    go.wait()
    start = start_at.value
    while time.perf_counter() < start:
        pass
    deadline = start + duration
    cpu_start = time.process_time()
    latencies = array.array("d")
    moved = errors = 0
    first_error = None
    count = 0
    now = time.perf_counter()
    while now < deadline and count < max_ops:
        try:
            moved += op(count) or 0
        except Exception as e:
            errors += 1
            first_error = first_error or f"{type(e).__name__}: {e}"[:500]
            if errors >= MAX_ERRORS_PER_CLIENT:
                break
        else:
            latencies.append(time.perf_counter() - now)
        count += 1
        now = time.perf_counter()
    cpu = time.process_time() - cpu_start
    messages.put(("done", index, (latencies.tobytes(), errors, first_error, moved, now, cpu)))


def run_load(make_op: Callable[[int], Operation], clients: int, duration: float, max_ops: int = 10**9) -> LoadResult:
    """
    Run C{make_op(i)()} in C{clients} processes for C{duration} seconds
    (each process at most C{max_ops} operations).
    """
    messages = _fork.Queue()
    go = _fork.Event()
    start_at = _fork.Value("d", 0.0)
    processes = [
        _fork.Process(target=_worker, args=(make_op, i, messages, go, start_at, duration, max_ops), daemon=True)
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            kind, index, detail = messages.get(timeout=120)
            if kind == "failed":
                raise RuntimeError(f"client {index} could not set up: {detail}")
        if start_hook is not None:
            start_hook()
        start_at.value = time.perf_counter() + 0.02
        go.set()
        results = []
        for _ in processes:
            kind, index, detail = messages.get(timeout=duration + 600)
            results.append(detail)
    except queue_module.Empty:
        raise RuntimeError("a client process did not answer in time") from None
    finally:
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
    latencies: list[float] = []
    errors = moved = 0
    client_cpu = 0.0
    first_error = None
    end = start_at.value
    for raw, worker_errors, worker_error, worker_moved, worker_end, worker_cpu in results:
        client_cpu += worker_cpu
        chunk = array.array("d")
        chunk.frombytes(raw)
        latencies.extend(chunk)
        errors += worker_errors
        first_error = first_error or worker_error
        moved += worker_moved
        end = max(end, worker_end)
    latencies.sort()
    return LoadResult(
        operations=len(latencies),
        errors=errors,
        first_error=first_error,
        seconds=end - start_at.value,
        latencies=latencies,
        bytes=moved,
        client_cpu=client_cpu,
    )
