"""
The C{process} executor: each environment is a child process running
awslambdaric in the function's unpacked code, with the code first on
C{sys.path} as Lambda's C{/var/task} is.

Environments run in a sandbox (L{ruststack.awslambda.sandbox}): their own
uid where RustStack is root, a read-only view of the system, their own
C{/tmp} and C{/proc}, memory capped at C{MemorySize}
(L{ruststack.awslambda.memory_cgroup}), the whole process tree killed with
the environment. A fork server (L{ruststack.awslambda.forkserver}) starts
them: it puts each in its cgroup before it executes the sandbox. Where no
sandbox can be built, the executor says why (the service's health then reads
C{unsandboxed}) and the fork server, which has imported awslambdaric once,
forks unconfined runtimes instead. Their output comes back through a FIFO
per environment (L{ruststack.awslambda.output}).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from twisted.internet import defer, protocol, task, utils
from twisted.logger import Logger
from twisted.python.failure import Failure

from ruststack.aws.errors import AwsError
from ruststack.awslambda import runtime_path, sandbox, socket_owner
from ruststack.awslambda.environment import FunctionSnapshot, lambda_variables, when_fired
from ruststack.awslambda.functions import PYTHON_RUNTIME
from ruststack.awslambda.memory_cgroup import CgroupUnavailable, EnvironmentCgroup, MemoryCgroups
from ruststack.awslambda.output import OutputFifo
from ruststack.interfaces import STARTING, ServiceStatus

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
    A runtime the fork server started (L{RunningRuntime}): the runtime
    itself, or the bwrap process whose sandbox runs it.

    @ivar out_of_memory: set once it has ended, if the kernel killed it for
        passing its memory limit.
    """

    def __init__(
        self,
        reactor: Any,
        pid: int,
        output: OutputFifo,
        cgroup: EnvironmentCgroup | None = None,
        on_end: Callable[[], None] = lambda: None,
    ) -> None:
        self.reactor = reactor
        self.pid = pid
        self.exited: defer.Deferred = defer.Deferred()
        self.out_of_memory = False
        self._output = output
        self._cgroup = cgroup
        self._on_end = on_end

    def ended(self, description: str) -> None:
        self._output.close()
        if self._cgroup is not None:
            self.out_of_memory = self._cgroup.out_of_memory()
            self._cgroup.kill()
            _remove_cgroup(self.reactor, self._cgroup)
        self._on_end()
        self.exited.callback(description)

    def kill(self) -> None:
        # A sandbox's processes all die with bwrap (--die-with-parent ends
        # its PID namespace); the cgroup is swept too.
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self._cgroup is not None:
            self._cgroup.kill()

    def flush_output(self) -> None:
        self._output.flush()

    def max_memory_mb(self) -> int | None:
        if self._cgroup is not None:
            return self._cgroup.peak_mb()
        peaks = [peak for pid in socket_owner.process_tree(self.pid) if (peak := _peak_mb(pid)) is not None]
        return max(peaks, default=None)

    def owns_connection(self, client: tuple[str, int], server: tuple[str, int]) -> bool:
        """
        Whether the connection from C{client} to the Runtime API at
        C{server} comes from this runtime (or a process it started).
        """
        return socket_owner.connection_from_tree(self.pid, client, server)


