"""
The HTTP API data plane: a request to a deployed stage goes to the route AWS
would select, becomes a Lambda proxy event (payload format 2.0, or 1.0 as
REST APIs build it), and the function's answer becomes the HTTP response.

The URL forms are the REST APIs' (see L{locate}):
  - C{http://{apiId}.execute-api.localhost:<port>/{stage}/{path}}, where the
    C{$default} stage is served at the root (a first segment naming another
    stage goes to that stage);
  - C{http://<edge>/restapis/{apiId}/{stage}/_user_request_/{path}}, the
    stage always named (C{$default} too).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ruststack.apigateway import lambda_authorizer, proxy
from ruststack.apigateway.metering import Buckets
from ruststack.apigateway.model import ApiResource, Method
from ruststack.apigateway.regional import ACCOUNT_BURST_LIMIT, ACCOUNT_RATE_LIMIT
from ruststack.apigateway.routing import Route as V1Route
from ruststack.apigatewayv2 import cors, http_proxy, mapping
from ruststack.apigatewayv2.authorize import Authorizers, Authorizing, Refused
from ruststack.apigatewayv2.lambda_target import CannotAssumeRole, invoke_source, lambda_function
from ruststack.apigatewayv2.model import Document, HttpApi
from ruststack.apigatewayv2.routes import Selected
from ruststack.apigatewayv2.store import HttpApiStore
from ruststack.aws.errors import AwsError
from ruststack.awslambda import url_events
from ruststack.backend_answer import finish_with, set_status_and_headers
from ruststack.edge import sent_header_name
from ruststack.interfaces import ILambdaInvoker

log = Logger()

_HOST_FORM = re.compile(r"^([a-z0-9]+)\.execute-api\.", re.I)
_PATH_FORM = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")
DEFAULT_STAGE = "$default"
# HTTP APIs' payload quota ("Quotas for HTTP APIs": 10 MB).
MAX_PAYLOAD = 10 * 1024 * 1024
# Hop-by-hop and framing headers are the gateway's, not the function's.
_DROPPED_RESPONSE_HEADERS = {"connection", "content-length", "transfer-encoding", "date", "server"}


@attrs.frozen
class Located:
    """
    The API and stage a data-plane URL names, the path below the stage
    (what routes match), and the path the event reports (C{rawPath}: with
    the stage's name in front, unless it is C{$default}).
    """

    api: HttpApi
    stage: Document
    below: str
    raw_path: str


def api_id_of(host: str, path: str) -> str | None:
    """
    The API id a data-plane request names, by its C{Host} or path form.
    """
    by_host = _HOST_FORM.match(host)
    if by_host:
        return by_host.group(1).lower()
    by_path = _PATH_FORM.match(path)
    return by_path.group(1) if by_path else None


def locate(store: HttpApiStore, host: str, path: str) -> Located | None:
    """
    The L{Located} of a request, or C{None} (no such API or stage).
    """
    by_host = _HOST_FORM.match(host)
    if by_host:
        api = store.apis.get(by_host.group(1).lower())
        if api is None:
            return None
        first, _, rest = path.lstrip("/").partition("/")
        named = unquote(first)
        if first and named != DEFAULT_STAGE and named in api.stages:
            return Located(api, api.stages[named], "/" + rest, path)
        if DEFAULT_STAGE in api.stages:
            return Located(api, api.stages[DEFAULT_STAGE], path or "/", path or "/")
        return None
    by_path = _PATH_FORM.match(path)
    if by_path is None:
        return None
    api = store.apis.get(by_path.group(1))
    stage_name = unquote(by_path.group(2))
    stage = api.stages.get(stage_name) if api is not None else None
    if api is None or stage is None:
        return None
    below = by_path.group(3) or "/"
    return Located(api, stage, below, below if stage_name == DEFAULT_STAGE else f"/{by_path.group(2)}{below}")


def source_arn(api: HttpApi, stage: str, method: str, selected: Selected) -> str:
    """
    The resource API Gateway invokes for (C{aws:SourceArn}):
    C{API/STAGE/METHOD/route-path}, or C{API/STAGE/$default} for the
    C{$default} route ("Create AWS Lambda proxy integrations for HTTP APIs").
    """
    prefix = f"arn:aws:execute-api:{api.region}:{api.account}:{api.id}/{stage}"
    if selected.key.is_default:
        return f"{prefix}/$default"
    return f"{prefix}/{method}{route_path(selected)}"


def route_path(selected: Selected) -> str:
    return selected.key.key.partition(" ")[2] if not selected.key.is_default else "$default"


@attrs.define
class _Exchange:
    request: Any
    request_id: str
    gone: bool = False
    # The API's CORS configuration and the request's Origin, when it has one.
    cors: tuple[dict[str, Any], str | None] | None = None
    # The integration's ResponseParameters, and the request they read.
    response_mapping: tuple[dict[str, Any], mapping.Sources] | None = None

    def integration_answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """
        The integration's answer, as its ResponseParameters change it.
        """
        if self.response_mapping is not None:
            mappings, sources = self.response_mapping
            answered = attrs.evolve(sources, response_headers=headers, response_body=body)
            status, headers = mapping.map_response(mappings, status, headers, answered)
        self.answer(status, headers, body)

    def answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        request = self.request
        if self.cors is not None:
            headers = cors.response_headers(self.cors[0], self.cors[1], headers)
        set_status_and_headers(request, status, headers, _DROPPED_RESPONSE_HEADERS)
        request.responseHeaders.setRawHeaders(b"apigw-requestid", [self.request_id.encode()])
        finish_with(request, body)

    def gateway_error(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        """
        One of the HTTP API's own answers.
        """
        headers = [("Content-Type", "application/json"), *(headers or [])]
        self.answer(status, headers, json.dumps({"message": message}).encode())


def _apigw_request_id() -> str:
    # apigw-requestid / requestContext.requestId: "JKJaXmPLvHcESHA=".
    return base64.b64encode(os.urandom(11)).decode("ascii")


@attrs.frozen
class _Served:
    """
    What a request is served by: its API and stage, the deployment's
    route (and its selection) and integration, and the request as the
    events need it.
    """

    api: HttpApi
    stage: Document
    authorizers: dict[str, Document]
    selected: Selected
    route: Document
    integration: Document
    variables: dict[str, str]
    url_request: url_events.UrlRequest
    below: str
    # The path a mapping gives the integration instead (overwrite:path).
    path: str | None = None

    @property
    def version(self) -> str:
        return str(self.integration.get("PayloadFormatVersion", "2.0"))

    def event_v2(self) -> dict[str, Any]:
        return url_events.build_event(
            self.url_request,
            self.api.account,
            route_key=self.selected.key.key,
            stage=self.stage["StageName"],
            path_parameters=self.selected.path_parameters,
            stage_variables=self.variables,
        )

    def event_v1(self) -> dict[str, Any]:
        return event_v1(self.url_request, self.api, self.stage["StageName"], self.selected, self.variables)

    def sources(self, authorizer: dict[str, Any] | None) -> mapping.Sources:
        """
        What the integration's parameter mapping reads.
        """
        request = self.url_request
        context = {
            "accountId": self.api.account,
            "apiId": self.api.id,
            "domainName": request.domain_name,
            "domainPrefix": request.domain_name.split(".", 1)[0],
            "httpMethod": request.method,
            "identity.sourceIp": request.source_ip,
            "path": request.raw_path,
            "protocol": request.protocol,
            "requestId": request.request_id,
            "requestTime": url_events.request_time(request.received_at),
            "requestTimeEpoch": str(int(request.received_at * 1000)),
            "routeKey": self.selected.key.key,
            "stage": self.stage["StageName"],
        }
        agent = next((value for name, value in request.headers if name.lower() == "user-agent"), None)
        if agent is not None:
            context["identity.userAgent"] = agent
        # $context.authorizer.claims.NAME (JWT), $context.authorizer.NAME (a Lambda authorizer's context).
        found = authorizer or {}
        for name, value in ((found.get("jwt") or {}).get("claims") or {}).items():
            context[f"authorizer.claims.{name}"] = value if isinstance(value, str) else json.dumps(value)
        for name, value in (found.get("lambda") or {}).items():
            context[f"authorizer.{name}"] = value if isinstance(value, str) else json.dumps(value)
        return mapping.Sources(
            headers=request.headers,
            query=mapping.query_pairs(request.raw_query),
            body=request.body,
            path=self.below,
            path_parameters=self.selected.path_parameters,
            context=context,
            stage_variables=self.variables,
        )

    def mapped(self, sources: mapping.Sources) -> _Served:
        """
        This request as the integration's RequestParameters change it.
        """
        changed = mapping.map_request(self.integration.get("RequestParameters"), sources, self.url_request.raw_query)
        url_request = attrs.evolve(
            self.url_request,
            headers=changed.headers,
            raw_query=changed.raw_query,
            raw_path=self.url_request.raw_path if changed.path is None else changed.path,
        )
        return attrs.evolve(self, url_request=url_request, path=changed.path)


class HttpApiResource(Resource):
    """
    Serves the deployed stages of every HTTP API in C{store}.

    @ivar invoker: a callable returning the L{ILambdaInvoker} (or C{None}
        when Lambda is not running).
    """

    isLeaf = True

    def __init__(
        self,
        store: HttpApiStore,
        invoker: Callable[[], ILambdaInvoker | None],
        clock: IReactorTime,
        authorizers: Authorizers | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.invoker = invoker
        self.clock = clock
        self.authorizers = authorizers or Authorizers(clock)
        self._throttles = Buckets()  # by (API, stage, route key)

    def admits(self, api_id: str, stage: Document, route_key: str, now: float) -> bool:
        """
        Whether the route's throttling (its RouteSettings, else the stage's
        DefaultRouteSettings, else the account's) lets one more request in.
        """
        settings = {
            **(stage.get("DefaultRouteSettings") or {}),
            **((stage.get("RouteSettings") or {}).get(route_key) or {}),
        }
        rate = settings.get("ThrottlingRateLimit")
        burst = settings.get("ThrottlingBurstLimit")
        if rate is None and burst is None:
            return True
        return self._throttles.take(
            (api_id, stage["StageName"], route_key),
            float(ACCOUNT_RATE_LIMIT if rate is None else rate),
            int(ACCOUNT_BURST_LIMIT if burst is None else burst),
            now,
        )

    def render(self, request) -> bytes | int:
        now = self.clock.seconds()
        exchange = _Exchange(request, _apigw_request_id())
        path, _, query = request.uri.decode("latin-1").partition("?")
        host = (request.getHeader(b"host") or b"").decode("latin-1")
        method = request.method.decode("latin-1")
        located = locate(self.store, host, path)
        deployment = located.api.deployments.get(located.stage.get("DeploymentId") or "") if located else None
        if located is None or deployment is None:
            exchange.gateway_error(404, "Not Found")
            return NOT_DONE_YET
        api, stage = located.api, located.stage
        configuration = api.document.get("CorsConfiguration")
        if configuration:
            lowered = {
                name.decode("latin-1").lower(): values[-1].decode("latin-1")
                for name, values in request.requestHeaders.getAllRawHeaders()
            }
            if cors.is_preflight(method, lowered):
                exchange.answer(204, cors.preflight_headers(configuration, lowered), b"")
                return NOT_DONE_YET
            exchange.cors = (configuration, lowered.get("origin"))
        selected = deployment.snapshot.table().select(method, located.below)
        if selected is None:
            exchange.gateway_error(404, "Not Found")
            return NOT_DONE_YET
        route = deployment.snapshot.routes[selected.route_id]
        if not self.admits(api.id, stage, selected.key.key, now):
            exchange.gateway_error(429, "Too Many Requests")
            return NOT_DONE_YET
        integration_id = (route.get("Target") or "").partition("/")[2]
        integration = deployment.snapshot.integrations.get(integration_id)
        kind = integration.get("IntegrationType") if integration is not None else None
        if integration is None or kind not in ("AWS_PROXY", "HTTP_PROXY"):
            log.warn(
                "{api}/{stage} {route}: only Lambda and HTTP proxy integrations are served (have {integration})",
                api=api.id,
                stage=stage["StageName"],
                route=selected.key.key,
                integration=integration,
            )
            exchange.gateway_error(500, "Internal Server Error")
            return NOT_DONE_YET
        signer = None
        if route.get("AuthorizationType") == "AWS_IAM":
            # The edge has checked the signature (with --auth verify); an
            # unsigned request is refused.
            signer = _signer(request)
            if signer is None:
                exchange.gateway_error(403, "Forbidden")
                return NOT_DONE_YET
        body = _read_body(request)
        if body is None:
            exchange.gateway_error(413, "Request Entity Too Large")
            return NOT_DONE_YET
        url_request = url_events.UrlRequest(
            method=method,
            raw_path=located.raw_path,
            raw_query=query,
            headers=self._event_headers(request, host),
            body=body,
            source_ip=request.getClientAddress().host,
            protocol=request.clientproto.decode("latin-1"),
            url_id=api.id,
            domain_name=host.split(":", 1)[0] or f"{api.id}.execute-api.localhost",
            request_id=exchange.request_id,
            received_at=now,
            iam=signer,
        )
        served = _Served(
            api,
            stage,
            deployment.snapshot.authorizers,
            selected,
            route,
            integration,
            dict(stage.get("StageVariables") or {}),
            url_request,
            located.below,
        )
        serving = defer.ensureDeferred(self._serve(exchange, served))

        def lost(_reason: Failure) -> None:
            exchange.gone = True
            serving.cancel()

        request.notifyFinish().addErrback(lost)
        serving.addErrback(self._failed, exchange, api.id)
        return NOT_DONE_YET

    async def _serve(self, exchange: _Exchange, served: _Served) -> None:
        api, stage = served.api, served.stage
        method = served.url_request.method
        arn = source_arn(api, stage["StageName"], method, served.selected)
        invoker = self.invoker()
        event: dict[str, Any] | None = None
        if served.route.get("AuthorizationType") in ("JWT", "CUSTOM"):
            event = served.event_v2()
            route_arn = lambda_authorizer.method_arn(
                api.region, api.account, api.id, stage["StageName"], method, served.below
            )
            authorizing = Authorizing(
                api, served.authorizers, served.route, route_arn, event, served.event_v1, served.version
            )
            try:
                found = await self.authorizers.authorize(authorizing, invoker)
            except Refused as refused:
                if not exchange.gone:
                    extra = [("www-authenticate", refused.challenge)] if refused.challenge else []
                    exchange.gateway_error(refused.status, refused.message, extra)
                return
        else:
            found = None
        if exchange.gone:
            return
        integration = served.integration
        if integration.get("RequestParameters") or integration.get("ResponseParameters"):
            sources = served.sources(found)
            if integration.get("ResponseParameters"):
                exchange.response_mapping = (integration["ResponseParameters"], sources)
            if integration.get("RequestParameters") and not integration.get("IntegrationSubtype"):
                served = served.mapped(sources)
                event = None  # (the authorizer's was of the request as it came)
        if integration["IntegrationType"] == "HTTP_PROXY":
            await self._proxy(exchange, served)
            return
        function = lambda_function(integration.get("IntegrationUri") or "", served.variables)
        if function is None or invoker is None:
            log.warn(
                "{api}/{stage}: no Lambda function to call (have {uri}; Lambda {state})",
                api=api.id,
                stage=stage["StageName"],
                uri=integration.get("IntegrationUri"),
                state="running" if invoker is not None else "not running",
            )
            exchange.gateway_error(500, "Internal Server Error")
            return
        if served.version == "2.0":
            event = event if event is not None else served.event_v2()
        else:
            event = served.event_v1()
        if found is not None:
            event["requestContext"]["authorizer"] = found
        await self._invoke(
            exchange, invoker, api, integration, function, arn, served.version, json.dumps(event).encode()
        )

    async def _proxy(self, exchange: _Exchange, served: _Served) -> None:
        integration = served.integration
        url = http_proxy.target_url(
            integration.get("IntegrationUri") or "",
            served.selected.path_parameters,
            served.variables,
            served.below,
            served.url_request.raw_query,
            served.selected.key.is_default,
            served.path,
        )
        method = integration.get("IntegrationMethod") or "ANY"
        method = served.url_request.method if method == "ANY" else method
        timeout = float(integration.get("TimeoutInMillis") or 30000) / 1000.0
        forwarding = defer.ensureDeferred(
            http_proxy.forward(method, url, served.url_request.headers, served.url_request.body, self.clock)
        )
        # Cancelling treq fails the request with its own error (not always
        # CancelledError): whether it timed out is known here.
        timed_out: list[bool] = []

        def expire() -> None:
            timed_out.append(True)
            forwarding.cancel()

        expiry = self.clock.callLater(timeout, expire)
        try:
            status, headers, body = await forwarding
        except Exception as e:
            if not exchange.gone and timed_out:
                exchange.gateway_error(504, "Gateway Timeout")
            elif not exchange.gone:
                log.warn("{api}: the HTTP integration {url} failed: {error}", api=served.api.id, url=url, error=e)
                exchange.gateway_error(500, "Internal Server Error")
            return
        finally:
            if expiry.active():
                expiry.cancel()
        if not exchange.gone:
            exchange.integration_answer(status, headers, body)

    async def _invoke(
        self,
        exchange: _Exchange,
        invoker: ILambdaInvoker,
        api: HttpApi,
        integration: Document,
        function: tuple[str, str | None],
        arn: str,
        version: str,
        payload: bytes,
    ) -> None:
        name, qualifier = function
        try:
            source = invoke_source(api.account, integration.get("CredentialsArn"), arn)
        except CannotAssumeRole as e:
            # With an execution role of the API's own account, API Gateway
            # calls as that role; it can use no other.
            log.warn("{api}: API Gateway cannot assume the role {role}", api=api.id, role=str(e))
            exchange.gateway_error(500, "Internal Server Error")
            return
        invocation = defer.maybeDeferred(
            invoker.invoke, api.account, api.region, name, payload, qualifier, source=source
        )
        timeout = float(integration.get("TimeoutInMillis") or 30000) / 1000.0
        result = await invocation.addTimeout(timeout, self.clock)
        if exchange.gone:
            return
        if result.function_error:
            log.info(
                "function error behind {path}: {payload}",
                path=exchange.request.uri.decode("latin-1"),
                payload=result.payload[:500].decode("utf-8", errors="replace"),
            )
            exchange.gateway_error(500, "Internal Server Error")
            return
        try:
            if version == "2.0":
                answer = url_events.parse_response(result.payload)
                exchange.integration_answer(answer.status, answer.headers, answer.body)
            else:
                response = proxy.parse_response(result.payload, True)
                exchange.integration_answer(response.status, response.headers, response.body)
        except (url_events.MalformedResponse, proxy.MalformedProxyResponse) as e:
            log.info(
                "malformed Lambda response behind {path}: {reason}",
                path=exchange.request.uri.decode("latin-1"),
                reason=str(e),
            )
            exchange.gateway_error(500, "Internal Server Error")

    def _event_headers(self, request, host: str) -> list[tuple[str, str]]:
        # As sent, with what API Gateway adds for the integration.
        headers = [
            (sent_header_name(request, name), value.decode("latin-1"))
            for name, values in request.requestHeaders.getAllRawHeaders()
            if name.lower() not in (b"x-forwarded-for", b"x-forwarded-port", b"x-forwarded-proto")
            for value in values
        ]
        forwarded = ", ".join(
            value.decode("latin-1") for value in request.requestHeaders.getRawHeaders(b"x-forwarded-for") or []
        )
        source = request.getClientAddress().host
        secure = request.isSecure()
        headers.append(("X-Forwarded-For", f"{forwarded}, {source}" if forwarded else source))
        headers.append(("X-Forwarded-Port", host.rpartition(":")[2] if ":" in host else ("443" if secure else "80")))
        headers.append(("X-Forwarded-Proto", "https" if secure else "http"))
        return headers

    def _failed(self, failure: Failure, exchange: _Exchange, api_id: str) -> None:
        if exchange.gone:
            return
        if failure.check(defer.TimeoutError):
            # An integration that outlives its timeout: HTTP APIs answer 503.
            exchange.gateway_error(503, "Service Unavailable")
            return
        if isinstance(failure.value, AwsError):
            # Lambda refused: no such function, throttled, or no permission.
            log.warn("invoking the function of {api} failed: {error}", api=api_id, error=str(failure.value))
        else:
            log.failure("invoking the function of {api} failed", failure, api=api_id)
        exchange.gateway_error(500, "Internal Server Error")


def event_v1(
    request: url_events.UrlRequest, api: HttpApi, stage: str, selected: Selected, variables: dict[str, str]
) -> dict[str, Any]:
    """
    The payload format 1.0 event: the REST APIs' proxy event, with the
    route key as C{resourceId}, the route's path as C{resource}, the path
    the HTTP API reports (with the stage), and bodies in base64 unless they
    are text, as HTTP APIs send them.
    """
    path = route_path(selected)
    route = V1Route(
        ApiResource(id=selected.key.key, path=path), Method(http_method=request.method), selected.path_parameters
    )
    http_request = proxy.HttpRequest(
        method=request.method,
        raw_path=request.raw_path,
        query=request.raw_query,
        headers=request.headers,
        body=request.body,
        source_ip=request.source_ip,
        protocol=request.protocol,
        domain_name=request.domain_name,
    )
    context = proxy.EventContext(
        account=api.account,
        api_id=api.id,
        stage=stage,
        stage_variables=variables,
        binary_media_types=[],
        request_id=request.request_id,
        extended_request_id=request.request_id,
        received_at=request.received_at,
    )
    event = {"version": "1.0", **proxy.build_event(http_request, route, context)}
    event["requestContext"]["path"] = request.raw_path
    if request.body:
        content_type = next((v for n, v in request.headers if n.lower() == "content-type"), None)
        if not url_events.is_text(content_type):
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _signer(request) -> tuple[str, str] | None:
    # The (access key, account) of a SigV4-signed request.
    caller = getattr(request, "caller", None)
    if caller is None or getattr(request, "signature", None) is None:
        return None
    return caller.access_key, caller.account


def requires_signature(store: HttpApiStore, request: Any) -> bool:
    """
    Whether C{request} is for an C{AWS_IAM} route, which the edge must
    authenticate (every other stage request is public).
    """
    path = request.uri.decode("latin-1").partition("?")[0]
    located = locate(store, (request.getHeader(b"host") or b"").decode("latin-1"), path)
    deployment = located.api.deployments.get(located.stage.get("DeploymentId") or "") if located else None
    if located is None or deployment is None:
        return False
    selected = deployment.snapshot.table().select(request.method.decode("latin-1"), located.below)
    if selected is None:
        return False
    return deployment.snapshot.routes[selected.route_id].get("AuthorizationType") == "AWS_IAM"


def _read_body(request) -> bytes | None:
    content = request.content
    if content is None:
        return b""
    content.seek(0, os.SEEK_END)
    if content.tell() > MAX_PAYLOAD:
        return None
    content.seek(0)
    return content.read()
