"""
Serving the integrations that are not Lambda proxies: C{MOCK}, C{AWS}
(Lambda without proxy, and AWS services such as DynamoDB and S3 within
RustStack), C{HTTP} (mapped) and C{HTTP_PROXY} (passed through).

Every one but C{HTTP_PROXY} goes through L{mapping}: the request template
makes the integration's request, the integration response selected by the
backend's answer makes the client's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import attrs
import treq
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from twisted.internet import defer
from twisted.logger import Logger

from ruststack.apigateway import lambda_caller, mapping, vtl
from ruststack.apigateway.mock_integration import mock_response
from ruststack.apigateway.model import Integration, RestApi
from ruststack.apigateway.proxy import HttpResponse
from ruststack.apigateway.routing import Route
from ruststack.aws.client import ServiceSessions
from ruststack.interfaces import ILambdaInvoker
from ruststack.protocol.model import service_model

log = Logger()

TYPES = frozenset({"MOCK", "AWS", "HTTP", "HTTP_PROXY"})
_SERVICE_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[a-z0-9-]+):(?P<service>[a-z0-9-]+):(?P<kind>action|path)/(?P<rest>.*)$"
)
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")
_URI_PARAMETER = re.compile(r"\{([A-Za-z0-9._-]+)\+?\}")
# What an HTTP_PROXY integration does not forward either way: hop-by-hop
# headers and the framing the gateway sets itself.
_NOT_FORWARDED = {
    "connection",
    "content-length",
    "host",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "x-forwarded-for",
    "x-forwarded-port",
    "x-forwarded-proto",
}
_SESSION_NAME = "apigateway"


def _error(status: int, message: str, error_type: str | None = None) -> HttpResponse:
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, json.dumps({"message": message}).encode())


INTERNAL_ERROR = _error(500, "Internal server error", "InternalServerErrorException")
UNSUPPORTED_MEDIA_TYPE = _error(415, "Unsupported Media Type", "UnsupportedMediaTypeException")


class ConfigurationError(Exception):
    """
    The integration cannot be called as configured (API Gateway's execution
    log: "Execution failed due to configuration error"); the client gets 500.
    """


@attrs.define
class Backends:
    """
    What non-proxy integrations reach: Lambda, and RustStack's own edge
    (signed as the integration's role, a session per account and role).
    """

    invoker: Callable[[], ILambdaInvoker | None]
    clock: Any
    edge_url: Callable[[], str | None] | None = None
    authenticator: Any = None
    _sessions: dict[str, ServiceSessions] = attrs.field(factory=dict)

    def credentials(self, api: RestApi, role_arn: str | None) -> Any:
        role = _ROLE.match(role_arn or "")
        if role is None or role.group("account") != api.account:
            raise ConfigurationError(f"API Gateway does not have permission to assume the provided role {role_arn}")
        if self.authenticator is None:
            raise ConfigurationError("no credentials can be issued in this RustStack")
        name = role.group("name")
        sessions = self._sessions.get(name)
        if sessions is None:
            sessions = self._sessions[name] = ServiceSessions(self.authenticator, name, _SESSION_NAME)
        return sessions.credentials(api.account)


def servable(integration: Integration, function: tuple[str, str | None] | None) -> bool:
    """
    Whether this module serves C{integration} (an C{AWS} integration is
    either a Lambda function or an AWS service URI).
    """
    if integration.type == "AWS":
        return function is not None or bool(_SERVICE_URI.match(integration.uri or ""))
    return integration.type in TYPES


async def serve(
    backends: Backends,
    api: RestApi,
    route: Route,
    event: dict[str, Any],
    function: tuple[str, str | None] | None,
    arn: str,
    signer: tuple[str, str] | None,
) -> HttpResponse:
    """
    The client's response from the integration of C{route}, for the request
    whose v1 proxy C{event} is given. Timeouts (L{defer.TimeoutError}) and
    Lambda's refusals (L{AwsError}) propagate as they do for proxies.
    """
    integration = route.integration
    assert integration is not None
    request = mapping.MethodRequest.from_event(event)
    timeout = integration.timeout_ms / 1000.0
    try:
        if integration.type == "MOCK":
            return mock_response(integration, request)
        if integration.type == "HTTP_PROXY":
            return await _http_proxy(backends, integration, route, event, timeout)
        mapped = mapping.integration_request(integration, request)
        if integration.type == "HTTP":
            result = await _http(backends, integration, route, event, mapped, request, timeout)
        elif function is not None:
            result = await _lambda(backends, api, integration, mapped, function, arn, signer, timeout)
        else:
            result = await _aws_service(backends, api, integration, route, mapped, request, timeout)
        return mapping.method_response(integration, result, request)
    except mapping.UnsupportedMediaType:
        return UNSUPPORTED_MEDIA_TYPE
    except mapping.ConversionError:
        log.warn("{api}: Execution failed: Unable to transform a body that is not base64", api=api.id)
        return INTERNAL_ERROR
    except mapping.NoIntegrationResponse:
        log.warn(
            "{api}: Execution failed due to configuration error: No match for output mapping and no default output"
            " mapping configured",
            api=api.id,
        )
        return INTERNAL_ERROR
    except vtl.VtlError as e:
        log.warn("{api}: Execution failed due to a mapping template error: {error}", api=api.id, error=str(e))
        return INTERNAL_ERROR
    except (ConfigurationError, lambda_caller.CannotAssumeRole) as e:
        log.warn("{api}: Execution failed due to configuration error: {error}", api=api.id, error=str(e))
        return INTERNAL_ERROR


# -- Lambda without proxy ---------------------------------------------------------


async def _lambda(
    backends: Backends,
    api: RestApi,
    integration: Integration,
    mapped: mapping.IntegrationRequest,
    function: tuple[str, str | None],
    arn: str,
    signer: tuple[str, str] | None,
    timeout: float,
) -> mapping.IntegrationResult:
    invoker = backends.invoker()
    if invoker is None:
        raise ConfigurationError("Lambda is not running in this RustStack")
    name, qualifier = function
    call = lambda_caller.lambda_call(api, name, qualifier, integration.credentials, arn, signer)
    invocation_type = next((v for k, v in mapped.header.items() if k.lower() == "x-amz-invocation-type"), "")
    if invocation_type == "Event":
        # An asynchronous invocation: API Gateway answers at once, empty.
        invoker.invoke_event(call.account, call.region, call.function, mapped.body, source=call.source)
        return mapping.IntegrationResult(b"", None)
    invocation = defer.maybeDeferred(
        invoker.invoke, call.account, call.region, call.function, mapped.body, call.qualifier, source=call.source
    )
    result = await invocation.addTimeout(timeout, backends.clock)
    if not result.function_error:
        return mapping.IntegrationResult(result.payload, None)
    # Selection patterns match the error's errorMessage.
    try:
        error = json.loads(result.payload)
    except ValueError:
        error = None
    message = error.get("errorMessage") if isinstance(error, dict) else None
    return mapping.IntegrationResult(result.payload, vtl.to_text(message) if message is not None else "")


# -- AWS services within RustStack ----------------------------------------------


async def _aws_service(
    backends: Backends,
    api: RestApi,
    integration: Integration,
    route: Route,
    mapped: mapping.IntegrationRequest,
    request: mapping.MethodRequest,
    timeout: float,
) -> mapping.IntegrationResult:
    found = _SERVICE_URI.match(integration.uri or "")
    assert found is not None  # servable() checked
    service, region, kind, rest = (
        found.group("service"),
        found.group("region"),
        found.group("kind"),
        found.group("rest"),
    )
    endpoint = backends.edge_url() if backends.edge_url else None
    if endpoint is None:
        raise ConfigurationError("RustStack's edge is not listening")
    credentials = backends.credentials(api, integration.credentials)
    headers = dict(mapped.header)
    if kind == "action":
        action = rest.split("&", 1)[0]
        try:
            model = service_model(service)
        except Exception:
            raise ConfigurationError(f"AWS service {service} is not known") from None
        if model.protocol != "json":
            raise ConfigurationError(f"action URIs are served for JSON services only, not {service}")
        version = model.metadata.get("jsonVersion", "1.0")
        headers.setdefault("Content-Type", f"application/x-amz-json-{version}")
        headers["X-Amz-Target"] = f"{model.metadata['targetPrefix']}.{action}"
        method, url = "POST", endpoint.rstrip("/") + "/"
        signing_name = model.signing_name or model.endpoint_prefix
    else:
        path = _URI_PARAMETER.sub(lambda m: quote(mapped.path.get(m.group(1), ""), safe="/"), rest)
        method = integration.http_method or "POST"
        if method == "ANY":
            method = request.context.get("httpMethod") or "GET"
        url = endpoint.rstrip("/") + "/" + path.lstrip("/")
        signing_name = service
    if mapped.querystring:
        url += "?" + urlencode([(k, v) for k, vs in mapped.querystring.items() for v in vs])
    aws_request = AWSRequest(method=method, url=url, data=mapped.body, headers=headers)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(credentials, signing_name, region).add_auth(aws_request)
    prepared = aws_request.prepare()
    sent = {k: [v] for k, v in prepared.headers.items() if k.lower() not in ("content-length", "host")}
    status, answer_headers, body = await _fetch(backends, prepared.method, prepared.url, sent, mapped.body, timeout)
    return mapping.IntegrationResult(body, str(status), answer_headers)


# -- HTTP -------------------------------------------------------------------------


async def _http(
    backends: Backends,
    integration: Integration,
    route: Route,
    event: dict[str, Any],
    mapped: mapping.IntegrationRequest,
    request: mapping.MethodRequest,
    timeout: float,
) -> mapping.IntegrationResult:
    url = _http_url(integration, mapped.path, route)
    if mapped.querystring:
        url += ("&" if "?" in url else "?") + urlencode([(k, v) for k, vs in mapped.querystring.items() for v in vs])
    method = integration.http_method or event["httpMethod"]
    if method == "ANY":
        method = event["httpMethod"]
    headers = {k: [v] for k, v in mapped.header.items()}
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = [mapping.media_type(request.content_type)]
    status, answer_headers, body = await _fetch(backends, method, url, headers, mapped.body, timeout)
    return mapping.IntegrationResult(body, str(status), answer_headers)


async def _http_proxy(
    backends: Backends, integration: Integration, route: Route, event: dict[str, Any], timeout: float
) -> HttpResponse:
    request = mapping.MethodRequest.from_event(event)
    path: dict[str, str] = dict(route.path_parameters)
    for target, source in (integration.request_parameters or {}).items():
        if target.startswith("integration.request.path."):
            value = mapping.request_source(source, request)
            if isinstance(value, str):
                path[target.removeprefix("integration.request.path.")] = value
    url = _http_url(integration, path, route)
    query = [(k, v) for k, vs in (event.get("multiValueQueryStringParameters") or {}).items() for v in vs]
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    headers: dict[str, list[str]] = {}
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if name.lower() not in _NOT_FORWARDED:
            headers[name] = list(values)
    method = event["httpMethod"] if integration.http_method in (None, "ANY") else integration.http_method
    status, answer_headers, answer = await _fetch(backends, method, url, headers, request.raw_body, timeout, multi=True)
    out = [(k, v) for k, vs in answer_headers.items() for v in vs if k.lower() not in _NOT_FORWARDED]
    return HttpResponse(status, out, answer)


def _http_url(integration: Integration, path: dict[str, str], route: Route) -> str:
    uri = integration.uri or ""

    def substitute(found: re.Match[str]) -> str:
        name = found.group(1)
        value = path.get(name, route.path_parameters.get(name, ""))
        # A greedy {proxy+} value keeps its slashes (AWS maps {proxy} so).
        return quote(value, safe="/")

    return _URI_PARAMETER.sub(substitute, uri)


async def _fetch(
    backends: Backends,
    method: str,
    url: str,
    headers: Any,
    body: bytes,
    timeout: float,
    multi: bool = False,
) -> tuple[int, Any, bytes]:
    """
    One HTTP exchange with C{timeout} (on the backends' clock); the status,
    the headers (one value each, or every value with C{multi}) and body.
    """
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"Invalid endpoint address {url}")

    async def exchange() -> tuple[int, Any, bytes]:
        try:
            response = await treq.request(method, url.encode("utf-8"), headers=headers, data=body or None)
            content = await treq.content(response)
        except Exception as e:
            # Refused, reset, unresolvable: API Gateway answers 500.
            raise ConfigurationError(f"the endpoint {url} failed: {e!r}") from None
        answer: dict[str, Any] = {}
        for name, values in response.headers.getAllRawHeaders():
            decoded = [v.decode("latin-1") for v in values]
            answer[name.decode("latin-1")] = decoded if multi else ",".join(decoded)
        return response.code, answer, content

    def timed_out(result: Any, seconds: float) -> Any:
        # Cancelling a request fails it with the agent's own wrapper of the
        # cancellation, not CancelledError: a timeout is a timeout.
        raise defer.TimeoutError(f"no answer within {seconds} s")

    return await defer.ensureDeferred(exchange()).addTimeout(timeout, backends.clock, timed_out)
