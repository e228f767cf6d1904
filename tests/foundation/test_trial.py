"""
start_stack under trial, as a trial user writes it.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_trial_suite(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "twisted.trial",
            "--temp-directory",
            str(tmp_path / "_trial_temp"),
            "tests.foundation.trial_suite",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED (successes=2)" in result.stdout
