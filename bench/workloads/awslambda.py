"""
Issue 5's targets, RustStack's Lambda with the process executor (moto's
Lambda needs Docker, so there is no peer; the targets are absolute):

  - warm invoke of a no-op handler through boto3: overhead (round trip minus
    handler time, which is microseconds for a no-op) p50 < 3 ms;
  - cold start (first invoke of a new function, in a new sandbox) < 150 ms;
  - 50 concurrent invocations of a handler that sleeps 200 ms complete in
    < 2 s (a new function's first burst, and a burst on warm environments);
  - with the Docker executor (where a Docker engine answers): cold start
    < 1.5 s, and the warm invoke for reference;
  - issue 14's: a cold start with 3 layers within 20 ms of one without;
  - issue 13's: an S3 event notification's invocation starts within 50 ms
    p50 of the PUT's answer.
"""

from __future__ import annotations

import io
import sys
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from bench.context import Context
from bench.harness import Goal, Trial, Workload
from bench.load import run_load
from bench.rawclient import RawClient, RequestFailed
from bench.servers import Server, start_ruststack

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROLE = "arn:aws:iam::000000000000:role/bench"
HANDLERS = {
    "noop.py": "def handler(event, context):\n    return {'ok': True}\n",
    "sleep.py": "import time\n\n\ndef handler(event, context):\n    time.sleep(0.2)\n    return {'ok': True}\n",
}
BURST = 50


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in HANDLERS.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def lambda_client(url: str):
    from botocore.config import Config

    from ruststack.testing import _client as make

    return make("lambda", url, "us-east-1", config=Config(retries={"max_attempts": 0}, read_timeout=120))


def create_function(url: str, name: str, handler: str) -> None:
    client = lambda_client(url)
    client.create_function(
        FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler=handler, Code={"ZipFile": code_zip()}, Timeout=30
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300})


def boto3_invoke(url: str, name: str, index: int):
    client = lambda_client(url)

    def op(i: int) -> int:
        answer = client.invoke(FunctionName=name, Payload=b"{}")
        payload = answer["Payload"].read()
        if answer.get("FunctionError") or answer["StatusCode"] != 200:
            raise RequestFailed(f"invoke: {answer.get('FunctionError')} {payload[:200]!r}")
        return len(payload)

    return op


def raw_invoke(client: RawClient, name: str) -> int:
    _, headers, payload = client.call("POST", f"/2015-03-31/functions/{name}/invocations", body=b"{}")
    if "x-amz-function-error" in headers:
        raise RequestFailed(f"invoke: {headers['x-amz-function-error']} {payload[:200]!r}")
    return len(payload)


def raw_invoke_op(url: str, name: str, index: int):
    client = RawClient(url, "lambda")
    return lambda i: raw_invoke(client, name)


def cold_invoke(url: str, index: int):
    """
    Set-up (untimed): a new function; the one operation: its first invoke.
    """
    name = f"bench-cold-{uuid.uuid4().hex[:12]}"
    create_function(url, name, "noop.handler")
    return boto3_invoke(url, name, index)


def layer_zip(number: int) -> bytes:
    # A small library: a package of 20 modules under python/.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for module in range(20):
            archive.writestr(f"python/layer{number}/m{module}.py", f"VALUE = {module}\n")
        archive.writestr(f"python/layer{number}/__init__.py", "")
    return buffer.getvalue()


def cold_invoke_layered(url: str, index: int):
    """
    Set-up (untimed): 3 new layer versions and a new function using them;
    the one operation: its first invoke, which merges the layers (new ones
    each trial, so never reused) and mounts them at /opt.
    """
    client = lambda_client(url)
    arns = [
        client.publish_layer_version(LayerName=f"bench-layer-{n}", Content={"ZipFile": layer_zip(n)})["LayerVersionArn"]
        for n in range(3)
    ]
    name = f"bench-layered-{uuid.uuid4().hex[:12]}"
    client.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="noop.handler",
        Code={"ZipFile": code_zip()},
        Timeout=30,
        Layers=arns,
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300})
    return boto3_invoke(url, name, index)


