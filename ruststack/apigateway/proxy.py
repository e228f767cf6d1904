"""
The Lambda proxy integration's two translations, as pure functions: an HTTP
request into API Gateway's v1 proxy event, and the function's answer into an
HTTP response.

Reference: "Input format of a Lambda function for proxy integration" and
"Output format of a Lambda function for proxy integration" in the API
Gateway developer guide.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import attrs

from ruststack.apigateway.routing import Route


@attrs.frozen
class HttpRequest:
    """
    What the data plane received, below the stage.

    @ivar raw_path: the percent-encoded path below the stage (C{/notes/1}),
        as API Gateway puts it in the event's C{path}.
    @ivar headers: (name, value) pairs in the order received.
    """

    method: str
    raw_path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    domain_name: str
    # The signer of a SigV4-signed request (AWS_IAM methods): (access key, account).
    signer: tuple[str, str] | None = None


@attrs.frozen
class EventContext:
    """
    The deployment-side facts of one invocation.
    """

    account: str
    api_id: str
    stage: str
    stage_variables: dict[str, str]
    binary_media_types: list[str]
    request_id: str
    extended_request_id: str
    received_at: float


@attrs.frozen
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class MalformedProxyResponse(ValueError):
    """
    The function's answer is not a proxy response; API Gateway answers 502.
    """


def media_type_matches(media_type: str, patterns: Iterable[str]) -> bool:
    """
    Whether C{media_type} (a Content-Type or Accept value) is one of the
    API's C{binaryMediaTypes}, which may use C{*} wildcards (C{image/*},
    C{*/*}).
    """
    kind = media_type.split(";", 1)[0].strip().lower()
    main, _, sub = kind.partition("/")
    for pattern in patterns:
        p_main, _, p_sub = pattern.strip().lower().partition("/")
        if p_main in ("*", main) and p_sub in ("*", sub):
            return True
    return False


def _request_time(when: float) -> str:
    # requestContext.requestTime: "24/Nov/2026:21:23:12 +0000" (CLF format).
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when))


def build_event(request: HttpRequest, route: Route, context: EventContext) -> dict[str, Any]:
    """
    The v1 proxy event for C{request} served by C{route}.
    """
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    content_type = ""
    user_agent = None
    for name, value in request.headers:
        # headers keeps the last value of a repeated header; multiValueHeaders all.
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
        lower = name.lower()
        if lower == "content-type":
            content_type = value
        elif lower == "user-agent":
            user_agent = value

    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    # A semicolon splits the query string as "&" does ("Amazon API Gateway
    # important notes" for REST APIs); values arrive decoded.
    for name, value in parse_qsl(request.query.replace(";", "&"), keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)

    body: str | None = None
    is_base64 = False
    if request.body:
        if content_type and media_type_matches(content_type, context.binary_media_types):
            body = base64.b64encode(request.body).decode("ascii")
            is_base64 = True
        else:
            body = request.body.decode("utf-8", errors="replace")

    resource_path = route.resource.path
    return {
        "resource": resource_path,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": route.path_parameters or None,
        "stageVariables": context.stage_variables or None,
        "requestContext": {
            "resourceId": route.resource.id,
            "resourcePath": resource_path,
            "httpMethod": request.method,
            "extendedRequestId": context.extended_request_id,
            "requestTime": _request_time(context.received_at),
            "path": f"/{context.stage}{request.raw_path}",
            "accountId": context.account,
            "protocol": request.protocol,
            "stage": context.stage,
            "domainPrefix": request.domain_name.split(".", 1)[0],
            "requestTimeEpoch": int(context.received_at * 1000),
            "requestId": context.request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": request.signer[1] if request.signer else None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": request.signer[0] if request.signer else None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
            },
            "domainName": request.domain_name,
            "apiId": context.api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedProxyResponse(f"header value {value!r} is not a string")


def _status(value: Any) -> int:
    # Some adapters send the status as a numeric string; API Gateway takes it.
    if isinstance(value, bool):
        raise MalformedProxyResponse("statusCode is a boolean")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 100 <= value <= 599:
        raise MalformedProxyResponse(f"statusCode {value!r} is not an HTTP status")
    return value


def parse_response(payload: bytes, decode_binary: bool) -> HttpResponse:
    """
    The HTTP response a function's proxy answer stands for.

    @param decode_binary: whether a body marked C{isBase64Encoded} goes out
        decoded; API Gateway decodes it only when the request's C{Accept}
        matches the API's C{binaryMediaTypes}, and passes the base64 text
        otherwise.
    @raise MalformedProxyResponse: for anything API Gateway refuses with
        "Malformed Lambda proxy response".
    """
    try:
        answer = json.loads(payload)
    except ValueError:
        raise MalformedProxyResponse("not JSON") from None
    if not isinstance(answer, dict):
        raise MalformedProxyResponse("not a JSON object")
    status = _status(answer.get("statusCode"))

    headers: list[tuple[str, str]] = []
    multi = answer.get("multiValueHeaders") or {}
    single = answer.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedProxyResponse("headers are not objects")
    # Both given: merged, and where a name is in both multiValueHeaders wins.
    multi_names = {name.lower() for name in multi}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] is not a list")
        headers.extend((name, _header_value(v)) for v in values if v is not None)
    for name, value in single.items():
        if name.lower() not in multi_names and value is not None:
            headers.append((name, _header_value(value)))

    body = answer.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise MalformedProxyResponse("body is not a string")
    elif answer.get("isBase64Encoded") and decode_binary:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedProxyResponse("body is not base64") from None
    else:
        data = body.encode("utf-8")
    return HttpResponse(status, headers, data)


def compressed(response: HttpResponse, accept_encoding: str, minimum_size: int | None) -> HttpResponse:
    """
    C{response} gzip-compressed when the API enables compression
    (C{minimumCompressionSize}), the client accepts gzip and the body is at
    least that large; as it is otherwise, or when the function encoded it.
    """
    if minimum_size is None or len(response.body) < minimum_size:
        return response
    accepted = {part.split(";", 1)[0].strip().lower() for part in accept_encoding.split(",")}
    if "gzip" not in accepted or any(name.lower() == "content-encoding" for name, _ in response.headers):
        return response
    return HttpResponse(
        response.status,
        [*response.headers, ("Content-Encoding", "gzip")],
        gzip.compress(response.body, compresslevel=6, mtime=0),
    )
