"""
makeService builds the stack in the reactor it is handed (a MemoryReactor
here: no socket), and no library module takes the global reactor.
"""

import ast
from pathlib import Path

import pytest
from twisted.internet.testing import MemoryReactor

from ruststack.tap import Options, makeService

ROOT = Path(__file__).resolve().parents[2]


def made(args):
    options = Options()
    options.parseOptions([*args, "--services", ""])
    reactor = MemoryReactor()
    return makeService(options, reactor=reactor), reactor


@pytest.fixture(autouse=True)
def no_ruststack_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("RUSTSTACK_"):
            monkeypatch.delenv(name)


def test_ports_from_host_port_and_tls_port(tmp_path):
    built, reactor = made(["--host", "::1", "--port", "4567", "--tls-port", "4568", "--cache-dir", str(tmp_path)])
    built.startService()
    assert built.ready.called
    [(port, _, _, interface)] = reactor.tcpServers
    assert (port, interface) == (4567, "::1")
    [(tls_port, _, context, _, tls_interface)] = reactor.sslServers
    assert (tls_port, tls_interface) == (4568, "::1")
    assert context.getContext() is not None
    # The URLs name --host, as they always have.
    assert (built.edge_url, built.tls_edge_url) == ("http://[::1]:4567", "https://localhost:4568")
    assert built.tls_cert_path == str(tmp_path / "tls" / "localhost.crt")
    built.stopService()


def test_listen_replaces_them(tmp_path):
    built, reactor = made(
        ["--port", "4567", "--tls-port", "4568", "--cache-dir", str(tmp_path),
         "--listen", "tcp:5000:interface=127.0.0.2", "--listen", "ssl:5001:interface=\\:\\:,tcp:5002:backlog=7"]
    )  # fmt: skip
    built.startService()
    assert built.ready.called
    assert [(port, interface, backlog) for port, _, backlog, interface in reactor.tcpServers] == [
        (5000, "127.0.0.2", 50),
        (5002, "", 7),
    ]
    [(tls_port, _, _, _, tls_interface)] = reactor.sslServers
    assert (tls_port, tls_interface) == (5001, "::")
    # The first plain listener is the edge URL; MemoryReactor's ports say
    # they listen on 0.0.0.0, which a URL names by its loopback address.
    assert built.edge_url == "http://127.0.0.1:5000"
    assert built.tls_edge_url == "https://localhost:5001"
    built.stopService()


def test_a_bad_endpoint_string_stops_make_service():
    with pytest.raises(SystemExit, match="^ruststack: --listen 'tcp': .*port"):
        made(["--listen", "tcp"])


def test_a_lone_backslash_does_not_join_two_listen_options():
    with pytest.raises(SystemExit, match=r"^ruststack: --listen: 'unix:/a\\\\' ends in a lone backslash$"):
        Options().parseOptions(["--listen", "unix:/a\\", "--listen", "tcp:1"])


def test_a_certificate_that_cannot_be_kept_stops_make_service(tmp_path):
    (tmp_path / "tls").write_text("a file where the folder would be")
    with pytest.raises(SystemExit, match="^ruststack: --cache-dir: cannot keep the self-signed certificate in "):
        made(["--tls-port", "0", "--cache-dir", str(tmp_path)])


def test_no_library_module_imports_the_global_reactor():
    """
    The reactor is handed down from the entry points: twistd's makeService
    and, for test suites, start_stack's default.
    """
    entry_points = {"ruststack/tap.py", "ruststack/testing.py"}
    offenders = []
    for path in sorted((ROOT / "ruststack").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "twisted.internet":
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name.removeprefix("twisted.internet.") for alias in node.names]
            else:
                continue
            if "reactor" in names:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert [o for o in offenders if o.partition(":")[0] not in entry_points] == []
