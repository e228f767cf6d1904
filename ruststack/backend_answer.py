"""
How a data plane (API Gateway's stages, HTTP APIs, Lambda function URLs)
writes the answer its backend gave: the backend's status and headers, less
those the front end owns or renames, then the body.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any


def set_status_and_headers(
    request: Any,
    status: int,
    headers: Iterable[tuple[str, str]],
    dropped: Collection[str],
    remapped: Collection[str] = (),
) -> None:
    """
    Set C{status} and C{headers} (repeated names kept, in order) on
    C{request}, without the lower-case names in C{dropped}, and with those in
    C{remapped} sent as C{x-amzn-Remapped-<name>} (as REST APIs do). The
    server's own C{Server} header goes.
    """
    request.setResponseCode(status)
    response_headers = request.responseHeaders
    response_headers.removeHeader(b"server")
    grouped: dict[bytes, list[bytes]] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in dropped:
            continue
        if lower in remapped:
            name = "x-amzn-Remapped-" + name
        grouped.setdefault(name.encode("latin-1"), []).append(value.encode("latin-1", errors="replace"))
    for raw_name, values in grouped.items():
        response_headers.setRawHeaders(raw_name, values)


def finish_with(request: Any, body: bytes) -> None:
    """
    Send C{body} with its length (not for a HEAD) and finish C{request}.
    """
    request.responseHeaders.setRawHeaders(b"content-length", [b"%d" % len(body)])
    if request.method != b"HEAD" and body:
        request.write(body)
    request.finish()
