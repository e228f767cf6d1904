"""
The C{process} executor: each environment is a child process running
C{python -m awslambdaric <handler>} in the function's unpacked code, with the
code first on C{sys.path} as Lambda's C{/var/task} is.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from twisted.internet import defer, error, protocol
from twisted.python.failure import Failure

from ruststack.aws.errors import AwsError
from ruststack.awslambda import runtime_path
from ruststack.awslambda.environment import FunctionSnapshot, lambda_variables
from ruststack.awslambda.functions import PYTHON_RUNTIME

_OWN_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
# setpriv(1) makes the kernel kill the runtime if RustStack itself is
# SIGKILLed (PR_SET_PDEATHSIG), so no environment outlives it.
_SETPRIV = shutil.which("setpriv")
_ENV = shutil.which("env") or "/usr/bin/env"


def unavailable_runtime(runtime: str, detail: str) -> AwsError:
    # Invoke's InvalidRuntimeException (502) is Lambda's answer for a runtime it cannot run.
    return AwsError("InvalidRuntimeException", f"The runtime {runtime} is not available: {detail}", 502)


class _RuntimeProcess(protocol.ProcessProtocol):
    output_settle = 0.0

    def __init__(self, output: Callable[[bytes], None]) -> None:
        self.output = output
        self.exited: defer.Deferred = defer.Deferred()

    def outReceived(self, data: bytes) -> None:
        self.output(data)

    errReceived = outReceived

    def processEnded(self, reason: Failure) -> None:
        value = reason.value
        if isinstance(value, error.ProcessTerminated) and value.signal is not None:
            description = "signal: killed" if value.signal == 9 else f"signal: {value.signal}"
        else:
            description = f"exit status {getattr(value, 'exitCode', 0) or 0}"
        self.exited.callback(description)

    # RunningRuntime

    @property
    def _process(self) -> Any:
        # The process transport (twisted.internet.process.Process).
        return self.transport

    def kill(self) -> None:
        try:
            self._process.signalProcess("KILL")
        except error.ProcessExitedAlready:
            pass

    def flush_output(self) -> None:
        # The runtime writes its output before it posts the response, but the
        # reactor may see the socket before the pipe: read what is there so
        # the invocation's log is complete.
        for fd in (1, 2):
            reader = self._process.pipes.get(fd)
            if reader is not None:
                reader.doRead()

    def max_memory_mb(self) -> int | None:
        try:
            with open(f"/proc/{self._process.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError, TypeError):
            pass
        return None


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
        self.runtime_dir = runtime_path.link_runtime(tempfile.mkdtemp(prefix="ruststack-lambda-runtime-"))

    def runtime_api_host(self) -> str:
        return self.host

    def close(self) -> defer.Deferred:
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        return defer.succeed(None)

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
        # env(1) changes folder so that Twisted can use posix_spawn (a
        # spawnProcess with a path forks RustStack's whole process); -S
        # leaves out site-packages.
        command = [_ENV, "-C", function.code_dir, sys.executable, "-S", "-m", "awslambdaric", function.handler]
        if _SETPRIV:
            command = [_SETPRIV, "--pdeathsig", "KILL", "--", *command]
        runtime = _RuntimeProcess(output)
        self.reactor.spawnProcess(runtime, command[0], command, env=environment)
        return defer.succeed(runtime)
