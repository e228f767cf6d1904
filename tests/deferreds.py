"""
Reading a Deferred that has already fired, in tests that drive Twisted code
without a running reactor.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer


def result_of(d: defer.Deferred) -> Any:
    """
    What C{d} has fired with (a Failure if it failed, handled here); the
    test fails if it has not fired.
    """
    outcome: list = []
    d.addBoth(outcome.append)
    assert outcome, "the Deferred has not fired"
    return outcome[0]
