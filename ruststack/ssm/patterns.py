"""
AllowedPattern: a caller's regular expression, held against a value in a
child process that is killed after a time, so that no pattern (one that
backtracks without end on an 8 KB value) can hold the reactor or a thread:
Python's C{re} keeps the GIL while it matches.

The pattern is Java's, as AWS reads it: it must match the whole value, and
Java syntax Python lacks (C{\\p{L}}, C{\\p{Alpha}}) is rewritten by the
protocol layer's translator (L{ruststack.protocol.patterns}), loaded in the
child from its file alone.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from twisted.internet import defer, error, protocol
from twisted.python.failure import Failure

from ruststack.protocol import patterns as java_patterns

# Run with -I -S: no site, no environment; bounded memory; one answer word.
_CHECKER = r"""
import importlib.util, json, re, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))
request = json.loads(sys.stdin.read())
spec = importlib.util.spec_from_file_location("java_patterns", request["translator"])
java = importlib.util.module_from_spec(spec)
spec.loader.exec_module(java)
try:
    pattern = re.compile(java.translate(request["pattern"]))
except Exception:
    sys.stdout.write("invalid")
else:
    sys.stdout.write("match" if pattern.fullmatch(request["value"]) else "mismatch")
"""

MATCH = "match"
MISMATCH = "mismatch"
INVALID = "invalid"
TIMEOUT = "timeout"


class _Checker(protocol.ProcessProtocol):
    def __init__(self, request: bytes, done: defer.Deferred) -> None:
        self.request = request
        self.done = done
        self.output = b""

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(self.request)
        self.transport.closeStdin()

    def outReceived(self, data: bytes) -> None:
        self.output = (self.output + data)[:16]

    def processEnded(self, reason: Failure) -> None:
        answer = self.output.decode("ascii", "replace")
        self.done.callback(answer if answer in (MATCH, MISMATCH, INVALID) else TIMEOUT)


class PatternChecker:
    """
    Matches values against patterns, a few child processes at a time.

    @ivar timeout: seconds a match may take before it counts as a mismatch.
    """

    def __init__(self, reactor: Any, timeout: float = 2.0, concurrency: int = 4) -> None:
        self.reactor = reactor
        self.timeout = timeout
        self._slots = defer.DeferredSemaphore(concurrency)

    def check(self, pattern: str, value: str) -> defer.Deferred:
        """
        A Deferred firing with L{MATCH}, L{MISMATCH}, L{INVALID} (the
        pattern is no regular expression) or L{TIMEOUT}.
        """
        return self._slots.run(self._check, pattern, value)

    def _check(self, pattern: str, value: str) -> defer.Deferred:
        done: defer.Deferred = defer.Deferred()
        request = json.dumps({"pattern": pattern, "value": value, "translator": java_patterns.__file__}).encode()
        process = self.reactor.spawnProcess(
            _Checker(request, done), sys.executable, [sys.executable, "-I", "-S", "-c", _CHECKER], env={}
        )

        def kill() -> None:
            try:
                process.signalProcess("KILL")
            except error.ProcessExitedAlready:
                pass

        timer = self.reactor.callLater(self.timeout, kill)

        def finished(answer: str) -> str:
            if timer.active():
                timer.cancel()
            return answer

        return done.addCallback(finished)
