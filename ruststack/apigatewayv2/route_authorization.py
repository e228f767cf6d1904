"""
What a route's authorization may name: C{JWT} and C{CUSTOM} routes an
authorizer of their type, the others none; scopes belong to C{JWT} routes.
"""

from __future__ import annotations

from ruststack.apigatewayv2.model import Document

AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "JWT")


def route_authorization_error(authorizers: dict[str, Document], route: Document) -> str | None:
    """
    The message of the C{BadRequestException} a route's authorization gets
    among C{authorizers}, or C{None} when it is fine.
    """
    kind = route.get("AuthorizationType", "NONE")
    if kind not in AUTHORIZATION_TYPES:
        return f"Invalid authorization type specified: {kind}"
    authorizer_id = route.get("AuthorizerId")
    if kind in ("JWT", "CUSTOM"):
        authorizer = authorizers.get(authorizer_id or "")
        if authorizer is None:
            return f"Invalid authorizer ID specified: {authorizer_id}"
        wanted = "JWT" if kind == "JWT" else "REQUEST"
        if authorizer["AuthorizerType"] != wanted:
            return f"AuthorizationType {kind} does not match the type of the authorizer {authorizer['AuthorizerType']}"
    elif authorizer_id:
        return f"AuthorizerId cannot be specified with AuthorizationType {kind}"
    if route.get("AuthorizationScopes") and kind != "JWT":
        return "AuthorizationScopes are supported only for JWT authorizers"
    return None
