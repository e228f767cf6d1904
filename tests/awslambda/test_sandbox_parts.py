"""
The sandbox's parts on their own: the /proc/net/tcp reader and the
connection-owner check (with real sockets and processes), the zip resolver
against the real file system, the memory cgroup finder, and the bwrap
command (run for real where bubblewrap is installed).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.awslambda import code, sandbox, socket_owner
from ruststack.awslambda.memory_cgroup import CgroupUnavailable, MemoryCgroups

addresses = st.tuples(st.ip_addresses(v=4).map(str), st.integers(0, 65535))


@given(addresses)
def test_addresses_read_back_as_written(address):
    assert socket_owner.parse_address(socket_owner.format_address(*address)) == address


@given(st.lists(st.tuples(addresses, addresses, st.integers(0, 2**32 - 2), st.integers(0, 2**40)), max_size=20))
def test_a_tcp_table_reads_back_as_the_kernel_writes_it(sockets):
    # The layout of net/ipv4/tcp_ipv4.c's get_tcp4_sock().
    lines = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"]
    for number, (local, remote, uid, inode) in enumerate(sockets):
        lines.append(
            f"{number:4d}: {socket_owner.format_address(*local)} {socket_owner.format_address(*remote)} 01 "
            f"00000000:00000000 00:00000000 00000000 {uid:5d}        0 {inode} 1 0000000000000000 20 4 30 10 -1"
        )
    parsed = list(socket_owner.parse_tcp_table(lines))
    assert parsed == [socket_owner.TcpSocket(local, remote, uid, inode) for local, remote, uid, inode in sockets]


@given(st.text(max_size=30))
def test_anything_but_an_address_is_refused(text):
    try:
        host, port = socket_owner.parse_address(text)
    except ValueError:
        return
    assert socket_owner.parse_address(socket_owner.format_address(host, port)) == (host, port)


def test_a_connection_belongs_to_the_process_tree_that_opened_it():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        server = listener.getsockname()
        # A child that connects through a grandchild: the tree holds the socket.
        grandchild = (
            "import socket, sys, time; s = socket.create_connection((sys.argv[1], int(sys.argv[2])));"
            " print(1, flush=True); time.sleep(30)"
        )
        script = "import subprocess, sys; subprocess.run([sys.executable, '-c', sys.argv[1], *sys.argv[2:]])"
        child = subprocess.Popen(
            [sys.executable, "-c", script, grandchild, server[0], str(server[1])], stdout=subprocess.PIPE
        )
        listener.settimeout(20)
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            connection, client = listener.accept()
            assert child.stdout is not None and child.stdout.readline() == b"1\n"
            with connection:
                assert socket_owner.connection_from_tree(child.pid, client, server)
                assert not socket_owner.connection_from_tree(other.pid, client, server)
            # Our own connection is not the child's.
            with socket.create_connection(server) as own:
                accepted, own_client = listener.accept()
                with accepted:
                    assert own.getsockname() == own_client
                    assert not socket_owner.connection_from_tree(child.pid, own_client, server)
                    assert socket_owner.connection_from_tree(os.getpid(), own_client, server)
        finally:
            for process in (child, other):
                for pid in socket_owner.process_tree(process.pid)[::-1]:
                    try:
                        os.kill(pid, 9)
                    except ProcessLookupError:
                        pass
                process.wait()


# Zips of a few names over a tiny alphabet, some of them links: enough for
# chains, loops, ".." and members beneath links.
components = st.sampled_from(["a", "b", "..", "."])
paths = st.lists(components, min_size=1, max_size=4).map("/".join)
members = st.lists(st.tuples(paths, st.one_of(st.none(), paths)), min_size=1, max_size=6)


def _package(entries: list[tuple[str, str | None]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, link in entries:
            info = zipfile.ZipInfo(name)
            if link is not None:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, link.encode() if link is not None else b"file")
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(members)
def test_nothing_unpacked_is_ever_outside_the_task_root(tmp_path, entries):
    data = _package(entries)
    outer = tmp_path / f"case-{os.urandom(6).hex()}"
    task = outer / "sub" / "task"
    (outer / "sub").mkdir(parents=True)
    try:
        try:
            code.check_zip(data)
        except AwsError as error:
            assert error.code == "InvalidParameterValueException"
        # Even what the check refused is unpacked safely (or refused the same way).
        try:
            code.unpack(data, str(task))
        except AwsError as error:
            assert error.code == "InvalidParameterValueException"
            assert not task.exists()  # cleaned up
        assert sorted(os.listdir(outer)) == ["sub"]
        assert sorted(os.listdir(outer / "sub")) in ([], ["task"])
        if task.exists():
            root = os.path.realpath(task)
            for folder, folders, files in os.walk(task):
                for name in folders + files:
                    path = os.path.join(folder, name)
                    real = os.path.realpath(path)
                    assert real == root or real.startswith(root + "/"), (path, real)
    finally:
        shutil.rmtree(outer, ignore_errors=True)


def test_resolve_follows_chains_and_refuses_escapes():
    links = {"d/up": "..", "d/up/esc": "../.."}
    assert code.resolve(links, ["d", "up", "x"], "m") == ["x"]
    with pytest.raises(AwsError):
        code.resolve({"a": "b", "b": "a"}, ["a"], "loop")
    with pytest.raises(AwsError):
        code.resolve({"l": "/etc"}, ["l"], "absolute")
    with pytest.raises(AwsError):
        code.check_members(["d/up/esc/tmp/x"], {"d/up": ".."})


def _fake_proc(tmp_path, cgroup: str, mountinfo: str) -> str:
    proc = tmp_path / "proc"
    proc.mkdir(exist_ok=True)
    (proc / "cgroup").write_text(cgroup)
    (proc / "mountinfo").write_text(mountinfo)
    return str(proc)


def test_memory_cgroups_are_found_under_our_own_v1_cgroup(tmp_path):
    mount = tmp_path / "memory"
    (mount / "outer" / "ours").mkdir(parents=True)
    proc = _fake_proc(
        tmp_path,
        "5:devices:/outer/ours\n4:memory:/outer/ours\n0::/\n",
        f"35 31 0:32 / {mount} rw,relatime - cgroup cgroup rw,memory\n",
    )
    found = MemoryCgroups.find(proc, try_it=False)
    assert found == MemoryCgroups(str(mount / "outer" / "ours"), 1)


def test_a_bind_mounted_cgroup_root_is_taken_into_account(tmp_path):
    mount = tmp_path / "memory"
    (mount / "ours").mkdir(parents=True)
    proc = _fake_proc(tmp_path, "4:memory:/outer/ours\n", f"35 31 0:32 /outer {mount} rw - cgroup cgroup rw,memory\n")
    assert MemoryCgroups.find(proc, try_it=False).folder == str(mount / "ours")


def test_no_memory_controller_is_no_cgroup(tmp_path):
    proc = _fake_proc(tmp_path, "4:cpu:/\n", "35 31 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n")
    with pytest.raises(CgroupUnavailable):
        MemoryCgroups.find(proc, try_it=False)


@given(st.lists(st.text(alphabet="abcdef0123456789-_", min_size=1, max_size=8), max_size=4))
def test_the_cgroup_folder_is_the_mount_point_joined_with_our_path(tmp_path_factory, parts):
    base = tmp_path_factory.mktemp("cg")
    path = "/" + "/".join(parts)
    (base / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
    proc = _fake_proc(base, f"4:memory:{path}\n", f"35 31 0:32 / {base} rw - cgroup cgroup rw,memory\n")
    assert MemoryCgroups.find(proc, try_it=False).folder == os.path.normpath(f"{base}/{path}")


def test_hidden_files_inside_a_shown_tree_are_emptied():
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (scripts/install-system-deps.sh)")
    hidden = "/etc/hostname" if os.path.isfile("/etc/hostname") else "/etc/passwd"
    chosen = sandbox.find_sandbox([hidden, "/etc/does-not-exist"])
    task = os.path.dirname(os.path.abspath(__file__))
    command = [*chosen.wrapper(sandbox.UID_BASE - 2, task, 1), "/bin/sh", "-c", f"wc -c < {hidden}; id -u"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    size, uid = result.stdout.split()
    assert size == "0"
    assert int(uid) == (sandbox.UID_BASE - 2 if os.geteuid() == 0 else os.geteuid())


def test_uids_are_handed_out_once_and_come_back():
    uids = sandbox.UidRange(1000)
    first, second = uids.take(), uids.take()
    assert (first, second) == (1000, 1001)
    uids.give_back(first)
    assert uids.take() == 1000
    assert uids.take() == 1002


def test_cgroups_left_by_a_dead_ruststack_are_removed(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / f"ruststack-lambda-{dead.pid}" / "environment-1").mkdir(parents=True)
    (tmp_path / "ruststack-lambda-1" / "environment-2").mkdir(parents=True)  # init: alive
    (tmp_path / "unrelated").mkdir()
    own = MemoryCgroups(str(tmp_path), 1).own_folder()
    assert own.folder == str(tmp_path / f"ruststack-lambda-{os.getpid()}")
    left = ["ruststack-lambda-1", "unrelated", f"ruststack-lambda-{os.getpid()}"]
    assert sorted(os.listdir(tmp_path)) == sorted(left)
    assert own.remove_all()
    assert not os.path.exists(own.folder)


def test_an_unprivileged_ruststack_sandboxes_as_its_own_uid():
    # RustStack under systemd runs as a user of its own: bubblewrap then maps
    # that user into a user namespace (no uid of its own per environment).
    if shutil.which("bwrap") is None or shutil.which("setpriv") is None:
        pytest.skip("bubblewrap or setpriv is not installed")
    # Where the unprivileged user can reach it (pytest's folders are root's only).
    task = tempfile.mkdtemp(prefix="ruststack-task-")
    os.chmod(task, 0o755)
    unprivileged = sandbox.Sandbox(
        bwrap=shutil.which("bwrap") or "", setpriv=None, python="/bin/true", python_home="/usr", runtime_modules={}
    )
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    script = "id -u; ls /proc | grep -c '^[0-9]'; touch /tmp/x && echo tmp; touch /var/task/x 2>/dev/null || echo ro"
    try:
        result = subprocess.run(
            [*drop, *unprivileged.wrapper(None, task, 16), "/bin/sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        os.rmdir(task)
    assert result.returncode == 0, result.stderr
    uid, processes, tmp, read_only = result.stdout.split()
    assert int(uid) == (65534 if drop else os.geteuid())
    assert int(processes) <= 4
    assert (tmp, read_only) == ("tmp", "ro")
