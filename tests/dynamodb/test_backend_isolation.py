"""
DynamoDB Local is no side door: it listens on loopback only (the socket
RustStack binds for it), and serves only requests that carry the token of
the RustStack that started it; through RustStack everything works.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
import pytest_twisted
from twisted.internet import threads

from ruststack.testing import start_stack
from tests.dynamodb import helpers
from tests.dynamodb.helpers import JAR, make_table, requires_dynamodb_local

pytestmark = requires_dynamodb_local


def non_loopback_address() -> str | None:
    """
    An IPv4 address of this machine other than loopback, if it has one.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect(("192.0.2.1", 9))  # TEST-NET-1; a UDP connect sends nothing
            address = udp.getsockname()[0]
        if not address.startswith("127."):
            return address
    except OSError:
        pass
    try:
        lines = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in lines.splitlines():
        fields = line.split()
        if "inet" in fields:
            address = fields[fields.index("inet") + 1].split("/")[0]
            if not address.startswith("127."):
                return address
    return None


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """
    The TCP addresses process C{pid} listens on (from /proc: its socket
    inodes, and the kernel's tables of listening sockets).
    """
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, size in (("tcp", 4), ("tcp6", 16)):
        with open(f"/proc/{pid}/net/{table}", encoding="ascii") as f:
            for line in list(f)[1:]:
                fields = line.split()
                if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                    continue
                address, port = fields[1].split(":")
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word in host (little-endian) order.
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, size, 4))
                family = socket.AF_INET if size == 4 else socket.AF_INET6
                found.add((socket.inet_ntop(family, raw), int(port, 16)))
    return found


def list_tables_directly(port: int, signature: str) -> tuple[int, bytes]:
    """
    ListTables sent straight to DynamoDB Local as an account would, with
    any signature.
    """
    return helpers.list_tables_directly(
        port,
        "AWS4-HMAC-SHA256 Credential=000000000000/20120810/us-east-1/dynamodb/aws4_request, "
        f"SignedHeaders=host, Signature={signature}",
    )


@pytest.fixture
def address():
    found = non_loopback_address()
    if found is None:
        print("no IPv4 address other than loopback on this machine: the remote half is not tested")
    return found


@pytest_twisted.ensureDeferred
async def test_dynamodb_local_serves_ruststack_alone(address):
    stack = await start_stack(services=("dynamodb",), dynamodb_local_jar=JAR)
    local = stack.stack.aws_services["dynamodb"].local
    try:
        client = stack.deferred_client("dynamodb")
        await threads.deferToThread(make_table, client.client, "kept", False, False, False)
        await client.put_item(TableName="kept", Item={"pk": {"S": "secret"}})
        port = local.port
        assert port is not None

        # It listens on 127.0.0.1 alone: nowhere else, on no other port.
        assert listening_addresses(local.pid) == {("127.0.0.1", port)}
        if address is not None:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((address, port), timeout=5).close()

        # Reached on loopback without RustStack's token, it serves nothing.
        for signature in ("0", "f" * 64, local.token[:-1] + "x", local.token[1:]):
            status, body = await threads.deferToThread(list_tables_directly, port, signature)
            assert status == 403, (status, body)
            assert body == b""

        # Through RustStack, everything works.
        assert (await client.list_tables())["TableNames"] == ["kept"]
        item = await client.get_item(TableName="kept", Key={"pk": {"S": "secret"}})
        assert item["Item"] == {"pk": {"S": "secret"}}
    finally:
        await stack.stop()
