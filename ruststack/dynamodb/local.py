"""
DynamoDB Local (Java) as a supervised child process: started through
RustStack's launcher (L{ruststack.dynamodb.launcher}) on a loopback socket
RustStack binds, serving RustStack alone; health-checked until it answers,
then probed while it runs; restarted with back-off when it dies or stops
answering; stopped (SIGTERM, then SIGKILL after a grace) with RustStack.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections import deque
from typing import Any

import attrs
from twisted.application import service
from twisted.internet import defer, error, protocol
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure

from ruststack.dynamodb import launcher
from ruststack.dynamodb.backend import JSON_10, BackendConnection, BackendFactory, BackendResponse
from ruststack.dynamodb.fetch import OFFLINE_HINT, FetchError
from ruststack.dynamodb.rewrite import authorization
from ruststack.interfaces import RUNNING, STARTING, ServiceStatus

log = Logger()

HOST = "127.0.0.1"
# Who the probes ask, apart from every account (its database, with
# --data-dir, is ruststackhealth_local.db: no account's file name; DynamoDB
# Local takes only letters and digits in an access key).
PROBE_ACCESS_KEY, PROBE_REGION = "ruststackhealth", "local"

# Measured on 2 cores (README, DynamoDB): the JIT limited to C1 and the
# serial collector halve start-up (2.8 s -> 1.5 s) and resident memory
# (210 -> 125 MiB) at no cost in throughput for a proxy-bound load.
JVM_FLAGS = (
    "-Xms64m",
    "-Xmx384m",
    "-Xss512k",
    "-XX:+UseSerialGC",
    "-XX:-UsePerfData",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
)


class Unavailable(Exception):
    """
    DynamoDB Local cannot serve requests now; the message says why.
    """


def find_java() -> str | None:
    """
    The java launcher: C{$JAVA_HOME/bin/java}, else the one on C{PATH}.
    """
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


@functools.cache
def pdeathsig_wrapper() -> tuple[str, ...]:
    """
    What the JVM runs under, from util-linux when it is there (both exec, so
    the JVM keeps the child's pid):

      - C{setpriv --pdeathsig KILL --}: the kernel kills the JVM when
        RustStack dies, even by SIGKILL;
      - C{setsid}: a session of its own, so that a Ctrl-C in RustStack's
        terminal reaches RustStack only, which then stops the JVM itself
        rather than seeing it die.
    """
    wrapper: tuple[str, ...] = ()
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        try:
            usage = subprocess.run([setpriv, "--help"], capture_output=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            usage = b""
        if b"--pdeathsig" in usage:
            wrapper = (setpriv, "--pdeathsig", "KILL", "--")
    setsid = shutil.which("setsid")
    return (*wrapper, setsid) if setsid is not None else wrapper


def loopback_listener() -> socket.socket:
    """
    A listening socket on a free loopback port, for the JVM to inherit.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, 0))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def command(
    java: str, jar: str, classes: str, port: int, db_path: str | None, wrapper: tuple[str, ...] = ()
) -> list[str]:
    """
    The command line that runs DynamoDB Local through the launcher compiled
    in C{classes}: in memory, or keeping its databases (one SQLite file per
    access key and region) in C{db_path}. C{port} is the one of the socket
    it inherits; it binds none itself.
    """
    library = os.path.join(os.path.dirname(jar), "DynamoDBLocal_lib")
    storage = ["-dbPath", db_path] if db_path else ["-inMemory"]
    return [
        *wrapper,
        java,
        *JVM_FLAGS,
        f"-Djava.library.path={library}",
        *launcher.main_arguments(jar, classes),
        "-port",
        str(port),
        "-disableTelemetry",
        *storage,
    ]


def probe_request(port: int, token: str) -> bytes:
    """
    A ListTables of the probe identity: it must reach DynamoDB Local's
    storage, which is what stops answering when DynamoDB Local is stuck.
    """
    body = b'{"Limit":1}'
    return (
        b"POST / HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: %s\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
        b"Authorization: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
        % (HOST.encode(), port, JSON_10, authorization(PROBE_ACCESS_KEY, PROBE_REGION, token), len(body), body)
    )


