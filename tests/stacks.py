"""
Module- and session-wide RustStack child processes for the tests' fixtures.
"""

from __future__ import annotations

from typing import Literal

import pytest

from ruststack.testing import RustStackProcess


def ruststack_fixture(*options: str, scope: Literal["module", "session"] = "module"):
    """
    A pytest fixture (named as the attribute it is assigned to): a RustStack
    started with C{options} (C{"--services", "iam"}...) once per C{scope},
    stopped at its end. Each test resets what it uses.
    """

    @pytest.fixture(scope=scope)
    def process():
        started = RustStackProcess.start(*options)
        yield started
        started.stop()

    return process
