"""
The process executor's sandbox, proved from inside real functions invoked
through boto3: each attack a function could make on RustStack or the machine,
and what it gets.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import signal
import threading
import time
from types import SimpleNamespace

import pytest

from ruststack.testing import RustStackProcess
from tests.awslambda import functions
from tests.awslambda.conftest import available

PROBE = """
import os, subprocess, time

def _attempt(action):
    try:
        return {"ok": action()}
    except OSError as e:
        return {"error": type(e).__name__ + ": " + str(e)}

def _write(path):
    with open(path, "w") as f:
        f.write("written by a function")
    return True

def _processes():
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/" + name + "/cmdline", "rb") as f:
                    found[name] = f.read().replace(b"\\0", b" ").decode()
            except OSError:
                found[name] = None
    return found

def _hog(limit_mb):
    hog = []
    while len(hog) * 16 < limit_mb:
        hog.append(b"\\1" * (16 * 1024 * 1024))
    return len(hog) * 16

def handler(event, context):
    what, path = event["try"], event.get("path")
    if what == "read":
        return _attempt(lambda: open(path, "rb").read().decode("latin-1"))
    if what == "write":
        return _attempt(lambda: _write(path))
    if what == "processes":
        return _processes()
    if what == "identity":
        tmp = os.statvfs("/tmp")
        return {"uid": os.getuid(), "gid": os.getgid(), "tmp_mb": tmp.f_blocks * tmp.f_frsize // (1024 * 1024),
                "api": os.environ["AWS_LAMBDA_RUNTIME_API"], "event": event}
    if what == "setsid":
        subprocess.Popen(["sleep", event["marker"]], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(60)
    if what == "hog":
        return {"allocated_mb": _hog(event["mb"])}
    raise ValueError(what)
"""

SECRET = "ruststack-test-secret-" + base64.b32encode(os.urandom(10)).decode()


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    """
    A RustStack with a data dir (S3 objects on disk), a credentials file and
    a secret in its environment: what functions must not reach.
    """
    folder = tmp_path_factory.mktemp("sandbox")
    credentials = folder / "credentials"
    credentials.write_text(f"[dev]\naws_access_key_id = AKIDEV\naws_secret_access_key = {SECRET}\n")
    data_dir = folder / "data"
    os.environ["RUSTSTACK_TEST_SECRET"] = SECRET
    try:
        process = RustStackProcess.start(
            "--services",
            ",".join([*available("s3"), "lambda"]),
            "--data-dir",
            str(data_dir),
            "--credentials-file",
            str(credentials),
        )
    finally:
        del os.environ["RUSTSTACK_TEST_SECRET"]
    yield SimpleNamespace(stack=process, credentials=str(credentials), data_dir=str(data_dir))
    process.stop()


@pytest.fixture
def probe(sandboxed):
    sandboxed.stack.reset("lambda")
    client = sandboxed.stack.client("lambda")
    functions.create(client, "probe", PROBE, Timeout=30)

    def call(event: dict, name: str = "probe", **kwargs) -> tuple[dict, object]:
        response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kwargs)
        return response, json.loads(response["Payload"].read())

    call.client = client  # type: ignore[attr-defined]
    return call


def lambda_health(stack: RustStackProcess) -> dict:
    """
    Lambda's health once the sandbox has been tried (C{starting} until then).
    """
    deadline = time.monotonic() + 10
    while (status := stack.health()["services"]["lambda"])["state"] == "starting" and time.monotonic() < deadline:
        time.sleep(0.05)
    return status


def test_health_says_running_when_sandboxed(sandboxed):
    assert lambda_health(sandboxed.stack) == {"state": "running"}


def test_the_credentials_file_is_out_of_reach(sandboxed, probe):
    _, body = probe({"try": "read", "path": sandboxed.credentials})
    assert "error" in body, body
    assert SECRET not in json.dumps(body)


def test_ruststack_environment_is_out_of_reach(sandboxed, probe):
    for path in (f"/proc/{sandboxed.stack.process.pid}/environ", "/proc/1/environ"):
        _, body = probe({"try": "read", "path": path})
        assert SECRET not in json.dumps(body), path


def test_etc_shadow_is_unreadable(probe):
    _, body = probe({"try": "read", "path": "/etc/shadow"})
    assert body.get("error", "").startswith(("PermissionError", "FileNotFoundError")), body


def test_the_data_dir_is_out_of_reach(sandboxed, probe):
    if "s3" in available("s3"):
        s3 = sandboxed.stack.client("s3")
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="object", Body=b"data")
    target = os.path.join(sandboxed.data_dir, "s3", "planted")
    _, body = probe({"try": "write", "path": target})
    assert "error" in body, body
    assert not os.path.exists(target)
    _, body = probe({"try": "read", "path": os.path.join(sandboxed.data_dir, "lambda", "functions.json")})
    assert "error" in body, body


def test_the_system_and_the_task_root_are_read_only_and_tmp_is_private(probe):
    for path in ("/var/task/planted.py", "/usr/planted", "/etc/planted", "/planted"):
        _, body = probe({"try": "write", "path": path})
        assert body.get("error", "").startswith(("OSError", "PermissionError")), (path, body)
        assert not os.path.exists(path)
    marker = f"/tmp/sandbox-{random.getrandbits(64):x}"
    _, body = probe({"try": "write", "path": marker})
    assert body == {"ok": True}
    assert not os.path.exists(marker)  # the function's /tmp is its own


def test_tmp_has_the_ephemeral_storage_size(probe):
    _, body = probe({"try": "identity"})
    assert 500 <= body["tmp_mb"] <= 512
    functions.create(probe.client, "big-tmp", PROBE, EphemeralStorage={"Size": 1024})
    _, body = probe({"try": "identity"}, name="big-tmp")
    assert 1000 <= body["tmp_mb"] <= 1024


def test_no_other_process_is_visible(sandboxed, probe):
    _, seen = probe({"try": "processes"})
    # bwrap's init, the runtime, and nothing else.
    assert len(seen) <= 3, seen
    assert not any("ruststack" in (cmdline or "") and "awslambdaric" not in cmdline for cmdline in seen.values()), seen


@pytest.mark.skipif(os.geteuid() != 0, reason="environments get their own uid only when RustStack runs as root")
def test_each_environment_runs_as_its_own_unprivileged_uid(probe):
    results: list[dict] = []

    def call() -> None:
        results.append(probe({"try": "identity", "sleep": 1})[1])

    # Two at once: two environments.
    functions.create(probe.client, "slow-identity", functions.ECHO)
    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    uids = {body["uid"] for body in results}
    assert 0 not in uids
    assert all(body["uid"] == body["gid"] for body in results)


def _processes_with(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def test_a_setsid_child_dies_with_the_environment_at_timeout(probe):
    functions.create(probe.client, "spawns", PROBE, Timeout=1)
    marker = f"{random.randint(100000, 999999)}.{random.randint(100, 999)}"
    response, body = probe({"try": "setsid", "marker": marker}, name="spawns")
    assert body["errorType"] == "Sandbox.Timedout", body
    deadline = time.monotonic() + 5
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _processes_with(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_memory_is_capped_at_memory_size(probe):
    functions.create(probe.client, "hog", PROBE, MemorySize=128)
    response, body = probe({"try": "hog", "mb": 1024}, name="hog", LogType="Tail")
    assert response["FunctionError"] == "Unhandled", body
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert body["errorMessage"].startswith(f"RequestId: {response['ResponseMetadata']['RequestId']} Error: ")
    assert body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "Status: error\tError Type: Runtime.OutOfMemory" in log
    # Within its limit it runs, in a fresh environment.
    response, body = probe({"try": "hog", "mb": 32}, name="hog")
    assert body == {"allocated_mb": 32}


def test_functions_still_reach_ruststack_on_loopback(sandboxed, probe):
    if "s3" not in available("s3"):
        pytest.skip("needs RustStack's S3 service")
    sandboxed.stack.client("s3").create_bucket(Bucket="reachable")
    source = """
import boto3

def handler(event, context):
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
"""
    functions.create(probe.client, "lists", source)
    response = probe.client.invoke(FunctionName="lists", Payload=b"{}")
    assert "reachable" in json.loads(response["Payload"].read())


def _runtime_api(probe) -> tuple[str, int]:
    _, body = probe({"try": "identity"})
    host, port = body["api"].rsplit(":", 1)
    return host, int(port)


def test_a_forged_next_is_refused_and_takes_nothing(probe):
    host, port = _runtime_api(probe)
    time.sleep(0.3)  # the runtime polls again
    forged: dict = {}

    def forge() -> None:
        # Another local process polls the warm environment's Runtime API and,
        # if handed the invocation, answers it.
        connection = http.client.HTTPConnection(host, port, timeout=10)
        try:
            connection.request("GET", "/2018-06-01/runtime/invocation/next")
            answer = connection.getresponse()
            forged["status"] = answer.status
            request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
            answer.read()
            if request_id:
                connection.request("POST", f"/2018-06-01/runtime/invocation/{request_id}/response", body=b'"forged"')
                connection.getresponse().read()
        except OSError as e:
            forged["error"] = str(e)
        finally:
            connection.close()

    forger = threading.Thread(target=forge)
    forger.start()
    time.sleep(0.3)
    _, body = probe({"try": "identity", "n": 2})
    forger.join(15)
    assert body != "forged"
    assert body["event"] == {"try": "identity", "n": 2}
    assert forged.get("status") == 403, forged


def test_forged_answers_are_refused(probe):
    host, port = _runtime_api(probe)
    for path in (
        "/2018-06-01/runtime/invocation/00000000-0000-0000-0000-000000000000/response",
        "/2018-06-01/runtime/invocation/00000000-0000-0000-0000-000000000000/error",
        "/2018-06-01/runtime/init/error",
    ):
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.request("POST", path, body=b"{}")
        answer = connection.getresponse()
        assert answer.status == 403, path
        assert json.loads(answer.read())["errorType"] == "Forbidden"
        connection.close()
    # The environment carries on, warm.
    _, body = probe({"try": "identity", "n": 3})
    assert body["event"]["n"] == 3 and body["api"] == f"{host}:{port}"


@pytest.mark.parametrize(
    ("bwrap", "reason"),
    [
        (
            "/nonexistent/bwrap",
            "bubblewrap (/nonexistent/bwrap) is not installed (scripts/install-system-deps.sh installs it)",
        ),
        ("/bin/false", "bubblewrap could not build a sandbox: exit status 1"),
    ],
)
def test_without_a_sandbox_health_says_unsandboxed_and_functions_still_run(bwrap, reason):
    stack = RustStackProcess.start("--services", "lambda", "--lambda-bwrap", bwrap)
    try:
        client = stack.client("lambda")
        functions.create(client, "echo", functions.ECHO)
        response = client.invoke(FunctionName="echo", Payload=b'{"a": 1}')
        assert json.loads(response["Payload"].read())["event"] == {"a": 1}
        assert lambda_health(stack) == {"state": "unsandboxed", "reason": reason}
    finally:
        stack.stop()
