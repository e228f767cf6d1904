"""
Issue 4's targets, RustStack's DynamoDB proxy against DynamoDB Local reached
directly and against moto's server, same run, raw signed requests:

  - PutItem and GetItem of 1 KiB items at 1 client (>= 0.7x direct, added
    p50 < 0.3 ms) and at 8 clients (>= 0.5x direct);
  - Query of 100 items and a paginated Scan of 10,000 items (>= 0.85x direct);
  - every workload >= 3x moto;
  - the proxy adds < 30 MiB RSS to RustStack under that load.

A fourth target, C{ddb-tuned}, is DynamoDB Local reached directly but started
with the JVM command line RustStack uses: the ratio to it is the proxy's own
cost, the ratio to C{ddb-local} includes RustStack's JVM tuning.
"""

from __future__ import annotations

import json
import time
from functools import partial

from bench.context import Context
from bench.harness import Goal, Trial, Workload
from bench.load import run_load
from bench.meter import MIB
from bench.rawclient import RawClient, RequestFailed
from bench.servers import Server, start_dynamodb_local, start_forwarder, start_moto, start_ruststack
from bench.signing import sha256_hex
from bench.workloads.common import each, populate

ITEMS = "bench_items"
QUERY = "bench_query"
SCAN = "bench_scan"
ITEM_KEYS = 1000
QUERY_ITEMS = 100
SCAN_ITEMS = 10_000
PAD_1K = "x" * 1000
PAD_SCAN = "y" * 200
_decoder = json.JSONDecoder()


class Dynamo:
    """
    A raw client for DynamoDB's JSON protocol.
    """

    def __init__(self, url: str) -> None:
        self.client = RawClient(url, "dynamodb")

    def call(self, action: str, body: bytes, body_hash: str | None = None) -> bytes:
        _, _, answer = self.client.call(
            "POST",
            "/",
            headers={"content-type": "application/x-amz-json-1.0", "x-amz-target": f"DynamoDB_20120810.{action}"},
            body=body,
            payload_hash=body_hash or sha256_hex(body),
        )
        return answer

    def json(self, action: str, payload: dict) -> dict:
        return json.loads(self.call(action, json.dumps(payload).encode()))


def _prepared(action_bodies: list[dict]) -> list[tuple[bytes, str]]:
    out = []
    for payload in action_bodies:
        body = json.dumps(payload).encode()
        out.append((body, sha256_hex(body)))
    return out


def put_item(url: str, index: int):
    dynamo = Dynamo(url)
    bodies = _prepared(
        [
            {"TableName": ITEMS, "Item": {"pk": {"S": f"put-{index}-{k}"}, "data": {"S": PAD_1K}}}
            for k in range(ITEM_KEYS)
        ]
    )

    def op(i: int) -> int:
        body, digest = bodies[i % ITEM_KEYS]
        dynamo.call("PutItem", body, digest)
        return len(body)

    return op


def get_item(url: str, index: int):
    dynamo = Dynamo(url)
    bodies = _prepared([{"TableName": ITEMS, "Key": {"pk": {"S": f"item-{k}"}}} for k in range(ITEM_KEYS)])

    def op(i: int) -> int:
        body, digest = bodies[(i * 7 + index) % ITEM_KEYS]
        answer = dynamo.call("GetItem", body, digest)
        if b'"Item"' not in answer:
            raise RequestFailed(f"GetItem without Item: {answer[:200]!r}")
        return len(answer)

    return op


def boto3_get_item(url: str, index: int):
    from ruststack.testing import _client as make

    dynamodb = make("dynamodb", url, "us-east-1")

    def op(i: int) -> int:
        if "Item" not in dynamodb.get_item(TableName=ITEMS, Key={"pk": {"S": f"item-{(i * 7 + index) % ITEM_KEYS}"}}):
            raise RequestFailed("GetItem without Item")
        return 0

    return op


