"""
Trials, interleaved comparisons and goals.

A workload runs against each of its targets in turn, round after round
(A B A B ...), so that drift of a shared, busy machine falls on every target
alike; the figures reported are the medians over rounds. Each trial also
records what the server spent: CPU per operation and peak RSS.
"""

from __future__ import annotations

import math
import re
import resource
import statistics
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path

import attrs
import psutil

from bench import load
from bench import profile as profiling
from bench.load import LoadResult, percentile
from bench.meter import MIB
from bench.servers import Server

METRIC_UNITS = {
    "rate": "ops/s",
    "mb_per_s": "MB/s",
    "p50_ms": "ms",
    "p99_ms": "ms",
    "max_ms": "ms",
    "seconds": "s",
    "rss_mib": "MiB",
    "peak_rss_mib": "MiB",
    "rss_growth_mib": "MiB",
    "cpu_ms_per_op": "ms",
}


@attrs.frozen
class Trial:
    target: str
    round: int
    operations: int
    errors: int
    first_error: str | None
    seconds: float
    rate: float
    mb_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_op: float | None = None
    tree_cpu_ms_per_op: float | None = None
    rss_mib: float | None = None
    peak_rss_mib: float | None = None
    rss_growth_mib: float | None = None
    client_cpu_ms_per_op: float | None = None
    # CPU the rest of the machine (other users' work) took during the
    # trial, in percent of all cores: the noise indicator.
    foreign_cpu_pct: float | None = None


def one_operation(target: str, round_: int, seconds: float, **measured: float) -> Trial:
    """
    A trial of one operation timed whole (a start-up, a stack's deployment):
    its time is every percentile; C{measured} adds what else was measured.
    """
    ms = seconds * 1000
    return Trial(
        target=target,
        round=round_,
        operations=1,
        errors=0,
        first_error=None,
        seconds=seconds,
        rate=1 / seconds,
        mb_per_s=0.0,
        p50_ms=ms,
        p90_ms=ms,
        p99_ms=ms,
        max_ms=ms,
        **measured,
    )


def measure(target: str, round_: int, server: Server | None, run: Callable[[], LoadResult]) -> Trial:
    """
    One trial: C{run()} against C{server}, with the server's CPU and peak
    RSS, and the rest of the machine's CPU, from the moment the load starts.
    """
    marks: dict = {}

    def started() -> None:
        if server is not None:
            server.meter.reset_peak()
            marks["server"] = server.meter.sample()
        marks["machine"], marks["clients"], marks["wall"] = busy_seconds(), _children_cpu(), time.perf_counter()

    load.start_hook = started
    try:
        result = run()
    finally:
        load.start_hook = None
    if not marks:  # run() did not go through run_load
        raise RuntimeError("a trial must run its load through bench.load.run_load")
    wall = time.perf_counter() - marks["wall"]
    machine = busy_seconds() - marks["machine"]
    ops = max(result.operations, 1)
    costs: dict = {"client_cpu_ms_per_op": result.client_cpu * 1000 / ops}
    if server is not None:
        before = marks["server"]
        after = server.meter.sample()
        peak = max(server.meter.peak_rss(), after.rss)
        # Joined clients are reaped: their CPU is in RUSAGE_CHILDREN (set-up
        # included, which is why it is subtracted here, not reported).
        clients = _children_cpu() - marks["clients"]
        foreign = machine - clients - (after.tree_cpu - before.tree_cpu)
        costs.update(
            foreign_cpu_pct=max(0.0, foreign) * 100 / (wall * (psutil.cpu_count() or 1)) if wall else None,
            cpu_ms_per_op=(after.cpu - before.cpu) * 1000 / ops,
            tree_cpu_ms_per_op=(after.tree_cpu - before.tree_cpu) * 1000 / ops,
            rss_mib=before.rss / MIB,
            peak_rss_mib=peak / MIB,
            rss_growth_mib=(peak - before.rss) / MIB,
        )
    ms = [x * 1000 for x in result.latencies]
    return Trial(
        target=target,
        round=round_,
        operations=result.operations,
        errors=result.errors,
        first_error=result.first_error,
        seconds=result.seconds,
        rate=result.rate,
        mb_per_s=result.bytes / 1e6 / result.seconds if result.seconds else 0.0,
        p50_ms=percentile(ms, 50),
        p90_ms=percentile(ms, 90),
        p99_ms=percentile(ms, 99),
        max_ms=ms[-1] if ms else float("nan"),
        **costs,
    )


def busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _usable(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


@attrs.frozen
class Goal:
    """
    A target from the issues. C{peer}: the metric's ratio C{subject/peer}
    is checked (C{difference}: C{subject - peer}), round by round
    (L{Workload.paired}); else the subject's median.
    """

    text: str
    metric: str
    subject: str = "ruststack"
    peer: str | None = None
    difference: bool = False
    at_least: float | None = None
    below: float | None = None

    def evaluate(self, workload: Workload) -> tuple[float | None, bool | None]:
        if self.peer is None:
            value = workload.median(self.subject, self.metric)
        else:
            value = workload.paired(self.subject, self.peer, self.metric, self.difference)
        if value is None:
            return None, None
        if self.at_least is None and self.below is None:
            return value, None  # a figure for reference, no target
        met = True
        if self.at_least is not None:
            met = met and value >= self.at_least
        if self.below is not None:
            met = met and value < self.below
        return value, met


@attrs.define
class Workload:
    group: str
    name: str
    metric: str  # the headline metric, a Trial field
    description: str = ""
    goals: list[Goal] = attrs.Factory(list)
    trials: dict[str, list[Trial]] = attrs.Factory(dict)
    unavailable: dict[str, str] = attrs.Factory(dict)
    notes: list[str] = attrs.Factory(list)

    def good_trials(self, target: str) -> list[Trial]:
        return [t for t in self.trials.get(target, []) if t.errors == 0 and t.operations > 0]

    def median(self, target: str, metric: str) -> float | None:
        values = [getattr(t, metric) for t in self.good_trials(target)]
        values = [v for v in values if _usable(v)]
        return statistics.median(values) if values else None

    def paired(self, subject: str, peer: str, metric: str, difference: bool = False) -> float | None:
        """
        C{subject}'s C{metric} against C{peer}'s (their ratio, or their
        difference): the median over the rounds both ran well, each round's
        two trials taken together, so that the drift of a shared machine
        between rounds cancels out; without such rounds, the medians' ratio.
        """
        peers = {t.round: getattr(t, metric) for t in self.good_trials(peer) if _usable(getattr(t, metric))}
        pairs = [
            (getattr(t, metric), peers[t.round])
            for t in self.good_trials(subject)
            if t.round in peers and _usable(getattr(t, metric))
        ]
        if not pairs:
            mine, theirs = self.median(subject, metric), self.median(peer, metric)
            if mine is None or theirs is None:
                return None
            pairs = [(mine, theirs)]
        if difference:
            return statistics.median(a - b for a, b in pairs)
        return statistics.median(a / b if b else math.inf for a, b in pairs)

    def targets(self) -> list[str]:
        return list(dict.fromkeys([*self.trials, *self.unavailable]))

    def status(self, target: str) -> str | None:
        """
        Why a target has no figure, or C{None} if it has one.
        """
        if target in self.unavailable:
            return self.unavailable[target]
        trials = self.trials.get(target, [])
        if not self.good_trials(target):
            errors = [t.first_error for t in trials if t.first_error]
            return "errors: " + (errors[0] if errors else "no operations completed")
        return None

    def to_json(self) -> dict:
        return {
            "group": self.group,
            "name": self.name,
            "description": self.description,
            "metric": self.metric,
            "unit": METRIC_UNITS.get(self.metric, ""),
            "medians": {
                target: {
                    metric: self.median(target, metric)
                    for metric in (
                        "rate",
                        "mb_per_s",
                        "p50_ms",
                        "p90_ms",
                        "p99_ms",
                        "max_ms",
                        "cpu_ms_per_op",
                        "tree_cpu_ms_per_op",
                        "rss_mib",
                        "peak_rss_mib",
                        "rss_growth_mib",
                        "client_cpu_ms_per_op",
                        "foreign_cpu_pct",
                    )
                }
                for target in self.trials
                if self.good_trials(target)
            },
            "goals": [
                {"goal": goal.text, "value": value, "met": met, "ratio": goal.peer is not None and not goal.difference}
                for goal in self.goals
                for value, met in [goal.evaluate(self)]
            ],
            "unavailable": {t: self.status(t) for t in self.targets() if self.status(t)},
            "notes": self.notes,
            "trials": [attrs.asdict(t) for ts in self.trials.values() for t in ts],
        }


Target = tuple[Server | None, Callable[[], LoadResult]]


def compare(
    workload: Workload,
    targets: dict[str, Target],
    rounds: int,
    warmup: dict[str, Callable[[], object]] | None = None,
    log: Callable[[str], None] = print,
    profile_dir: Path | None = None,
) -> Workload:
    """
    Run C{workload} against C{targets} interleaved (A B, B A, A B ...)
    for C{rounds} rounds, after one untimed warm-up per target. With
    C{profile_dir}, RustStack's trials run under py-spy and the workload's
    notes name its hot spots.
    """
    live = dict(targets)
    for name, run in (warmup or {}).items():
        if name in live:
            try:
                run()
            except Exception as e:
                workload.unavailable[name] = f"warm-up failed: {type(e).__name__}: {e}"[:500]
                live.pop(name)
    for round_ in range(rounds):
        # A B, then B A: neither target always runs first, after the other's load.
        order = list(live.items())
        for name, (server, run) in order if round_ % 2 == 0 else order[::-1]:
            if server is not None and not server.alive():
                workload.unavailable[name] = f"{server.name} died:\n{server.log_tail()}"
                live.pop(name)
                continue
            if profile_dir is not None and name == "ruststack" and server is not None:
                output = profile_dir / f"{_slug(workload.name)}-{round_ + 1}.txt"
                run = partial(profiling.profiled, server.process.pid, output, run)
            try:
                trial = measure(name, round_, server, run)
            except Exception as e:
                log(f"  {workload.name} / {name}: {type(e).__name__}: {e}")
                traceback.print_exc(limit=2)
                workload.unavailable[name] = f"{type(e).__name__}: {e}"[:500]
                live.pop(name)
                continue
            workload.trials.setdefault(name, []).append(trial)
            log(f"  {workload.name:<34} {name:<10} round {round_ + 1}: {_brief(trial, workload.metric)}")
            if trial.errors:
                log(f"    {trial.errors} error(s), first: {trial.first_error}")
                live.pop(name)
    if profile_dir is not None:
        for output in sorted(profile_dir.glob(f"{_slug(workload.name)}-*.txt"))[:1]:
            workload.notes += [f"profile ({output.name}) {line}" for line in profiling.hot_spots(output)]
    return workload


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _brief(trial: Trial, metric: str) -> str:
    unit = METRIC_UNITS.get(metric, "")
    text = f"{getattr(trial, metric):,.2f} {unit} ({trial.operations} ops, p50 {trial.p50_ms:.2f} ms"
    if trial.cpu_ms_per_op is not None:
        text += f", server cpu {trial.cpu_ms_per_op:.3f} ms/op, peak rss {trial.peak_rss_mib:.0f} MiB"
    return text + ")"
