"""
The supervisor's probes of a running JVM and its compiling of the launcher,
on a clock: a JVM that stops answering is reported, failed fast, killed and
started again; one that answers again is back.
"""

from __future__ import annotations

import os

from twisted.internet import error
from twisted.python.failure import Failure

from ruststack.dynamodb import launcher
from ruststack.dynamodb.local import Unavailable
from tests.dynamodb.test_local_unit import answer_probe, end, probe, results, supervisor


def running(tmp_path, **settings):
    local, reactor = supervisor(tmp_path, **settings)
    local.startService()
    answer_probe(reactor)
    assert local.status().state == "running"
    return local, reactor


def test_a_jvm_that_stops_answering_is_unavailable_then_killed_and_restarted(tmp_path):
    local, reactor = running(tmp_path, probe_interval=5, probe_timeout=3, probe_failures=2)
    jvm = reactor.spawned[0][2]
    port = local.port
    clients = len(reactor.tcpClients)
    reactor.advance(5)
    assert len(reactor.tcpClients) == clients + 1
    _, transport = probe(reactor)
    reactor.advance(2.9)
    assert local.status().state == "running"
    reactor.advance(0.1)
    assert local.status().state == "unavailable"
    assert local.status().reason == "not answering (no answer to ListTables within 3 s)"
    assert transport.disconnecting or transport.disconnected
    # Requests fail at once (503 to the client) instead of waiting on it.
    assert local.port is None
    assert results(local.when_ready(20))[0].check(Unavailable)
    assert jvm.signals == []
    reactor.advance(5)
    probe(reactor)
    reactor.advance(3)
    assert local.status().reason == "not answering (no answer to ListTables within 3 s); restarting it"
    assert jvm.signals == ["KILL"]
    end(reactor, signal=9)
    assert local.status().state == "starting"
    assert local.status().reason == (
        "restarting after 1 crash(es) (last: killed after not answering: no answer to ListTables within 3 s)"
    )
    reactor.advance(0.25)
    assert len(reactor.spawned) == 2
    answer_probe(reactor)
    assert local.status().state == "running" and local.port not in (None, port)


def test_a_jvm_that_answers_again_is_running_again(tmp_path):
    local, reactor = running(tmp_path, probe_interval=5, probe_timeout=3, probe_failures=3)
    port = local.port
    reactor.advance(5)
    answer_probe(reactor, b"500 Server Error")
    assert local.status().reason == "not answering (ListTables answered HTTP 500)"
    reactor.advance(5)
    answer_probe(reactor)
    assert local.status().state == "running" and local.port == port
    assert results(local.when_ready(20)) == [port]
    # The count starts again: two more failures do not kill it.
    for _ in range(2):
        reactor.advance(5)
        probe(reactor)
        reactor.advance(3)
    assert reactor.spawned[0][2].signals == []


def test_a_refused_probe_counts_as_not_answering(tmp_path):
    local, reactor = running(tmp_path, probe_failures=1)
    reactor.advance(local.probe_interval)
    host, port, factory, timeout, bind = reactor.tcpClients[-1]
    factory.clientConnectionFailed(None, Failure(error.ConnectionRefusedError()))
    assert local.status().reason.startswith("not answering (ListTables failed: Connection was refused")
    assert reactor.spawned[0][2].signals == ["KILL"]


def test_probes_end_with_the_service(tmp_path):
    local, reactor = running(tmp_path)
    local.stopService()
    clients = len(reactor.tcpClients)
    reactor.advance(60)
    assert len(reactor.tcpClients) == clients


def compiler_output(args) -> str:
    return args[args.index("-d") + 1]


def test_the_launcher_is_compiled_once_into_the_cache(tmp_path):
    cache = tmp_path / "cache"
    local, reactor = supervisor(tmp_path, launcher_cache=str(cache))
    local.startService()
    ((compiler, args, _),) = reactor.spawned
    assert args[:2] == ["/usr/bin/java", "-XX:TieredStopAtLevel=1"]
    assert args[args.index("-m") + 1] == "jdk.compiler/com.sun.tools.javac.Main"
    with open(args[-1], encoding="utf-8") as f:
        assert f.read() == launcher.SOURCE
    output = compiler_output(args)
    with open(os.path.join(output, launcher.CLASS_NAME + ".class"), "wb") as f:
        f.write(b"class")
    end(reactor, exitCode=0)
    classes = launcher.classes_dir(str(cache), "/usr/bin/java", local.jar)
    assert launcher.is_compiled(classes) and not os.path.exists(output)
    jvm_args = reactor.spawned[1][1]
    assert jvm_args[jvm_args.index("-cp") + 1] == f"{classes}:{local.jar}"
    # The next RustStack finds it compiled.
    again, reactor = supervisor(tmp_path, launcher_cache=str(cache))
    again.startService()
    assert launcher.CLASS_NAME in reactor.spawned[0][1]


def test_a_launcher_that_cannot_compile_leaves_dynamodb_unavailable(tmp_path):
    local, reactor = supervisor(tmp_path, launcher_cache=str(tmp_path / "cache"))
    local.startService()
    compiler = reactor.spawned[0][0]
    compiler.childDataReceived(
        2, b"Error occurred during initialization of boot layer\nmodule jdk.compiler not found\n"
    )
    end(reactor, exitCode=1)
    assert local.status().state == "unavailable"
    assert local.status().reason == (
        "cannot compile DynamoDB Local's launcher: "
        "Error occurred during initialization of boot layer | module jdk.compiler not found"
    )
    assert len(reactor.spawned) == 1
    assert os.listdir(tmp_path / "cache") == []


def test_an_unwritable_cache_compiles_into_a_folder_removed_at_stop(tmp_path):
    (tmp_path / "file").write_bytes(b"")
    local, reactor = supervisor(tmp_path, launcher_cache=str(tmp_path / "file" / "cache"))
    local.startService()
    output = compiler_output(reactor.spawned[0][1])
    with open(os.path.join(output, launcher.CLASS_NAME + ".class"), "wb") as f:
        f.write(b"class")
    end(reactor, exitCode=0)
    assert f"{output}:{local.jar}" in reactor.spawned[1][1]
    stopped = results(local.stopService())
    end(reactor)
    assert stopped == [None]
    assert not os.path.exists(output)


def test_stopping_while_compiling_ends_the_compiler(tmp_path):
    local, reactor = supervisor(tmp_path, launcher_cache=str(tmp_path / "cache"))
    local.startService()
    compiler = reactor.spawned[0][2]
    stopped = results(local.stopService())
    assert compiler.signals == ["KILL"] and stopped == []
    end(reactor, signal=9)
    assert len(stopped) == 1
    assert len(reactor.spawned) == 1