def _count(answer: bytes) -> int:
    at = answer.rfind(b'"Count"')
    if at < 0:
        raise RequestFailed(f"no Count in {answer[:200]!r}")
    value, _ = _decoder.raw_decode(answer[answer.index(b":", at) + 1 :].decode().lstrip())
    return value


def query(url: str, index: int):
    dynamo = Dynamo(url)
    [(body, digest)] = _prepared(
        [{"TableName": QUERY, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "q"}}}]
    )

    def op(i: int) -> int:
        answer = dynamo.call("Query", body, digest)
        if _count(answer) != QUERY_ITEMS:
            raise RequestFailed(f"Query counted {_count(answer)} items")
        return len(answer)

    return op


def scan(url: str, index: int):
    """
    One operation: every page of a Scan (1,000 items a page).
    """
    dynamo = Dynamo(url)

    def op(i: int) -> int:
        seen = moved = 0
        start = None
        while True:
            payload: dict = {"TableName": SCAN, "Limit": 1000}
            if start:
                payload["ExclusiveStartKey"] = start
            answer = dynamo.call("Scan", json.dumps(payload).encode())
            moved += len(answer)
            seen += _count(answer)
            at = answer.rfind(b'"LastEvaluatedKey"')
            if at < 0:
                break
            start, _ = _decoder.raw_decode(answer[answer.index(b":", at) + 1 :].decode().lstrip())
        if seen != SCAN_ITEMS:
            raise RequestFailed(f"Scan saw {seen} items of {SCAN_ITEMS}")
        return moved

    return op


def batch_put(url: str, table: str, items: list[dict], index: int):
    dynamo = Dynamo(url)

    def op(i: int) -> int:
        requests = [{"PutRequest": {"Item": item}} for item in items[i * 25 : (i + 1) * 25]]
        pending = {table: requests}
        while pending:
            answer = dynamo.json("BatchWriteItem", {"RequestItems": pending})
            pending = answer.get("UnprocessedItems") or {}
        return 0

    return op


