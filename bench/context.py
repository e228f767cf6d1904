"""
What a workload group is handed: the run's settings, its report, and the
servers it starts (stopped when the group ends).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from bench.harness import Goal, Target, Workload, compare
from bench.report import Report
from bench.servers import NotAvailable, Server, temporary_folder


@attrs.define
class Context:
    quick: bool
    rounds: int
    duration: float  # seconds per throughput trial
    report: Report
    profile_dir: Path | None = None
    group: str = ""
    folder: str = ""
    servers: list[Server] = attrs.Factory(list)

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    @contextlib.contextmanager
    def in_group(self, group: str):
        self.group = group
        self.folder = temporary_folder(group)
        self.servers = []
        try:
            yield self
        finally:
            for server in reversed(self.servers):
                server.stop()
            shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, starter: Callable[..., Server], *args) -> Server | str:
        """
        Start a server for this group; the reason it cannot run otherwise.
        """
        try:
            server = starter(*args)
        except NotAvailable as e:
            self.log(f"not available: {str(e).splitlines()[0]}")
            print(str(e), file=sys.stderr)
            return str(e)
        self.servers.append(server)
        self.log(f"started {server.name} at {server.url} (pid {server.process.pid})")
        return server

    def compare(
        self,
        name: str,
        metric: str,
        targets: dict[str, Target | str],
        goals: Sequence[Goal] = (),
        description: str = "",
        warmup: dict[str, Callable[[], object]] | None = None,
        rounds: int | None = None,
    ) -> Workload:
        """
        Run one workload against its targets, interleaved; a target given as
        a string is not available for that reason.
        """
        workload = self.report.add(Workload(self.group, name, metric, description, list(goals)))
        for target, value in targets.items():
            if isinstance(value, str):
                workload.unavailable[target] = value
        runnable = {t: v for t, v in targets.items() if not isinstance(v, str)}
        self.log(f"{name}: {', '.join(runnable) or 'nothing to run'}")
        return compare(workload, runnable, rounds or self.rounds, warmup, log=self.log, profile_dir=self.profile_dir)
