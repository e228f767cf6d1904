"""
How an execution environment ships its lines to the log sink, without
processes or sockets (the stand-in runtime and executor of Lambda's own
environment tests, a Clock for time): when, in what order, with what
REPORT, and nothing at all without CloudWatch Logs.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from treq.testing import StubTreq
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from zope.interface import implementer

from ruststack.awslambda.environment import ExecutionEnvironment, Invocation
from ruststack.awslambda.runtime_api import RuntimeApiResource
from ruststack.console.lambda_logs import invocations_of
from ruststack.interfaces import ILogNotices
from tests.awslambda.test_environment import BASE, StandInExecutor, StandInRuntime, result_of, snapshot


@attrs.define
class RecordingSink:
    """
    An ILogSink that keeps what it is handed, unread (as CloudWatch Logs
    leaves it until a later turn of the reactor).
    """

    puts: list[tuple[str, str, str, str, Any]] = attrs.field(factory=list)

    def put(self, account, region, group, stream, events) -> None:
        self.puts.append((account, region, group, stream, events))

    def lines(self) -> list[tuple[int, str]]:
        return [event for put in self.puts for event in put[4]]


def started(reactor, sink, function=None) -> tuple[ExecutionEnvironment, StandInExecutor, Any]:
    executor = StandInExecutor()
    environment = ExecutionEnvironment(reactor, function or snapshot(), executor, sink)
    done = defer.ensureDeferred(environment.start())
    assert done.called
    return environment, executor, StubTreq(RuntimeApiResource(environment))


def invoke(environment, executor, treq, request_id: str, output: bytes = b"") -> Any:
    treq.get(f"{BASE}/invocation/next")
    result = environment.invoke(Invocation(request_id, b"{}"))
    treq.flush()
    if output:
        executor.runtimes[0].output(output)
    treq.post(f"{BASE}/invocation/{request_id}/response", data=b'"ok"')
    treq.flush()
    return result_of(result)


@pytest.fixture
def reactor():
    reactor = MemoryReactorClock()
    reactor.advance(1_000)
    return reactor


def test_an_invocation_ships_its_lines_once_it_ends(reactor):
    sink = RecordingSink()
    environment, executor, treq = started(reactor, sink)
    reactor.advance(0.5)
    invoke(environment, executor, treq, "req-1", b"hello\nno newline")
    ((account, region, group, stream, events),) = sink.puts
    assert (account, region, group, stream) == ("000000000000", "us-east-1", "/aws/lambda/f", environment.log_stream)
    shipped = list(events)
    assert [message for _, message in shipped] == [
        "INIT_START Runtime Version: python:3.11\n",
        "START RequestId: req-1 Version: $LATEST\n",
        "hello\n",
        "no newline\n",
        "END RequestId: req-1\n",
        "REPORT RequestId: req-1\tDuration: 0.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 42 MB\tInit Duration: 500.00 ms\t\n",
    ]
    times = [time for time, _ in shipped]
    assert times == sorted(times) and times[0] == 1_000_000 and times[-1] == 1_000_500


@attrs.define
class CountingRuntime(StandInRuntime):
    reads: int = 0

    def max_memory_mb(self) -> int | None:
        self.reads += 1
        return 42


@attrs.define
class CountingExecutor(StandInExecutor):
    def launch(self, function, runtime_api_address, log_stream, output):
        runtime = CountingRuntime(output)
        self.runtimes.append(runtime)
        return defer.succeed(runtime)


def test_the_report_reads_memory_only_when_the_sink_reads_it(reactor):
    sink = RecordingSink()
    executor = CountingExecutor()
    environment = ExecutionEnvironment(reactor, snapshot(), executor, sink)
    defer.ensureDeferred(environment.start())
    treq = StubTreq(RuntimeApiResource(environment))
    runtime = executor.runtimes[0]
    assert isinstance(runtime, CountingRuntime)
    outcome = invoke(environment, executor, treq, "req-1")
    # The answer is out, the memory not read yet (the tail was not asked for).
    assert "Max Memory Used" not in outcome.log.decode() and runtime.reads == 0
    list(sink.puts[0][4])
    assert runtime.reads == 1
    # A second invocation within the second reuses the reading; a later one reads again.
    invoke(environment, executor, treq, "req-2")
    assert "Max Memory Used: 42 MB" in list(sink.puts[1][4])[-1][1]
    assert runtime.reads == 1
    reactor.advance(1)
    invoke(environment, executor, treq, "req-3")
    list(sink.puts[2][4])
    assert runtime.reads == 2


def test_each_invocation_is_its_own_batch(reactor):
    sink = RecordingSink()
    environment, executor, treq = started(reactor, sink)
    invoke(environment, executor, treq, "req-1", b"one\n")
    invoke(environment, executor, treq, "req-2", b"two\n")
    second = [message for _, message in sink.puts[1][4]]
    assert second[0] == "START RequestId: req-2 Version: $LATEST\n"
    assert second[1] == "two\n" and second[2] == "END RequestId: req-2\n"
    assert "Init Duration" not in second[3]


def test_a_timeout_ships_lambdas_line(reactor):
    sink = RecordingSink()
    environment, executor, treq = started(reactor, sink, snapshot(timeout=2))
    treq.get(f"{BASE}/invocation/next")
    environment.invoke(Invocation("req-1", b"{}"))
    treq.flush()
    reactor.advance(2)
    messages = [message for _, message in sink.lines()]
    assert any(m.endswith(" req-1 Task timed out after 2.00 seconds\n") for m in messages)
    assert messages[-1].endswith("Status: timeout\t\n")


def test_output_after_the_last_invocation_ships_when_the_runtime_ends(reactor):
    sink = RecordingSink()
    environment, executor, treq = started(reactor, sink)
    invoke(environment, executor, treq, "req-1")
    executor.runtimes[0].output(b"a thread's last words")
    executor.runtimes[0].exited.callback("exit status 0")
    assert [message for _, message in sink.puts[-1][4]] == ["a thread's last words\n"]


@implementer(ILogNotices)
class WatchedSink(RecordingSink):
    """
    A sink whose every log group a live tail watches: lines go as they are read.
    """

    def watched(self, account, region, group) -> bool:
        return True

    def watch(self, account, region, group, heard):
        return lambda: None


@attrs.define
class LateRuntime(StandInRuntime):
    """
    A runtime whose last print is read from its FIFO a few milliseconds
    after its answer arrived (a busy reactor).
    """

    reactor: Any = None

    def flush_output(self) -> None:
        self.reactor.advance(0.003)
        self.output(b"printed just before answering\n")


@attrs.define
class LateExecutor(StandInExecutor):
    reactor: Any = None

    def launch(self, function, runtime_api_address, log_stream, output):
        runtime = LateRuntime(output, reactor=self.reactor)
        self.runtimes.append(runtime)
        return defer.succeed(runtime)


def test_a_watched_line_read_after_the_answer_still_comes_before_end(reactor):
    sink = WatchedSink()
    executor = LateExecutor(reactor=reactor)
    environment = ExecutionEnvironment(reactor, snapshot(), executor, sink)
    defer.ensureDeferred(environment.start())
    treq = StubTreq(RuntimeApiResource(environment))
    invoke(environment, executor, treq, "req-1")
    events = sink.lines()
    printed = next(t for t, m in events if m == "printed just before answering\n")
    end = next(t for t, m in events if m.startswith("END RequestId: req-1"))
    report = next(t for t, m in events if m.startswith("REPORT RequestId: req-1"))
    # The console and FilterLogEvents order a stream's events by time: the
    # print must not land after the invocation's REPORT.
    assert printed <= end <= report
    invocation = invocations_of({"logStreamName": "s", "timestamp": t, "message": m} for t, m in events)[0]
    assert "printed just before answering" in [message for _, message in invocation.lines]


def test_without_a_sink_nothing_is_kept_for_it(reactor):
    environment, executor, treq = started(reactor, None)
    outcome = invoke(environment, executor, treq, "req-1", b"hello\n")
    assert "hello" in outcome.log.decode()
    assert environment._lines == []


def test_a_chatty_invocation_ships_as_it_goes(reactor):
    sink = RecordingSink()
    environment, executor, treq = started(reactor, sink)
    treq.get(f"{BASE}/invocation/next")
    environment.invoke(Invocation("req-1", b"{}"))
    treq.flush()
    output = executor.runtimes[0].output
    for i in range(997):
        output(b"line %d\n" % i)
    assert sink.puts == []  # INIT_START, START and 997 lines wait
    output(b"line 997\n")
    # Shipped before the invocation ends, once 1,000 lines wait.
    assert len(sink.puts) == 1 and len(list(sink.puts[0][4])) == 1000
    # A line longer than an event may be (arriving as the FIFO is read, 8 KB
    # at a time) is cut into events of 256 KB.
    long_line = b"x" * (256 * 1024) + b"rest\n"
    for at in range(0, len(long_line), 8192):
        output(long_line[at : at + 8192])
    treq.post(f"{BASE}/invocation/req-1/response", data=b'"ok"')
    treq.flush()
    lines = [m for _, m in sink.lines()]
    assert lines[2:1000] == [f"line {i}\n" for i in range(998)]
    assert lines[1000:1004] == ["x" * (256 * 1024) + "\n", "rest\n", "END RequestId: req-1\n", lines[1003]]
    assert lines[1003].startswith("REPORT RequestId: req-1\t")
