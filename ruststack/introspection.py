"""
RustStack's own endpoints, outside the AWS namespace:

  - C{GET /_ruststack/health}: version and each service's state;
  - C{POST /_ruststack/reset[?service=s3]}: forget the state of all services
    or of one, so that a test suite can isolate its tests; with C{--auth
    verify}, only for a request signed by an operator's key;
  - everything else under C{/_ruststack/}: the console (L{ruststack.console}).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from twisted.internet import defer
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

import ruststack
from ruststack.config import ALL_SERVICES
from ruststack.console.resource import ConsoleResource
from ruststack.interfaces import DISABLED

if TYPE_CHECKING:
    from ruststack.stack import RustStack

log = Logger()


def _json(request, status: int, body: dict) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    return json.dumps(body).encode() + b"\n"


class IntrospectionResource(Resource):
    isLeaf = True

    def __init__(self, stack: RustStack) -> None:
        super().__init__()
        self.stack = stack
        self.console = ConsoleResource(stack)

    def render(self, request) -> bytes | int:
        path = request.uri.split(b"?", 1)[0].rstrip(b"/")
        if path == b"/_ruststack/health" and request.method in (b"GET", b"HEAD"):
            return _json(request, 200, self.health())
        if path == b"/_ruststack/reset" and request.method == b"POST":
            return self.render_reset(request)
        if path in (b"/_ruststack/health", b"/_ruststack/reset"):
            return _json(request, 405, {"error": f"no such endpoint: {request.method.decode()} {path.decode()}"})
        return self.console.render(request)

    def health(self) -> dict:
        services = {}
        for name in ALL_SERVICES:
            service = self.stack.aws_services.get(name)
            services[name] = (service.status() if service is not None else DISABLED).to_json()
        return {"version": ruststack.__version__, "services": services}

    def render_reset(self, request) -> bytes | int:
        if not self.stack.edge.is_operator(request):
            # Resetting forgets every tenant's state: an operator's act.
            return _json(request, 403, {"error": "reset needs a request signed by an operator's key"})
        wanted = [value.decode() for value in request.args.get(b"service", [])]
        unknown = [name for name in wanted if name not in self.stack.aws_services]
        if unknown:
            return _json(request, 400, {"error": f"service {unknown[0]!r} is not running"})
        d = defer.ensureDeferred(self.stack.reset(wanted or None))

        def done(names):
            request.write(_json(request, 200, {"reset": names}))
            request.finish()

        def failed(failure):
            log.failure("reset failed", failure)
            request.write(_json(request, 500, {"error": failure.getErrorMessage()}))
            request.finish()

        d.addCallbacks(done, failed)
        return NOT_DONE_YET
