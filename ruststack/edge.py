"""
The edge: one HTTP port for every service. It decides which service a request
is for, identifies the caller, and hands the request to that service's
resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import attrs
from twisted.internet import defer
from twisted.logger import Logger
from twisted.web import http, server
from twisted.web.resource import IResource, Resource

from ruststack import http11, routing, twisted_private
from ruststack.aws import errors, identity, regions, sigv2, sigv4
from ruststack.fastlane import FastLane
from ruststack.interfaces import (
    Claims,
    IAwsService,
    IBodyLimit,
    IBodySink,
    IExchanges,
    ILegacySignatures,
    IPublicRequests,
)
from ruststack.limits import BoundedBody
from ruststack.protocol import Protocol

log = Logger()

INTROSPECTION_PREFIX = b"/_ruststack/"

_FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


class EdgeRequest(server.Request):
    """
    A request that knows, as soon as its headers are in, which service it is
    for and who sends it, so a service can take the body as it streams in.

    @ivar service_name: the service the edge routed this request to.
    @ivar signature: the parsed SigV4 signature, or C{None} if unsigned.
    @ivar caller: the L{identity.Caller} (set before the service renders).
    """

    service_name: str | None = None
    signature: sigv4.Signature | None = None
    caller: identity.Caller | None = None
    routing_error: Exception | None = None
    refused = False
    _hidden_content_type: Sequence[bytes] | None = None
    _sent_names: dict[bytes, bytes] | None = None

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        # twisted.web parses the Content-Type of every POST with the email
        # package (about 60 us) only to decode form bodies into request.args;
        # keep other types out of its sight until process() runs.
        content_type = self.requestHeaders.getRawHeaders(b"content-type")
        if command == b"POST" and content_type and not content_type[0].lower().startswith(_FORM_TYPES):
            self._hidden_content_type = content_type
            self.requestHeaders.removeHeader(b"content-type")
        super().requestReceived(command, path, version)

    def process(self) -> None:
        if self.refused:
            return  # answered already (refuse_now)
        if self._hidden_content_type is not None:
            self.requestHeaders.setRawHeaders(b"content-type", self._hidden_content_type)
            self._hidden_content_type = None
        super().process()

    def refuse_now(self, service: IAwsService, error: errors.AwsError) -> None:
        """
        Answer C{error} before the body is in, and close the connection: the
        rest of what the client sends is never read.
        """
        if self.refused:
            return
        self.refused = True
        line = twisted_private.request_line(self.channel)
        self.clientproto = line[2] if line is not None else b"HTTP/1.1"
        body = service.render_error(self, error)
        self.setHeader(b"content-length", b"%d" % len(body))
        self.setHeader(b"connection", b"close")
        self.write(body)
        assert self.channel is not None and self.channel.transport is not None
        self.channel.transport.loseConnection()

    def gotLength(self, length: int | None) -> None:
        edge = getattr(getattr(self.channel, "site", None), "edge", None)
        # The request line is not on the request yet: HTTPChannel keeps it
        # until the body is in, so read it from there.
        line = twisted_private.request_line(self.channel)
        sink = None
        if edge is not None and line is not None:
            self.method, self.uri = line[0], line[1]
            sink = edge.prepare(self, length)
        if sink is None:
            super().gotLength(length)
        else:
            self.content = sink

    def lower_headers(self) -> dict[str, str]:
        """
        Header names (lower case) to their first value, as text.
        """
        return {
            name.decode("latin-1").lower(): values[0].decode("latin-1")
            for name, values in self.requestHeaders.getAllRawHeaders()
        }

    def header_pairs(self) -> list[tuple[str, str]]:
        return [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in self.requestHeaders.getAllRawHeaders()
            for value in values
        ]

    def raw_path_and_query(self) -> tuple[bytes, bytes]:
        path, _, query = self.uri.partition(b"?")
        return path, query

    def host_header(self) -> str:
        return (self.getHeader(b"host") or b"").decode("latin-1").lower()


def sent_header_name(request: server.Request, name: bytes) -> str:
    """
    A header's name as the client wrote it: twisted.web keeps names in a
    canonical case, API Gateway hands them on as they were sent. (Requests
    that did not come through the edge give the canonical name.)
    """
    sent = request._sent_names if isinstance(request, EdgeRequest) else None
    if sent is not None:
        name = sent.get(name.lower(), name)
    return name.decode("latin-1")


class _EdgeChannel(http.HTTPChannel):
    """
    The twisted.web channel a fast lane hands its connection to (which set
    TCP_NODELAY and tracks the connection): it keeps each header's name as
    the client wrote it, and writes response heads as the lane does.
    """

    def writeHeaders(self, version: bytes, code: bytes, reason: bytes, headers) -> None:
        pairs = [(name, value) for name, values in headers.getAllRawHeaders() for value in values]
        assert self.transport is not None
        self.transport.write(http11.response_head(int(code), pairs, version, reason))

    def headerReceived(self, line: bytes) -> bool:
        accepted = super().headerReceived(line)
        if accepted:
            request = self.requests[-1]
            name = line.split(b":", 1)[0].strip()
            if request._sent_names is None:
                request._sent_names = {}
            request._sent_names[name.lower()] = name
        return accepted


class EdgeSite(server.Site):
    requestFactory = EdgeRequest
    # A plain HTTP/1.1 channel (no HTTP/2 negotiation: AWS SDKs speak 1.1).
    # Twisted annotates this as its HTTP/2-negotiating wrapper only, though
    # any HTTPChannel serves.
    protocol = _EdgeChannel  # type: ignore[assignment]
    displayTracebacks = False
    noisy = False

    def __init__(self, edge: EdgeResource, **kwargs) -> None:
        super().__init__(edge, **kwargs)
        self.edge = edge
        self.channels: set[FastLane] = set()

    def buildProtocol(self, addr) -> FastLane:  # type: ignore[override]  # the lane hands off to a channel
        return FastLane(self, addr)

    def web_channel(self, addr) -> _EdgeChannel:
        """
        A twisted.web channel, for a connection the fast lane hands off.
        """
        channel = super().buildProtocol(addr)
        assert isinstance(channel, _EdgeChannel)
        return channel

    def close_connections(self) -> defer.Deferred:
        """
        Close every open connection (a stopped stack leaves none behind, even
        those a client keeps alive); fires once all are gone.

        Connections are aborted: a graceful close of a TLS connection waits
        for the client's close_notify, and never starts while twisted.web's
        channel is registered as the transport's producer (until its idle
        timeout and abortTimeout: 75 s).
        """
        gone = [lane.gone for lane in self.channels]
        for lane in list(self.channels):
            if lane.transport is not None:
                lane.transport.abortConnection()
        return defer.DeferredList(gone)

    def log(self, request) -> None:
        # Access logs cost a formatted line per request; AWS SDK traffic is
        # better observed through the services' own structured events.
        pass


class LaneRoute(NamedTuple):
    """
    Where the fast lane sends a request: the C{service}, and the C{caller}
    when it is known before the signature is verified (else the
    C{signature} to verify).
    """

    service: IExchanges
    caller: identity.Caller | None
    signature: sigv4.Signature | None


_MAX_LANE_ROUTES = 1024


class EdgeResource(Resource):
    """
    The root resource of the edge port.

    @ivar services: enabled services by name.
    @ivar claims: what every service RustStack has claims, enabled or not.
    """

    isLeaf = True

    def __init__(
        self,
        authenticator: identity.Authenticator,
        introspection: IResource,
        claims: Mapping[str, Claims] | None = None,
    ) -> None:
        super().__init__()
        self.authenticator = authenticator
        self.introspection = introspection
        self.services: dict[str, IAwsService] = {}
        self.claims = routing.known_claims() if claims is None else claims
        self.router = routing.Router.of(self.claims)
        self._lane_routes: dict[tuple[str, str], LaneRoute] = {}

    def register(self, service: IAwsService) -> None:
        self.services[service.name] = service
        self._lane_routes.clear()
        owns_host = getattr(service, "owns_host", None)
        if owns_host is not None:
            self.router.dynamic_hosts.append((owns_host, service.name))

    def lane_route(self, headers: Mapping[str, str]) -> LaneRoute | None:
        """
        For the fast lane: the service a C{POST /} with C{headers} is for, if
        it serves exchanges, and who sends it. Both follow from the host and
        the signature's credential scope, the same for every request of a
        client, so they are worked out once -- unless signatures are
        verified, which needs each request's own.
        """
        authorization = headers.get("authorization", "")
        scope, signed, _ = authorization.rpartition("Signature=")
        key = None
        if signed and not self.authenticator.verifying:
            key = (headers.get("host", ""), scope)
            known = self._lane_routes.get(key)
            if known is not None:
                return known
        try:
            signature = sigv4.parse_request(headers, ())
        except sigv4.MalformedSignature:
            return None
        if signature is not None and not regions.is_region(signature.scope.region):
            return None  # refused by twisted.web's path, in the service's words
        service = self.services.get(self.router.route(headers.get("host", "").lower(), b"/", headers, signature))
        if not IExchanges.providedBy(service):
            return None
        if self.authenticator.verifying:
            return LaneRoute(service, None, signature)
        # The caller of many requests carries no one request's signature.
        caller = attrs.evolve(self.authenticator.identify(signature), signature=None)
        found = LaneRoute(service, caller, None)
        if key is not None:
            if len(self._lane_routes) >= _MAX_LANE_ROUTES:
                self._lane_routes.clear()
            self._lane_routes[key] = found
        return found

    def prepare(self, request: EdgeRequest, length: int | None):
        """
        Route C{request} once its headers are in; return a body sink if the
        service it is for wants one.
        """
        self._route(request)
        service = self.services.get(request.service_name or "")
        if IBodyLimit.providedBy(service):
            if length is not None and length > service.max_body:
                request.refuse_now(service, service.body_too_large())
                return BoundedBody(0, lambda: None)
            return BoundedBody(service.max_body, lambda: request.refuse_now(service, service.body_too_large()))
        if service is not None and IBodySink.providedBy(service) and request.routing_error is None:
            return service.body_sink(request, length)
        return None

    def _route(self, request: EdgeRequest) -> None:
        path, query = request.raw_path_and_query()
        headers = request.lower_headers()
        params = sigv4.split_query(query)
        try:
            request.signature = sigv4.parse_request(headers, params)
        except sigv4.MalformedSignature as e:
            request.routing_error = e
        name = request.service_name = self.router.route(request.host_header(), path, headers, request.signature)
        legacy = None
        if request.signature is None and ILegacySignatures.providedBy(self.services.get(name)):
            legacy = sigv2.parse_request(headers, dict(params))
        request.caller = self.authenticator.identify(request.signature, legacy)

    def render(self, request: EdgeRequest) -> bytes | int:
        if request.uri.startswith(INTROSPECTION_PREFIX):
            return self.introspection.render(request)
        if request.service_name is None:
            self._route(request)
        service = self.services.get(request.service_name or "")
        if service is None:
            return self._render_no_service(request)
        try:
            if request.routing_error is not None:
                raise identity.AuthenticationError(identity.AuthFailure.MALFORMED, str(request.routing_error))
            legacy = request.caller.legacy_signature if request.caller is not None else None
            self.authenticator.check(request.signature, legacy)
            if not (IPublicRequests.providedBy(service) and service.is_public(request)):
                self._authenticate(request)
        except identity.AuthenticationError as failure:
            log.info(
                "refused {service} request: {failure}",
                service=service.name,
                failure=failure.failure.value,
                detail=failure.detail,
            )
            return service.render_error(request, service.auth_error(failure))
        try:
            return service.resource.render(request)
        except errors.AwsError as error:
            return service.render_error(request, error)

    def is_operator(self, request: EdgeRequest) -> bool:
        """
        Whether C{request} comes from an operator: with C{--auth verify}, it
        carries a valid signature by a key the credentials file marks as an
        operator's (any credential scope); otherwise anyone is.
        """
        if not self.authenticator.verifying:
            return True
        try:
            self.authenticator.check(request.signature)
            self._authenticate(request)
        except identity.AuthenticationError:
            return False
        assert request.signature is not None  # a verified request is signed
        return self.authenticator.is_operator(request.signature.scope.access_key)

    def _authenticate(self, request: EdgeRequest) -> None:
        if not self.authenticator.verifying:
            return
        signature = request.signature
        path, query = request.raw_path_and_query()
        legacy = request.caller.legacy_signature if request.caller is not None else None
        if signature is None and legacy is not None:
            self.authenticator.authenticate_v2(
                legacy,
                request.method.decode("ascii"),
                ILegacySignatures(self.services[request.service_name or ""]).sigv2_resources(
                    request.host_header(), path.decode("latin-1")
                ),
                query.decode("latin-1"),
                request.header_pairs(),
            )
            return
        headers = request.lower_headers()
        if signature is not None and signature.presigned and signature.scope.service == "s3":
            payload_hash = sigv4.UNSIGNED_PAYLOAD
        elif "x-amz-content-sha256" in headers:
            payload_hash = headers["x-amz-content-sha256"]
        else:
            assert request.content is not None
            position = request.content.tell()
            request.content.seek(0)
            payload_hash = identity.body_sha256(request.content.read())
            request.content.seek(position)
        self.authenticator.authenticate(
            signature,
            request.method.decode("ascii"),
            path.decode("latin-1"),
            sigv4.split_query(query),
            request.header_pairs(),
            payload_hash,
        )

    def _render_no_service(self, request: EdgeRequest) -> bytes:
        name = request.service_name or ""
        claims = self.claims.get(name)
        state = "not enabled" if claims is not None else "not provided"
        message = (
            f"The service {name!r} is {state} in this RustStack"
            f" (running: {', '.join(sorted(self.services)) or 'none'})."
        )
        model = claims.model if claims is not None else routing.FOREIGN_SERVICES.get(name)
        if model is None and request.getHeader(b"x-amz-target"):
            return errors.write_json_error(request, errors.AwsError("NotImplemented", message, 501))
        # In the service's own protocol, which its clients can read; what is
        # no one's is answered as S3 would.
        protocol = Protocol.for_service(model or routing.DEFAULT_SERVICE)
        response = protocol.error(protocol.not_running(message), request.method.decode("ascii"))
        request.setResponseCode(response.status)
        for header, value in response.headers:
            request.responseHeaders.setRawHeaders(header, [value])
        return response.body or b""
