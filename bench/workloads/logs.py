"""
CloudWatch Logs' targets (no peer: moto's FilterLogEvents is a Python loop
over dicts, not a reference for speed):

  - FilterLogEvents over a log group of 100,000 events answers in < 200 ms:
    a term found in one event in a thousand (the whole group searched), the
    first page of everything (10,000 events, the page's limit), and the same
    term over 100 streams of 1,000 events (the interleaving's cost);
  - shipping Lambda's logs costs the warm invoke path nothing that shows:
    the no-op warm invoke p50 with CloudWatch Logs running (START, END and
    REPORT shipped for every invocation) within 0.2 ms of Lambda alone,
    interleaved in the same run.
"""

from __future__ import annotations

import json
import os
import time
from functools import partial

from bench.context import Context
from bench.harness import Goal
from bench.load import run_load
from bench.rawclient import RawClient, RequestFailed
from bench.servers import Server, start_ruststack
from bench.workloads import awslambda

EVENTS = 100_000
BATCH = 10_000
RARE = 1_000  # one event in RARE holds the term searched for


class LogsClient:
    """
    Signed CloudWatch Logs requests over one keep-alive connection.
    """

    def __init__(self, url: str) -> None:
        self.client = RawClient(url, "logs")

    def call(self, action: str, payload: dict) -> dict:
        _, _, answer = self.client.call(
            "POST",
            "/",
            headers={"content-type": "application/x-amz-json-1.1", "x-amz-target": f"Logs_20140328.{action}"},
            body=json.dumps(payload).encode(),
        )
        return json.loads(answer) if answer else {}


def message(i: int) -> str:
    level = "ERROR" if i % RARE == 0 else "INFO"
    return f"2026-12-01T10:00:00.{i % 1000:03d}Z {level} request {i:08d} handled in {i % 97} ms user=u{i % 313}"


def populate(url: str, group: str, streams: int) -> None:
    client = LogsClient(url)
    client.call("CreateLogGroup", {"logGroupName": group})
    start = int(time.time() * 1000) - 3_600_000
    per_stream = EVENTS // streams
    for s in range(streams):
        name = f"stream-{s:03d}"
        client.call("CreateLogStream", {"logGroupName": group, "logStreamName": name})
        for first in range(0, per_stream, BATCH):
            # Interleaved timestamps: stream s holds every streams-th millisecond.
            events = [
                {"timestamp": start + (first + i) * streams + s, "message": message(s * per_stream + first + i)}
                for i in range(min(BATCH, per_stream - first))
            ]
            client.call("PutLogEvents", {"logGroupName": group, "logStreamName": name, "logEvents": events})


def filter_op(url: str, group: str, pattern: str, expected: int, index: int):
    client = LogsClient(url)

    def op(i: int) -> int:
        answer = client.call("FilterLogEvents", {"logGroupName": group, "filterPattern": pattern})
        if len(answer["events"]) != expected:
            raise RequestFailed(f"FilterLogEvents: {len(answer['events'])} events, expected {expected}")
        return len(answer["events"])

    return op


def run(ctx: Context) -> None:
    run_filter(ctx)
    run_shipping(ctx)


def run_filter(ctx: Context) -> None:
    rust: Server | str = ctx.start(start_ruststack, ("logs",), ctx.folder)
    if isinstance(rust, Server):
        try:
            populate(rust.url, "one-stream", 1)
            populate(rust.url, "hundred-streams", 100)
        except Exception as e:
            rust.stop()
            rust = f"set-up failed: {type(e).__name__}: {e}"

    def target(group: str, pattern: str, expected: int) -> dict:
        if isinstance(rust, str):
            return {"ruststack": rust}
        make = partial(filter_op, rust.url, group, pattern, expected)
        return {"ruststack": (rust, partial(run_load, lambda i: make(index=i), 1, ctx.duration))}

    goal = [Goal("< 200 ms", "p50_ms", below=200)]
    ctx.compare(
        "logs FilterLogEvents 100,000 events, rare term",
        "p50_ms",
        target("one-stream", "ERROR", EVENTS // RARE),
        goal,
        "a term in 1 event of 1,000: the whole stream searched, 100 events answered",
    )
    ctx.compare(
        "logs FilterLogEvents 100,000 events, first page",
        "p50_ms",
        target("one-stream", "", 10_000),
        goal,
        "no pattern: the first 10,000 events (a page's limit) read and answered",
    )
    ctx.compare(
        "logs FilterLogEvents 100 streams x 1,000, rare term",
        "p50_ms",
        target("hundred-streams", "ERROR", EVENTS // RARE),
        goal,
        "the same search over 100 interleaved streams",
    )
    if isinstance(rust, Server):
        rust.stop()


def _noop_stack(ctx: Context, services: tuple[str, ...]) -> Server | str:
    """
    RustStack with C{services} (a folder of its own) and a warm no-op
    function "bench-noop", or why not.
    """
    folder = os.path.join(ctx.folder, "-".join(services))
    os.makedirs(folder, exist_ok=True)
    rust: Server | str = ctx.start(start_ruststack, services, folder)
    if isinstance(rust, Server):
        try:
            awslambda.create_function(rust.url, "bench-noop", "noop.handler")
            awslambda.boto3_invoke(rust.url, "bench-noop", 0)(0)
        except Exception as e:
            rust.stop()
            return f"set-up failed: {type(e).__name__}: {e}"
    return rust


def run_shipping(ctx: Context) -> None:
    alone = _noop_stack(ctx, ("lambda",))
    with_logs = _noop_stack(ctx, ("logs", "lambda"))
    targets: dict = {}
    for name, server in (("lambda", alone), ("lambda+logs", with_logs)):
        if isinstance(server, str):
            targets[name] = server
            continue
        # boto3_invoke(url, name, index): one operation maker per client.
        make = partial(awslambda.boto3_invoke, server.url, "bench-noop")
        targets[name] = (server, partial(run_load, make, 1, ctx.duration))
    ctx.compare(
        "lambda warm invoke no-op boto3, logs shipped",
        "p50_ms",
        targets,
        [
            Goal(
                "p50 within 0.2 ms of Lambda alone",
                "p50_ms",
                subject="lambda+logs",
                peer="lambda",
                difference=True,
                below=0.2,
            )
        ],
        "the same function with CloudWatch Logs running (START, END, REPORT shipped per invocation) and without",
    )
    for server in (alone, with_logs):
        if isinstance(server, Server):
            server.stop()
