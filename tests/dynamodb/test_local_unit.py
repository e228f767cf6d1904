"""
The DynamoDB Local supervisor without a JVM: a memory reactor that records
spawned processes (and the socket each JVM inherits), and a clock.
"""

from __future__ import annotations

import os
import socket

import attrs
from twisted.internet import error
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure

from ruststack.dynamodb import launcher
from ruststack.dynamodb.local import PROBE_ACCESS_KEY, DynamoDBLocal, Unavailable, command


@attrs.define
class FakeProcess:
    pid: int
    env: dict
    signals: list[str] = attrs.field(factory=list)
    # Where the socket given as standard input listened, and its backlog.
    listening: tuple | None = None

    def signalProcess(self, name: str) -> None:
        self.signals.append(name)


class ProcessReactor(MemoryReactorClock):
    def __init__(self) -> None:
        super().__init__()
        self.spawned: list[tuple] = []

    def spawnProcess(self, protocol, executable, args, env=None, path=None, childFDs=None, **kwargs):
        process = FakeProcess(pid=1000 + len(self.spawned), env=env or {})
        if isinstance((childFDs or {}).get(0), int):
            with socket.socket(fileno=os.dup(childFDs[0])) as inherited:
                listening = inherited.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
                process.listening = (inherited.getsockname(), listening)
        self.spawned.append((protocol, args, process))
        return process


def compiled_launcher(folder) -> str:
    """
    A launcher cache holding what looks like the compiled launcher.
    """
    classes = launcher.classes_dir(str(folder), "/usr/bin/java", str(folder / "DynamoDBLocal.jar"))
    os.makedirs(classes, exist_ok=True)
    with open(os.path.join(classes, launcher.CLASS_NAME + ".class"), "wb") as f:
        f.write(b"class")
    return str(folder)


def supervisor(tmp_path, **kwargs) -> tuple[DynamoDBLocal, ProcessReactor]:
    reactor = ProcessReactor()
    jar = tmp_path / "DynamoDBLocal.jar"
    jar.write_bytes(b"jar")
    settings = {
        "java": "/usr/bin/java",
        "wrapper": ("setpriv", "--pdeathsig", "KILL", "--"),
        "launcher_cache": compiled_launcher(tmp_path),
        **kwargs,
    }
    return DynamoDBLocal(reactor=reactor, jar=str(jar), **settings), reactor


def probe(reactor: ProcessReactor) -> tuple:
    """
    Connect the last probe to a transport; its protocol and what it sent.
    """
    host, port, factory, timeout, bind = reactor.tcpClients[-1]
    protocol = factory.buildProtocol(None)
    assert protocol is not None
    transport = StringTransport()
    protocol.makeConnection(transport)
    return protocol, transport


def answer_probe(reactor: ProcessReactor, status: bytes = b"200 OK") -> bytes:
    protocol, transport = probe(reactor)
    protocol.dataReceived(b'HTTP/1.1 %s\r\nContent-Length: 17\r\n\r\n{"TableNames":[]}' % status)
    return transport.value()


def end(reactor: ProcessReactor, index: int = -1, **how) -> None:
    protocol = reactor.spawned[index][0]
    protocol.processEnded(Failure(error.ProcessTerminated(**how)))


def results(d) -> list:
    out: list = []
    d.addBoth(out.append)
    return out


def test_command_runs_the_launcher_in_memory_or_on_disk():
    wrapper = ("setpriv", "--pdeathsig", "KILL", "--")
    in_memory = command("java", "/x/DynamoDBLocal.jar", "/cache/l", 8000, None, wrapper)
    assert in_memory[:5] == ["setpriv", "--pdeathsig", "KILL", "--", "java"]
    assert in_memory[-7:] == [
        "-cp",
        "/cache/l:/x/DynamoDBLocal.jar",
        launcher.CLASS_NAME,
        "-port",
        "8000",
        "-disableTelemetry",
        "-inMemory",
    ]
    assert "-Djava.library.path=/x/DynamoDBLocal_lib" in in_memory
    assert "-jar" not in in_memory
    on_disk = command("java", "/x/DynamoDBLocal.jar", "/cache/l", 8000, "/data/dynamodb")
    assert on_disk[0] == "java" and on_disk[-2:] == ["-dbPath", "/data/dynamodb"]


def test_missing_java_or_jar_makes_it_unavailable(tmp_path):
    local, _ = supervisor(tmp_path, java=None)
    local.startService()
    assert local.status().state == "unavailable"
    assert (local.status().reason or "").startswith("java missing")
    failed = results(local.when_ready(10))
    assert failed[0].check(Unavailable)
    local, _ = supervisor(tmp_path)
    local.jar = str(tmp_path / "nowhere.jar")
    local.startService()
    assert (local.status().reason or "").startswith("jar missing")


