"""
Whether the RustStack that left something behind (a memory cgroup, a
container, named after its pid) still runs: what is left by one that died
is swept at the next start.
"""

from __future__ import annotations

import os


def owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    return True
