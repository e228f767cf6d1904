"""
What a server process costs: CPU time (its own, and with its descendants: the
JVM RustStack supervises, Lambda environments) and resident memory, with the
peak (VmHWM) reset before each trial so a trial's peak is its own.
"""

from __future__ import annotations

import attrs
import psutil

MIB = 1024 * 1024


@attrs.frozen
class Sample:
    cpu: float  # seconds, the process itself
    tree_cpu: float  # seconds, the process and its descendants
    rss: int  # bytes, the process itself


class ProcessMeter:
    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.process, *self.process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> Sample:
        times = self.process.cpu_times()
        tree = times.children_user + times.children_system  # reaped children
        for process in self._tree():
            try:
                t = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            tree += t.user + t.system
        return Sample(cpu=times.user + times.system, tree_cpu=tree, rss=self.process.memory_info().rss)

    def reset_peak(self) -> None:
        """
        Start a new peak-RSS window (Linux: writing 5 to clear_refs resets
        VmHWM to the current RSS).
        """
        try:
            with open(f"/proc/{self.process.pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass

    def peak_rss(self) -> int:
        """
        The highest RSS since the last L{reset_peak} (VmHWM), in bytes.
        """
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return self.process.memory_info().rss

    def tree_rss(self) -> int:
        total = 0
        for process in self._tree():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total
