"""
What the Lambda and API Gateway console tests share: a RustStack with the
services those pages read, its pages fetched over a socket, and the server-
sent events of a live tail read line by line.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

from ruststack.testing import RustStackProcess

STACK_OPTIONS = ("--services", "s3,iam,sts,logs,lambda,apigateway,apigatewayv2", "--lambda-idle-timeout", "120")


def get(stack: RustStackProcess, path: str, account: str | None = None) -> tuple[int, str, float]:
    """
    A console page: its status, its HTML and how long it took (ms).
    """
    headers = {"Cookie": f"ruststack_console_account={account}"} if account else {}
    request = urllib.request.Request(stack.endpoint_url + path, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode("utf-8")
            return response.status, body, (time.perf_counter() - started) * 1000
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8"), (time.perf_counter() - started) * 1000


def post(stack: RustStackProcess, path: str, form: dict[str, str]) -> tuple[int, str]:
    from urllib.parse import urlencode

    request = urllib.request.Request(
        stack.endpoint_url + path,
        data=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


class EventStream:
    """
    A server-sent event stream, read over its own connection.
    """

    def __init__(self, stack: RustStackProcess, path: str, timeout: float = 10.0) -> None:
        parts = urlsplit(stack.endpoint_url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        self.connection.request("GET", path, headers={"Accept": "text/event-stream"})
        self.response = self.connection.getresponse()

    def events(self) -> Iterator[tuple[str, str]]:
        """
        (event, data) pairs as they come; comments are skipped.
        """
        event, data = "message", list[str]()
        while True:
            line = self.response.readline()
            if not line:
                return
            text = line.decode("utf-8").rstrip("\r\n")
            if not text:
                if data:
                    yield event, "\n".join(data)
                event, data = "message", list[str]()
            elif text.startswith("event:"):
                event = text[6:].strip()
            elif text.startswith("data:"):
                data.append(text[5:].strip())

    def close(self) -> None:
        self.connection.close()
