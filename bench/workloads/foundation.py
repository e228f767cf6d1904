"""
Issue 2's targets: start-up of C{twistd -n ruststack} to a 200 from
C{/_ruststack/health} (< 1.0 s; DynamoDB Local may still be starting) and
idle RSS (< 80 MiB, RustStack's process only, without the JVM).
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import attrs
import psutil

from bench.context import Context
from bench.harness import Goal, Workload, busy_seconds, one_operation
from bench.meter import MIB
from bench.servers import MODULES, VENV_BIN, _die_with_parent, free_port, http_get, missing_services, stop_process

SETTLE_SECONDS = 3.0


def _start_once(services: tuple[str, ...], folder: str) -> tuple[float, float, float, dict, float]:
    """
    Start twistd, time the first 200 from health, let it settle, and return
    (seconds to health, idle RSS MiB, RSS with children MiB, health, CPU
    others took meanwhile in percent of all cores).
    """
    port = free_port()
    argv = [str(VENV_BIN / "twistd"), "-n", "--pidfile=", "ruststack", "--port", str(port)]
    argv += ["--services", ",".join(services)]
    with open(os.path.join(folder, "twistd.log"), "ab") as log:
        busy = busy_seconds()
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    try:
        while True:
            answer = http_get(port, "/_ruststack/health", timeout=1)
            if answer is not None and answer[0] == 200:
                elapsed = time.perf_counter() - started
                root = psutil.Process(process.pid)
                own = sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])
                others = max(0.0, busy_seconds() - busy - own) * 100 / (elapsed * (psutil.cpu_count() or 1))
                break
            if process.poll() is not None or time.perf_counter() - started > 30:
                raise RuntimeError(f"twistd did not answer (exit {process.poll()}); see {folder}/twistd.log")
            time.sleep(0.005)
        time.sleep(SETTLE_SECONDS)
        answer = http_get(port, "/_ruststack/health", timeout=5)
        health = json.loads(answer[1]) if answer else {}
        rss = root.memory_info().rss
        tree = rss + sum(p.memory_info().rss for p in root.children(recursive=True))
        return elapsed, rss / MIB, tree / MIB, health, others
    finally:
        stop_process(process)


def run(ctx: Context) -> None:
    available = tuple(name for name in MODULES if name not in missing_services((name,)))
    startup = ctx.report.add(
        Workload(
            ctx.group,
            "twistd -n ruststack start-up",
            "p50_ms",
            f"spawn to first 200 from /_ruststack/health, services: {','.join(available) or 'none'}",
            [Goal("< 1000 ms", "p50_ms", below=1000)],
        )
    )
    idle = ctx.report.add(
        Workload(
            ctx.group,
            "idle RSS (no JVM)",
            "rss_mib",
            f"RustStack's process {SETTLE_SECONDS:.0f} s after start-up",
            [Goal("< 80 MiB", "rss_mib", below=80)],
        )
    )
    missing = [name for name in MODULES if name not in available]
    if missing:
        note = f"services not built yet, left out: {', '.join(missing)}"
        startup.notes.append(note)
        idle.notes.append(note)
    runs = 2 if ctx.quick else 5
    for i in range(runs):
        try:
            seconds, rss, tree, health, others = _start_once(available, ctx.folder)
        except RuntimeError as e:
            startup.unavailable["ruststack"] = idle.unavailable["ruststack"] = str(e)
            return
        states = {name: s.get("state") for name, s in health.get("services", {}).items()}
        ctx.log(
            f"  start-up {i + 1}: {seconds * 1000:.0f} ms to health,"
            f" idle rss {rss:.1f} MiB (with children {tree:.0f}), {states}, others' CPU {others:.0f}%"
        )
        trial = one_operation("ruststack", i, seconds, foreign_cpu_pct=others)
        startup.trials.setdefault("ruststack", []).append(trial)
        idle.trials.setdefault("ruststack", []).append(attrs.evolve(trial, rss_mib=rss, peak_rss_mib=tree))
