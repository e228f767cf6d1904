"""
Issue 16's console target, without a browser: the first page of a
100,000-key bucket (1,000 rows: one ListObjectsV2 page through the edge,
parsed with botocore, rendered with twisted.web.template) answers in
< 300 ms. (tests/console/test_browser.py measures the same page in
headless Chromium, rendering included, and prints it.)
"""

from __future__ import annotations

import hashlib
import urllib.request
from functools import partial

from bench.context import Context
from bench.harness import Goal
from bench.load import run_load
from bench.rawclient import RawClient, RequestFailed
from bench.servers import Server, start_ruststack
from bench.workloads.common import populate

KEYS = 100_000
BUCKET = "console-huge"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def put_flat(url: str, index: int):
    client = RawClient(url, "s3")
    return lambda i: client.call("PUT", f"/{BUCKET}/object-{i:06d}.json", body=b"", payload_hash=EMPTY_SHA256) and 0


def first_page(url: str, index: int):
    page = f"{url}/_ruststack/s3/buckets/{BUCKET}"

    def op(i: int) -> int:
        with urllib.request.urlopen(page, timeout=60) as response:
            body = response.read()
        if response.status != 200 or body.count(b"<tr>") < 1000:
            raise RequestFailed(f"console page: {response.status}, {body.count(b'<tr>')} rows")
        return len(body)

    return op


def run(ctx: Context) -> None:
    keys = 20_000 if ctx.quick else KEYS
    rust: Server | str = ctx.start(start_ruststack, ("s3",), ctx.folder)
    if isinstance(rust, Server):
        try:
            RawClient(rust.url, "s3").call("PUT", f"/{BUCKET}")
            ctx.log(f"putting {keys:,} keys")
            populate(partial(put_flat, rust.url), keys)
        except Exception as e:
            rust.stop()
            rust = f"set-up failed: {type(e).__name__}: {e}"
    ctx.compare(
        f"console S3 first page of {keys:,} keys",
        "p50_ms",
        {
            "ruststack": rust
            if isinstance(rust, str)
            else (rust, partial(run_load, partial(first_page, rust.url), 1, ctx.duration))
        },
        [Goal("< 300 ms", "p50_ms", below=300)],
        "GET /_ruststack/s3/buckets/<bucket>: 1,000 rows, one client",
    )
