"""
Trials, interleaved comparisons and goals.

A workload runs against each of its targets in turn, round after round
(A B A B ...), so that drift of a shared, busy machine falls on every target
alike; the figures reported are the medians over rounds. Each trial also
records what the server spent: CPU per operation and peak RSS.
"""

from __future__ import annotations

import math
import statistics
import traceback
from typing import Callable

import attrs

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


def measure(target: str, round_: int, server: Server | None, run: Callable[[], LoadResult]) -> Trial:
    """
    One trial: C{run()} against C{server}, with the server's CPU and peak
    RSS over exactly that time.
    """
    before = None
    if server is not None:
        server.meter.reset_peak()
        before = server.meter.sample()
    result = run()
    costs: dict = {}
    if server is not None and before is not None:
        after = server.meter.sample()
        peak = max(server.meter.peak_rss(), after.rss)
        ops = max(result.operations, 1)
        costs = dict(
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


@attrs.frozen
class Goal:
    """
    A target from the issues. C{peer}: the metric's ratio C{subject/peer}
    is checked; C{difference}: C{subject - peer}; else the subject's value.
    """

    text: str
    metric: str
    subject: str = "ruststack"
    peer: str | None = None
    difference: bool = False
    at_least: float | None = None
    below: float | None = None

    def evaluate(self, workload: "Workload") -> tuple[float | None, bool | None]:
        value = workload.median(self.subject, self.metric)
        if value is None:
            return None, None
        if self.peer is not None:
            other = workload.median(self.peer, self.metric)
            if other is None:
                return None, None
            if self.difference:
                value = value - other
            else:
                value = value / other if other else math.inf
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
        values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        return statistics.median(values) if values else None

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
                    )
                }
                for target in self.trials
                if self.good_trials(target)
            },
            "goals": [
                {"goal": goal.text, "value": value, "met": met}
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
) -> Workload:
    """
    Run C{workload} against C{targets} interleaved (A B A B ...) for
    C{rounds} rounds, after one untimed warm-up per target.
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
        for name, (server, run) in list(live.items()):
            if server is not None and not server.alive():
                workload.unavailable[name] = f"{server.name} died:\n{server.log_tail()}"
                live.pop(name)
                continue
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
    return workload


def _brief(trial: Trial, metric: str) -> str:
    text = f"{getattr(trial, metric):,.2f} {METRIC_UNITS.get(metric, '')} ({trial.operations} ops, p50 {trial.p50_ms:.2f} ms"
    if trial.cpu_ms_per_op is not None:
        text += f", server cpu {trial.cpu_ms_per_op:.3f} ms/op, peak rss {trial.peak_rss_mib:.0f} MiB"
    return text + ")"
