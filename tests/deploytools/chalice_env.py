"""
Chalice in a virtualenv of its own under the project (`.venv-tools/chalice`),
made from PyPI on first use and reused afterwards, so that the tool and its
dependencies never meet the project's pinned ones.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
TOOLS = PROJECT / ".venv-tools"

# botocore reads AWS_ENDPOINT_URL from 1.31.57 on; chalice itself has no
# endpoint setting and builds its clients from a botocore session.
REQUIREMENTS = ("chalice==1.34.0", "botocore>=1.31.57", "boto3")


class Unavailable(Exception):
    """
    The tool could not be installed here; the message says why.
    """


def chalice_program(timeout: float = 600.0) -> str:
    """
    The path of the C{chalice} command, installing it first if the virtualenv
    is missing or was made for other requirements. The virtualenv uses this
    interpreter's Python, so that Chalice picks the Lambda runtime RustStack's
    process executor runs (python3.11 on 3.11).
    """
    venv = TOOLS / "chalice"
    program = venv / "bin" / "chalice"
    stamp = venv / ".requirements"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    TOOLS.mkdir(exist_ok=True)
    # Two test sessions at once install once.
    with open(TOOLS / ".chalice.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if program.exists() and stamp.exists() and stamp.read_text() == wanted:
            return str(program)
        python = venv / "bin" / "python"
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
        ]
        environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=timeout, env=environment)
            except subprocess.TimeoutExpired:
                raise Unavailable(f"{' '.join(step[:4])} took more than {timeout:.0f} s") from None
            if done.returncode != 0:
                raise Unavailable(f"{' '.join(step[:4])} failed:\n{done.stderr[-2000:]}")
        stamp.write_text(wanted)
        return str(program)