def _prepare(server: Server) -> None:
    dynamo = Dynamo(server.url)
    for table, keys in ((ITEMS, [("pk", "S")]), (QUERY, [("pk", "S"), ("sk", "N")]), (SCAN, [("pk", "S")])):
        dynamo.json(
            "CreateTable",
            {
                "TableName": table,
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in keys],
                "KeySchema": [
                    {"AttributeName": n, "KeyType": "HASH" if j == 0 else "RANGE"} for j, (n, _) in enumerate(keys)
                ],
            },
        )
        deadline = time.monotonic() + 60
        while dynamo.json("DescribeTable", {"TableName": table})["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise RuntimeError(f"table {table} not ACTIVE after 60 s")
            time.sleep(0.1)
    item_rows = [{"pk": {"S": f"item-{k}"}, "data": {"S": PAD_1K}} for k in range(ITEM_KEYS)]
    query_rows = [{"pk": {"S": "q"}, "sk": {"N": str(k)}, "data": {"S": PAD_1K}} for k in range(QUERY_ITEMS)]
    scan_rows = [{"pk": {"S": f"scan-{k}"}, "data": {"S": PAD_SCAN}} for k in range(SCAN_ITEMS)]
    for table, rows in ((ITEMS, item_rows), (QUERY, query_rows), (SCAN, scan_rows)):
        populate(partial(batch_put, server.url, table, rows), -(-len(rows) // 25), clients=4)


def run(ctx: Context) -> None:
    rust = ctx.start(start_ruststack, ("dynamodb",), ctx.folder)
    servers: dict[str, Server | str] = {
        "ruststack": rust,
        "ddb-local": ctx.start(start_dynamodb_local, ctx.folder),
        "ddb-tuned": ctx.start(start_dynamodb_local, ctx.folder, rust) if isinstance(rust, Server) else rust,
        "moto": ctx.start(start_moto, ctx.folder),
    }
    tuned = servers["ddb-tuned"]
    forwarder = ctx.start(start_forwarder, ctx.folder, tuned) if isinstance(tuned, Server) else tuned
    baseline = rust.meter.sample().rss if isinstance(rust, Server) else None
    ctx.log("preparing tables (1,000 + 100 items of 1 KiB, 10,000 items to scan)")
    servers = each(servers, _prepare)
    names = tuple(servers)
    d = ctx.duration
    warm_seconds = 0.5 if ctx.quick else 2.0
    for name in names:
        server = servers[name]
        if not isinstance(server, str):
            # The JVMs compile their hot paths in the first seconds.
            for make in (put_item, get_item, query):
                run_load(partial(make, server.url), 2, warm_seconds)

    def targets(make, clients: int = 1, forwarded: bool = False):
        chosen = {**servers, "twisted-fwd": forwarder} if forwarded else servers
        return {
            n: s if isinstance(s, str) else (s, partial(run_load, partial(make, s.url), clients, d))
            for n, s in chosen.items()
        }

    def goals(direct: float, added_p50: bool = False) -> list[Goal]:
        out = [Goal(f">= {direct}x direct", "rate", peer="ddb-local", at_least=direct)]
        if added_p50:
            out.append(Goal("added p50 < 0.3 ms", "p50_ms", peer="ddb-local", difference=True, below=0.3))
        return out + [
            Goal(">= 3x moto", "rate", peer="moto", at_least=3),
            Goal("vs the same JVM flags direct", "rate", peer="ddb-tuned"),
        ]

    workloads = []
    for clients in (1, 8):
        for label, make in (("PutItem", put_item), ("GetItem", get_item)):
            reference = [Goal("vs a bare Twisted forwarder", "rate", peer="twisted-fwd")] if clients == 1 else []
            workloads.append(
                ctx.compare(
                    f"dynamodb {label} 1 KiB x{clients}",
                    "rate",
                    targets(make, clients, forwarded=clients == 1),
                    goals(0.7 if clients == 1 else 0.5, added_p50=clients == 1) + reference,
                    f"raw signed requests, {clients} client process(es)"
                    + ("; twisted-fwd: bench/forwarder.py in front of ddb-tuned" if clients == 1 else ""),
                )
            )
    workloads.append(
        ctx.compare(
            "dynamodb GetItem 1 KiB x1 boto3",
            "rate",
            targets(boto3_get_item),
            description="boto3 client (its own cost included): for reference",
        )
    )
    workloads.append(
        ctx.compare(
            f"dynamodb Query {QUERY_ITEMS} items", "rate", targets(query), goals(0.85), "1 KiB items, one client"
        )
    )
    workloads.append(
        ctx.compare(
            f"dynamodb Scan {SCAN_ITEMS:,} items",
            "rate",
            targets(scan),
            goals(0.85),
            "whole paginated Scan (1,000 items a page, 200-byte items) per operation, one client",
        )
    )
    memory = ctx.report.add(
        Workload(
            ctx.group,
            "dynamodb proxy RSS growth",
            "rss_growth_mib",
            "RustStack's process (without the JVM): peak under the workloads above minus its RSS once started",
            [Goal("< 30 MiB", "rss_growth_mib", below=30)],
        )
    )
    peaks = [t.peak_rss_mib for w in workloads for t in w.good_trials("ruststack") if t.peak_rss_mib]
    if baseline is None or not peaks:
        memory.unavailable["ruststack"] = rust if isinstance(rust, str) else "no RustStack trial ran"
        return
    peak = max(peaks)
    memory.trials["ruststack"] = [
        Trial(
            target="ruststack",
            round=0,
            operations=1,
            errors=0,
            first_error=None,
            seconds=0.0,
            rate=0.0,
            mb_per_s=0.0,
            p50_ms=float("nan"),
            p90_ms=float("nan"),
            p99_ms=float("nan"),
            max_ms=float("nan"),
            rss_mib=baseline / MIB,
            peak_rss_mib=peak,
            rss_growth_mib=peak - baseline / MIB,
        )
    ]
