"""
The C{process} executor: each environment is a child process running
awslambdaric in the function's unpacked code, with the code first on
C{sys.path} as Lambda's C{/var/task} is.

Runtimes are forked by a fork server (L{ruststack.awslambda.forkserver}) that
has imported awslambdaric once: a cold start costs a fork, not an interpreter
start. Their output comes back through a FIFO per environment
(L{ruststack.awslambda.output}).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Callable
from typing import Any

from twisted.internet import defer, protocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from ruststack.aws.errors import AwsError
from ruststack.awslambda import runtime_path
from ruststack.awslambda.environment import FunctionSnapshot, lambda_variables
from ruststack.awslambda.functions import PYTHON_RUNTIME
from ruststack.awslambda.output import OutputFifo

log = Logger()

_OWN_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
# setpriv(1) makes the kernel kill the fork server if RustStack itself is
# SIGKILLed (PR_SET_PDEATHSIG); the server's runtimes die with the server.
_SETPRIV = shutil.which("setpriv")
# A script, never imported by RustStack (it changes sys.path as it starts).
_FORK_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forkserver.py")


def unavailable_runtime(runtime: str, detail: str) -> AwsError:
    # Invoke's InvalidRuntimeException (502) is Lambda's answer for a runtime it cannot run.
    return AwsError("InvalidRuntimeException", f"The runtime {runtime} is not available: {detail}", 502)


class _ForkedRuntime:
    """
    A runtime the fork server started (L{RunningRuntime}).
    """

    def __init__(self, pid: int, output: OutputFifo) -> None:
        self.pid = pid
        self.exited: defer.Deferred = defer.Deferred()
        self._output = output

    def ended(self, description: str) -> None:
        self._output.close()
        self.exited.callback(description)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def flush_output(self) -> None:
        self._output.flush()

    def max_memory_mb(self) -> int | None:
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError):
            pass
        return None


class _ForkServer(protocol.ProcessProtocol):
    """
    RustStack's side of the fork server: requests down its stdin, answers up
    its stdout.
    """

    def __init__(self, on_end: Callable[[], None]) -> None:
        self.on_end = on_end
        self.ended: defer.Deferred = defer.Deferred()
        self._buffer = b""
        self._spawning: dict[str, tuple[defer.Deferred, Callable[[int], _ForkedRuntime]]] = {}
        self._running: dict[int, _ForkedRuntime] = {}

    def spawn(self, request: dict, runtime: Callable[[int], _ForkedRuntime]) -> defer.Deferred:
        waiting: defer.Deferred = defer.Deferred()
        self._spawning[request["spawn"]] = (waiting, runtime)
        self.transport.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
        return waiting

    def outReceived(self, data: bytes) -> None:
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        for line in lines:
            message = json.loads(line)
            if "spawned" in message:
                waiting, make = self._spawning.pop(message["spawned"])
                if "error" in message:
                    waiting.errback(AwsError("ServiceException", f"Could not start a runtime: {message['error']}", 500))
                else:
                    runtime = self._running[message["pid"]] = make(message["pid"])
                    waiting.callback(runtime)
            elif "exited" in message:
                ended = self._running.pop(message["exited"], None)
                if ended is not None:
                    ended.ended(message["status"])

    def errReceived(self, data: bytes) -> None:
        log.warn("Lambda fork server: {text}", text=data.decode("utf-8", "replace").rstrip())

    def processEnded(self, reason: Failure) -> None:
        # Its runtimes die with it (PR_SET_PDEATHSIG).
        for waiting, _ in self._spawning.values():
            waiting.errback(AwsError("ServiceException", "The Lambda fork server ended", 500))
        self._spawning.clear()
        for runtime in self._running.values():
            runtime.ended("signal: killed")
        self._running.clear()
        self.on_end()
        self.ended.callback(None)


class ProcessExecutor:
    """
    Runs functions whose runtime is this interpreter's Python version with
    this interpreter (which has awslambdaric, boto3 and botocore installed),
    without its site-packages: C{sys.path} is the task root, then the
    runtime's packages (L{runtime_path}), then the standard library.
    """

    def __init__(self, reactor: Any, host: str, edge_url: Callable[[], str | None]) -> None:
        self.reactor = reactor
        self.host = host
        self.edge_url = edge_url
        self.folder = tempfile.mkdtemp(prefix="ruststack-lambda-runtime-")
        self.runtime_dir = runtime_path.link_runtime(os.path.join(self.folder, "runtime"))
        self._server: _ForkServer | None = None
        self.problem: str | None = None

    def runtime_api_host(self) -> str:
        return self.host

    def start(self) -> None:
        """
        Start the fork server ahead of the first invocation.
        """
        self._fork_server()

    def close(self) -> defer.Deferred:
        server, self._server = self._server, None
        if server is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return defer.succeed(None)
        # Closing its stdin ends the server (its runtimes are stopped by now).
        server.transport.closeStdin()  # type: ignore[union-attr]
        server.ended.addBoth(lambda _: shutil.rmtree(self.folder, ignore_errors=True))
        return server.ended

    def check_runtime(self, runtime: str) -> None:
        if not PYTHON_RUNTIME.match(runtime):
            raise unavailable_runtime(runtime, "the process executor runs Python functions only.")
        if runtime != _OWN_RUNTIME:
            raise unavailable_runtime(
                runtime,
                f"the process executor runs {_OWN_RUNTIME} (RustStack's own interpreter, {sys.executable});"
                f" run RustStack under {runtime} or use --lambda-executor docker with a {runtime} image.",
            )

    def launch(
        self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, output: Callable[[bytes], None]
    ) -> defer.Deferred:
        try:
            self.check_runtime(function.runtime)
        except AwsError:
            return defer.fail()
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        environment.update(lambda_variables(function, log_stream, self.edge_url(), function.code_dir, self.runtime_dir))
        environment["AWS_LAMBDA_RUNTIME_API"] = runtime_api_address
        output_fifo = OutputFifo(self.reactor, self.folder, output)
        request = {
            "spawn": uuid.uuid4().hex,
            "cwd": function.code_dir,
            "env": environment,
            "handler": function.handler,
            "output": output_fifo.path,
        }

        def failed(failure: Failure) -> Failure:
            output_fifo.close()
            return failure

        spawning = self._fork_server().spawn(request, lambda pid: _ForkedRuntime(pid, output_fifo))
        return spawning.addErrback(failed)

    def _fork_server(self) -> _ForkServer:
        if self._server is None:
            server = _ForkServer(on_end=lambda: self._forget(server))
            command = [sys.executable, "-S", _FORK_SERVER]
            if _SETPRIV:
                command = [_SETPRIV, "--pdeathsig", "KILL", "--", *command]
            self.reactor.spawnProcess(
                server,
                command[0],
                command,
                env={"PYTHONPATH": self.runtime_dir, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
            self._server = server
        return self._server

    def _forget(self, server: _ForkServer) -> None:
        if self._server is server:
            self._server = None
