"""
C{--profile}: sample RustStack with py-spy during its trials and name the
hot spots (self time, and time inside RustStack's own functions). Sampling
costs CPU on a two-core machine, so a profiled run is for finding causes,
not for the figures.
"""

from __future__ import annotations

import collections
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.servers import VENV_BIN, stop_process

T = TypeVar("T")

_FRAME = re.compile(r"^(?P<function>[^ ]+) \((?P<file>[^:)]+)(?::\d+)?\)$")


def py_spy() -> str | None:
    candidate = VENV_BIN / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def profiled(pid: int, output: Path, run: Callable[[], T]) -> T:
    """
    C{run()} while py-spy samples C{pid} into C{output} (collapsed stacks).
    """
    executable = py_spy()
    assert executable is not None, "bench.cli refuses --profile without py-spy"
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        [
            executable,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "250",
            "--nonblocking",
            # Only samples holding the GIL: time spent waiting in epoll is
            # not a hot spot.
            "--gil",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return run()
    finally:
        stop_process(spy, signal.SIGINT)


def _name(frame: str) -> str:
    found = _FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    return f"{found['function']} ({found['file']})"


def hot_spots(collapsed: Path, top: int = 6) -> list[str]:
    """
    The functions with the most samples (of those holding the GIL): self
    time overall, then inclusive time of RustStack's own functions.
    """
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [_name(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            if "(ruststack/" in frame and not frame.endswith(("(ruststack/__main__.py)", "(ruststack/cli.py)")):
                inclusive[frame] += n
    if not total:
        return ["no samples"]
    return [
        "self: " + ", ".join(f"{name} {n * 100 / total:.0f}%" for name, n in own.most_common(top)),
        "inclusive: " + ", ".join(f"{name} {n * 100 / total:.0f}%" for name, n in inclusive.most_common(top)),
    ]
