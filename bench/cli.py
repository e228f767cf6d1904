"""
C{python -m bench [--only s3,dynamodb] [--quick]}: run the workload groups,
print the table, write it as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from bench.context import Context
from bench.report import RESULTS, Report

GROUPS = {
    "foundation": "bench.workloads.foundation",
    "s3": "bench.workloads.s3",
    "dynamodb": "bench.workloads.dynamodb",
    "lambda": "bench.workloads.awslambda",
    "apigateway": "bench.workloads.apigateway",
    "logs": "bench.workloads.logs",
    "cloudformation": "bench.workloads.cloudformation",
    "console": "bench.workloads.console",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.strip().splitlines()[0])
    parser.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups ({', '.join(GROUPS)})")
    parser.add_argument("--quick", action="store_true", help="one round, short trials, smaller data sets")
    # More, shorter rounds: on a shared machine the noise comes in bursts
    # (someone's test run), which a median of five rides out.
    parser.add_argument("--rounds", type=int, help="interleaved rounds per workload (default 5, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per throughput trial (default 2, quick 1)")
    parser.add_argument("--output", default=str(RESULTS), help="folder for the JSON results")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample RustStack with py-spy during its trials and list its hot spots (distorts the figures)",
    )
    args = parser.parse_args(argv)
    args.only = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in args.only if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group {unknown[0]!r} (known: {', '.join(GROUPS)})")
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.duration = args.duration or (1.0 if args.quick else 2.0)
    return args


def main(argv: list[str] | None = None) -> None:
    from pathlib import Path

    args = parse_args(argv)
    report = Report(quick=args.quick, rounds=args.rounds)
    profile_dir = None
    if args.profile:
        from bench.profile import py_spy

        if py_spy() is None:
            sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
        profile_dir = Path(args.output) / f"profiles-{report.started.replace(':', '')}"
    report.profiled = args.profile
    context = Context(
        quick=args.quick, rounds=args.rounds, duration=args.duration, report=report, profile_dir=profile_dir
    )
    try:
        for group in args.only:
            context.log(f"== {group}")
            with context.in_group(group):
                try:
                    importlib.import_module(GROUPS[group]).run(context)
                    report.groups[group] = "ok"
                except Exception as e:
                    traceback.print_exc()
                    report.groups[group] = f"failed: {type(e).__name__}: {e}"
    except KeyboardInterrupt:
        context.log("interrupted: reporting what ran")
    print()
    print(report.table())
    path = report.write(Path(args.output))
    print(f"\nwritten to {path}")
    sys.exit(0)
