"""
Every use RustStack makes of a name Twisted keeps private, in one place.

Each is the only way to do something RustStack needs (reading the request
line before the body is in, knowing that a client left, waiting for headers
to leave before a sendfile). tests/foundation/test_twisted_private.py checks
each against the installed Twisted, so that an upgrade that changes one fails
there, loudly, rather than somewhere in a service.
"""

from __future__ import annotations

from typing import Any


def request_line(channel: Any) -> tuple[bytes, bytes, bytes] | None:
    """
    The method, target and version of the request whose head a twisted.web
    C{HTTPChannel} is reading: it keeps them until the body is in (when
    C{Request.requestReceived} gets them), but services need them as soon as
    the headers are in (L{ruststack.edge.EdgeRequest.gotLength}).
    """
    method = getattr(channel, "_command", None)
    target = getattr(channel, "_path", None)
    version = getattr(channel, "_version", None)
    if method is None or target is None or version is None:
        return None
    return method, target, version


def client_gone(request: Any) -> bool:
    """
    Whether the client of a twisted.web C{Request} has disconnected (which
    C{notifyFinish} reports only to those who asked before it happened).
    """
    return bool(request._disconnected)


def unsent(transport: Any) -> int:
    """
    How many bytes a TCP transport still holds unwritten (its write buffer,
    and what C{write} gathered since the last flush).
    """
    return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
