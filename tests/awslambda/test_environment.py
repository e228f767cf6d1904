"""
An execution environment and its Runtime API without processes or sockets:
the Runtime API resource through treq's StubTreq, time through a Clock, and
a stand-in runtime whose end the test decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from treq.testing import StubTreq
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock

from ruststack.aws.errors import AwsError
from ruststack.aws.identity import Sessions
from ruststack.awslambda.environment import ExecutionEnvironment, FunctionSnapshot, Invocation
from ruststack.awslambda.pool import EnvironmentPool
from ruststack.awslambda.runtime_api import RuntimeApiResource
from tests.deferreds import result_of

BASE = "http://runtime/2018-06-01/runtime"


def snapshot(timeout: int = 3, revision: str = "r1", name: str = "f") -> FunctionSnapshot:
    return FunctionSnapshot(
        account="000000000000",
        region="us-east-1",
        name=name,
        arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
        runtime="python3.11",
        handler="app.handler",
        timeout=timeout,
        memory_size=128,
        environment={},
        code_dir="/nonexistent",
        revision_id=revision,
        log_group=f"/aws/lambda/{name}",
        credentials=Sessions().issue("000000000000", "arn", "id", expiration=3600, now=0),
    )


@attrs.define
class StandInRuntime:
    output: Callable[[bytes], None]
    exited: defer.Deferred = attrs.field(factory=defer.Deferred)
    killed: bool = False

    def kill(self) -> None:
        if not self.killed:
            self.killed = True
            self.exited.callback("signal: killed")

    def flush_output(self) -> None:
        pass

    def max_memory_mb(self) -> int | None:
        return 42


@attrs.define
class StandInExecutor:
    runtimes: list[StandInRuntime] = attrs.field(factory=list)
    problem: str | None = None

    def runtime_api_host(self) -> str:
        return "127.0.0.1"

    def check_runtime(self, runtime: str) -> None:
        pass

    def launch(self, function, runtime_api_address, log_stream, output):
        runtime = StandInRuntime(output)
        self.runtimes.append(runtime)
        return defer.succeed(runtime)

    def start(self) -> None:
        pass

    def close(self):
        return defer.succeed(None)


@pytest.fixture
def reactor():
    return MemoryReactorClock()


def started(reactor, function=None) -> tuple[ExecutionEnvironment, StandInExecutor, Any]:
    # Any: StubTreq makes its request methods (get, post, content) at run time.
    executor = StandInExecutor()
    environment = ExecutionEnvironment(reactor, function or snapshot(), executor)
    done = defer.ensureDeferred(environment.start())
    assert done.called
    return environment, executor, StubTreq(RuntimeApiResource(environment))


def _has_result(d: defer.Deferred) -> bool:
    box: list = []

    def keep(result):
        box.append(result)
        return result

    d.addBoth(keep)
    return bool(box)


def test_next_waits_for_an_invocation_and_carries_lambda_headers(reactor):
    environment, _, treq = started(reactor)
    reactor.advance(1000)
    polled = treq.get(f"{BASE}/invocation/next")
    treq.flush()
    assert not _has_result(polled)
    result = environment.invoke(Invocation("req-1", b'{"a": 1}', client_context='{"c": 1}', tail=True))
    treq.flush()
    response = result_of(polled)
    headers = response.headers
    assert response.code == 200
    # awslambdaric's native client crashes without it.
    assert headers.getRawHeaders("content-type") == ["application/json"]
    assert headers.getRawHeaders("lambda-runtime-aws-request-id") == ["req-1"]
    assert headers.getRawHeaders("lambda-runtime-deadline-ms") == [str((1000 + 3) * 1000)]
    assert headers.getRawHeaders("lambda-runtime-invoked-function-arn") == [environment.function.arn]
    assert headers.getRawHeaders("lambda-runtime-client-context") == ['{"c": 1}']
    assert result_of(treq.content(response)) == b'{"a": 1}'
    answered = treq.post(f"{BASE}/invocation/req-1/response", data=b'"done"')
    treq.flush()
    assert result_of(answered).code == 202
    outcome = result_of(result)
    assert outcome.payload == b'"done"' and outcome.function_error is None and not outcome.fatal
    log = outcome.log.decode()
    assert "START RequestId: req-1 Version: $LATEST\n" in log
    assert "END RequestId: req-1\n" in log
    assert (
        "REPORT RequestId: req-1\tDuration: 0.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 42 MB\tInit Duration: " in log
    )


def test_a_response_for_another_request_is_refused(reactor):
    environment, _, treq = started(reactor)
    treq.get(f"{BASE}/invocation/next")
    environment.invoke(Invocation("req-1", b"{}"))
    answered = treq.post(f"{BASE}/invocation/other/response", data=b"{}")
    treq.flush()
    response = result_of(answered)
    assert response.code == 400
    assert json.loads(result_of(treq.content(response)))["errorType"] == "InvalidRequestID"
    assert environment.current is not None


def test_function_error_is_unhandled_with_the_runtime_body(reactor):
    environment, _, treq = started(reactor)
    treq.get(f"{BASE}/invocation/next")
    result = environment.invoke(Invocation("req-1", b"{}"))
    error = b'{"errorMessage": "boom", "errorType": "ValueError", "requestId": "req-1", "stackTrace": []}'
    treq.post(
        f"{BASE}/invocation/req-1/error", data=error, headers={"Lambda-Runtime-Function-Error-Type": "ValueError"}
    )
    treq.flush()
    outcome = result_of(result)
    assert outcome.payload == error and outcome.function_error == "Unhandled" and not outcome.fatal


def test_timeout_kills_the_runtime(reactor):
    environment, executor, treq = started(reactor, snapshot(timeout=2))
    treq.get(f"{BASE}/invocation/next")
    result = environment.invoke(Invocation("req-1", b"{}"))
    treq.flush()
    reactor.advance(1.99)
    assert not result.called
    reactor.advance(0.01)
    outcome = result_of(result)
    assert json.loads(outcome.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: req-1 Error: Task timed out after 2.00 seconds",
    }
    assert outcome.fatal and executor.runtimes[0].killed and environment.dead
    assert "Task timed out after 2.00 seconds" in outcome.log.decode()
    assert "Status: timeout" in outcome.log.decode()


def test_init_error_answers_the_waiting_invocation(reactor):
    environment, _, treq = started(reactor)
    result = environment.invoke(Invocation("req-1", b"{}"))
    error = json.dumps(
        {
            "errorMessage": "Unable to import module 'app': x",
            "errorType": "Runtime.ImportModuleError",
            "requestId": "",
            "stackTrace": [],
        }
    ).encode()
    treq.post(
        f"{BASE}/init/error", data=error, headers={"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"}
    )
    treq.flush()
    outcome = result_of(result)
    assert outcome.payload == error and outcome.function_error == "Unhandled" and outcome.fatal


def test_exit_during_an_invocation_is_runtime_exit_error(reactor):
    environment, executor, treq = started(reactor)
    treq.get(f"{BASE}/invocation/next")
    result = environment.invoke(Invocation("req-1", b"{}"))
    treq.flush()
    executor.runtimes[0].output(b"last words\n")
    executor.runtimes[0].exited.callback("exit status 3")
    outcome = result_of(result)
    assert json.loads(outcome.payload)["errorType"] == "Runtime.ExitError"
    assert (
        json.loads(outcome.payload)["errorMessage"]
        == "RequestId: req-1 Error: Runtime exited with error: exit status 3"
    )
    assert b"last words\n" in outcome.log


def test_init_that_never_polls_times_out(reactor):
    environment, executor, _ = started(reactor)
    result = environment.invoke(Invocation("req-1", b"{}"))
    reactor.advance(10)
    outcome = result_of(result)
    assert json.loads(outcome.payload)["errorType"] == "Sandbox.Timedout" and executor.runtimes[0].killed


def _answering_pool(reactor, limit=2, idle=60.0, revisions=None):
    revisions = revisions if revisions is not None else {}
    executor = StandInExecutor()
    pool = EnvironmentPool(reactor, executor, limit, idle, lambda arn: revisions.get(arn, "r1"))
    return pool, executor


def _invoke(pool, function, request_id: str):
    d = defer.ensureDeferred(pool.invoke(function, None, Invocation(request_id, b"{}")))
    environment = next(e for e in pool.environments if e.current is not None and e.current.request_id == request_id)
    return d, environment


def _answer(environment: ExecutionEnvironment) -> None:
    current = environment.current
    assert current is not None
    request_id = current.request_id
    current.delivered_at = environment.reactor.seconds()
    environment.runtime_responded(request_id, b"null")


def test_pool_reuses_idle_environments_and_stops_them_after_the_idle_timeout(reactor):
    pool, executor = _answering_pool(reactor, idle=30.0)
    function = snapshot()
    d, first = _invoke(pool, function, "a")
    _answer(first)
    assert result_of(d).payload == b"null"
    d, second = _invoke(pool, function, "b")
    assert second is first
    _answer(second)
    reactor.advance(29)
    assert not first.dead
    reactor.advance(1)
    assert first.dead and executor.runtimes[0].killed and pool.environments == set()


def test_pool_limit_throttles_and_evicts_idle_environments(reactor):
    pool, executor = _answering_pool(reactor, limit=2)
    d1, e1 = _invoke(pool, snapshot(name="one"), "a")
    d2, e2 = _invoke(pool, snapshot(name="two"), "b")
    throttled = defer.ensureDeferred(pool.invoke(snapshot(name="three"), None, Invocation("c", b"{}")))
    failure = result_of(throttled)
    assert isinstance(failure.value, AwsError) and failure.value.code == "TooManyRequestsException"
    assert failure.value.fields == {"Reason": "ConcurrentInvocationLimitExceeded"}
    _answer(e1)
    d3, e3 = _invoke(pool, snapshot(name="three"), "c")
    assert e1.dead and e3 is not e1


def test_pool_reserved_concurrency(reactor):
    pool, _ = _answering_pool(reactor, limit=10)
    _invoke(pool, snapshot(), "a")
    failure = result_of(defer.ensureDeferred(pool.invoke(snapshot(), 1, Invocation("b", b"{}"))))
    assert failure.value.fields == {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}


def test_pool_does_not_reuse_an_environment_of_an_old_revision(reactor):
    revisions: dict[str, str] = {}
    pool, _ = _answering_pool(reactor, revisions=revisions)
    d, old = _invoke(pool, snapshot(revision="r1"), "a")
    revisions[old.function.arn] = "r2"
    _answer(old)
    assert old.dead
    d, new = _invoke(pool, snapshot(revision="r2"), "b")
    assert new is not old


def test_pool_stop_ends_every_environment(reactor):
    pool, executor = _answering_pool(reactor)
    _invoke(pool, snapshot(name="busy"), "a")
    d, idle = _invoke(pool, snapshot(name="idle"), "b")
    _answer(idle)
    stopped = pool.stop()
    assert stopped.called
    assert all(runtime.killed for runtime in executor.runtimes)
