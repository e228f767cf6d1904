"""
Issue 3's targets, RustStack's S3 against moto's server (and nginx for large
GETs), same run:

  - 1 KiB PutObject / GetObject / HeadObject, raw signed requests, 1 and 8
    clients: >= 5x moto (boto3 figures alongside);
  - 256 MiB GetObject >= 0.8x nginx serving the same bytes; 256 MiB PutObject
    >= 3x moto; RustStack's RSS grows < 64 MiB during either;
  - 1 MiB Range GETs of a 256 MiB object: >= 100x moto;
  - ListObjectsV2 through 10,000 keys < 0.1x moto's time; through 100,000
    keys, each 1,000-key page < 20 ms (RustStack only).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from functools import partial

from bench.context import Context
from bench.harness import Goal, Target
from bench.load import run_load
from bench.rawclient import RawClient, RequestFailed
from bench.servers import Server, start_moto, start_nginx, start_ruststack
from bench.signing import UNSIGNED_PAYLOAD
from bench.workloads.common import each, populate

MIB = 1024 * 1024
BUCKET = "bench"
LIST_BUCKET = "bench-list"
DEEP_BUCKET = "bench-deep"
SMALL = os.urandom(1024)
SMALL_SHA256 = hashlib.sha256(SMALL).hexdigest()
SMALL_KEYS = 100
_TOKEN = re.compile(rb"<NextContinuationToken>([^<]+)</NextContinuationToken>")


def _client(url: str) -> RawClient:
    return RawClient(url, "s3")


# Operations: each factory is called in a client process with its index.


def put_small(url: str, index: int):
    client = _client(url)
    return lambda i: (
        client.call("PUT", f"/{BUCKET}/put/{index}/{i % 100}", body=SMALL, payload_hash=SMALL_SHA256) and len(SMALL)
    )


def get_small(url: str, index: int):
    client = _client(url)

    def op(i: int) -> int:
        _, _, body = client.call("GET", f"/{BUCKET}/small/{(i * 7 + index) % SMALL_KEYS}")
        if len(body) != len(SMALL):
            raise RequestFailed(f"GET returned {len(body)} bytes")
        return len(body)

    return op


def head_small(url: str, index: int):
    client = _client(url)

    def op(i: int) -> int:
        _, headers, _ = client.call("HEAD", f"/{BUCKET}/small/{(i * 7 + index) % SMALL_KEYS}")
        if headers.get("content-length") != str(len(SMALL)):
            raise RequestFailed(f"HEAD content-length {headers.get('content-length')}")
        return 0

    return op


def boto3_client(url: str):
    from ruststack.testing import _client as make

    return make("s3", url, "us-east-1")


def boto3_put_small(url: str, index: int):
    s3 = boto3_client(url)
    return lambda i: s3.put_object(Bucket=BUCKET, Key=f"put/{index}/{i % 100}", Body=SMALL) and len(SMALL)


def boto3_get_small(url: str, index: int):
    s3 = boto3_client(url)

    def op(i: int) -> int:
        body = s3.get_object(Bucket=BUCKET, Key=f"small/{(i * 7 + index) % SMALL_KEYS}")["Body"].read()
        if len(body) != len(SMALL):
            raise RequestFailed(f"GET returned {len(body)} bytes")
        return len(body)

    return op


def get_whole(url: str, path: str, size: int, index: int):
    client = _client(url)
    buffer = memoryview(bytearray(MIB))

    def op(i: int) -> int:
        response = client.send("GET", path)
        if response.status != 200:
            raise RequestFailed(f"GET {path}: {response.status} {response.read()[:200]!r}")
        got = 0
        while n := response.readinto(buffer):
            got += n
        if got != size:
            raise RequestFailed(f"GET {path}: {got} bytes of {size}")
        return got

    return op


def put_big(url: str, body: memoryview, index: int):
    client = _client(url)
    return lambda i: client.call("PUT", f"/{BUCKET}/big-put", body=body, payload_hash=UNSIGNED_PAYLOAD) and len(body)


def get_ranges(url: str, size: int, index: int):
    client = _client(url)
    rng = random.Random(index)

    def op(i: int) -> int:
        start = rng.randrange(size // MIB) * MIB
        _, headers, body = client.call(
            "GET", f"/{BUCKET}/big", expect=206, headers={"range": f"bytes={start}-{start + MIB - 1}"}
        )
        if len(body) != MIB:
            raise RequestFailed(f"range GET returned {len(body)} bytes")
        return len(body)

    return op


def list_all(url: str, bucket: str, expected: int, index: int):
    """
    One operation: every page of ListObjectsV2 (1,000 keys each).
    """
    client = _client(url)

    def op(i: int) -> int:
        seen = 0
        token = None
        while True:
            query = [("list-type", "2"), ("max-keys", "1000")]
            if token:
                query.append(("continuation-token", token))
            _, _, body = client.call("GET", f"/{bucket}", query=query)
            seen += body.count(b"<Key>")
            found = _TOKEN.search(body)
            if not found:
                break
            token = found.group(1).decode().replace("&amp;", "&")
        if seen != expected:
            raise RequestFailed(f"listed {seen} keys of {expected}")
        return 0

    return op


def list_pages(url: str, bucket: str, index: int):
    """
    One operation: the next 1,000-key page, going round the bucket.
    """
    client = _client(url)
    token: list[str] = []

    def op(i: int) -> int:
        query = [("list-type", "2"), ("max-keys", "1000")]
        if token:
            query.append(("continuation-token", token.pop()))
        _, _, body = client.call("GET", f"/{bucket}", query=query)
        if body.count(b"<Key>") == 0:
            raise RequestFailed("an empty page")
        found = _TOKEN.search(body)
        if found:
            token.append(found.group(1).decode().replace("&amp;", "&"))
        return 0

    return op


def put_empty(url: str, bucket: str, index: int):
    client = _client(url)
    return lambda i: (
        client.call("PUT", f"/{bucket}/key/{i:06d}", body=b"", payload_hash=hashlib.sha256(b"").hexdigest()) and 0
    )


def _prepare(server: Server, big: memoryview, list_keys: int) -> None:
    client = _client(server.url)
    for bucket in (BUCKET, LIST_BUCKET):
        client.call("PUT", f"/{bucket}", expect=(200, 409))
    for i in range(SMALL_KEYS):
        client.call("PUT", f"/{BUCKET}/small/{i}", body=SMALL, payload_hash=SMALL_SHA256)
    client.call("PUT", f"/{BUCKET}/big", body=big, payload_hash=UNSIGNED_PAYLOAD)
    populate(partial(put_empty, server.url, LIST_BUCKET), list_keys)


def run(ctx: Context) -> None:
    big_size = (32 if ctx.quick else 256) * MIB
    list_keys = 10_000
    deep_keys = 20_000 if ctx.quick else 100_000
    big = memoryview(os.urandom(MIB) * (big_size // MIB))
    nginx_root = os.path.join(ctx.folder, "www")
    os.makedirs(os.path.join(nginx_root, BUCKET))
    with open(os.path.join(nginx_root, BUCKET, "big"), "wb") as f:
        f.write(big)
    os.makedirs(os.path.join(nginx_root, BUCKET, "small"))
    for i in range(SMALL_KEYS):
        with open(os.path.join(nginx_root, BUCKET, "small", str(i)), "wb") as f:
            f.write(SMALL)

    servers: dict[str, Server | str] = {
        "ruststack": ctx.start(start_ruststack, ("s3",), ctx.folder),
        "moto": ctx.start(start_moto, ctx.folder),
    }
    nginx = ctx.start(start_nginx, nginx_root, ctx.folder)
    ctx.log(f"preparing buckets ({list_keys:,} keys to list, a {big_size // MIB} MiB object)")
    servers = each(servers, lambda s: _prepare(s, big, list_keys))
    # nginx serves the same bytes from files (it ignores the signature).
    servers["nginx"] = nginx
    d = ctx.duration

    def targets(make, clients: int = 1, names=("ruststack", "moto"), duration: float = d):
        return {
            name: s
            if isinstance(s := servers[name], str)
            else (s, partial(run_load, partial(make, s.url), clients, duration))
            for name in names
        }

    def warm(make, names=("ruststack", "moto")):
        return {
            n: partial(run_load, partial(make, s.url), 1, 0.3) for n in names if not isinstance(s := servers[n], str)
        }

    five_x = [Goal(">= 5x moto", "rate", peer="moto", at_least=5)]
    for clients in (1, 8):
        for label, make in (("PutObject", put_small), ("GetObject", get_small), ("HeadObject", head_small)):
            # GETs from nginx: the loopback and client ceiling.
            names = ("ruststack", "moto", "nginx") if make is get_small else ("ruststack", "moto")
            ctx.compare(
                f"s3 {label} 1 KiB x{clients}",
                "rate",
                targets(make, clients, names),
                five_x,
                f"raw signed requests, {clients} client process(es), keep-alive",
                warmup=warm(make) if clients == 1 else None,
            )
    for label, make in (("PutObject", boto3_put_small), ("GetObject", boto3_get_small)):
        ctx.compare(
            f"s3 {label} 1 KiB x1 boto3",
            "rate",
            targets(make),
            description="boto3 client (its own cost included): for reference",
            warmup=warm(make),
        )

    size_label = f"{big_size // MIB} MiB"
    big_rss = Goal("RSS growth < 64 MiB", "rss_growth_mib", below=64)
    for label, make, against, peer_goal, description in (
        (
            "GetObject",
            lambda url, i: get_whole(url, f"/{BUCKET}/big", big_size, i),
            tuple(servers),
            Goal(">= 0.8x nginx", "mb_per_s", peer="nginx", at_least=0.8),
            "one client reading into a 1 MiB buffer; nginx: sendfile, one worker",
        ),
        (
            "PutObject",
            lambda url, i: put_big(url, big, i),
            ("ruststack", "moto"),
            Goal(">= 3x moto", "mb_per_s", peer="moto", at_least=3),
            "one client, UNSIGNED-PAYLOAD, overwriting one key",
        ),
    ):
        ctx.compare(
            f"s3 {label} {size_label}", "mb_per_s", targets(make, names=against), [peer_goal, big_rss], description
        )
    ctx.compare(
        f"s3 Range GET 1 MiB of {size_label}",
        "rate",
        targets(lambda url, i: get_ranges(url, big_size, i)),
        [Goal(">= 100x moto", "rate", peer="moto", at_least=100)],
        "random MiB-aligned ranges, one client",
    )
    ctx.compare(
        f"s3 ListObjectsV2 {list_keys:,} keys",
        "p50_ms",
        targets(lambda url, i: list_all(url, LIST_BUCKET, list_keys, i)),
        [Goal("< 0.1x moto's time", "p50_ms", peer="moto", below=0.1)],
        "time to list every key, 1,000 per page, one client",
    )

    rust = servers["ruststack"]
    deep: Target | str
    if isinstance(rust, str):
        deep = rust
    else:
        ctx.log(f"preparing {deep_keys:,} keys in RustStack")
        try:
            _client(rust.url).call("PUT", f"/{DEEP_BUCKET}", expect=(200, 409))
            populate(partial(put_empty, rust.url, DEEP_BUCKET), deep_keys)
            deep = (rust, partial(run_load, partial(list_pages, rust.url, DEEP_BUCKET), 1, max(d, 3.0)))
        except Exception as e:
            deep = f"set-up failed: {type(e).__name__}: {e}"
    ctx.compare(
        f"s3 ListObjectsV2 page of {deep_keys:,} keys",
        "p50_ms",
        {"ruststack": deep},
        [Goal("p99 < 20 ms", "p99_ms", below=20), Goal("max < 20 ms", "max_ms", below=20)],
        "one 1,000-key page at a time, going round the whole bucket",
    )
