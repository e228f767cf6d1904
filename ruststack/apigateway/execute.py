"""
The execute-api data plane: an HTTP request to a deployed stage becomes a
v1 proxy event, goes to Lambda through L{ILambdaInvoker}, and the
function's answer becomes the HTTP response.

Two URL forms reach it (see L{target_of}):
  - C{http://<edge>/restapis/{apiId}/{stage}/_user_request_/{path}};
  - C{http://{apiId}.execute-api.localhost:<port>/{stage}/{path}}.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ruststack.apigateway import gateway_responses, lambda_authorizer, lambda_caller, non_proxy, proxy
from ruststack.apigateway.admission import Admission
from ruststack.apigateway.extras import GatewayResponse
from ruststack.apigateway.model import RestApi
from ruststack.apigateway.routing import Route
from ruststack.apigateway.store import ApiStore
from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.backend_answer import finish_with, set_status_and_headers
from ruststack.edge import sent_header_name
from ruststack.interfaces import ILambdaInvoker

log = Logger()

_HOST_FORM = re.compile(r"^([a-z0-9]+)\.execute-api\.", re.I)
_PATH_FORM = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")
_FUNCTION_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<function>.+)/invocations$"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
# How long an authorizer function may take (the integration limit).
_AUTHORIZER_TIMEOUT = 29.0
# API Gateway's payload quota ("API Gateway quotas": 10 MB).
MAX_PAYLOAD = 10 * 1024 * 1024
# Headers of the function's answer the gateway owns: it sends its own and
# passes the function's as x-amzn-Remapped-<name> (see "Amazon API Gateway
# important notes" for REST APIs); chunking is the gateway's business.
_REMAPPED_RESPONSE_HEADERS = {"authorization", "connection", "content-length", "date", "server", "www-authenticate"}
_DROPPED_RESPONSE_HEADERS = {"transfer-encoding"}


@attrs.frozen
class Target:
    """
    The API, stage and path (percent-encoded, below the stage) a data-plane
    URL names.
    """

    api_id: str
    stage: str
    raw_path: str
    # The path as sent, where a custom domain's event carries it whole.
    sent_path: str | None = None


def is_execute_request(host: str, path: str) -> bool:
    return bool(_HOST_FORM.match(host) or _PATH_FORM.match(path))


def target_of(host: str, path: str) -> Target | None:
    """
    The L{Target} of a request by its C{Host} and path, or C{None} when the
    URL names no stage.
    """
    by_host = _HOST_FORM.match(host)
    if by_host:
        stage, _, rest = path.lstrip("/").partition("/")
        if not stage:
            return None
        return Target(by_host.group(1).lower(), unquote(stage), "/" + rest)
    by_path = _PATH_FORM.match(path)
    if by_path:
        return Target(by_path.group(1), unquote(by_path.group(2)), by_path.group(3) or "/")
    return None


def find_target(store: ApiStore, host: str, path: str) -> Target | None:
    """
    The stage a custom domain name maps C{path} to (on such a host every
    path is the domain's), else L{target_of}.
    """
    if not store.regional.owns_host(host):
        return target_of(host, path)
    mapped = store.regional.mapped(host, path)
    return Target(mapped.api_id, unquote(mapped.stage), mapped.raw_path, path) if mapped else None


def function_of(uri: str, stage_variables: dict[str, str]) -> tuple[str, str | None] | None:
    """
    The function (name or ARN) and qualifier a Lambda integration URI
    invokes, with C{${stageVariables.x}} substituted; C{None} if the URI is
    not a Lambda invocation.
    """
    found = _FUNCTION_URI.match(_STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), uri))
    if not found:
        return None
    function = found.group("function")
    parts = function.split(":")
    # arn:aws:lambda:region:account:function:name[:qualifier]
    if function.startswith("arn:") and len(parts) == 8:
        return ":".join(parts[:7]), parts[7]
    return function, None


def _apigw_id() -> str:
    # x-amz-apigw-id / extendedRequestId: 16 base64 characters ending in "=".
    return base64.b64encode(os.urandom(11)).decode("ascii")


def _trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{os.urandom(12).hex()}"


@attrs.define
class _Exchange:
    """
    One data-plane request in flight: the ids API Gateway answers with.
    """

    request: Any
    request_id: str
    apigw_id: str
    trace_id: str
    gone: bool = False
    # The API's customized gateway responses and its stage's variables.
    responses: Mapping[str, GatewayResponse] = attrs.field(factory=dict)
    stage_variables: Mapping[str, str] = attrs.field(factory=dict)
    # More of $context.error for the gateway response (validationErrorString).
    error_context: dict[str, str] = attrs.field(factory=dict)

    def answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        request = self.request
        set_status_and_headers(request, status, headers, _DROPPED_RESPONSE_HEADERS, _REMAPPED_RESPONSE_HEADERS)
        response_headers = request.responseHeaders
        if not response_headers.hasHeader(b"content-type"):
            # A proxy response without Content-Type goes out as JSON.
            response_headers.setRawHeaders(b"content-type", [b"application/json"])
        response_headers.setRawHeaders(b"x-amzn-requestid", [self.request_id.encode()])
        response_headers.setRawHeaders(b"x-amz-apigw-id", [self.apigw_id.encode()])
        response_headers.setRawHeaders(b"x-amzn-trace-id", [self.trace_id.encode()])
        finish_with(request, body)

    def gateway_error(
        self,
        status: int,
        message: str | None,
        error_type: str | None = None,
        key: str = "message",
        response_type: str | None = None,
    ) -> None:
        """
        One of API Gateway's own responses (its "gateway responses"), of
        C{response_type} (by default, the one C{status} and C{error_type}
        are).
        """
        kind = response_type or gateway_responses.response_type_of(status, error_type)
        status, headers, body = gateway_responses.render(self.responses, kind, status, message, self.lookup, key)
        if error_type:
            headers.append(("x-amzn-ErrorType", error_type))
        self.answer(status, headers, body)

    def lookup(self, source: str) -> str | None:
        """
        The value of a gateway response's parameter C{source} for this
        request (C{method.request.header.x}, C{stageVariables.x}...).
        """
        if source in self.error_context:
            return self.error_context[source]
        kind, _, name = source.rpartition(".")
        if kind == "method.request.header":
            value = self.request.getHeader(name.encode("latin-1"))
            return value.decode("latin-1") if value is not None else None
        if kind == "method.request.querystring":
            values = self.request.args.get(name.encode("latin-1")) if self.request.args else None
            return values[-1].decode("latin-1") if values else None
        if kind == "stageVariables":
            return self.stage_variables.get(name)
        if source in ("context.requestId", "context.extendedRequestId"):
            return self.request_id if source == "context.requestId" else self.apigw_id
        return None


class ExecuteApiResource(Resource):
    """
    Serves the deployed stages of every REST API in C{store}.

    @ivar invoker: a callable returning the L{ILambdaInvoker} (or C{None}
        when Lambda is not running).
    """

    isLeaf = True

    def __init__(self, store: ApiStore, invoker: Callable[[], ILambdaInvoker | None], clock: IReactorTime) -> None:
        super().__init__()
        self.store = store
        self.invoker = invoker
        self.clock = clock
        self.answers = lambda_authorizer.AnswerCache(clock)
        self.admission = Admission(store, clock)
        # What MOCK, AWS and HTTP integrations reach (the service adds the edge).
        self.backends = non_proxy.Backends(invoker, clock)

    def render(self, request) -> bytes | int:
        now = self.clock.seconds()
        exchange = _Exchange(request, ids.request_id(), _apigw_id(), _trace_id(now))
        raw_path, _, query = request.uri.decode("latin-1").partition("?")
        host = (request.getHeader(b"host") or b"").decode("latin-1")
        target = find_target(self.store, host, raw_path)
        if target is not None:
            exchange.responses = self.store.extras.responses_of(target.api_id)
        found = resolve(self.store, target, request.method.decode("latin-1")) if target else None
        if found is None:
            exchange.gateway_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
            return NOT_DONE_YET
        api, stage_variables, route = found
        exchange.stage_variables = stage_variables
        signer = _signer(request)
        if route.method.authorization_type == "AWS_IAM" and signer is None:
            # IAM-authorized methods want a SigV4 signature (the edge checks it
            # under --auth verify); unsigned, API Gateway refuses them so.
            exchange.gateway_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
            return NOT_DONE_YET
        assert target is not None
        integration = route.integration
        function = function_of(integration.uri or "", stage_variables) if integration else None
        servable = integration is not None and (
            (integration.type == "AWS_PROXY" and function is not None) or non_proxy.servable(integration, function)
        )
        if integration is None or not servable:
            log.warn(
                "{api}/{stage} {path}: this integration is not served (have {kind} {uri})",
                api=api.id,
                stage=target.stage,
                path=target.raw_path,
                kind=integration.type if integration else None,
                uri=integration.uri if integration else None,
            )
            exchange.gateway_error(500, "Internal server error", "InternalServerErrorException")
            return NOT_DONE_YET
        invoker = self.invoker()
        authorized = route.method.authorization_type in ("CUSTOM", "COGNITO_USER_POOLS")
        if invoker is None and (integration.type == "AWS_PROXY" or authorized):
            log.warn("{api}/{stage}: Lambda is not running in this RustStack", api=api.id, stage=target.stage)
            exchange.gateway_error(500, "Internal server error", "InternalServerErrorException")
            return NOT_DONE_YET

        body = _read_body(request)
        if body is None:
            exchange.gateway_error(413, "Request Too Long")
            return NOT_DONE_YET
        http_request = proxy.HttpRequest(
            method=request.method.decode("latin-1"),
            raw_path=target.raw_path,
            query=query,
            headers=self._event_headers(request, host),
            body=body,
            source_ip=request.getClientAddress().host,
            protocol=request.clientproto.decode("latin-1"),
            domain_name=host.split(":", 1)[0] or f"{api.id}.execute-api.localhost",
            signer=signer,
        )
        context = proxy.EventContext(
            account=api.account,
            api_id=api.id,
            stage=target.stage,
            stage_variables=stage_variables,
            binary_media_types=api.binary_media_types,
            request_id=exchange.request_id,
            extended_request_id=exchange.apigw_id,
            received_at=now,
        )
        event = proxy.build_event(http_request, route, context)
        if target.sent_path is not None:
            # Through a custom domain, both paths are the request's whole path.
            event["path"] = event["requestContext"]["path"] = target.sent_path
        # The first Accept type decides whether a base64 body goes out decoded.
        accept = (request.getHeader(b"accept") or b"").decode("latin-1").split(",", 1)[0]
        decode_binary = proxy.media_type_matches(accept, api.binary_media_types)
        serving = defer.ensureDeferred(
            self._serve(exchange, invoker, api, target, route, function, event, decode_binary, signer)
        )

        def lost(_reason: Failure) -> None:
            exchange.gone = True
            serving.cancel()

        request.notifyFinish().addErrback(lost)
        serving.addErrback(self._failed, exchange, target)
        return NOT_DONE_YET

    async def _serve(
        self,
        exchange: _Exchange,
        invoker: ILambdaInvoker | None,
        api: RestApi,
        target: Target,
        route: Route,
        function: tuple[str, str | None] | None,
        event: dict[str, Any],
        decode_binary: bool,
        signer: tuple[str, str] | None,
    ) -> None:
        integration = route.integration
        assert integration is not None
        arn = lambda_authorizer.method_arn(
            api.region, api.account, api.id, target.stage, event["httpMethod"], target.raw_path
        )
        if route.method.authorization_type in ("CUSTOM", "COGNITO_USER_POOLS"):
            assert invoker is not None  # render checked
            try:
                grant = await self._authorize(invoker, api, route, event, arn, signer)
            except lambda_authorizer.Refused as refused:
                refusal = refused.refusal
                exchange.gateway_error(refusal.status, refusal.message, refusal.error_type, refusal.key)
                return
            event["requestContext"]["authorizer"] = grant
        # API key and request validation.
        not_admitted = self.admission.refusal(api, target.stage, route, exchange.request, event)
        if not_admitted is not None:
            refusal = not_admitted.refusal
            exchange.error_context["context.error.validationErrorString"] = not_admitted.detail
            exchange.gateway_error(
                refusal.status, refusal.message, refusal.error_type, response_type=not_admitted.response_type
            )
            return
        if integration.type in non_proxy.TYPES:
            response = await non_proxy.serve(self.backends, api, route, event, function, arn, signer)
            if not exchange.gone:
                exchange.answer(response.status, response.headers, response.body)
            return
        assert invoker is not None and function is not None
        name, qualifier = function
        try:
            call = lambda_caller.lambda_call(api, name, qualifier, integration.credentials, arn, signer)
        except lambda_caller.CannotAssumeRole as e:
            log.warn("{api}/{stage}: {reason}", api=api.id, stage=target.stage, reason=str(e))
            exchange.gateway_error(500, "Internal server error", "InternalServerErrorException")
            return
        invocation = _invoke(invoker, call, json.dumps(event).encode())
        result = await invocation.addTimeout(integration.timeout_ms / 1000.0, self.clock)
        if exchange.gone:
            return
        if result.function_error:
            log.info(
                "function error behind {path}: {payload}",
                path=exchange.request.uri.decode("latin-1"),
                payload=result.payload[:500].decode("utf-8", errors="replace"),
            )
            exchange.gateway_error(502, "Internal server error", "InternalServerErrorException")
            return
        try:
            response = proxy.parse_response(result.payload, decode_binary)
        except proxy.MalformedProxyResponse as e:
            log.info(
                "Malformed Lambda proxy response behind {path}: {reason}",
                path=exchange.request.uri.decode("latin-1"),
                reason=str(e),
            )
            exchange.gateway_error(502, "Internal server error", "InternalServerErrorException")
            return
        accept_encoding = (exchange.request.getHeader(b"accept-encoding") or b"").decode("latin-1")
        response = proxy.compressed(response, accept_encoding, api.minimum_compression_size)
        exchange.answer(response.status, response.headers, response.body)

    async def _authorize(
        self,
        invoker: ILambdaInvoker,
        api: RestApi,
        route: Route,
        event: dict[str, Any],
        arn: str,
        signer: tuple[str, str] | None,
    ) -> dict[str, Any]:
        """
        Run the method's Lambda authorizer (or reuse its cached answer) for
        the method ARN C{arn}; the C{requestContext.authorizer} for the
        integration, or L{Refused}.
        """
        authorizer = api.authorizers.get(route.method.authorizer_id or "")
        stage_variables = event.get("stageVariables") or {}
        function = function_of(authorizer.authorizer_uri or "", stage_variables) if authorizer else None
        if authorizer is None or authorizer.type not in ("TOKEN", "REQUEST") or function is None:
            log.warn("{api}: only Lambda TOKEN and REQUEST authorizers are served", api=api.id)
            raise lambda_authorizer.Refused(lambda_authorizer.CONFIGURATION_ERROR)
        identity = lambda_authorizer.identity(authorizer, event)
        if identity is None and (authorizer.type == "TOKEN" or authorizer.identity_source):
            raise lambda_authorizer.Refused(lambda_authorizer.UNAUTHORIZED)
        key = (authorizer.id, identity or "")
        started = self.clock.seconds()
        grant = self.answers.get(key) if identity else None
        if grant is None:
            payload = json.dumps(lambda_authorizer.authorizer_event(authorizer, identity or "", event, arn)).encode()
            name, qualifier = function
            source_arn = lambda_caller.authorizer_source_arn(api, authorizer.id)
            try:
                call = lambda_caller.lambda_call(api, name, qualifier, authorizer.credentials, source_arn, signer)
                result = await _invoke(invoker, call, payload).addTimeout(_AUTHORIZER_TIMEOUT, self.clock)
            except (defer.TimeoutError, AwsError, lambda_caller.CannotAssumeRole) as e:
                log.warn(
                    "{api}: the authorizer {name} failed: {error}",
                    api=api.id,
                    name=authorizer.name,
                    error=_execution_failure(e),
                )
                raise lambda_authorizer.Refused(lambda_authorizer.CONFIGURATION_ERROR) from None
            grant = lambda_authorizer.read_answer(result)
            if identity:
                self.answers.put(key, grant, authorizer.ttl)
        grant.check(arn)
        return grant.request_context(int((self.clock.seconds() - started) * 1000))

    @staticmethod
    def _event_headers(request, host: str) -> list[tuple[str, str]]:
        # API Gateway adds the forwarding headers a load balancer would.
        headers: list[tuple[str, str]] = []
        forwarded = None
        for name, values in request.requestHeaders.getAllRawHeaders():
            text = sent_header_name(request, name)
            lower = text.lower()
            if lower == "x-forwarded-for":
                forwarded = values[-1].decode("latin-1")
            elif lower not in ("x-forwarded-port", "x-forwarded-proto"):
                headers.extend((text, value.decode("latin-1")) for value in values)
        source = request.getClientAddress().host
        secure = request.isSecure()
        headers.append(("X-Forwarded-For", f"{forwarded}, {source}" if forwarded else source))
        headers.append(("X-Forwarded-Port", host.rpartition(":")[2] if ":" in host else ("443" if secure else "80")))
        headers.append(("X-Forwarded-Proto", "https" if secure else "http"))
        return headers

    def _failed(self, failure: Failure, exchange: _Exchange, target: Target) -> None:
        if exchange.gone:
            return
        if failure.check(defer.TimeoutError):
            exchange.gateway_error(504, "Endpoint request timed out")
        elif isinstance(failure.value, AwsError):
            log.warn(
                "invoking the function of {api}/{stage} failed: {error}",
                api=target.api_id,
                stage=target.stage,
                error=_execution_failure(failure.value),
            )
            exchange.gateway_error(500, "Internal server error", "InternalServerErrorException")
        else:
            log.failure("invoking the function of {api}/{stage} failed", failure, api=target.api_id, stage=target.stage)
            exchange.gateway_error(500, "Internal server error", "InternalServerErrorException")


def resolve(store: ApiStore, target: Target, method: str) -> tuple[RestApi, dict[str, str], Route] | None:
    """
    The API, stage variables and route serving C{method} on C{target}, or
    C{None} (no such API, stage or route).
    """
    api = store.apis.get(target.api_id)
    stage = api.stages.get(target.stage) if api is not None else None
    deployment = api.deployments.get(stage.deployment_id) if api is not None and stage is not None else None
    if api is None or stage is None or deployment is None:
        return None
    route = store.router(api, deployment).match(method, target.raw_path)
    if route is None:
        return None
    return api, stage.variables, route


def requires_signature(store: ApiStore, request) -> bool:
    """
    Whether C{request} is for a method with C{AWS_IAM} authorization, which
    the edge must authenticate; every other stage request is public.
    """
    raw_path = request.uri.decode("latin-1").partition("?")[0]
    target = find_target(store, (request.getHeader(b"host") or b"").decode("latin-1"), raw_path)
    found = resolve(store, target, request.method.decode("latin-1")) if target else None
    return found is not None and found[2].method.authorization_type == "AWS_IAM"


def _signer(request) -> tuple[str, str] | None:
    caller = getattr(request, "caller", None)
    if caller is None or getattr(request, "signature", None) is None:
        return None
    return caller.access_key, caller.account


def _read_body(request) -> bytes | None:
    """
    The request body, or C{None} when it is over API Gateway's quota.
    """
    content = request.content
    if content is None:
        return b""
    content.seek(0, os.SEEK_END)
    if content.tell() > MAX_PAYLOAD:
        return None
    content.seek(0)
    return content.read()


def _invoke(invoker: ILambdaInvoker, call: lambda_caller.LambdaCall, payload: bytes) -> defer.Deferred:
    return defer.maybeDeferred(
        invoker.invoke, call.account, call.region, call.function, payload, call.qualifier, source=call.source
    )


def _execution_failure(error: Exception) -> str:
    # What API Gateway's execution log says: Lambda's refusal is a
    # configuration error of the API.
    if isinstance(error, AwsError) and error.code == "AccessDeniedException":
        return f"{lambda_caller.INVALID_PERMISSIONS} ({error.message})"
    return str(error)
