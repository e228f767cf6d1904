"""
Serving function URLs: an HTTP request to a URL becomes a payload format
2.0 event (L{ruststack.awslambda.url_events}), the function runs as Invoke
runs it, and its answer becomes the HTTP response, with the URL's CORS
configuration applied.

Two forms reach it on the edge:
  - C{http://<url-id>.lambda-url.<region>.localhost:<port>/<path>} (any
    C{Host} of the form C{<url-id>.lambda-url.<region>.<...>});
  - C{http://<edge>/lambda-url/<url-id>/<path>}, for clients that cannot
    resolve C{*.localhost}.

Who may call: an C{AWS_IAM} URL wants a SigV4 signature (service
C{lambda}; the edge checks it under C{--auth verify}) and, for a caller of
another account, the function's resource policy; a C{NONE} URL wants the
policy to grant everyone C{lambda:InvokeFunctionUrl} and
C{lambda:InvokeFunction} ("Control access to Lambda function URLs": both
since October 2025). Otherwise, 403 C{{"Message": "Forbidden"}}.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import TYPE_CHECKING, Any

import attrs
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.awslambda import access, policy_match, url_events
from ruststack.awslambda.environment import abandonable
from ruststack.awslambda.event_stream import chunks
from ruststack.awslambda.functions import LambdaFunction
from ruststack.awslambda.invocations import MAX_SYNC_PAYLOAD
from ruststack.awslambda.policy_match import Requester
from ruststack.awslambda.response_streaming import CHUNK, MAX_STREAMED_RESPONSE, StreamedBody
from ruststack.awslambda.runtime_api import MAX_RESPONSE
from ruststack.awslambda.urls import LATEST, URL_ID_LENGTH
from ruststack.backend_answer import finish_with, set_status_and_headers
from ruststack.edge import sent_header_name

if TYPE_CHECKING:
    from ruststack.awslambda.service import LambdaService

log = Logger()

_HOST_FORM = re.compile(r"^([a-z0-9]+)\.lambda-url\.([a-z0-9-]+)\.", re.I)
_PATH_FORM = re.compile(r"^/lambda-url/([a-z0-9]+)(/.*)?$")
# What a function URL invocation must be allowed, by everyone for NONE.
_ACTIONS = ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
_CORS_PREFIX = "access-control-"


@attrs.frozen
class UrlTarget:
    """
    The URL id, region (host form only) and path (percent-encoded) a
    request names.
    """

    url_id: str
    region: str | None
    raw_path: str


def target_of(host: str, path: str) -> UrlTarget | None:
    by_host = _HOST_FORM.match(host)
    if by_host:
        return UrlTarget(by_host.group(1).lower(), by_host.group(2).lower(), path or "/")
    by_path = _PATH_FORM.match(path)
    if by_path:
        return UrlTarget(by_path.group(1), None, by_path.group(2) or "/")
    return None


def _host_and_path(request: Any) -> tuple[str, str]:
    host = (request.getHeader(b"host") or b"").decode("latin-1")
    return host, request.uri.decode("latin-1").partition("?")[0]


def is_url_request(request: Any) -> bool:
    return target_of(*_host_and_path(request)) is not None


@attrs.frozen
class UrlRequester(Requester):
    """
    A caller through a function URL: the condition keys Lambda sets for it
    (C{lambda:FunctionUrlAuthType}, C{lambda:InvokedViaFunctionUrl}).
    """

    auth_type: str = "NONE"

    def condition_keys(self) -> dict[str, str]:
        return {
            **super().condition_keys(),
            "lambda:functionurlauthtype": self.auth_type,
            "lambda:invokedviafunctionurl": "true",
        }


@attrs.frozen
class Found:
    """
    The URL a request names: its function (C{$LATEST}), qualifier key and
    configuration.
    """

    function: LambdaFunction
    key: str
    config: dict[str, Any]
    target: UrlTarget


class UrlIndex:
    """
    Function URLs by id, found by a walk of the store and remembered; a
    remembered entry is checked against the store at each use, so one
    deleted (with its function or alias) is never served.
    """

    def __init__(self, service: LambdaService) -> None:
        self.service = service
        self._known: dict[str, tuple[str, str, str, str]] = {}

    def find(self, url_id: str) -> tuple[LambdaFunction, str, dict[str, Any]] | None:
        found = self._check(url_id)
        if found is None and len(url_id) == URL_ID_LENGTH:
            self._known = {
                config["url_id"]: (function.account, function.region, function.name, key)
                for function in self.service.store
                for key, config in function.urls.items()
            }
            found = self._check(url_id)
        return found

    def _check(self, url_id: str) -> tuple[LambdaFunction, str, dict[str, Any]] | None:
        known = self._known.get(url_id)
        if known is None:
            return None
        account, region, name, key = known
        function = self.service.store.get(account, region, name)
        config = function.urls.get(key) if function is not None else None
        if function is None or config is None or config["url_id"] != url_id:
            return None
        return function, key, config


def url_refusal(request: Any) -> bytes:
    """
    What a function URL answers a request the edge refuses (a bad or
    missing signature for an C{AWS_IAM} URL): 403 Forbidden, its body
    returned for the edge to write.
    """
    status, headers, body = _forbidden()
    request.setResponseCode(status)
    for name, value in headers:
        request.responseHeaders.setRawHeaders(name.encode(), [value.encode()])
    return body


def _forbidden() -> tuple[int, list[tuple[str, str]], bytes]:
    return (
        403,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")],
        (b'{"Message":"Forbidden"}'),
    )


class UrlEndpoint(Resource):
    """
    Serves every function URL of a L{LambdaService}.
    """

    isLeaf = True

    def __init__(self, service: LambdaService) -> None:
        super().__init__()
        self.service = service
        self.index = UrlIndex(service)

    def find(self, request: Any) -> Found | None:
        target = target_of(*_host_and_path(request))
        found = self.index.find(target.url_id) if target is not None else None
        if target is None or found is None:
            return None
        function, key, config = found
        if target.region is not None and target.region != function.region:
            return None
        return Found(function, key, config, target)

    def is_public(self, request: Any) -> bool:
        """
        Whether the edge lets C{request} through unsigned: all but the
        requests to an C{AWS_IAM} URL that CORS does not answer alone.
        """
        found = self.find(request)
        if found is None or found.config["auth_type"] == "NONE":
            return True
        return _preflight(request) and bool(found.config.get("cors"))

    def render(self, request: Any) -> int:
        found = self.find(request)
        if found is None:
            _answer(request, *_forbidden())
            return NOT_DONE_YET
        cors = found.config.get("cors") or None  # an empty Cors configures nothing
        if cors is not None and _preflight(request):
            _answer(request, 200, preflight_headers(cors, _header(request, b"origin"), request), b"")
            return NOT_DONE_YET
        iam = None
        if found.config["auth_type"] == "AWS_IAM":
            if getattr(request, "signature", None) is None or request.caller is None:
                _answer(request, *_forbidden())
                return NOT_DONE_YET
            iam = (request.caller.access_key, request.caller.account)
        if not self._permitted(found, iam):
            _answer(request, *_forbidden())
            return NOT_DONE_YET
        body = _read_body(request)
        if body is None:
            _answer(request, *_too_large())
            return NOT_DONE_YET
        request_id = str(uuid.uuid4())
        host, _ = _host_and_path(request)
        domain = host.rpartition(":")[0] if ":" in host else host
        if found.target.region is None:
            domain = f"{found.target.url_id}.lambda-url.{found.function.region}.localhost"
        now = self.service.reactor.seconds()
        event = url_events.build_event(
            url_events.UrlRequest(
                method=request.method.decode("latin-1"),
                raw_path=found.target.raw_path,
                raw_query=request.uri.decode("latin-1").partition("?")[2],
                headers=_event_headers(request, host, now),
                body=body,
                source_ip=request.getClientAddress().host,
                protocol=request.clientproto.decode("latin-1"),
                url_id=found.target.url_id,
                domain_name=domain,
                request_id=request_id,
                received_at=now,
                iam=iam,
            ),
            iam[1] if iam is not None else "anonymous",
        )
        payload = json.dumps(event).encode("utf-8")
        if len(payload) > MAX_SYNC_PAYLOAD:
            _answer(request, *_too_large())
            return NOT_DONE_YET
        serving = defer.ensureDeferred(self._serve(request, found, payload, request_id, cors))
        request.notifyFinish().addErrback(lambda _: serving.cancel())
        serving.addErrback(self._failed, request)
        return NOT_DONE_YET

    def _permitted(self, found: Found, iam: tuple[str, str] | None) -> bool:
        function = found.function
        if iam is not None and iam[1] == function.account:
            return True  # no IAM: an account may do anything to its own functions
        target = access.qualified(function, None if found.key == LATEST else found.key)
        if target is None:
            return False
        requester = UrlRequester(iam[1] if iam is not None else "anonymous", auth_type=found.config["auth_type"])
        statements = target.policy_owner.policy
        return all(policy_match.allows(statements, requester, action, target.arn) for action in _ACTIONS)

    async def _serve(
        self, request: Any, found: Found, payload: bytes, request_id: str, cors: dict[str, Any] | None
    ) -> None:
        target = access.qualified(found.function, None if found.key == LATEST else found.key)
        if target is None:
            _answer(request, *_forbidden())
            return
        # RESPONSE_STREAM: the answer goes out as it comes, up to the streaming limit.
        streamed = found.config.get("invoke_mode") == "RESPONSE_STREAM"
        limit = MAX_STREAMED_RESPONSE if streamed else MAX_RESPONSE
        running = defer.ensureDeferred(
            self.service.run(
                self.service.pick(target), payload, request_id=request_id, invoked_arn=target.arn, max_response=limit
            )
        )
        try:
            result, _ = await abandonable(running)
        except AwsError as error:
            if error.code == "TooManyRequestsException":
                _answer(request, 429, [("Content-Type", "application/json")], b'{"Message":"Rate Exceeded."}')
                return
            raise
        if result.function_error:
            log.info(
                "function error behind {url}: {payload}",
                url=found.target.url_id,
                payload=result.payload[:500].decode("utf-8", errors="replace"),
            )
            _bad_gateway(request, request_id)
            return
        try:
            response = url_events.parse_response(result.payload)
        except url_events.MalformedResponse as e:
            log.info("malformed function URL response of {url}: {reason}", url=found.target.url_id, reason=str(e))
            _bad_gateway(request, request_id)
            return
        headers = response.headers
        if cors is not None:
            # The URL's CORS configuration wins over the function's own headers.
            headers = [(n, v) for n, v in headers if not n.lower().startswith(_CORS_PREFIX)]
            headers += answer_cors_headers(cors, _header(request, b"origin"))
        headers.append(("x-amzn-RequestId", request_id))
        _answer(request, response.status, headers, response.body, streamed)

    def _failed(self, failure: Failure, request: Any) -> None:
        if failure.check(defer.CancelledError):
            return  # the client left
        if isinstance(failure.value, AwsError):
            log.warn("function URL invocation failed: {error}", error=failure.value.message)
        else:
            log.failure("function URL invocation failed", failure)
        _bad_gateway(request, None)


# CORS ("Cross-origin resource sharing (CORS)", function URLs)


def _preflight(request: Any) -> bool:
    return (
        request.method == b"OPTIONS"
        and _header(request, b"origin") is not None
        and (_header(request, b"access-control-request-method") is not None)
    )


def origin_allowed(cors: dict[str, Any], origin: str | None) -> str | None:
    """
    The C{Access-Control-Allow-Origin} value for C{origin}, or C{None}.
    """
    if origin is None:
        return None
    allowed = cors.get("AllowOrigins") or []
    if "*" in allowed:
        return origin if cors.get("AllowCredentials") else "*"
    return origin if origin in allowed else None


def answer_cors_headers(cors: dict[str, Any], origin: str | None) -> list[tuple[str, str]]:
    allow = origin_allowed(cors, origin)
    if allow is None:
        return []
    headers = [("Access-Control-Allow-Origin", allow)]
    if allow != "*":
        headers.append(("Vary", "Origin"))
    if cors.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers


def preflight_headers(cors: dict[str, Any], origin: str | None, request: Any) -> list[tuple[str, str]]:
    """
    The answer to a preflight request, from the URL's CORS configuration
    alone (the function is not invoked); none when origin or method is not
    allowed, which the browser takes as a refusal.
    """
    allow = origin_allowed(cors, origin)
    method = (_header(request, b"access-control-request-method") or "").upper()
    methods = [m.upper() for m in cors.get("AllowMethods") or []]
    if allow is None or not ("*" in methods or method in methods):
        return []
    headers = [("Access-Control-Allow-Origin", allow), ("Access-Control-Allow-Methods", ",".join(methods))]
    if allow != "*":
        headers.append(("Vary", "Origin"))
    allowed_headers = cors.get("AllowHeaders") or []
    if allowed_headers:
        requested = _header(request, b"access-control-request-headers")
        value = requested if "*" in allowed_headers and requested else ",".join(allowed_headers)
        headers.append(("Access-Control-Allow-Headers", value))
    if cors.get("MaxAge") is not None:
        headers.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers


# HTTP


def _header(request: Any, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def _event_headers(request: Any, host: str, now: float) -> list[tuple[str, str]]:
    # What Lambda's front end adds, as a load balancer would.
    headers: list[tuple[str, str]] = []
    forwarded = None
    for name, values in request.requestHeaders.getAllRawHeaders():
        text = sent_header_name(request, name)
        lower = text.lower()
        if lower == "x-forwarded-for":
            forwarded = values[-1].decode("latin-1")
        elif lower not in ("x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"):
            headers.extend((text, value.decode("latin-1")) for value in values)
    source = request.getClientAddress().host
    secure = request.isSecure()
    headers.append(("x-amzn-trace-id", f"Root=1-{int(now):08x}-{os.urandom(12).hex()}"))
    headers.append(("x-forwarded-for", f"{forwarded}, {source}" if forwarded else source))
    headers.append(("x-forwarded-port", host.rpartition(":")[2] if ":" in host else ("443" if secure else "80")))
    headers.append(("x-forwarded-proto", "https" if secure else "http"))
    return headers


def _read_body(request: Any) -> bytes | None:
    """
    The request body, or C{None} when it is over Lambda's synchronous
    payload limit.
    """
    content = request.content
    if content is None:
        return b""
    content.seek(0, os.SEEK_END)
    if content.tell() > MAX_SYNC_PAYLOAD:
        return None
    content.seek(0)
    return content.read()


def _too_large() -> tuple[int, list[tuple[str, str]], bytes]:
    message = f"Request must be smaller than {MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation"
    return 413, [("Content-Type", "application/json")], json.dumps({"Message": message}).encode()


def _bad_gateway(request: Any, request_id: str | None) -> None:
    headers = [("Content-Type", "application/json")]
    if request_id:
        headers.append(("x-amzn-RequestId", request_id))
    _answer(request, 502, headers, b"Internal Server Error")


def _answer(request: Any, status: int, headers: list[tuple[str, str]], body: bytes, streamed: bool = False) -> None:
    if request.finished or getattr(request, "_disconnected", False):
        return
    set_status_and_headers(request, status, headers, _SERVERS_HEADERS)
    response_headers = request.responseHeaders
    if not response_headers.hasHeader(b"x-amzn-requestid"):
        response_headers.setRawHeaders(b"x-amzn-requestid", [ids.request_id().encode()])
    if streamed and request.method != b"HEAD":
        StreamedBody(chunks(body, CHUNK)).send(request)  # chunked transfer encoding
        return
    finish_with(request, body)


# What a function's answer may not set: the server's own.
_SERVERS_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