def test_running_once_it_answers_listtables_with_the_token(tmp_path):
    local, reactor = supervisor(tmp_path)
    local.startService()
    assert local.status().state == "starting"
    ((_, args, process),) = reactor.spawned
    assert args[:4] == ["setpriv", "--pdeathsig", "KILL", "--"]
    waiting = results(local.when_ready(30))
    assert waiting == []
    sent = answer_probe(reactor)
    assert b"X-Amz-Target: DynamoDB_20120810.ListTables\r\n" in sent
    assert b"Credential=%s/" % PROBE_ACCESS_KEY.encode() in sent
    assert sent.count(b", Signature=" + local.token.encode() + b"\r\n") == 1
    assert local.status().state == "running"
    assert waiting == [local.port] and str(local.port) in args
    assert local.pid == process.pid


def test_the_jvm_inherits_a_loopback_socket_and_the_token(tmp_path):
    local, reactor = supervisor(tmp_path)
    local.startService()
    ((_, args, process),) = reactor.spawned
    (address, port), listening = process.listening
    assert (address, listening) == ("127.0.0.1", 1)
    assert args[args.index("-port") + 1] == str(port)
    assert process.env[launcher.TOKEN_VARIABLE] == local.token and len(local.token) == 64
    # Every RustStack has a token of its own.
    assert supervisor(tmp_path)[0].token != local.token
    # RustStack kept no copy of the socket: it closes when the JVM ends.
    with socket.socket() as probe_socket:
        assert probe_socket.connect_ex(("127.0.0.1", port)) != 0


def test_probe_retries_until_listtables_succeeds(tmp_path):
    local, reactor = supervisor(tmp_path)
    local.startService()
    host, port, factory, timeout, bind = reactor.tcpClients[-1]
    factory.clientConnectionFailed(None, Failure(error.ConnectionRefusedError()))  # type: ignore[arg-type]  # unused by the factory
    assert len(reactor.tcpClients) == 1
    reactor.advance(local.poll_interval)
    assert len(reactor.tcpClients) == 2
    answer_probe(reactor, b"403 Forbidden")
    assert local.status().state == "starting"
    reactor.advance(local.poll_interval)
    answer_probe(reactor)
    assert local.status().state == "running"


def test_requests_wait_a_bounded_time(tmp_path):
    local, reactor = supervisor(tmp_path)
    local.startService()
    waiting = results(local.when_ready(5))
    reactor.advance(4.9)
    assert waiting == []
    reactor.advance(0.2)
    assert waiting[0].check(Unavailable)
    assert "did not answer within 5 s" in waiting[0].getErrorMessage()


def test_restarted_with_back_off_then_given_up(tmp_path):
    local, reactor = supervisor(tmp_path, max_crashes=3)
    local.startService()
    answer_probe(reactor)
    end(reactor, signal=9)
    assert local.port is None
    assert local.status().reason == "restarting after 1 crash(es) (last: signal 9)"
    reactor.advance(0.2)
    assert len(reactor.spawned) == 1
    reactor.advance(0.05)
    assert len(reactor.spawned) == 2
    end(reactor, exitCode=1)
    reactor.advance(0.5)
    assert len(reactor.spawned) == 3
    assert local.restarts == 2
    end(reactor, exitCode=1)
    assert local.status().state == "unavailable"
    assert local.status().reason == "crashed 3 times (last: exit code 1)"
    reactor.advance(60)
    assert len(reactor.spawned) == 3


def test_start_that_never_answers_is_killed(tmp_path):
    local, reactor = supervisor(tmp_path, ready_timeout=10)
    local.startService()
    reactor.advance(10)
    assert reactor.spawned[0][2].signals == ["KILL"]
    end(reactor, signal=9)
    assert (
        local.status().reason == "restarting after 1 crash(es) (last: killed after no answer within 10 s of its start)"
    )


def test_stop_terminates_then_kills_after_the_grace(tmp_path):
    local, reactor = supervisor(tmp_path, stop_grace=5)
    local.startService()
    answer_probe(reactor)
    process = reactor.spawned[0][2]
    stopped = results(local.stopService())
    assert process.signals == ["TERM"] and stopped == []
    reactor.advance(5)
    assert process.signals == ["TERM", "KILL"]
    end(reactor, signal=9)
    assert stopped == [None]
    assert local.status().reason == "stopped"
    reactor.advance(60)
    assert len(reactor.spawned) == 1


def test_stop_while_waiting_fails_the_waiters(tmp_path):
    local, reactor = supervisor(tmp_path)
    local.startService()
    waiting = results(local.when_ready(30))
    local.stopService()
    assert waiting[0].check(Unavailable)
