"""
Gateway responses: the answers API Gateway itself gives (missing token,
refused key, throttling, bad requests, integration failures), their
defaults, the control-plane operations that customize them, and their
rendering on the data plane.

Templates are rendered by the mapping templates' Velocity evaluator
(L{ruststack.apigateway.vtl}) with C{$context.error.*},
C{$context.requestId}, C{$context.extendedRequestId} and C{$util}.

Reference: "Gateway response types for API Gateway" in the developer guide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from ruststack.apigateway import vtl
from ruststack.apigateway.calls import Call, Reply, found, invalid_patch, page, patch_operations, unescape_patch_path
from ruststack.apigateway.extras import GatewayResponse
from ruststack.apigateway.store import bad_request
from ruststack.aws.errors import AwsError

# Each type's default status code (the two DEFAULT_ types have none: the
# error keeps its own).
DEFAULTS: dict[str, str | None] = {
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "RESOURCE_NOT_FOUND": "404",
    "UNAUTHORIZED": "401",
    "INVALID_API_KEY": "403",
    "ACCESS_DENIED": "403",
    "AUTHORIZER_FAILURE": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "INVALID_SIGNATURE": "403",
    "EXPIRED_TOKEN": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403",
    "INTEGRATION_FAILURE": "504",
    "INTEGRATION_TIMEOUT": "504",
    "API_CONFIGURATION_ERROR": "500",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "BAD_REQUEST_PARAMETERS": "400",
    "BAD_REQUEST_BODY": "400",
    "REQUEST_TOO_LARGE": "413",
    "THROTTLED": "429",
    "QUOTA_EXCEEDED": "429",
    "WAF_FILTERED": "403",
}
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
# The error types (x-amzn-ErrorType) of API Gateway's own errors, and the
# gateway response each is.
_TYPE_OF_ERROR = {
    "MissingAuthenticationTokenException": "MISSING_AUTHENTICATION_TOKEN",
    "UnauthorizedException": "UNAUTHORIZED",
    "AccessDeniedException": "ACCESS_DENIED",
    "AuthorizerConfigurationException": "AUTHORIZER_CONFIGURATION_ERROR",
    "ForbiddenException": "INVALID_API_KEY",
    "TooManyRequestsException": "THROTTLED",
    "LimitExceededException": "QUOTA_EXCEEDED",
}
_TYPE_OF_STATUS = {413: "REQUEST_TOO_LARGE", 504: "INTEGRATION_TIMEOUT"}
_STATUS = re.compile(r"^[1-5]\d\d$")
_HEADER = "gatewayresponse.header."
_SOURCE = re.compile(r"^(method\.request\.(header|querystring|path)\.[^.]+|stageVariables\.\w+|context\.[\w.]+)$")
# What a response parameter's source expression is worth in a request.
Lookup = Callable[[str], str | None]


def response_type_of(status: int, error_type: str | None) -> str:
    """
    The gateway response an error of the data plane is, by its status and
    error type.
    """
    kind = _TYPE_OF_ERROR.get(error_type or "") or _TYPE_OF_STATUS.get(status)
    return kind or ("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")


def _default_json(response_type: str) -> dict:
    status = DEFAULTS[response_type]
    body = {
        "responseType": response_type,
        "statusCode": status,
        "responseParameters": {},
        "responseTemplates": {"application/json": DEFAULT_TEMPLATE},
        "defaultResponse": True,
    }
    return {k: v for k, v in body.items() if v is not None}


def _effective(custom: Mapping[str, GatewayResponse], response_type: str) -> GatewayResponse | None:
    # A type not customized is its DEFAULT_4XX or DEFAULT_5XX, if that is.
    response = custom.get(response_type)
    status = DEFAULTS.get(response_type)
    if response is None and status is not None:
        response = custom.get("DEFAULT_5XX" if status >= "500" else "DEFAULT_4XX")
    return response


def render(
    custom: Mapping[str, GatewayResponse],
    response_type: str,
    status: int,
    message: str | None,
    lookup: Lookup,
    key: str = "message",
) -> tuple[int, list[tuple[str, str]], bytes]:
    """
    The status, headers and body of the gateway response C{response_type}
    for an error saying C{message}, from the API's customized responses
    C{custom} or the default (whose body names the message C{key}: API
    Gateway's access-denied answer says C{Message}).
    """
    response = _effective(custom, response_type)
    if response is None:
        body = json.dumps({key: message}, separators=(",", ":")).encode()
        return status, [("Content-Type", "application/json")], body
    if response.status_code:
        status = int(response.status_code)
    headers = [("Content-Type", "application/json")]
    for name, source in response.parameters.items():
        value = _parameter(source, lookup)
        if name.startswith(_HEADER) and value is not None:
            headers.append((name[len(_HEADER) :], value))
    templates = response.templates
    template = templates.get("application/json", next(iter(templates.values()), None)) if templates else None
    if template is None:
        template = DEFAULT_TEMPLATE if "application/json" not in templates else ""
    error = {
        "message": message or "",
        "messageString": json.dumps(message),
        "responseType": response_type,
        "validationErrorString": lookup("context.error.validationErrorString") or "",
    }
    context = {
        "error": error,
        "requestId": lookup("context.requestId"),
        "extendedRequestId": lookup("context.extendedRequestId"),
    }
    try:
        text = vtl.render(template, {"context": context, "util": vtl.Util()})
    except vtl.VtlError:
        text = template  # as written, rather than no answer at all
    return status, headers, text.encode("utf-8")


def _parameter(source: str, lookup: Lookup) -> str | None:
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    return lookup(source)


def _invalid_mapping(error: str) -> AwsError:
    return bad_request(f"Invalid mapping expression specified: Validation Result: warnings : [], errors : [{error}]")


def _check(response: GatewayResponse) -> None:
    if response.status_code is not None and not _STATUS.match(response.status_code):
        raise bad_request(f"Invalid status code specified: {response.status_code}")
    for name, source in response.parameters.items():
        if not name.startswith(_HEADER) or len(name) == len(_HEADER):
            raise _invalid_mapping(f"Invalid mapping expression specified: {name}")
        if not (len(source) >= 2 and source[0] == source[-1] == "'") and not _SOURCE.match(source):
            raise _invalid_mapping(f"Invalid mapping expression parameter specified: {source}")


def _response_type(call: Call) -> str:
    response_type = call.params["response_type"]
    if response_type not in DEFAULTS:
        raise bad_request(
            f"1 validation error detected: Value '{response_type}' at 'responseType' failed to satisfy constraint:"
            f" Member must satisfy enum value set: [{', '.join(DEFAULTS)}]"
        )
    return response_type


def put_gateway_response(call: Call) -> Reply:
    extras = call.store.extras.of(call.api().id)
    response = GatewayResponse(
        _response_type(call),
        call.body.get("statusCode"),
        dict(call.body.get("responseParameters") or {}),
        dict(call.body.get("responseTemplates") or {}),
    )
    _check(response)
    extras.responses[response.response_type] = response
    call.store.save()
    return 201, response.to_json()


def get_gateway_response(call: Call) -> Reply:
    response_type = _response_type(call)
    response = call.store.extras.responses_of(call.api().id).get(response_type)
    return 200, response.to_json() if response else _default_json(response_type)


def get_gateway_responses(call: Call) -> Reply:
    custom = call.store.extras.responses_of(call.api().id)
    items = [custom[t].to_json() if t in custom else _default_json(t) for t in DEFAULTS]
    return 200, page(call, items)


def update_gateway_response(call: Call) -> Reply:
    api = call.api()
    response_type = _response_type(call)
    extras = call.store.extras.of(api.id)
    current = extras.responses.get(response_type)
    if current is None:
        # Updating a default customizes it.
        current = GatewayResponse(response_type, DEFAULTS[response_type], {}, {"application/json": DEFAULT_TEMPLATE})
    response = GatewayResponse(response_type, current.status_code, dict(current.parameters), dict(current.templates))
    for op, path, value in patch_operations(call):
        _patch(response, op, path, value)
    _check(response)
    extras.responses[response_type] = response
    call.store.save()
    return 200, response.to_json()


def _patch(response: GatewayResponse, op: str, path: str, value: object) -> None:
    if path == "/statusCode" and op == "replace":
        response.status_code = str(value) if value else None
        return
    for prefix, members in (("/responseParameters/", response.parameters), ("/responseTemplates/", response.templates)):
        if path.startswith(prefix) and len(path) > len(prefix):
            name = unescape_patch_path(path[len(prefix) :])
            if op in ("add", "replace"):
                members[name] = "" if value is None else str(value)
            elif op == "remove":
                members.pop(name, None)
            else:
                raise invalid_patch(op, path, "add, remove, replace")
            return
    raise invalid_patch(op, path)


def delete_gateway_response(call: Call) -> Reply:
    api = call.api()
    response_type = _response_type(call)
    extras = call.store.extras.of(api.id)
    found(extras.responses.pop(response_type, None), "Gateway Response type")
    call.store.save()
    return 202, None
