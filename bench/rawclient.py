"""
A cheap HTTP client for load: one http.client keep-alive connection, SigV4
signed by L{bench.signing.Signer}. A server that closes the connection (moto
does after every response) costs a reconnect, as it would for any client.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from bench.signing import Signer, canonical_query, sha256_hex


class RequestFailed(Exception):
    """
    The server answered with something the workload did not expect.
    """


class RawClient:
    def __init__(self, endpoint_url: str, service: str | None, region: str = "us-east-1", timeout: float = 120) -> None:
        parts = urlsplit(endpoint_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.netloc = parts.netloc
        self.timeout = timeout
        self.signer = Signer(service, region) if service else None
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def headers(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        payload_hash: str | None = None,
        body: bytes | memoryview = b"",
    ) -> dict[str, str]:
        """
        The request headers, signed when the client has a service.
        """
        headers = {"host": self.netloc, **(headers or {})}
        if self.signer is None:
            return headers
        if payload_hash is None:
            payload_hash = sha256_hex(body)
        if self.signer.service == "s3":
            headers["x-amz-content-sha256"] = payload_hash
        return self.signer.sign(method, path, list(query), headers, payload_hash)

    def send(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        body: bytes | memoryview = b"",
        payload_hash: str | None = None,
    ) -> http.client.HTTPResponse:
        """
        Send a request and return the response, body unread (read it all
        before the next request).
        """
        query = list(query)
        all_headers = self.headers(method, path, query, headers, payload_hash, body)
        if body or method in ("PUT", "POST"):
            all_headers["content-length"] = str(len(body))
        url = path + ("?" + canonical_query(query) if query else "")
        try:
            self.connection.request(method, url, body=body or None, headers=all_headers)
            return self.connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            # A keep-alive connection the server closed between requests.
            self.connection.close()
            self.connection.request(method, url, body=body or None, headers=all_headers)
            return self.connection.getresponse()

    def call(self, method: str, path: str, expect: int | tuple[int, ...] = 200, **kwargs) -> tuple[int, dict, bytes]:
        """
        Send, read the whole body, and check the status.
        """
        response = self.send(method, path, **kwargs)
        body = response.read()
        statuses = (expect,) if isinstance(expect, int) else expect
        if response.status not in statuses:
            raise RequestFailed(f"{method} {path}: {response.status} {body[:300]!r}")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def close(self) -> None:
        self.connection.close()