class _OutputProtocol(protocol.ProcessProtocol):
    """
    A child whose output is kept (its last lines) for the log.
    """

    def __init__(self, ended) -> None:
        self.ended = ended
        self.tail: deque[str] = deque(maxlen=30)

    def childDataReceived(self, fd: int, data: bytes) -> None:
        self.tail.extend(data.decode("utf-8", "replace").splitlines())

    def processEnded(self, reason: Failure) -> None:
        self.ended(self, reason)


def _how(reason: Failure) -> str:
    code = getattr(reason.value, "exitCode", None)
    signal_ = getattr(reason.value, "signal", None)
    return f"signal {signal_}" if signal_ else f"exit code {code}"


@attrs.define(eq=False, slots=False)
class DynamoDBLocal(service.Service):
    """
    The DynamoDB Local child process.

    @ivar launcher_cache: the folder the compiled launcher is kept in; if
        C{None} or not writable, a private temporary folder removed at stop.
    @ivar probe_interval: seconds between probes of a running JVM.
    @ivar probe_timeout: seconds a probe may wait for its answer.
    @ivar probe_failures: failed probes in a row after which the JVM is
        killed and started again (its state meanwhile C{unavailable}).
    @ivar token: what proves a request comes from RustStack (the launcher
        serves nothing else); every request's C{Authorization} ends with it
        (L{ruststack.dynamodb.rewrite.authorization}).
    @ivar port: where it listens while it runs and answers, else C{None}.
    @ivar pid: its process id while it runs (the JVM itself: setpriv execs it).
    @ivar restarts: how many times it was started again after dying.
    @ivar fetcher: fetches the jar when it is missing (a
        L{ruststack.dynamodb.fetch.Fetcher}); C{None}: a missing jar makes
        it unavailable.
    """

    reactor: Any
    jar: str
    db_path: str | None = None
    launcher_cache: str | None = None
    java: str | None = attrs.field(factory=find_java)
    wrapper: tuple[str, ...] = attrs.field(factory=pdeathsig_wrapper)
    ready_timeout: float = 90.0
    max_crashes: int = 5
    stop_grace: float = 5.0
    poll_interval: float = 0.05
    probe_interval: float = 5.0
    probe_timeout: float = 5.0
    probe_failures: int = 2
    token: str = attrs.field(factory=lambda: secrets.token_hex(32), repr=False)
    port: int | None = None
    pid: int | None = None
    restarts: int = 0
    fetcher: Any = None
    _fetching: defer.Deferred | None = None
    _fetch_tried: bool = False
    _status: ServiceStatus = STARTING
    _process: Any = None
    _protocol: _OutputProtocol | None = None
    _listening: int | None = None
    _started_at: float = 0.0
    _running_since: float | None = None
    _failures: int = 0
    _kill_reason: str | None = None
    _crashes: int = 0
    _last_crash: str = ""
    _classes: str | None = None
    _temporary: str | None = None
    _compiler: Any = None
    _compiled: defer.Deferred | None = None
    _timers: list = attrs.field(factory=list)
    _waiters: list = attrs.field(factory=list)
    _ended_waiters: list = attrs.field(factory=list)
    _stopping: bool = False

    def status(self) -> ServiceStatus:
        return self._status

    def startService(self) -> None:
        super().startService()
        self._stopping = False
        self._launch()

    def _launch(self) -> None:
        if self.java is None:
            return self._give_up(
                "java missing: install it (apt-get install default-jre-headless: Java 17 or later) or set JAVA_HOME"
            )
        if not os.path.isfile(self.jar):
            if self.fetcher is not None and not self._fetch_tried:
                return self._fetch()
            return self._give_up(f"jar missing: {self.jar} (run `make deps` or pass --dynamodb-local-jar)")
        if self._classes is None:
            return self._compile_launcher(self.java)
        self._status = (
            STARTING
            if not self._crashes
            else ServiceStatus("starting", f"restarting after {self._crashes} crash(es) (last: {self._last_crash})")
        )
        try:
            listener = loopback_listener()
        except OSError as e:
            return self._give_up(f"cannot listen on {HOST}: {e}")
        port = listener.getsockname()[1]
        argv = command(self.java, self.jar, self._classes, port, self.db_path, self.wrapper)
        self._protocol = _OutputProtocol(self._ended)
        self._started_at = self.reactor.seconds()
        self._running_since, self._failures, self._kill_reason = None, 0, None
        try:
            # The JVM serves the socket as its standard input
            # (System.inheritedChannel); RustStack keeps no copy, so it
            # closes when the JVM ends.
            self._process = self.reactor.spawnProcess(
                self._protocol,
                argv[0],
                argv,
                env={**os.environ, launcher.TOKEN_VARIABLE: self.token},
                path=self.db_path or os.path.dirname(self.jar),
                childFDs={0: listener.fileno(), 1: "r", 2: "r"},
            )
        except OSError as e:
            return self._give_up(f"cannot start java: {e}")
        finally:
            listener.close()
        self.pid, self._listening = self._process.pid, port
        log.info("DynamoDB Local starting on {host}:{port} (pid {pid})", host=HOST, port=port, pid=self.pid)
        self._later(self.ready_timeout, self._start_timed_out, self._protocol)
        self._probe(port, self._protocol)

    def _fetch(self) -> None:
        """
        Fetch the jar (L{ruststack.dynamodb.fetch}), then launch; its
        progress is the health reason meanwhile.
        """
        self._fetch_tried = True
        self._status = ServiceStatus("starting", "fetching DynamoDB Local")

        def report(text: str) -> None:
            if not self._stopping:
                self._status = ServiceStatus("starting", text)

        self._fetching = d = self.fetcher.fetch(report)
        d.addCallbacks(self._fetched, self._fetch_failed)

    def _fetched(self, jar: str) -> None:
        self._fetching = None
        if self._stopping or not self.running:
            return
        self.jar = jar
        self._launch()

    def _fetch_failed(self, failure: Failure) -> None:
        self._fetching = None
        if self._stopping or not self.running:
            return
        if not failure.check(FetchError):
            log.failure("fetching DynamoDB Local failed", failure)
        why = failure.getErrorMessage()
        self._give_up(f"cannot fetch DynamoDB Local: {why}; {OFFLINE_HINT}")

    def _compile_launcher(self, java: str) -> None:
        """
        Compile the launcher once (L{launcher.classes_dir}), then launch.
        """
        cached = launcher.classes_dir(self.launcher_cache, java, self.jar) if self.launcher_cache else None
        if cached is not None and launcher.is_compiled(cached):
            self._classes = cached
            return self._launch()
        try:
            if cached is None:
                raise OSError("no cache folder")
            os.makedirs(self.launcher_cache or "", exist_ok=True)
            work = tempfile.mkdtemp(prefix="building-", dir=self.launcher_cache)
        except OSError as e:
            log.warn("compiling DynamoDB Local's launcher into a temporary folder ({why})", why=e)
            work = self._temporary = tempfile.mkdtemp(prefix="ruststack-dynamodb-launcher-")
            cached = work
        source = os.path.join(work, launcher.CLASS_NAME + ".java")
        with open(source, "w", encoding="utf-8") as f:
            f.write(launcher.SOURCE)
        argv = launcher.compile_command(java, self.jar, source, work)
        log.info("compiling DynamoDB Local's launcher into {folder}", folder=cached)
        compiler = _OutputProtocol(lambda owner, reason: self._compiled_launcher(owner, reason, work, cached))
        self._compiled = defer.Deferred()
        try:
            self._compiler = self.reactor.spawnProcess(
                compiler, argv[0], argv, env=dict(os.environ), childFDs={0: "w", 1: "r", 2: "r"}
            )
        except OSError as e:
            self._compiled = None
            return self._give_up(f"cannot start java: {e}")

    def _compiled_launcher(self, owner: _OutputProtocol, reason: Failure, work: str, cached: str) -> None:
        self._compiler = None
        compiled, self._compiled = self._compiled, None
        ok = getattr(reason.value, "exitCode", None) == 0 and launcher.is_compiled(work)
        if ok and work != cached:
            try:
                os.rename(work, cached)
            except OSError:  # compiled meanwhile by another RustStack
                shutil.rmtree(work, ignore_errors=True)
        elif not ok and work != self._temporary:
            shutil.rmtree(work, ignore_errors=True)
        if compiled is not None:
            compiled.callback(None)
        if self._stopping or not self.running:
            return
        if not ok:
            output = " | ".join(owner.tail) or _how(reason)
            return self._give_up(f"cannot compile DynamoDB Local's launcher: {output}")
        self._classes = cached
        self._launch()

    def _later(self, delay: float, f, *args) -> None:
        self._timers = [t for t in self._timers if t.active()]
        self._timers.append(self.reactor.callLater(delay, f, *args))

    def _ask(self, port: int) -> defer.Deferred:
        """
        Send the probe on a connection of its own; fire with the answer.
        """
        d: Any = TCP4ClientEndpoint(self.reactor, HOST, port, timeout=5).connect(BackendFactory())

        def ask(connection: BackendConnection) -> defer.Deferred:
            answer: Any = connection.request(probe_request(port, self.token))
            return answer.addBoth(lambda result: (connection.transport.loseConnection(), result)[1])

        return d.addCallback(ask)

    def _probe(self, port: int, owner: _OutputProtocol) -> None:
        """
        Ready once the probe's ListTables succeeds. The port listens before
        the JVM starts (the socket is RustStack's): the first probe waits
        for DynamoDB Local's answer rather than polling a closed port.
        """
        if owner is not self._protocol or self._stopping:
            return
        d = self._ask(port)
        d.addCallbacks(
            lambda response: self._ready(port, owner) if response.status == 200 else self._retry(port, owner),
            lambda _: self._retry(port, owner),
        )

    def _retry(self, port: int, owner: _OutputProtocol) -> None:
        self._later(self.poll_interval, self._probe, port, owner)

    def _ready(self, port: int, owner: _OutputProtocol) -> None:
        if owner is not self._protocol or self._stopping:
            return
        self.port = port
        self._status = RUNNING
        self._running_since = self.reactor.seconds()
        log.info(
            "DynamoDB Local running on port {port} (pid {pid}) after {seconds:.2f} s",
            port=port,
            pid=self.pid,
            seconds=self._running_since - self._started_at,
        )
        self._answering()
        self._later(self.probe_interval, self._check, owner)

    def _answering(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(self.port)

    def _check(self, owner: _OutputProtocol) -> None:
        """
        Probe a running JVM: one that is alive but does not answer (stuck,
        stopped) is C{unavailable} at once and killed after
        C{probe_failures} probes in a row; its requests fail fast
        meanwhile rather than wait on it.
        """
        if owner is not self._protocol or self._stopping or self._listening is None:
            return
        d = self._ask(self._listening)
        d.addTimeout(self.probe_timeout, self.reactor)
        d.addCallbacks(lambda response: self._probed(owner, response), lambda failure: self._probed(owner, failure))

    def _probed(self, owner: _OutputProtocol, result: BackendResponse | Failure) -> None:
        if owner is not self._protocol or self._stopping:
            return
        if isinstance(result, BackendResponse) and result.status == 200:
            if self.port is None:
                log.info("DynamoDB Local (pid {pid}) answers again", pid=self.pid)
                self.port, self._status = self._listening, RUNNING
                self._answering()
            self._failures = 0
            self._later(self.probe_interval, self._check, owner)
            return
        if isinstance(result, BackendResponse):
            why = f"ListTables answered HTTP {result.status}"
        elif result.check(defer.TimeoutError, defer.CancelledError):
            why = f"no answer to ListTables within {self.probe_timeout:g} s"
        else:
            why = f"ListTables failed: {result.getErrorMessage()}"
        self._failures += 1
        self.port = None
        if self._failures >= self.probe_failures:
            self._status = ServiceStatus("unavailable", f"not answering ({why}); restarting it")
            log.error("DynamoDB Local (pid {pid}) is not answering ({why}): killing it", pid=self.pid, why=why)
            self._kill_reason = f"killed after not answering: {why}"
            self._signal("KILL")
            return
        self._status = ServiceStatus("unavailable", f"not answering ({why})")
        log.warn("DynamoDB Local (pid {pid}) is not answering ({why})", pid=self.pid, why=why)
        self._later(self.probe_interval, self._check, owner)

    def _start_timed_out(self, owner: _OutputProtocol) -> None:
        if owner is self._protocol and self._running_since is None and self._process is not None:
            log.warn("DynamoDB Local did not answer within {timeout} s; killing it", timeout=self.ready_timeout)
            self._kill_reason = f"killed after no answer within {self.ready_timeout:g} s of its start"
            self._signal("KILL")

    def _signal(self, name: str) -> None:
        try:
            self._process.signalProcess(name)
        except (error.ProcessExitedAlready, AttributeError):
            pass

    def _ended(self, owner: _OutputProtocol, reason: Failure) -> None:
        was_running_since = self._running_since
        how = self._kill_reason or _how(reason)
        self._process, self._protocol, self.port, self.pid = None, None, None, None
        self._listening, self._running_since, self._kill_reason = None, None, None
        if self._stopping or not self.running:
            ended, self._ended_waiters = self._ended_waiters, []
            for d in ended:
                d.callback(None)
            return
        # A JVM that served for a while and then died starts a fresh count.
        if was_running_since is not None and self.reactor.seconds() - was_running_since > 30:
            self._crashes = 0
        self._crashes += 1
        self._last_crash = how
        log.error(
            "DynamoDB Local died ({how}); output:\n{tail}",
            how=how,
            tail="\n".join(owner.tail),
        )
        if self._crashes >= self.max_crashes:
            return self._give_up(f"crashed {self._crashes} times (last: {how})")
        delay = min(0.25 * 2 ** (self._crashes - 1), 8.0)
        self._status = ServiceStatus("starting", f"restarting after {self._crashes} crash(es) (last: {how})")
        self.restarts += 1
        self._later(delay, self._launch)

    def _give_up(self, reason: str) -> None:
        log.error("DynamoDB Local unavailable: {reason}", reason=reason)
        self._status = ServiceStatus("unavailable", reason)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.errback(Unavailable(reason))

    def when_ready(self, timeout: float) -> defer.Deferred:
        """
        Fire with the port once DynamoDB Local answers; fail with
        L{Unavailable} if it cannot, or has not within C{timeout} seconds.
        """
        if self.port is not None:
            return defer.succeed(self.port)
        if self._status.state == "unavailable":
            return defer.fail(Unavailable(self._status.reason or "unavailable"))
        waiter: defer.Deferred = defer.Deferred(lambda d: self._forget_waiter(d))
        self._waiters.append(waiter)
        timer = self.reactor.callLater(timeout, self._waited_too_long, waiter, timeout)
        waiter.addBoth(lambda result: (timer.cancel() if timer.active() else None, result)[1])
        return waiter

    def _forget_waiter(self, waiter: defer.Deferred) -> None:
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def _waited_too_long(self, waiter: defer.Deferred, timeout: float) -> None:
        self._forget_waiter(waiter)
        waiter.errback(Unavailable(f"DynamoDB Local is {self._status.state} and did not answer within {timeout:g} s"))

    def stopService(self) -> defer.Deferred:
        super().stopService()
        self._stopping = True
        for timer in self._timers:
            if timer.active():
                timer.cancel()
        self._timers = []
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.errback(Unavailable("RustStack is stopping"))
        self._status = ServiceStatus("unavailable", "stopped")
        endings = []
        if self._fetching is not None:
            self._fetching.cancel()
        if self._compiler is not None and self._compiled is not None:
            endings.append(self._compiled)
            try:
                self._compiler.signalProcess("KILL")
            except error.ProcessExitedAlready:
                pass
        if self._process is not None:
            ended: defer.Deferred = defer.Deferred()
            self._ended_waiters.append(ended)
            self._signal("TERM")
            kill = self.reactor.callLater(self.stop_grace, self._signal, "KILL")
            endings.append(ended.addBoth(lambda result: (kill.cancel() if kill.active() else None, result)[1]))
        done = defer.DeferredList(endings) if endings else defer.succeed(None)
        return done.addCallback(lambda _: self._forget_temporary())

    def _forget_temporary(self) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = self._classes = None
