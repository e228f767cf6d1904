"""
Issue 13's versioning target: a versioned bucket's 1 KiB PutObject and
GetObject within 10% of an unversioned bucket's, same RustStack, same run
(interleaved rounds), raw signed requests. PutObject twice: over the same
100 keys (the versioned bucket keeps every version) and to new keys.

The gap to judge is a few percent, less than a shared machine drifts from
one second to the next: three times the rounds, half as long, the goal
judged round by round (L{bench.harness.Workload.paired}).
"""

from __future__ import annotations

import uuid
from functools import partial

from bench.context import Context
from bench.harness import Goal
from bench.load import run_load
from bench.rawclient import RawClient, RequestFailed
from bench.servers import start_ruststack
from bench.workloads.s3 import SMALL, SMALL_KEYS, SMALL_SHA256

PLAIN = "bench-plain"
VERSIONED = "bench-versioned"
_VERSIONING = (
    b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<Status>Enabled</Status></VersioningConfiguration>"
)


def put_small(url: str, bucket: str, index: int):
    # 100 keys written over and over: each PUT to the versioned bucket keeps the one before.
    client = RawClient(url, "s3")
    return lambda i: (
        client.call("PUT", f"/{bucket}/put/{index}/{i % 100}", body=SMALL, payload_hash=SMALL_SHA256) and len(SMALL)
    )


def put_new(url: str, bucket: str, index: int):
    # Keys never written before (a prefix of its own for each trial): nothing to keep.
    client = RawClient(url, "s3")
    trial = uuid.uuid4().hex
    return lambda i: (
        client.call("PUT", f"/{bucket}/new/{trial}/{index}/{i}", body=SMALL, payload_hash=SMALL_SHA256) and len(SMALL)
    )


def get_small(url: str, bucket: str, index: int):
    client = RawClient(url, "s3")

    def op(i: int) -> int:
        _, _, body = client.call("GET", f"/{bucket}/small/{(i * 7 + index) % SMALL_KEYS}")
        if len(body) != len(SMALL):
            raise RequestFailed(f"GET returned {len(body)} bytes")
        return len(body)

    return op


def _prepare(url: str) -> None:
    import hashlib

    client = RawClient(url, "s3")
    for bucket in (PLAIN, VERSIONED):
        client.call("PUT", f"/{bucket}", expect=(200, 409))
    client.call(
        "PUT",
        f"/{VERSIONED}",
        query=[("versioning", "")],
        body=_VERSIONING,
        payload_hash=hashlib.sha256(_VERSIONING).hexdigest(),
    )
    for bucket in (PLAIN, VERSIONED):
        for i in range(SMALL_KEYS):
            # Two versions of each key in the versioned bucket: GET reads the latest of several.
            for _ in range(2 if bucket == VERSIONED else 1):
                client.call("PUT", f"/{bucket}/small/{i}", body=SMALL, payload_hash=SMALL_SHA256)


def run(ctx: Context) -> None:
    server = ctx.start(start_ruststack, ("s3",), ctx.folder)
    if isinstance(server, str):
        ctx.log(f"RustStack not available: {server}")
        return
    _prepare(server.url)
    within = [Goal(">= 0.9x unversioned", "rate", subject="versioned", peer="unversioned", at_least=0.9)]
    workloads = [
        (label, make, clients)
        for clients in (1, 8)
        for label, make in (("PutObject", put_small), ("GetObject", get_small))
    ]
    # New keys last: the objects they add would change the index the other workloads see.
    workloads += [("PutObject new key", put_new, clients) for clients in (1, 8)]
    for label, make, clients in workloads:

        def load(bucket: str, make=make, clients=clients):
            return partial(run_load, partial(make, server.url, bucket), clients, ctx.duration / 2)

        ctx.compare(
            f"s3 {label} 1 KiB x{clients} versioned",
            "rate",
            {"versioned": (server, load(VERSIONED)), "unversioned": (server, load(PLAIN))},
            within,
            f"raw signed requests, {clients} client process(es), versioned vs unversioned bucket",
            rounds=ctx.rounds * 3,
        )
