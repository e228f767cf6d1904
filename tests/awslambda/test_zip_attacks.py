"""
Deployment packages that attack RustStack while they are unpacked, sent
through boto3 (CreateFunction, UpdateFunctionCode) to a real RustStack.
"""

from __future__ import annotations

import glob
import io
import os
import stat
import struct
import threading
import time
import urllib.request
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.awslambda import functions

DEPTH = 10


def _zip(*members: tuple[str, bytes, bool]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, is_link in members:
            info = zipfile.ZipInfo(name)
            if is_link:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def link_chain_escape(planted: str) -> bytes:
    """
    C{d0/.../d9/up} -> the task root (inside it, by name), then
    C{.../up/esc} -> as many levels up again (inside too, by name, but
    really above the root), then a file written through both: C{planted}.
    """
    folders = "/".join(f"d{i}" for i in range(DEPTH))
    up = f"{folders}/up"
    return _zip(
        ("app.py", b"def handler(event, context):\n    return 1\n", False),
        (up, "/".join([".."] * DEPTH).encode(), True),
        (f"{up}/esc", "/".join([".."] * (DEPTH + 1)).encode(), True),
        (f"{up}/esc{planted}", b"planted through a chain of links\n", False),
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    process = RustStackProcess.start("--services", "lambda", "--data-dir", str(tmp_path_factory.mktemp("data")))
    yield process
    process.stop()


@pytest.fixture
def client(stack):
    stack.reset("lambda")
    return stack.client("lambda")


def _refused(error: ClientError) -> None:
    assert error.response["Error"]["Code"] == "InvalidParameterValueException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["Error"]["Message"].startswith("Could not unzip uploaded file.")


def test_a_chain_of_links_cannot_write_outside_the_task_root(client):
    planted = f"/tmp/ruststack-planted-{uuid.uuid4().hex}"
    try:
        with pytest.raises(ClientError) as raised:
            functions.create_from(client, "escapes", {"ZipFile": link_chain_escape(planted)})
        _refused(raised.value)
        functions.create(client, "updated", "def handler(event, context):\n    return 1\n")
        with pytest.raises(ClientError) as raised:
            client.update_function_code(FunctionName="updated", ZipFile=link_chain_escape(planted))
        _refused(raised.value)
        time.sleep(0.5)  # an unpacking thread would have written it by now
        assert not os.path.exists(planted)
    finally:
        if os.path.lexists(planted):
            os.unlink(planted)


def _bad_crc(data: bytes, member: zipfile.ZipInfo) -> bytes:
    good = struct.pack("<I", member.CRC)
    assert data.count(good) == 2  # the local header's and the central directory's
    return data.replace(good, struct.pack("<I", member.CRC ^ 0xFFFFFFFF))


def test_a_package_that_fails_to_unpack_leaves_no_staging_folder(stack, client, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
        archive.writestr("zeros.bin", b"\0" * (16 * 1024 * 1024))
        zeros = archive.getinfo("zeros.bin")
    bomb = _bad_crc(buffer.getvalue(), zeros)
    try:
        functions.create_from(client, "bomb", {"ZipFile": bomb})
    except ClientError as error:
        _refused(error)
    else:
        deadline = time.monotonic() + 10
        while client.get_function_configuration(FunctionName="bomb")["State"] == "Pending":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.get_function_configuration(FunctionName="bomb")["State"] == "Failed"
    code_folder = os.path.join(stack_data_dir(stack), "lambda", "code")
    assert glob.glob(os.path.join(code_folder, "*.tmp")) == []


def stack_data_dir(stack: RustStackProcess) -> str:
    command = open(f"/proc/{stack.process.pid}/cmdline", "rb").read().split(b"\0")
    return command[command.index(b"--data-dir") + 1].decode()


def test_health_answers_while_a_package_of_200000_entries_is_checked(stack, client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
        for i in range(200_000):
            archive.writestr(f"d{i % 100}/f{i}", b"")
        # The last entry is refused: the whole central directory is read first.
        archive.writestr("../outside", b"")
    package = buffer.getvalue()
    outcome: dict = {}

    def create() -> None:
        try:
            functions.create_from(client, "many", {"ZipFile": package})
        except ClientError as error:
            outcome["error"] = error

    creating = threading.Thread(target=create)
    began = time.monotonic()
    creating.start()
    slowest = 0.0
    answers = 0
    while creating.is_alive():
        started = time.monotonic()
        with urllib.request.urlopen(stack.endpoint_url + "/_ruststack/health", timeout=10) as response:
            response.read()
        slowest = max(slowest, time.monotonic() - started)
        answers += 1
        time.sleep(0.01)
    creating.join()
    took = time.monotonic() - began
    _refused(outcome["error"])
    # Checking the package takes over a second; health must not wait for it
    # (a bound relative to the check's own time, which a loaded machine stretches too).
    assert slowest < took / 4, (slowest, took)
    assert answers > 5
