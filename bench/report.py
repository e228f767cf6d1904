"""
The run's table (medians, ratios, goals met or missed) on stdout, and the
same as JSON in bench/results/.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

import attrs
import psutil

from bench.harness import METRIC_UNITS, Workload

RESULTS = Path(__file__).parent / "results"


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    if metric in ("rate", "mb_per_s") or value >= 1000:
        return f"{value:,.0f}"
    if metric == "seconds":
        return f"{value:.3f}"
    return f"{value:.2f}"


def environment() -> dict:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "commit": commit,
        "load_average_at_start": os.getloadavg(),
        "memory_mib": psutil.virtual_memory().total // (1024 * 1024),
    }


@attrs.define
class Report:
    quick: bool
    rounds: int
    profiled: bool = False
    started: str = attrs.Factory(lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    environment: dict = attrs.Factory(environment)
    workloads: list[Workload] = attrs.Factory(list)
    groups: dict[str, str] = attrs.Factory(dict)

    def add(self, workload: Workload) -> Workload:
        self.workloads.append(workload)
        return workload

    def table(self) -> str:
        lines = []
        columns = list(dict.fromkeys(t for w in self.workloads for t in w.targets()))
        header = f"{'workload':<40} {'unit':<6}" + "".join(f"{c:>11}" for c in columns) + "  goals"
        lines += [header, "-" * len(header)]
        for w in self.workloads:
            cells = []
            for column in columns:
                if column in w.trials or column in w.unavailable:
                    status = w.status(column)
                    cells.append("n/a" if status else _fmt(w.median(column, w.metric), w.metric))
                else:
                    cells.append("")
            goals = [
                _goal(goal.text, *goal.evaluate(w), bool(goal.peer and not goal.difference), goal.metric)
                for goal in w.goals
            ]
            unit = METRIC_UNITS.get(w.metric, "")
            lines.append(f"{w.name:<40} {unit:<6}" + "".join(f"{c:>11}" for c in cells) + "  " + "; ".join(goals))
        lines += [
            "",
            "Cost (medians): server CPU ms/op (process / with children), client CPU ms/op,"
            " server RSS MiB before -> peak, other users' CPU during the trial",
        ]
        for w in self.workloads:
            for target in w.trials:
                if w.status(target) or w.median(target, "cpu_ms_per_op") is None:
                    continue
                lines.append(
                    f"  {w.name:<40} {target:<10} cpu {_fmt(w.median(target, 'cpu_ms_per_op'), 'ms')}"
                    f" / {_fmt(w.median(target, 'tree_cpu_ms_per_op'), 'ms')} ms/op,"
                    f" rss {_fmt(w.median(target, 'rss_mib'), 'mib')}"
                    f" -> {_fmt(w.median(target, 'peak_rss_mib'), 'mib')}"
                    f" (+{_fmt(w.median(target, 'rss_growth_mib'), 'mib')}),"
                    f" client {_fmt(w.median(target, 'client_cpu_ms_per_op'), 'ms')} ms/op,"
                    f" others {_fmt(w.median(target, 'foreign_cpu_pct'), 'pct')}%"
                )
        problems = [
            f"  {w.name} / {target}: {w.status(target)}".splitlines()[0]
            for w in self.workloads
            for target in w.targets()
            if w.status(target)
        ]
        problems += [f"  group {g}: {why}".splitlines()[0] for g, why in self.groups.items() if why != "ok"]
        if problems:
            lines += ["", "Not available / failed:", *problems]
        notes = [f"  {w.name}: {note}" for w in self.workloads for note in w.notes]
        if notes:
            lines += ["", "Notes:", *notes]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "started": self.started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "quick": self.quick,
            "profiled": self.profiled,
            "rounds": self.rounds,
            "environment": {**self.environment, "load_average_at_end": os.getloadavg()},
            "groups": self.groups,
            "workloads": [w.to_json() for w in self.workloads],
        }

    def write(self, folder: Path = RESULTS) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"bench-{self.started.replace(':', '')}.json"
        text = json.dumps(self.to_json(), indent=1, default=str)
        path.write_text(text)
        (folder / "latest.json").write_text(text)
        return path


def markdown(run: dict) -> str:
    """
    A written run (its JSON) as a Markdown table: medians, goals, and the
    most CPU other users took during one of the workload's targets.
    """
    workloads = run["workloads"]
    columns = list(dict.fromkeys(t for w in workloads for t in [*w["medians"], *w["unavailable"]]))
    lines = [
        "| workload | unit | " + " | ".join(columns) + " | goals | others' CPU |",
        "|---|---|" + "---:|" * len(columns) + "---|---:|",
    ]
    for w in workloads:
        cells = []
        for column in columns:
            if column in w["medians"]:
                cells.append(_fmt(w["medians"][column][w["metric"]], w["metric"]))
            else:
                cells.append("n/a" if column in w["unavailable"] else "")
        goals = [_goal(g["goal"], g["value"], g["met"], g.get("ratio", False), "", bold=True) for g in w["goals"]]
        noise = [m["foreign_cpu_pct"] for m in w["medians"].values() if m.get("foreign_cpu_pct") is not None]
        shown_noise = f"{max(noise):.0f}%" if noise else ""
        lines.append(f"| {w['name']} | {w['unit']} | {' | '.join(cells)} | {'; '.join(goals)} | {shown_noise} |")
    return "\n".join(lines)


def _goal(text: str, value: float | None, met: bool | None, ratio: bool, metric: str, bold: bool = False) -> str:
    if value is None:
        return f"{text}: n/a"
    shown = f"{value:.2f}x" if ratio else _fmt(value, metric)
    verdict = "" if met is None else " met" if met else " MISSED"
    if bold and verdict:
        verdict = f" **{verdict.strip()}**"
    return f"{text}: {shown}{verdict}"


if __name__ == "__main__":
    import sys

    print(markdown(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else RESULTS / "latest.json").read_text())))
