"""
Control-plane operations on an API's authorizers.
"""

from __future__ import annotations

from ruststack.apigateway.calls import Call, Replaceable, Reply, found, page, patch_operations, replace_member
from ruststack.apigateway.model import Authorizer, RestApi, new_id
from ruststack.apigateway.resource_operations import LAMBDA_URI
from ruststack.apigateway.store import bad_request

_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
_REPLACEABLE: Replaceable = {
    "/name": ("name", str),
    "/authorizerUri": ("authorizer_uri", str),
    "/identitySource": ("identity_source", str),
    "/identityValidationExpression": ("identity_validation_expression", str),
    "/authorizerResultTtlInSeconds": ("ttl", int),
    "/authorizerCredentials": ("credentials", str),
    "/type": ("type", str),
}


def _check(authorizer: Authorizer) -> None:
    if authorizer.type not in _TYPES:
        raise bad_request(f"Invalid authorizer type {authorizer.type!r}: one of {', '.join(_TYPES)}")
    if authorizer.type != "COGNITO_USER_POOLS" and not LAMBDA_URI.match(authorizer.authorizer_uri or ""):
        raise bad_request("Invalid Authorizer URI: a Lambda function invocation URI is required")
    if authorizer.type == "TOKEN" and not (authorizer.identity_source or "").startswith("method.request.header."):
        raise bad_request("Invalid identity source: a TOKEN authorizer reads method.request.header.<name>")
    if not 0 <= authorizer.ttl <= 3600:
        raise bad_request("Invalid authorizerResultTtlInSeconds: 0 to 3600")


def create_authorizer(call: Call) -> Reply:
    api = call.api()
    if not call.body.get("name"):
        raise bad_request("Invalid authorizer name")
    authorizer = Authorizer(
        id=new_id(6),
        name=call.body["name"],
        type=call.body.get("type") or "",
        authorizer_uri=call.body.get("authorizerUri"),
        identity_source=call.body.get("identitySource")
        or ("method.request.header.Authorization" if call.body.get("type") == "TOKEN" else None),
        identity_validation_expression=call.body.get("identityValidationExpression"),
        ttl=int(call.body.get("authorizerResultTtlInSeconds", 300)),
        provider_arns=list(call.body.get("providerARNs") or []),
        auth_type=call.body.get("authType"),
        credentials=call.body.get("authorizerCredentials"),
    )
    _check(authorizer)
    api.authorizers[authorizer.id] = authorizer
    call.store.save()
    return 201, authorizer.to_json()


def _authorizer(call: Call) -> tuple[RestApi, Authorizer]:
    api = call.api()
    return api, found(api.authorizers.get(call.params["authorizer"]), "Authorizer identifier")


def get_authorizer(call: Call) -> Reply:
    return 200, _authorizer(call)[1].to_json()


def get_authorizers(call: Call) -> Reply:
    return 200, page(call, [a.to_json() for a in call.api().authorizers.values()])


def update_authorizer(call: Call) -> Reply:
    _, authorizer = _authorizer(call)
    for op, path, value in patch_operations(call):
        replace_member(authorizer, _REPLACEABLE, op, path, value)
    _check(authorizer)
    call.store.save()
    return 200, authorizer.to_json()


def delete_authorizer(call: Call) -> Reply:
    api, authorizer = _authorizer(call)
    users = [m for r in api.resources.values() for m in r.methods.values() if m.authorizer_id == authorizer.id]
    if users:
        raise bad_request("Cannot delete authorizer, is referenced in method: " + users[0].http_method)
    del api.authorizers[authorizer.id]
    call.store.save()
    return 202, None
