"""
The payload format 2.0 of function URLs: an HTTP request as the event the
function gets, and the function's answer as the HTTP response ("Invoking
Lambda function URLs", Lambda developer guide: request and response
payloads). Pure functions of their input, so that a property test can drive
them.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import attrs

# Bodies of these types reach the function as text; any other (a form, an
# image, none named) as base64 with isBase64Encoded.
_TEXT_SUBTYPES = frozenset({"json", "javascript", "xml", "x-javascript"})


@attrs.frozen
class UrlRequest:
    """
    One HTTP request to a function URL, as the event needs it.

    @ivar raw_path: the path below the URL, percent-encoded as sent.
    @ivar headers: (name, value) pairs as sent.
    @ivar iam: for C{AWS_IAM} URLs, the signer's (access key, account).
    """

    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    url_id: str
    domain_name: str
    request_id: str
    received_at: float
    iam: tuple[str, str] | None = None


def query_parameters(raw_query: str) -> dict[str, str]:
    """
    C{queryStringParameters}: each name's values percent-decoded, repeated
    ones joined with commas, in order.
    """
    parameters: dict[str, str] = {}
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        name, value = unquote(name), unquote(value)
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def joined_headers(headers: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """
    C{headers} (names lower-cased, repeated ones joined with commas) and
    C{cookies} (the C{Cookie} headers, split at their semicolons).
    """
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[lower] = f"{joined[lower]},{value}" if lower in joined else value
    return joined, cookies


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return False
    kind = content_type.partition(";")[0].strip().lower()
    main, _, sub = kind.partition("/")
    return main == "text" or (
        main == "application" and (sub in _TEXT_SUBTYPES or sub.endswith("+json") or sub.endswith("+xml"))
    )


def request_time(when: float) -> str:
    # requestContext.time: 12/Mar/2020:19:03:58 +0000
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when))


def build_event(
    request: UrlRequest,
    account: str,
    route_key: str = "$default",
    stage: str = "$default",
    path_parameters: dict[str, str] | None = None,
    stage_variables: dict[str, str] | None = None,
) -> dict[str, Any]:
    """
    The event of C{request}; C{account} is the URL's C{requestContext.accountId}
    (C{anonymous} for C{NONE} URLs, the signer's account for C{AWS_IAM}).

    An HTTP API sends the same format (payload format 2.0) with its own
    C{route_key}, C{stage}, C{path_parameters} and C{stage_variables}; a
    function URL's are always C{$default} and none.
    """
    headers, cookies = joined_headers(request.headers)
    path = request.raw_path or "/"
    context: dict[str, Any] = {
        "accountId": account,
        "apiId": request.url_id,
        "domainName": request.domain_name,
        "domainPrefix": request.url_id,
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": request_time(request.received_at),
        "timeEpoch": int(request.received_at * 1000),
    }
    if request.iam is not None:
        access_key, caller_account = request.iam
        context["authorizer"] = {
            "iam": {
                "accessKey": access_key,
                "accountId": caller_account,
                "callerId": caller_account,
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": f"arn:aws:iam::{caller_account}:root",
                "userId": caller_account,
            }
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    encoded = False
    if request.body:
        text = None
        if is_text(headers.get("content-type")):
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        encoded = text is None
        event["body"] = text if text is not None else base64.b64encode(request.body).decode("ascii")
    if path_parameters:
        event["pathParameters"] = path_parameters
    event["isBase64Encoded"] = encoded
    if stage_variables:
        event["stageVariables"] = stage_variables
    return event


class MalformedResponse(ValueError):
    """
    The function's answer is no payload format 2.0 response (502).
    """


@attrs.frozen
class UrlResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def parse_response(payload: bytes) -> UrlResponse:
    """
    The HTTP response a function's answer stands for: an object with a
    C{statusCode} is a response (C{headers}, C{cookies} as C{Set-Cookie}
    headers, C{body}, C{isBase64Encoded}); any other JSON value is the body
    of a 200 C{application/json} answer (a string: its text).
    """
    try:
        answer = json.loads(payload) if payload else None
    except ValueError as e:
        raise MalformedResponse(f"not JSON: {e}") from None
    if not isinstance(answer, dict) or "statusCode" not in answer:
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return UrlResponse(200, [("Content-Type", "application/json")], text.encode("utf-8"))
    status = answer["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse(f"bad statusCode {status!r}")
    headers: list[tuple[str, str]] = []
    for name, value in (answer.get("headers") or {}).items():
        headers.append((str(name), _text(value)))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    for cookie in answer.get("cookies") or []:
        headers.append(("Set-Cookie", _text(cookie)))
    body = answer.get("body")
    if body is None:
        data = b""
    elif answer.get("isBase64Encoded"):
        try:
            data = base64.b64decode(_text(body), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse("body is not base64") from None
    else:
        data = _text(body).encode("utf-8")
    return UrlResponse(status, headers, data)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
