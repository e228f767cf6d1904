"""
Pieces the workload groups share: populating a server, and the usual shape
of a target map (each server, or the reason it is not there).
"""

from __future__ import annotations

from collections.abc import Callable

from bench.load import Operation, run_load
from bench.servers import Server


def populate(make_op: Callable[[int], Operation], total: int, clients: int = 8, limit: float = 900) -> None:
    """
    Run C{total} operations spread over C{clients} processes (operation
    C{i} of client C{c} is number C{c * per_client + i}); raise on any error.
    """
    per_client = -(-total // clients)

    def make(index: int) -> Operation:
        op = make_op(index)
        first = index * per_client
        return lambda i: op(first + i) if first + i < total else 0

    result = run_load(make, clients, limit, max_ops=per_client)
    if result.errors:
        raise RuntimeError(f"populating failed: {result.first_error}")
    if result.operations < per_client * clients:
        raise RuntimeError(f"populating stopped after {result.operations} of {total} in {limit:.0f} s")


def each(servers: dict[str, Server | str], fn: Callable[[Server], object]) -> dict[str, Server | str]:
    """
    Apply C{fn} to each running server; a server it fails on becomes the
    reason (so later workloads report it as not available).
    """
    out: dict[str, Server | str] = {}
    for name, server in servers.items():
        if isinstance(server, str):
            out[name] = server
            continue
        try:
            fn(server)
            out[name] = server
        except Exception as e:
            out[name] = f"set-up failed: {type(e).__name__}: {e}"[:500]
    return out
