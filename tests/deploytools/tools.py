"""
Deploy tools installed from PyPI, each into a virtualenv of its own under
.venv-tools/ (so they never fight the project's pinned dependencies), made
on first use and kept for the next run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, ".venv-tools")


def installed(name: str, requirement: str, command: str, timeout: float = 600) -> str:
    """
    The bin folder of the virtualenv .venv-tools/C{name} holding
    C{requirement} (one or more, space-separated; installed first if needed;
    a stamp records which), in
    which C{command} runs. Skips the test, saying why, where it cannot be
    installed.
    """
    venv = os.path.join(TOOLS, name)
    bin_dir = os.path.join(venv, "bin")
    stamp = os.path.join(venv, ".installed")
    if os.path.exists(stamp) and open(stamp).read() == requirement and os.path.exists(os.path.join(bin_dir, command)):
        return bin_dir
    # The interpreter running the tests: the tool's Python is then the version
    # RustStack's Lambda runs (what `sam build` looks for on PATH).
    steps = [
        [sys.executable, "-m", "venv", "--clear", venv],
        [os.path.join(bin_dir, "python"), "-m", "pip", "install", "--quiet", *requirement.split()],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            pytest.skip(f"cannot install {requirement}: {e}")
        if done.returncode != 0:
            pytest.skip(f"cannot install {requirement}: {done.stderr.strip()[-2000:]}")
    with open(stamp, "w") as f:
        f.write(requirement)
    return bin_dir
