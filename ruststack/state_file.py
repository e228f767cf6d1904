"""
A service's state kept, with C{--data-dir}, in one file that is rewritten
whole after a change and replaced atomically: a crash while writing leaves
the previous file, never half of one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any


def state_path(state_dir: str | None, name: str) -> str | None:
    """
    Where the state file C{name} lives; L{None} without a data directory
    (state in memory only).
    """
    return os.path.join(state_dir, name) if state_dir else None


@contextmanager
def replacing(path: str) -> Iterator[IO[bytes]]:
    """
    A binary file to write the whole new state to; it becomes C{path} only
    once the block finished without an error.
    """
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as f:
        yield f
    os.replace(temporary, path)


def read_json(path: str | None) -> Any:
    """
    The JSON state at C{path}; L{None} where there is none yet.
    """
    if path is None or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path: str | None, state: Any) -> None:
    """
    Replace the JSON state at C{path}, if state is kept at all.
    """
    if path is None:
        return
    with replacing(path) as f:
        f.write(json.dumps(state).encode("utf-8"))
