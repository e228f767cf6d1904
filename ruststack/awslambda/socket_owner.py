"""
Which processes a loopback TCP connection comes from: how a Runtime API
listener tells its own environment's runtime from any other local process
that found its port.

The kernel lists every TCP socket of the network namespace in
C{/proc/net/tcp} with its inode; a process holds a socket when one of its
C{/proc/<pid>/fd} links reads C{socket:[inode]}. A connection to the
listener is its environment's when the client end's inode is held by the
environment's root process or one of its descendants. That is a check of the
process, not of its uid, so it holds when every environment runs as the same
uid (RustStack as an unprivileged user) and when two RustStacks hand out the
same uids.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterable, Iterator

import attrs


@attrs.frozen
class TcpSocket:
    """
    One line of C{/proc/net/tcp}.
    """

    local: tuple[str, int]
    remote: tuple[str, int]
    uid: int
    inode: int


def parse_address(text: str) -> tuple[str, int]:
    """
    C{0100007F:1F90} -> C{("127.0.0.1", 8080)}: the kernel prints the IPv4
    address as the hex of its 32-bit word in the machine's byte order, the
    port in hex.
    """
    address, _, port = text.partition(":")
    if len(address) != 8 or not port:
        raise ValueError(f"not an IPv4 socket address: {text!r}")
    return socket.inet_ntoa(struct.pack("=I", int(address, 16))), int(port, 16)


def format_address(host: str, port: int) -> str:
    """
    The inverse of L{parse_address}.
    """
    return f"{struct.unpack('=I', socket.inet_aton(host))[0]:08X}:{port:04X}"


def parse_tcp_table(lines: Iterable[str]) -> Iterator[TcpSocket]:
    """
    The sockets of a C{/proc/net/tcp} listing (its header line skipped).
    """
    for line in lines:
        fields = line.split()
        if len(fields) < 10 or not fields[0].endswith(":"):
            continue
        yield TcpSocket(parse_address(fields[1]), parse_address(fields[2]), int(fields[7]), int(fields[9]))


def find_socket(local: tuple[str, int], remote: tuple[str, int], table: str = "/proc/net/tcp") -> TcpSocket | None:
    """
    The socket whose own end is C{local} and whose peer is C{remote}.
    """
    with open(table, encoding="ascii") as f:
        for entry in parse_tcp_table(f):
            if entry.local == local and entry.remote == remote:
                return entry
    return None


def process_tree(root: int) -> list[int]:
    """
    C{root} and its descendants (those alive now).
    """
    found = [root]
    index = 0
    while index < len(found):
        pid = found[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                    found.extend(int(child) for child in f.read().split())
            except OSError:
                pass
    return found


def socket_inodes(pids: Iterable[int]) -> set[int]:
    """
    The inodes of the sockets C{pids} hold.
    """
    inodes = set()
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(f"{folder}/{name}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def connection_from_tree(root: int, client: tuple[str, int], server: tuple[str, int]) -> bool:
    """
    Whether the TCP connection from C{client} to our C{server} address is
    held, on the client side, by C{root} or one of its descendants.
    """
    entry = find_socket(client, server)
    if entry is None or entry.inode == 0:
        return False
    return entry.inode in socket_inodes(process_tree(root))
