"""
The authorizers of HTTP APIs on the control plane: Lambda C{REQUEST}
authorizers and C{JWT} authorizers ("Controlling and managing access to an
HTTP API", API Gateway developer guide), and what a route may ask of them.
"""

from __future__ import annotations

import re
from typing import Any

from ruststack.apigatewayv2.model import Document, HttpApi, new_id
from ruststack.apigatewayv2.operations import Call, _changed, _page, _set, bad_request, conflict, not_found
from ruststack.apigatewayv2.route_authorization import route_authorization_error
from ruststack.protocol import Handler

# An identity source of an HTTP API authorizer (CreateAuthorizer, IdentitySource).
IDENTITY_SOURCE = re.compile(r"^\$(request\.header|request\.querystring|context|stageVariables)\.([^\s,]+)$")
_MAX_TTL = 3600
_MEMBERS = (
    "AuthorizerCredentialsArn",
    "AuthorizerPayloadFormatVersion",
    "AuthorizerResultTtlInSeconds",
    "AuthorizerType",
    "AuthorizerUri",
    "EnableSimpleResponses",
    "IdentitySource",
    "IdentityValidationExpression",
    "JwtConfiguration",
    "Name",
)


def check_authorizer(authorizer: Document) -> None:
    """
    Raise AWS's C{BadRequestException} for an authorizer HTTP APIs refuse.
    """
    kind = authorizer.get("AuthorizerType")
    if kind not in ("REQUEST", "JWT"):
        raise bad_request(f"Invalid authorizer type {kind}: HTTP APIs take REQUEST and JWT authorizers")
    if not authorizer.get("Name") or len(authorizer["Name"]) > 128:
        raise bad_request("Invalid authorizer name specified")
    sources = authorizer.get("IdentitySource") or []
    for source in sources:
        if not IDENTITY_SOURCE.match(source):
            raise bad_request(f"Invalid identity source specified: {source}")
    ttl = authorizer.get("AuthorizerResultTtlInSeconds", 0)
    if not 0 <= ttl <= _MAX_TTL:
        raise bad_request(f"AuthorizerResultTtlInSeconds must be between 0 and {_MAX_TTL}")
    if kind == "JWT":
        configuration = authorizer.get("JwtConfiguration") or {}
        if not configuration.get("Issuer"):
            raise bad_request("JwtConfiguration.Issuer is required for JWT authorizers")
        if len(sources) != 1 or not sources[0].startswith("$request."):
            raise bad_request("JWT authorizers take exactly one identity source, in the request")
        for member in ("AuthorizerUri", "AuthorizerPayloadFormatVersion", "EnableSimpleResponses"):
            if authorizer.get(member):
                raise bad_request(f"{member} is not supported for JWT authorizers")
        return
    if not authorizer.get("AuthorizerUri"):
        raise bad_request("AuthorizerUri is required for REQUEST authorizers")
    version = authorizer.get("AuthorizerPayloadFormatVersion")
    if version not in ("1.0", "2.0"):
        raise bad_request(f"Invalid AuthorizerPayloadFormatVersion specified: {version}")
    if authorizer.get("EnableSimpleResponses") and version != "2.0":
        raise bad_request("EnableSimpleResponses is supported only for AuthorizerPayloadFormatVersion 2.0")
    if ttl > 0 and not sources:
        raise bad_request("IdentitySource is required when authorizer caching is enabled")
    if "JwtConfiguration" in authorizer:
        raise bad_request("JwtConfiguration is supported only for JWT authorizers")


async def create_authorizer(call: Call, params: dict[str, Any]) -> Document:
    api = call.api(params["ApiId"])
    authorizer: Document = {"AuthorizerId": new_id(6)}
    _set(authorizer, params, _MEMBERS)
    if authorizer["AuthorizerType"] == "REQUEST":
        authorizer.setdefault("AuthorizerResultTtlInSeconds", 0)
    check_authorizer(authorizer)
    api.authorizers[authorizer["AuthorizerId"]] = authorizer
    _changed(call, api)
    return authorizer


def _find(call: Call, params: dict[str, Any]) -> tuple[HttpApi, Document]:
    api = call.api(params["ApiId"])
    authorizer = api.authorizers.get(params["AuthorizerId"])
    if authorizer is None:
        raise not_found(f"Invalid Authorizer identifier specified {params['AuthorizerId']}")
    return api, authorizer


async def get_authorizer(call: Call, params: dict[str, Any]) -> Document:
    return _find(call, params)[1]


async def get_authorizers(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _page(list(call.api(params["ApiId"]).authorizers.values()), params)


async def update_authorizer(call: Call, params: dict[str, Any]) -> Document:
    api, authorizer = _find(call, params)
    updated = dict(authorizer)
    _set(updated, params, _MEMBERS)
    check_authorizer(updated)
    users = [r for r in api.routes.values() if r.get("AuthorizerId") == authorizer["AuthorizerId"]]
    for route in users:
        error = route_authorization_error(_with(api, updated).authorizers, route)
        if error is not None:
            raise bad_request(error)
    api.authorizers[authorizer["AuthorizerId"]] = updated
    _changed(call, api)
    return updated


def _with(api: HttpApi, authorizer: Document) -> HttpApi:
    # The API as it would be with authorizer changed (to check its routes).
    authorizers = {**api.authorizers, authorizer["AuthorizerId"]: authorizer}
    return HttpApi(api.id, api.account, api.region, api.document, authorizers=authorizers)


async def delete_authorizer(call: Call, params: dict[str, Any]) -> None:
    api, authorizer = _find(call, params)
    users = [r["RouteKey"] for r in api.routes.values() if r.get("AuthorizerId") == authorizer["AuthorizerId"]]
    if users:
        raise conflict(f"Cannot delete authorizer '{authorizer['Name']}', is referenced in route: {users[0]}")
    del api.authorizers[authorizer["AuthorizerId"]]
    _changed(call, api)


HANDLERS: dict[str, Handler] = {
    "CreateAuthorizer": create_authorizer,
    "GetAuthorizer": get_authorizer,
    "GetAuthorizers": get_authorizers,
    "UpdateAuthorizer": update_authorizer,
    "DeleteAuthorizer": delete_authorizer,
}