def _compare_layered_cold_start(ctx: Context, rust: Server | str) -> None:
    """
    Issue 14's target: a cold start with 3 layers within 20 ms of one
    without (process executor), trials interleaved.
    """
    targets: dict = {"none": rust, "layers": rust}
    if isinstance(rust, Server):
        targets = {
            name: (rust, partial(run_load, partial(make, rust.url), 1, 120, 1))
            for name, make in (("none", cold_invoke), ("layers", cold_invoke_layered))
        }
    ctx.compare(
        "lambda cold start, 3 layers",
        "p50_ms",
        targets,
        [Goal("p50 within 20 ms of none", "p50_ms", subject="layers", peer="none", difference=True, below=20)],
        "first invoke (boto3) of a function just created, with 3 new layers (20 modules each) and without",
        rounds=ctx.rounds * 3,
    )


def burst(url: str, warm: bool, index: int):
    """
    Set-up: a new sleeping function (and, if C{warm}, one burst to start its
    environments); the one operation: C{BURST} invocations at once.
    """
    name = f"bench-burst-{uuid.uuid4().hex[:12]}"
    create_function(url, name, "sleep.handler")
    clients = [RawClient(url, "lambda") for _ in range(BURST)]
    pool = ThreadPoolExecutor(BURST)

    def op(i: int) -> int:
        return sum(pool.map(lambda client: raw_invoke(client, name), clients))

    if warm:
        op(-1)
    return op


def docker_engine() -> str | None:
    """
    Why Docker cannot run functions here, or C{None} if an engine answers.
    """
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as e:
        return f"no Docker engine: {type(e).__name__}: {e}"[:300]
    return None


def run(ctx: Context) -> None:
    run_process_executor(ctx)
    run_s3_notifications(ctx)
    run_docker_executor(ctx)


# The function S3 notifies: the time its handler started, by the key the event names.
NOTIFIED = """
import json, time, urllib.parse, boto3

s3 = boto3.client("s3")

def handler(event, context):
    started = time.time()
    key = urllib.parse.unquote_plus(event["Records"][0]["s3"]["object"]["key"])
    s3.put_object(Bucket="bench-started", Key=key, Body=json.dumps(started))
"""


