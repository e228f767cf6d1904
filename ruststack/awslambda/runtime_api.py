"""
The Lambda Runtime API one execution environment polls
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).

Every environment gets its own listener, so it can only ever see its own
invocations: C{AWS_LAMBDA_RUNTIME_API} is that listener's C{host:port}. Any
local process could connect to that port: each connection is first checked
to come from the environment's own runtime
(L{ruststack.awslambda.socket_owner}), and any other is refused (403) before
it can take or answer an invocation.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from twisted.internet import defer, endpoints
from twisted.internet.interfaces import IListeningPort
from twisted.web import http, server
from twisted.web.resource import Resource

if TYPE_CHECKING:
    from ruststack.awslambda.environment import ExecutionEnvironment

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 6 MB synchronous response.
MAX_RESPONSE = 6 * 1024 * 1024
_INVOCATION = re.compile(rb"^/2018-06-01/runtime/invocation/([^/]+)/(response|error)$")
_NEXT = b"/2018-06-01/runtime/invocation/next"
_INIT_ERROR = b"/2018-06-01/runtime/init/error"


class RuntimeApiResource(Resource):
    """
    C{/2018-06-01/runtime/...} for one environment: C{next} is long-polled
    and answered when the environment is handed an invocation.
    """

    isLeaf = True

    def __init__(self, environment: ExecutionEnvironment) -> None:
        super().__init__()
        self.environment = environment

    def render(self, request: server.Request) -> bytes | int:
        channel: Any = request.channel
        if getattr(channel, "runtime_verdict", None) is None:
            client, local = request.getClientAddress(), request.getHost()
            checked = self.environment.admits((client.host, client.port), (local.host, local.port))  # type: ignore[attr-defined]
            if isinstance(checked, defer.Deferred):
                checked.addCallback(self._decided, request)
                return server.NOT_DONE_YET
            channel.runtime_verdict = checked
        if not channel.runtime_verdict:
            return _refused(request)
        return self._serve(request)

    def _decided(self, verdict: bool, request: server.Request) -> None:
        channel: Any = request.channel
        channel.runtime_verdict = verdict
        if request.finished or request._disconnected:
            return
        body = self._serve(request) if verdict else _refused(request)
        if body is not server.NOT_DONE_YET:
            assert isinstance(body, bytes)
            request.write(body)
            request.finish()

    def _serve(self, request: server.Request) -> bytes | int:
        path = request.path
        if path == _NEXT and request.method == b"GET":
            self.environment.runtime_polls(request)
            return server.NOT_DONE_YET
        if request.method != b"POST":
            return _answer(request, 404, {"errorMessage": "Not found", "errorType": "NotFound"})
        body = request.content.read() if request.content is not None else b""
        if path == _INIT_ERROR:
            self.environment.runtime_init_failed(body)
            return _answer(request, 202, {"status": "OK"})
        match = _INVOCATION.match(path)
        if match is None:
            return _answer(request, 404, {"errorMessage": "Not found", "errorType": "NotFound"})
        request_id = match.group(1).decode("utf-8", "replace")
        if not self.environment.is_current(request_id):
            return _answer(request, 400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
        if match.group(2) == b"response":
            if len(body) > self.environment.max_response():
                self.environment.runtime_responded_too_much(request_id, len(body))
                return _answer(
                    request,
                    413,
                    {"errorMessage": "Exceeded maximum allowed payload size", "errorType": "RequestEntityTooLarge"},
                )
            self.environment.runtime_responded(request_id, body)
        else:
            self.environment.runtime_failed(request_id, body)
        return _answer(request, 202, {"status": "OK"})


def _refused(request: server.Request) -> bytes:
    request.setHeader(b"connection", b"close")
    message = "This Runtime API answers its own execution environment's runtime only"
    return _answer(request, 403, {"errorMessage": message, "errorType": "Forbidden"})


def _answer(request: server.Request, status: int, body: dict) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    return json.dumps(body).encode()


class _NoDelayChannel(http.HTTPChannel):
    # Whether the connection is the environment's runtime's: checked once.
    runtime_verdict: bool | None = None

    # A warm invoke is one small exchange each way: without TCP_NODELAY the
    # runtime's POST waits on a delayed ACK (about 40 ms).
    def connectionMade(self) -> None:
        super().connectionMade()
        transport: Any = self.transport
        transport.setTcpNoDelay(True)


class RuntimeApiSite(server.Site):
    protocol = _NoDelayChannel  # type: ignore[assignment]
    noisy = False

    def log(self, request) -> None:
        pass


def listen(reactor, host: str, environment: ExecutionEnvironment):
    """
    Listen on a free port of C{host} for C{environment}'s runtime; a
    Deferred firing with the L{IListeningPort}.
    """
    site = RuntimeApiSite(RuntimeApiResource(environment), reactor=reactor)
    d = endpoints.TCP4ServerEndpoint(reactor, 0, interface=host).listen(site)
    return d


def address(port: IListeningPort, host: str) -> str:
    """
    The C{AWS_LAMBDA_RUNTIME_API} value: C{host:port}.
    """
    bound: Any = port.getHost()
    return f"{host}:{bound.port}"
