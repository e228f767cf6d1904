"""
One execution environment: a runtime (child process or container) running
awslambdaric against its own Runtime API listener, handed one invocation at a
time, and the Lambda log lines around each invocation.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import attrs
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import server

from ruststack.aws.identity import Session
from ruststack.awslambda import runtime_api
from ruststack.awslambda.functions import LambdaFunction
from ruststack.interfaces import ILogNotices

log = Logger()

# Lambda's init phase is limited to 10 s (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
INIT_TIMEOUT = 10.0
# Output kept per invocation for LogType Tail (which returns the last 4 KB).
_LOG_KEEP = 64 * 1024
TAIL_BYTES = 4096
# Seconds between two reads of an environment's peak memory for the REPORT
# lines shipped to CloudWatch Logs.
_MEMORY_READ_INTERVAL = 1.0
# Lines an environment keeps for CloudWatch Logs before shipping them
# without waiting for the invocation's end, and the longest event (AWS's
# 256 KB): a longer line is shipped in pieces.
_SHIP_LINES = 1000
_MAX_EVENT_BYTES = 256 * 1024


@attrs.frozen
class FunctionSnapshot:
    """
    What an environment runs: a function's configuration at one revision.
    """

    account: str
    region: str
    name: str
    arn: str
    runtime: str
    handler: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    code_dir: str
    revision_id: str
    log_group: str
    credentials: Session
    ephemeral_storage: int = 512
    version: str = "$LATEST"
    # The host folder of its layers merged, mounted read-only as /opt (None: no layers).
    opt_dir: str | None = None

    @classmethod
    def of(
        cls, function: LambdaFunction, code_dir: str, credentials: Session, opt_dir: str | None = None
    ) -> FunctionSnapshot:
        return cls(
            account=function.account,
            region=function.region,
            name=function.name,
            arn=function.arn,
            runtime=function.runtime,
            handler=function.handler,
            timeout=function.timeout,
            memory_size=function.memory_size,
            environment=dict(function.environment),
            code_dir=code_dir,
            revision_id=function.revision_id,
            log_group=function.log_group,
            credentials=credentials,
            ephemeral_storage=function.ephemeral_storage,
            version=function.version,
            opt_dir=opt_dir,
        )


def lambda_variables(
    function: FunctionSnapshot,
    log_stream: str,
    edge_url: str | None,
    task_root: str,
    runtime_dir: str,
    opt: str | None = None,
) -> dict[str, str]:
    """
    The environment Lambda gives a function
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
    with C{AWS_ENDPOINT_URL} pointing back at RustStack; the function's own
    variables win over everything but the reserved keys (which Lambda
    refuses at configuration time). C{opt}: where the function sees its
    layers (C{/opt}), when it has any: their Python folders come after the
    task root, as Lambda's Python runtimes put them.
    """
    variables = {
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": function.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        # The execution role's temporary credentials (ruststack.awslambda.service.RoleCredentials).
        "AWS_ACCESS_KEY_ID": function.credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": function.credentials.secret_key,
        "AWS_SESSION_TOKEN": function.credentials.token,
        "_HANDLER": function.handler,
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        # The task root first: a boto3 bundled in the zip wins.
        "PYTHONPATH": f"{task_root}:{runtime_dir}",
    }
    if opt is not None:
        python = f"{opt}/python/lib/{function.runtime}/site-packages:{opt}/python"
        variables["PYTHONPATH"] = f"{task_root}:{python}:{runtime_dir}"
    if edge_url:
        variables["AWS_ENDPOINT_URL"] = edge_url
    variables.update(function.environment)
    return variables


class RunningRuntime(Protocol):
    """
    A started runtime, as an executor hands it back.

    @ivar exited: fires with how it ended (C{"exit status 1"},
        C{"signal: killed"}) once it is gone.
    """

    exited: defer.Deferred

    def kill(self) -> None: ...

    def flush_output(self) -> None: ...

    def max_memory_mb(self) -> int | None: ...


class Executor(Protocol):
    problem: str | None

    def check_runtime(self, runtime: str) -> None:
        """
        Raise an L{AwsError} if functions of C{runtime} cannot run here.
        """

    def launch(
        self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, output: Callable[[bytes], None]
    ) -> defer.Deferred:
        """
        Start a runtime for C{function}; a Deferred firing with its
        L{RunningRuntime}.
        """

    def runtime_api_host(self) -> str:
        """
        The address an environment's Runtime API listens on.
        """

    def start(self) -> None:
        """
        Prepare what cold starts need (with RustStack).
        """

    def close(self) -> defer.Deferred:
        """
        Release what the executor holds, once every environment has stopped.
        """


@attrs.frozen
class Outcome:
    """
    How one invocation ended.

    @ivar function_error: C{"Unhandled"} when the payload is an error.
    @ivar fatal: the environment cannot be reused (timeout, crash, init error).
    """

    payload: bytes
    function_error: str | None
    log: bytes
    fatal: bool = False


@attrs.define(eq=False)
class Invocation:
    request_id: str
    payload: bytes
    client_context: str | None = None
    tail: bool = False
    result: defer.Deferred = attrs.field(factory=defer.Deferred)
    delivered_at: float | None = None
    # The ARN the caller named (an alias's), which the function is told.
    invoked_arn: str | None = None
    # The largest answer the runtime may post (more when the caller streams).
    max_response: int = runtime_api.MAX_RESPONSE


def error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


class ExecutionEnvironment:
    """
    A runtime, its Runtime API listener, and the invocation it is working on.
    """

    def __init__(self, reactor: Any, function: FunctionSnapshot, executor: Executor, logs: Any = None) -> None:
        self.reactor = reactor
        self.function = function
        self.executor = executor
        # CloudWatch Logs' ILogSink, when it runs: the environment's lines go
        # to its function's log group, in a stream of its own.
        self.logs = logs
        # Whether a live tail watches the log group, if the sink can tell.
        self._notices = ILogNotices(logs, None)
        self.id = uuid.uuid4().hex
        self.log_stream = f"{_date(reactor.seconds())}/[{function.version}]{self.id}"
        self.started_at = reactor.seconds()
        self.initialised_at: float | None = None
        self.dead = False
        self.current: Invocation | None = None
        self._port: Any = None
        self._runtime: RunningRuntime | None = None
        self._polling: server.Request | None = None
        version = function.runtime.replace("python", "python:")
        init_start = f"INIT_START Runtime Version: {version}\n"
        self._log = bytearray(init_start.encode())
        # Lines for the log sink, each (timestamp ms, line with its newline).
        self._lines: list[tuple[int, Any]] = [(self._now_ms(), init_start)] if logs is not None else []
        # The time of the newest line shipped before its invocation ended (to a live tail).
        self._shipped_at = 0
        self._memory: tuple[float, int | None] | None = None  # (read at, peak MB) for REPORT lines
        self._init_reported = False
        self._partial_line = b""
        # The invocation the runtime's output is about, for RustStack's log:
        # the last one delivered (its output is read as it ends, or after).
        self._output_request_id: str | None = None
        self._timer = None
        self._init_error: bytes | None = None
        self._stopped: defer.Deferred = defer.Deferred()
        self._launched: defer.Deferred = defer.Deferred()

    async def start(self) -> None:
        host = self.executor.runtime_api_host()
        self._port = await runtime_api.listen(self.reactor, host, self)
        address = runtime_api.address(self._port, host)
        try:
            self._runtime = await self.executor.launch(self.function, address, self.log_stream, self._output)
        except BaseException:
            port, self._port = self._port, None
            if port is not None:
                await port.stopListening()
            self.dead = True
            if not self._stopped.called:
                self._stopped.callback(None)
            self._launched.callback(None)
            raise
        self._launched.callback(None)
        self._runtime.exited.addBoth(self._exited)
        if self.dead:
            # Stopped (reset, shutdown) while the runtime was starting.
            self._runtime.kill()

    def invoke(self, invocation: Invocation) -> defer.Deferred:
        """
        Hand C{invocation} to the runtime (now if it is polling, else when it
        polls); a Deferred firing with its L{Outcome}.
        """
        assert self.current is None
        if self.dead:
            # Stopped (reset, shutdown) before it could run anything.
            message = f"RequestId: {invocation.request_id} Error: Runtime exited with error: signal: killed"
            return defer.succeed(Outcome(error_payload("Runtime.ExitError", message), "Unhandled", b"", fatal=True))
        self.current = invocation
        if self.initialised_at is None:
            self._timer = self.reactor.callLater(INIT_TIMEOUT, self._init_timed_out)
        elif self._polling is not None:
            self._deliver()
        return abandonable(invocation.result)

    # The Runtime API's side.

    def admits(self, client: tuple[str, int], server: tuple[str, int]) -> bool | defer.Deferred:
        """
        Whether the connection from C{client} to this environment's Runtime
        API (at C{server}) is its runtime's: a Deferred when the runtime is
        still being started. Runtimes that cannot tell (containers, whose
        listener only their network reaches) are trusted.
        """
        runtime = self._runtime
        if runtime is None:
            if self.dead:
                return False
            return when_fired(self._launched).addCallback(lambda _: self.admits(client, server))
        owns = getattr(runtime, "owns_connection", None)
        return owns is None or bool(owns(client, server))

    def runtime_polls(self, request: server.Request) -> None:
        if self.initialised_at is None:
            self.initialised_at = self.reactor.seconds()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._polling = request
        request.notifyFinish().addBoth(self._poll_ended, request)
        if self.current is not None and self.current.delivered_at is None:
            self._deliver()

    def is_current(self, request_id: str) -> bool:
        return (
            self.current is not None and self.current.request_id == request_id and self.current.delivered_at is not None
        )

    def runtime_responded(self, request_id: str, body: bytes) -> None:
        self._finish(body, None)

    def runtime_responded_too_much(self, request_id: str, size: int) -> None:
        # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
        message = (
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({self.max_response()} bytes)."
        )
        # awslambdaric exits once its answer is refused: this environment serves no one else.
        self._finish(error_payload("Function.ResponseSizeTooLarge", message), "Unhandled", fatal=True)

    def max_response(self) -> int:
        return self.current.max_response if self.current is not None else runtime_api.MAX_RESPONSE

    def runtime_failed(self, request_id: str, body: bytes) -> None:
        # The body has the errorType (Lambda-Runtime-Function-Error-Type repeats it).
        self._finish(body, "Unhandled")

    def runtime_init_failed(self, body: bytes) -> None:
        # awslambdaric exits right after; the invocation that waited for
        # init gets the error the runtime reported, as Lambda answers it.
        self._init_error = body
        if self.current is not None:
            self._finish(body, "Unhandled", fatal=True)

    # Life cycle.

    def stop(self) -> defer.Deferred:
        """
        End the runtime and the listener; fires once both are gone.
        """
        if not self.dead:
            self.dead = True
            if self._timer is not None and self._timer.active():
                self._timer.cancel()
            if self._runtime is not None:
                self._runtime.kill()
            if self._port is not None:
                self._port.stopListening()
                self._port = None
        return when_fired(self._stopped)

    def ended(self) -> defer.Deferred:
        """
        Fires once the runtime is gone (stopped, crashed or timed out).
        """
        return when_fired(self._stopped)

    def _deliver(self) -> None:
        invocation = self.current
        request = self._polling
        assert invocation is not None and request is not None
        self._polling = None
        now = self.reactor.seconds()
        invocation.delivered_at = now
        self._output_request_id = invocation.request_id
        deadline_ms = int((now + self.function.timeout) * 1000)
        start = f"START RequestId: {invocation.request_id} Version: {self.function.version}\n"
        self._log += start.encode()
        if self.logs is not None:
            self._lines.append((int(now * 1000), start))
        self._timer = self.reactor.callLater(self.function.timeout, self._timed_out)
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"lambda-runtime-aws-request-id", invocation.request_id.encode())
        request.setHeader(b"lambda-runtime-deadline-ms", str(deadline_ms).encode())
        invoked_arn = invocation.invoked_arn or self.function.arn
        request.setHeader(b"lambda-runtime-invoked-function-arn", invoked_arn.encode())
        request.setHeader(b"lambda-runtime-trace-id", _trace_id(now, invocation.request_id).encode())
        if invocation.client_context:
            request.setHeader(b"lambda-runtime-client-context", invocation.client_context.encode())
        request.write(invocation.payload)
        request.finish()

    def _finish(
        self, payload: bytes, function_error: str | None, fatal: bool = False, status: str = "", error_type: str = ""
    ) -> None:
        invocation = self.current
        if invocation is None:
            return
        self.current = None
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        finished_at = self.reactor.seconds()
        runtime = self._runtime
        memory = None
        if runtime is not None and not self.dead:
            runtime.flush_output()
            # Reading the peak memory costs a /proc read: only for a log someone asked for.
            memory = runtime.max_memory_mb() if invocation.tail else None
        if fatal:
            self.stop()
        if memory is None and error_type == "Runtime.OutOfMemory":
            memory = self.function.memory_size
        self._report(invocation, payload, function_error, fatal, status, finished_at, memory, error_type)

    def _report(
        self,
        invocation: Invocation,
        payload: bytes,
        function_error: str | None,
        fatal: bool,
        status: str,
        finished_at: float,
        memory: int | None,
        error_type: str = "",
    ) -> None:
        request_id = invocation.request_id
        duration = (finished_at - invocation.delivered_at) * 1000 if invocation.delivered_at else 0.0
        # REPORT is head, Max Memory Used when known, then tail.
        head = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(duration))} ms\tMemory Size: {self.function.memory_size} MB\t"
        )
        tail = ""
        if self.initialised_at is not None and not self._init_reported:
            self._init_reported = True
            tail += f"Init Duration: {(self.initialised_at - self.started_at) * 1000:.2f} ms\t"
        if status:
            tail += f"Status: {status}\t"
        if error_type:
            tail += f"Error Type: {error_type}\t"
        report = head + _memory_used(memory) + tail
        self._log += f"END RequestId: {request_id}\n{report}\n".encode()
        entry = bytes(self._log)
        self._log = bytearray()
        if self.logs is not None:
            self._ship_invocation(request_id, head, tail, memory, int(finished_at * 1000))
        invocation.result.callback(Outcome(payload, function_error, entry, fatal))

    def _ship_invocation(self, request_id: str, head: str, tail: str, memory: int | None, at: int) -> None:
        """
        Hand the invocation's lines to the log sink, ending with END and
        REPORT. The sink reads them on a later turn of the reactor, after
        the answer has gone: only then is the runtime's peak memory read
        for the REPORT line, if the invocation did not need it already.
        """
        self._flush_partial_line()
        lines, self._lines = self._lines, []
        runtime = self._runtime
        # The output read while the invocation ended is stamped a moment
        # after it, and may have gone to a live tail already: END and REPORT
        # come after it all the same.
        at = max(at, lines[-1][0] if lines else self._shipped_at)

        def events() -> Any:
            yield from lines
            yield at, f"END RequestId: {request_id}\n"
            used = memory if memory is not None or runtime is None else self._peak_memory(runtime)
            yield at, f"{head}{_memory_used(used)}{tail}\n"

        self._ship(events())

    def _peak_memory(self, runtime: RunningRuntime) -> int | None:
        """
        The runtime's peak memory for a REPORT line: read at most once a
        second (a sandbox's process tree costs several /proc reads), which
        a peak that only grows allows; a busy environment's REPORT lines may
        lag a growth by that second.
        """
        now = self.reactor.seconds()
        if self._memory is None or now - self._memory[0] >= _MEMORY_READ_INTERVAL:
            self._memory = (now, runtime.max_memory_mb())
        return self._memory[1]

    def _ship(self, events: Any) -> None:
        function = self.function
        self.logs.put(function.account, function.region, function.log_group, self.log_stream, events)

    def _flush_partial_line(self) -> None:
        # What the function printed without a newline is a line of its own
        # once the invocation ends.
        if self._partial_line:
            line, self._partial_line = self._partial_line, b""
            self._log_line(line.decode("utf-8", "replace"))
            self._lines.append((self._now_ms(), line.decode("utf-8", "replace") + "\n"))

    def _now_ms(self) -> int:
        return int(self.reactor.seconds() * 1000)

    def _timed_out(self) -> None:
        invocation = self.current
        if invocation is None:
            return
        self._timer = None
        seconds = f"{self.function.timeout:.2f}"
        stamp = _iso(self.reactor.seconds())
        timed_out = f"{stamp} {invocation.request_id} Task timed out after {seconds} seconds\n"
        self._log += timed_out.encode()
        if self.logs is not None:
            self._lines.append((self._now_ms(), timed_out))
        # Lambda's answer for a timeout (Sandbox.Timedout) on current runtimes.
        message = f"RequestId: {invocation.request_id} Error: Task timed out after {seconds} seconds"
        self._finish(error_payload("Sandbox.Timedout", message), "Unhandled", fatal=True, status="timeout")

    def _init_timed_out(self) -> None:
        self._timer = None
        invocation = self.current
        if invocation is None:
            return
        message = f"RequestId: {invocation.request_id} Error: Runtime init timed out after {INIT_TIMEOUT:.2f} seconds"
        self._finish(error_payload("Sandbox.Timedout", message), "Unhandled", fatal=True, status="timeout")

    def _exited(self, reason: Any) -> None:
        description = reason if isinstance(reason, str) else "exit status 1"
        was_dead = self.dead
        self.dead = True
        if self._port is not None:
            self._port.stopListening()
            self._port = None
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        invocation = self.current
        if invocation is not None:
            if self._init_error is not None:
                self._finish(self._init_error, "Unhandled", fatal=True)
            else:
                message = f"RequestId: {invocation.request_id} Error: Runtime exited with error: {description}"
                # Killed for passing MemorySize: Lambda's Runtime.OutOfMemory
                # (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html).
                error_type = "Runtime.OutOfMemory" if getattr(self._runtime, "out_of_memory", False) else ""
                self._finish(
                    error_payload(error_type or "Runtime.ExitError", message),
                    "Unhandled",
                    fatal=True,
                    status="error",
                    error_type=error_type,
                )
        elif not was_dead:
            log.info(
                "Lambda environment of {function} ended: {reason}", function=self.function.name, reason=description
            )
        if self.logs is not None:
            # What it printed after its last invocation (or while dying).
            self._flush_partial_line()
            if self._lines:
                lines, self._lines = self._lines, []
                self._ship(lines)
        self._stopped.callback(None)

    def _log_line(self, text: str) -> None:
        """
        A line of the function's output in RustStack's own log, prefixed by
        the function and the request id (none before the first invocation).
        """
        name = self.function.name
        request_id = self._output_request_id
        for line in log_lines(text):
            if request_id is None:
                log.info("{function}: {line}", function=name, line=line)
            else:
                log.info("{function} {request_id}: {line}", function=name, request_id=request_id, line=line)

    def _poll_ended(self, _: Any, request: server.Request) -> None:
        if self._polling is request:
            self._polling = None

    def _output(self, data: bytes) -> None:
        if len(self._log) < _LOG_KEEP:
            self._log += data
        else:
            self._log = self._log[-_LOG_KEEP // 2 :] + data
        # RustStack's own log gets the function's output a line at a time
        # (a print() arrives in several writes).
        *lines, self._partial_line = (self._partial_line + data).split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace")
            self._log_line(text)
            if self.logs is not None:
                self._lines.append((self._now_ms(), text + "\n"))
        if self.logs is not None:
            # A chatty invocation ships as it goes, so that what waits here
            # stays small; a line longer than an event may be is cut.
            while len(self._partial_line) >= _MAX_EVENT_BYTES:
                piece, self._partial_line = (
                    self._partial_line[:_MAX_EVENT_BYTES],
                    self._partial_line[_MAX_EVENT_BYTES:],
                )
                self._lines.append((self._now_ms(), piece.decode("utf-8", "replace") + "\n"))
            if len(self._lines) >= _SHIP_LINES or (self._lines and self._watched()):
                waiting, self._lines = self._lines, []
                self._shipped_at = waiting[-1][0]
                self._ship(waiting)

    def _watched(self) -> bool:
        # A live tail watches the function's log: its lines go now rather
        # than when the invocation ends.
        function = self.function
        return self._notices is not None and self._notices.watched(
            function.account, function.region, function.log_group
        )


def log_lines(text: str) -> list[str]:
    """
    One line of a runtime's output as lines for a terminal: awslambdaric
    writes an error's traceback as a single line (one CloudWatch Logs event,
    as in Lambda), its lines joined with CR and their indentation made of
    U+00A0, which a terminal shows as lines overwriting one another.
    """
    return [_NBSP_INDENT.sub(lambda m: " " * len(m.group()), part) for part in text.split("\r")]


_NBSP_INDENT = re.compile("^\u00a0+")


def _memory_used(megabytes: int | None) -> str:
    return f"Max Memory Used: {megabytes} MB\t" if megabytes is not None else ""


def log_tail(entry: bytes) -> bytes:
    """
    The last 4 KB of an invocation's log, as C{X-Amz-Log-Result} carries it.
    """
    return entry[-TAIL_BYTES:]


def abandonable(running: defer.Deferred) -> defer.Deferred:
    """
    A Deferred for C{running}'s result whose cancellation abandons the wait
    but not the work: an invocation runs to its end even when its caller
    goes away, as in Lambda.
    """
    result: defer.Deferred = defer.Deferred()

    def deliver(outcome: Any) -> None:
        if result.called:
            return
        if isinstance(outcome, Failure):
            result.errback(outcome)
        else:
            result.callback(outcome)

    running.addBoth(deliver)
    return result


def when_fired(d: defer.Deferred) -> defer.Deferred:
    """
    A Deferred that fires (with C{None}) when C{d} does, leaving C{d}'s
    result to its other callbacks.
    """
    waiting: defer.Deferred = defer.Deferred()

    def fire(result: object) -> object:
        waiting.callback(None)
        return result

    d.addBoth(fire)
    return waiting


def _date(when: float) -> str:
    return time.strftime("%Y/%m/%d", time.gmtime(when))


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + f".{int(when * 1000) % 1000:03d}Z"


def _trace_id(when: float, request_id: str) -> str:
    return f"Root=1-{int(when):08x}-{request_id.replace('-', '')[:24]};Sampled=0"