def _notified_function(url: str) -> str:
    client = lambda_client(url)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notified.py", NOTIFIED)
    arn = client.create_function(
        FunctionName="bench-notified",
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="notified.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=30,
    )["FunctionArn"]
    client.get_waiter("function_active_v2").wait(
        FunctionName="bench-notified", WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    client.add_permission(
        FunctionName="bench-notified",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::bench-uploads",
    )
    return arn


def _notification_delays(url: str, count: int) -> list[float]:
    """
    C{count} PUTs, one at a time: for each, the seconds from the PUT's
    answer (as the client saw it) to the start of the invocation it caused.
    """
    import json
    import time

    from ruststack.testing import _client as make

    s3 = make("s3", url, "us-east-1")
    delays = []
    for _ in range(count):
        key = uuid.uuid4().hex
        s3.put_object(Bucket="bench-uploads", Key=key, Body=b"x" * 1024)
        answered = time.time()
        deadline = time.monotonic() + 30
        while True:
            try:
                started = json.loads(s3.get_object(Bucket="bench-started", Key=key)["Body"].read())
                break
            except s3.exceptions.NoSuchKey:
                if time.monotonic() > deadline:
                    raise RequestFailed(f"no invocation for {key}") from None
                time.sleep(0.005)
        delays.append(started - answered)
    return delays


def run_s3_notifications(ctx: Context) -> None:
    """
    Issue 13's target: the invocation an S3 event notification makes starts
    within 50 ms p50 of the PUT's answer (process executor, warm function).
    """
    workload = ctx.report.add(
        Workload(
            ctx.group,
            "s3 notification to lambda, PUT answer to handler start",
            "p50_ms",
            "a 1 KiB PUT (boto3) to a bucket notifying a warm function; its handler's first line's time.time()"
            " minus the time the client had the PUT's answer",
            [Goal("p50 < 50 ms", "p50_ms", below=50)],
        )
    )
    rust = ctx.start(start_ruststack, ("s3", "lambda"), ctx.folder)
    if isinstance(rust, str):
        workload.unavailable["ruststack"] = rust
        return
    try:
        from ruststack.testing import _client as make

        s3 = make("s3", rust.url, "us-east-1")
        for bucket in ("bench-uploads", "bench-started"):
            s3.create_bucket(Bucket=bucket)
        arn = _notified_function(rust.url)
        s3.put_bucket_notification_configuration(
            Bucket="bench-uploads",
            NotificationConfiguration={
                "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
        _notification_delays(rust.url, 2)  # its environment starts
        per_round = 10 if ctx.quick else 40
        for i in range(ctx.rounds):
            delays = sorted(_notification_delays(rust.url, per_round))
            ms = [d * 1000 for d in delays]
            trial = Trial(
                target="ruststack",
                round=i,
                operations=len(ms),
                errors=0,
                first_error=None,
                seconds=sum(delays),
                rate=0.0,
                mb_per_s=0.0,
                p50_ms=ms[len(ms) // 2],
                p90_ms=ms[int(len(ms) * 0.9)],
                p99_ms=ms[min(len(ms) - 1, int(len(ms) * 0.99))],
                max_ms=ms[-1],
            )
            ctx.log(f"  round {i + 1}: p50 {trial.p50_ms:.1f} ms, max {trial.max_ms:.1f} ms")
            workload.trials.setdefault("ruststack", []).append(trial)
    except Exception as e:
        workload.unavailable["ruststack"] = f"{type(e).__name__}: {e}"[:500]
    finally:
        rust.stop()


def _start_with_noop(ctx: Context, *args: str) -> Server | str:
    """
    RustStack's Lambda with a warm no-op function "bench-noop", or why not.
    """
    rust: Server | str = ctx.start(start_ruststack, ("lambda",), ctx.folder, *args)
    if isinstance(rust, Server):
        try:
            create_function(rust.url, "bench-noop", "noop.handler")
            boto3_invoke(rust.url, "bench-noop", 0)(0)
        except Exception as e:
            rust.stop()
            return f"set-up failed: {type(e).__name__}: {e}"
    return rust


def _target_maker(rust: Server | str, default_duration: float) -> Callable[..., dict]:
    """
    What makes one workload's targets on C{rust} (or its reason, if it could
    not start): C{make}'s operations from C{clients} client processes, for
    C{duration} seconds or C{max_ops} operations.
    """

    def target(make, clients: int = 1, duration: float = default_duration, max_ops: int = 10**9) -> dict:
        if isinstance(rust, str):
            return {"ruststack": rust}
        url = rust.url
        return {"ruststack": (rust, partial(run_load, lambda i: make(url, index=i), clients, duration, max_ops))}

    return target


def _compare_warm_noop(
    ctx: Context, name: str, target: Callable[..., dict], goals: list[Goal], description: str
) -> None:
    """
    The warm no-op function "bench-noop" invoked through boto3, one client.
    """
    ctx.compare(name, "p50_ms", target(partial(boto3_invoke, name="bench-noop")), goals, description)


def _compare_cold_start(
    ctx: Context, name: str, target: Callable[..., dict], below_ms: int, description: str, rounds: int
) -> None:
    """
    The first invoke (boto3) of a function just created and Active, one a
    trial: p50 below C{below_ms}.
    """
    ctx.compare(
        name,
        "p50_ms",
        target(cold_invoke, duration=120, max_ops=1),
        [Goal(f"< {below_ms} ms", "p50_ms", below=below_ms)],
        description,
        rounds=rounds,
    )


def _compare_alias(ctx: Context, rust: Server | str) -> None:
    """
    Issue 14's target: a warm invoke through an alias (version 1 of
    "bench-noop", each warm) within 0.3 ms of a plain one, raw requests.
    """
    targets: dict = {"plain": rust, "alias": rust}
    if isinstance(rust, Server):
        client = lambda_client(rust.url)
        client.publish_version(FunctionName="bench-noop")
        client.create_alias(FunctionName="bench-noop", Name="live", FunctionVersion="1")
        boto3_invoke(rust.url, "bench-noop:live", 0)(0)
        targets = {
            name: (rust, partial(run_load, partial(raw_invoke_op, rust.url, function), 1, ctx.duration))
            for name, function in (("plain", "bench-noop"), ("alias", "bench-noop:live"))
        }
    ctx.compare(
        "lambda warm invoke no-op raw, through an alias",
        "p50_ms",
        targets,
        [
            Goal(
                "p50 within 0.3 ms of a plain invoke",
                "p50_ms",
                subject="alias",
                peer="plain",
                difference=True,
                below=0.3,
            )
        ],
        "the same warm no-op invoked as bench-noop:live (an alias of version 1) and as bench-noop",
    )


def url_call_op(url: str, url_id: str, index: int):
    client = RawClient(url, None)  # a function URL with AuthType NONE: unsigned
    return lambda i: len(client.call("POST", f"/lambda-url/{url_id}/", body=b"{}")[2])


def _compare_function_url(ctx: Context, rust: Server | str) -> None:
    """
    Issue 14's target: a warm invoke through a function URL (path form,
    AuthType NONE) within 0.3 ms of a plain invoke, raw requests.
    """
    targets: dict = {"plain": rust, "url": rust}
    if isinstance(rust, Server):
        client = lambda_client(rust.url)
        created = client.create_function_url_config(FunctionName="bench-noop", AuthType="NONE")
        for sid, action in (("url", "lambda:InvokeFunctionUrl"), ("invoke", "lambda:InvokeFunction")):
            extra = {"FunctionUrlAuthType": "NONE"} if action == "lambda:InvokeFunctionUrl" else {}
            client.add_permission(FunctionName="bench-noop", StatementId=sid, Action=action, Principal="*", **extra)
        url_id = created["FunctionUrl"].split("//", 1)[1].split(".", 1)[0]
        url_call_op(rust.url, url_id, 0)(0)
        targets = {
            "plain": (rust, partial(run_load, partial(raw_invoke_op, rust.url, "bench-noop"), 1, ctx.duration)),
            "url": (rust, partial(run_load, partial(url_call_op, rust.url, url_id), 1, ctx.duration)),
        }
    ctx.compare(
        "lambda warm invoke no-op raw, through a function URL",
        "p50_ms",
        targets,
        [
            Goal(
                "p50 within 0.3 ms of a plain invoke",
                "p50_ms",
                subject="url",
                peer="plain",
                difference=True,
                below=0.3,
            )
        ],
        "the same warm no-op through its function URL (/lambda-url/<id>/, unsigned) and as a signed Invoke",
    )


def run_docker_executor(ctx: Context) -> None:
    rust = docker_engine() or _start_with_noop(ctx, "--lambda-executor", "docker")
    target = _target_maker(rust, ctx.duration)
    _compare_warm_noop(
        ctx, "lambda docker warm invoke no-op boto3", target, [], "--lambda-executor docker, for reference"
    )
    _compare_cold_start(
        ctx,
        "lambda docker cold start",
        target,
        1500,
        "--lambda-executor docker: first invoke of a function just created and Active",
        ctx.rounds * 2,
    )
    if isinstance(rust, Server):
        rust.stop()


def run_process_executor(ctx: Context) -> None:
    rust = _start_with_noop(ctx)
    target = _target_maker(rust, ctx.duration)
    _compare_warm_noop(
        ctx,
        "lambda warm invoke no-op boto3",
        target,
        [Goal("overhead p50 < 3 ms", "p50_ms", below=3)],
        "boto3 invoke round trip, one client; the handler's own time is microseconds",
    )
    ctx.compare(
        "lambda warm invoke no-op raw",
        "p50_ms",
        target(partial(raw_invoke_op, name="bench-noop")),
        description="the same with a raw signed request (without boto3's own cost), for reference",
    )
    ctx.compare(
        "lambda warm invoke no-op raw x8",
        "rate",
        target(partial(raw_invoke_op, name="bench-noop"), clients=8),
        description="8 client processes on one function (up to 8 environments), for reference",
        warmup=None
        if isinstance(rust, str)
        else {"ruststack": partial(run_load, lambda i: raw_invoke_op(rust.url, "bench-noop", i), 8, 1.0)},
    )
    _compare_alias(ctx, rust)
    _compare_function_url(ctx, rust)
    _compare_cold_start(
        ctx,
        "lambda cold start",
        target,
        150,
        "first invoke (boto3) of a function just created and Active",
        ctx.rounds * 3,
    )
    _compare_layered_cold_start(ctx, rust)
    for state, warm, description in (
        ("cold", False, f"{BURST} simultaneous invokes (threads, raw) of a new function: every environment starts"),
        ("warm", True, f"the same once {BURST} environments are warm"),
    ):
        ctx.compare(
            f"lambda {BURST} concurrent 200 ms, {state}",
            "p50_ms",
            target(partial(burst, warm=warm), duration=120, max_ops=1),
            [Goal("< 2000 ms", "p50_ms", below=2000)],
            description,
        )
    if isinstance(rust, Server):
        rust.stop()  # its environments end with it, before the Docker executor's run