def _peak_mb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return max(1, int(line.split()[1]) // 1024)
    except (OSError, ValueError):
        pass
    return None


def _remove_cgroup(reactor: Any, cgroup: EnvironmentCgroup, tries: int = 50) -> None:
    # Its last processes may still be dying: try again shortly.
    try:
        if cgroup.remove() or tries == 0:
            return
    except OSError as e:
        log.warn("Could not remove {cgroup}: {error}", cgroup=cgroup.path, error=e)
        return
    reactor.callLater(0.1, _remove_cgroup, reactor, cgroup, tries - 1)


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

    @ivar unsandboxed: why environments run without a sandbox, or C{None}.
    @ivar memory_limit: how C{MemorySize} is enforced: C{"cgroup"},
        C{"rlimit"} (the data segment of each process), or C{None}.
    """

    def __init__(
        self,
        reactor: Any,
        host: str,
        edge_url: Callable[[], str | None],
        hidden: Iterable[str | None] = (),
        bwrap: str | None = None,
    ) -> None:
        self.reactor = reactor
        self.host = host
        self.edge_url = edge_url
        self.folder = tempfile.mkdtemp(prefix="ruststack-lambda-runtime-")
        self.runtime_dir = runtime_path.link_runtime(os.path.join(self.folder, "runtime"))
        self._server: _ForkServer | None = None
        self.problem: str | None = None
        self.unsandboxed: str | None = None
        self.memory_limit: str | None = None
        self._sandbox: sandbox.Sandbox | None = None
        self._cgroups: MemoryCgroups | None = None
        self._uids = sandbox.UidRange()
        try:
            self._sandbox = sandbox.find_sandbox(hidden, bwrap)
        except sandbox.SandboxUnavailable as e:
            self._unsandboxed(str(e))
        self._ready: defer.Deferred | None = None

    def runtime_api_host(self) -> str:
        return self.host

    def start(self) -> None:
        """
        Try the sandbox and start the fork server ahead of the first
        invocation.
        """
        self._fork_server()
        self._prepared()

    def close(self) -> defer.Deferred:
        server, self._server = self._server, None
        if server is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return defer.ensureDeferred(self._remove_cgroups())
        # Closing its stdin ends the server (its runtimes are stopped by now).
        server.transport.closeStdin()  # type: ignore[union-attr]
        server.ended.addBoth(lambda _: shutil.rmtree(self.folder, ignore_errors=True))
        return server.ended.addBoth(lambda _: defer.ensureDeferred(self._remove_cgroups()))

    async def _remove_cgroups(self) -> None:
        # The last sandboxes may take a moment to die: a second at most.
        cgroups, self._cgroups = self._cgroups, None
        if cgroups is None:
            return
        for _ in range(20):
            if cgroups.remove_all():
                return
            await task.deferLater(self.reactor, 0.05, lambda: None)
        log.warn("Could not remove the Lambda memory cgroups in {folder}", folder=cgroups.folder)

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
        ready = self._prepared()
        return ready.addCallback(lambda _: self._launch(function, runtime_api_address, log_stream, output))

    def _launch(
        self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, output: Callable[[bytes], None]
    ) -> defer.Deferred:
        if self._sandbox is None:
            return self._launch_unsandboxed(function, runtime_api_address, log_stream, output)
        chosen = self._sandbox
        uid = self._uids.take() if chosen.own_uids else None
        cgroup: EnvironmentCgroup | None = None
        try:
            if self._cgroups is not None:
                cgroup = self._cgroups.create(function.memory_size)
            output_fifo = OutputFifo(self.reactor, self.folder, output)
        except OSError as e:
            if uid is not None:
                self._uids.give_back(uid)
            return defer.fail(AwsError("ServiceException", f"Could not start a runtime: {e}", 500))
        layered = function.opt_dir is not None
        environment = {"PATH": f"{sandbox.PATH}:{sandbox.OPT_BIN}" if layered else sandbox.PATH}
        edge_url = self.edge_url()
        opt = sandbox.OPT if layered else None
        environment.update(
            lambda_variables(function, log_stream, edge_url, sandbox.TASK_ROOT, sandbox.RUNTIME_DIR, opt)
        )
        environment["AWS_LAMBDA_RUNTIME_API"] = runtime_api_address
        request = {
            "spawn": uuid.uuid4().hex,
            "argv": chosen.command(
                uid, function.code_dir, function.ephemeral_storage, function.handler, function.opt_dir
            ),
            "env": environment,
            "output": output_fifo.path,
            "cgroup": cgroup.procs if cgroup is not None else None,
            "data_limit": function.memory_size * 1024 * 1024 if cgroup is None else None,
        }

        def ended() -> None:
            if uid is not None:
                self._uids.give_back(uid)

        def failed(failure: Failure) -> Failure:
            output_fifo.close()
            if cgroup is not None:
                _remove_cgroup(self.reactor, cgroup)
            ended()
            return failure

        spawning = self._fork_server().spawn(
            request, lambda pid: _ForkedRuntime(self.reactor, pid, output_fifo, cgroup, ended)
        )
        return spawning.addErrback(failed)

    def _launch_unsandboxed(
        self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, output: Callable[[bytes], None]
    ) -> defer.Deferred:
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        # No mount namespace here: the layers are at their host folder, not /opt.
        if function.opt_dir is not None:
            environment["PATH"] += f":{function.opt_dir}/bin"
        environment.update(
            lambda_variables(
                function, log_stream, self.edge_url(), function.code_dir, self.runtime_dir, function.opt_dir
            )
        )
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

        spawning = self._fork_server().spawn(request, lambda pid: _ForkedRuntime(self.reactor, pid, output_fifo))
        return spawning.addErrback(failed)

    def _prepared(self) -> defer.Deferred:
        """
        Fires once the sandbox has been tried (once): a sandbox that cannot
        start a runtime here is given up, with the reason.
        """
        if self._ready is None:
            self._ready = defer.ensureDeferred(self._try_sandbox())
        return when_fired(self._ready)

    def sandbox_status(self) -> ServiceStatus | None:
        """
        C{unsandboxed} with the reason, C{starting} while the sandbox is
        being tried, C{None} once environments run sandboxed.
        """
        if self.unsandboxed:
            return ServiceStatus("unsandboxed", self.unsandboxed)
        if self._ready is None or not self._ready.called:
            return STARTING
        return None

    async def _try_sandbox(self) -> None:
        try:
            await self._probe()
        except Exception as e:
            self._sandbox = None
            self._unsandboxed(f"the sandbox could not be tried: {e}")

    async def _probe(self) -> None:
        chosen = self._sandbox
        if chosen is None:
            return
        probe = os.path.join(self.folder, "probe")
        os.makedirs(probe, exist_ok=True)
        command = sandbox.probe_command(chosen, probe)
        out, err, code = await utils.getProcessOutputAndValue(
            command[0], command[1:], env={"PYTHONPATH": sandbox.RUNTIME_DIR}, reactor=self.reactor
        )
        if code != 0:
            lines = (err or out).decode("utf-8", "replace").strip().splitlines()
            detail = lines[-1] if lines else f"exit status {code}"
            self._sandbox = None
            self._unsandboxed(f"bubblewrap could not build a sandbox: {detail}")
            return
        try:
            self._cgroups = MemoryCgroups.find().own_folder()
            self.memory_limit = "cgroup"
        except (CgroupUnavailable, OSError) as e:
            self.memory_limit = "rlimit"
            log.warn(
                "Lambda MemorySize is enforced with RLIMIT_DATA ({reason}): a function past it gets a MemoryError",
                reason=str(e),
            )

    def _unsandboxed(self, reason: str) -> None:
        self.unsandboxed = reason
        log.warn("Lambda functions run UNSANDBOXED, with RustStack's own rights: {reason}", reason=reason)

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
