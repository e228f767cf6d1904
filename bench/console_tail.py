"""
What the console's live tail costs a warm invoke: the p50 of warm invokes of
a function that prints, with no tail open and with tails open on its log
(the console's SSE stream, read by a thread), in one RustStack process; and
how long a printed line takes to reach the tail (target: 500 ms).

    python -m bench.console_tail [invokes per round] [rounds] [tails]

Rounds alternate (without, with) so that drift of a loaded machine falls on
both sides alike. The tail's reader is a process of its own doing as little
as it can: on two cores, a reader that parses every line in the benchmark's
own process cost the invoke loop some 3 ms of p50 by itself.
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import time
import zipfile

from ruststack.testing import RustStackProcess

FUNCTION = """
def handler(event, context):
    print("line", event["n"])
    return event["n"]
"""


def _package() -> bytes:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", FUNCTION)
    return code.getvalue()


# The tail's reader runs in a process of its own, so that reading it takes
# nothing from this one's invoke loop (the GIL) but what it takes from the
# machine: it prints each line's number and when it arrived.
_READER = """
import re, signal, socket, sys, time
from urllib.parse import urlsplit
# As little work per line as can be: raw reads, one regex, times kept in memory
# and printed when told to stop (the machine has two cores to share).
parts = urlsplit(sys.argv[1])
connection = socket.create_connection((parts.hostname, parts.port))
connection.sendall(b"GET /_ruststack/lambda/functions/tailed/tail HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
arrived = []

def stop(*_):
    for number, at in arrived:
        print(number, at)
    sys.stdout.flush()
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
first = connection.recv(65536)
print(first.split(b" ", 2)[1].decode(), flush=True)
line = re.compile(rb'"message":"line (\\d+)"')
pending = first
while True:
    arrived.extend((int(n), time.time()) for n in line.findall(pending))
    pending = connection.recv(65536)
    if not pending:
        stop()
"""


class Tail:
    """
    A live tail open on the function's page, noting when each line arrives.
    """

    def __init__(self, stack: RustStackProcess) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _READER, stack.endpoint_url], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        status = self.process.stdout.readline().strip()
        assert status == "200", status

    def close(self) -> dict[int, float]:
        """
        Stop reading; when each line arrived (time.time()).
        """
        self.process.terminate()
        out, _ = self.process.communicate()
        arrived: dict[int, float] = {}
        for line in out.splitlines():
            number, at = line.split()
            arrived.setdefault(int(number), float(at))
        return arrived


def _round(client, first: int, count: int) -> tuple[list[float], dict[int, float]]:
    took, answered = [], {}
    for n in range(first, first + count):
        started = time.perf_counter()
        client.invoke(FunctionName="tailed", Payload=json.dumps({"n": n}).encode())["Payload"].read()
        took.append((time.perf_counter() - started) * 1000)
        answered[n] = time.time()
    return took, answered


def _summary(label: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"{label}: p50 {q[49]:.2f} ms, p90 {q[89]:.2f} ms ({len(values)} invokes)"


def main(per_round: int = 50, rounds: int = 4, tails: int = 1) -> None:
    stack = RustStackProcess.start("--services", "logs,lambda", "--lambda-idle-timeout", "600")
    try:
        client = stack.client("lambda")
        client.create_function(
            FunctionName="tailed",
            Runtime=f"python3.{sys.version_info.minor}",
            Handler="app.handler",
            Role="arn:aws:iam::000000000000:role/lambda",
            Code={"ZipFile": _package()},
        )
        client.get_waiter("function_active_v2").wait(FunctionName="tailed", WaiterConfig={"Delay": 0.1})
        _round(client, 0, 20)  # warm, not counted
        without: list[float] = []
        with_tail: list[float] = []
        delays: list[float] = []
        n = 1000
        for _ in range(rounds):
            took, _ = _round(client, n, per_round)
            without += took
            n += per_round
            opened = [Tail(stack) for _ in range(tails)]
            time.sleep(0.3)  # backlog read, watching
            took, answered = _round(client, n, per_round)
            with_tail += took
            time.sleep(0.5)
            for tail in opened:
                arrived = tail.close()
                delays += [(arrived[i] - answered[i]) * 1000 for i in answered if i in arrived]
            n += per_round
        print(_summary("warm invoke, no tail open", without))
        print(_summary(f"warm invoke, {tails} tail(s) open", with_tail))
        print(
            f"p50 difference: {statistics.median(with_tail) - statistics.median(without):+.2f} ms"
            f" (noise: the two halves of the no-tail runs differ by"
            f" {abs(statistics.median(without[::2]) - statistics.median(without[1::2])):.2f} ms)"
        )
        if delays:
            print(_summary("printed line -> tail, after the invoke's answer", delays).replace("invokes", "lines"))
    finally:
        stack.stop()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
