"""
The contract between the edge and a service: one leaf resource that turns a
twisted.web request into a L{ProtocolRequest}, runs the operation's handler
through the protocol layer (L{ruststack.protocol}) as a coroutine, writes
the answer, and cancels the handler if the client leaves.

    IAM = Protocol.for_service("iam")
    resource = ServiceResource(IAM, {"GetUser": get_user, ...}, lambda request: Call(request.caller, users))

A handler is C{async def get_user(call, params) -> output}: C{params} are the
operation's input members, parsed and validated from botocore's model; the
output members it returns are serialized as AWS sends them; an L{AwsError} it
raises is answered in the service's protocol. A test drives the resource
with treq's C{StubTreq}, without the edge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ruststack.aws.errors import AwsError, json_auth_error
from ruststack.interfaces import RUNNING, ServiceStatus
from ruststack.protocol import Handler, Protocol, ProtocolRequest, Response
from ruststack.protocol.errors import internal_error

log = Logger()


def protocol_request(request: Any) -> ProtocolRequest:
    """
    A twisted.web request as the protocol layer reads it: the body is the
    request's spooled content (read only for a document body).
    """
    pairs = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in request.requestHeaders.getAllRawHeaders()
        for value in values
    ]
    content = request.content
    if content is not None:
        content.seek(0)
    return ProtocolRequest.from_target(
        request.method.decode("ascii"), request.uri.decode("latin-1"), pairs, content if content is not None else b""
    )


def write_response(request: Any, response: Response) -> None:
    """
    Send a whole L{Response} (a document body) on a twisted.web request.
    """
    if request.finished:
        return
    request.setResponseCode(response.status)
    for name, value in response.headers:
        request.responseHeaders.addRawHeader(name, value)
    body = response.body or b""
    request.setHeader(b"content-length", b"%d" % len(body))
    if request.method != b"HEAD":
        request.write(body)
    request.finish()


class ServiceResource(Resource):
    """
    A service's leaf resource on the protocol layer.

    @ivar protocol: the service's L{Protocol}.
    @ivar handlers: operation name -> handler.
    @ivar context: request -> what handlers get as their first argument
        (the caller, the service's state).
    """

    isLeaf = True

    def __init__(
        self, protocol: Protocol, handlers: Mapping[str, Handler], context: Callable[[Any], Any] = lambda r: r
    ) -> None:
        super().__init__()
        self.protocol = protocol
        self.handlers = handlers
        self.context = context

    def render(self, request: Any) -> int:
        finished = request.notifyFinish()  # before an answer at once finishes it
        d = defer.ensureDeferred(self._serve(request))
        # A client that leaves cancels its handler, and with it the answer.
        finished.addErrback(lambda _: d.cancel())
        d.addErrback(self._failed, request)
        return NOT_DONE_YET

    async def _serve(self, request: Any) -> None:
        context = self.context(request)
        # A context may carry the request's id (Lambda: also the invocation's).
        request_id = getattr(context, "request_id", None)
        response = await self.protocol.handle(protocol_request(request), self.handlers, context, request_id)
        write_response(request, response)

    def _failed(self, failure: Failure, request: Any) -> None:
        if failure.check(defer.CancelledError):
            return  # the client left
        log.failure("{service} request failed", failure, service=self.protocol.model.service_name)
        error = internal_error(self.protocol.model, self.protocol.dialect)
        write_response(request, self.protocol.error(error, request.method.decode()))

    def render_error(self, request: Any, error: AwsError) -> bytes:
        """
        Set up C{request} for C{error} in the service's protocol and return
        the body (for the edge's L{ruststack.interfaces.IAwsService.render_error}).
        """
        response = self.protocol.error(error, request.method.decode("ascii"))
        request.setResponseCode(response.status)
        for name, value in response.headers:
            request.responseHeaders.setRawHeaders(name, [value])
        return response.body or b""


class SplitResource(Resource):
    """
    A service's leaf resource for a service that serves some requests
    outside its control plane (API Gateway's execute-api data plane,
    Lambda's code downloads).

    @ivar diverted: request -> whether C{other} serves it rather than the
        control plane.
    """

    isLeaf = True

    def __init__(self, control_plane: ServiceResource, other: Resource, diverted: Callable[[Any], bool]) -> None:
        super().__init__()
        self.control_plane = control_plane
        self.other = other
        self.diverted = diverted

    def render(self, request: Any) -> bytes | int:
        return (self.other if self.diverted(request) else self.control_plane).render(request)


class StoredService:
    """
    The L{IAwsService} methods of a service on the contract whose state is
    one store (C{self.store}, with C{reset()}) and whose answers come from one
    L{ServiceResource} (C{self.resource}): running from the start, reset by
    forgetting the store, its errors in its protocol. A bad signature is
    refused as JSON services refuse it, with C{auth_status}; a query service
    overrides L{auth_error}.
    """

    store: Any
    resource: ServiceResource
    auth_status = 400

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.store.reset()

    def render_error(self, request: Any, error: AwsError) -> bytes:
        return self.resource.render_error(request, error)

    def auth_error(self, failure: Failure) -> AwsError:
        return json_auth_error(failure, self.auth_status)


@attrs.frozen
class AccountCall:
    """
    One request to a service whose store keeps its resources by account and
    region (C{store.find(account, region, name)}): the store and who calls.
    """

    store: Any
    account: str
    region: str

    def find(self, name: str) -> Any:
        return self.store.find(self.account, self.region, name)

    @classmethod
    def context_of(cls, store: Any) -> Callable[[Any], AccountCall]:
        """
        The handlers' context of a twisted.web request (for L{ServiceResource}).
        """
        return lambda request: cls(store, request.caller.account, request.caller.region)
