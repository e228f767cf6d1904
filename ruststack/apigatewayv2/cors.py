"""
An HTTP API's CORS configuration, applied by the gateway ("Configuring
CORS for an HTTP API", API Gateway developer guide): preflight requests
(C{OPTIONS} with C{Origin} and C{Access-Control-Request-Method}) are
answered from it without reaching a route, and the configured
C{Access-Control-*} headers replace the integration's on answers to a
request with an allowed C{Origin}.
"""

from __future__ import annotations

from typing import Any

Headers = list[tuple[str, str]]


def is_preflight(method: str, headers: dict[str, str]) -> bool:
    """
    Whether a request is a CORS preflight (C{headers} by lower-case name).
    """
    return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers


def _allowed_origin(configuration: dict[str, Any], origin: str | None) -> str | None:
    origins = configuration.get("AllowOrigins") or []
    if origin is None:
        return None
    if "*" in origins:
        return "*"
    lowered = origin.lower()
    return origin if any(allowed.lower() == lowered for allowed in origins) else None


def preflight_headers(configuration: dict[str, Any], headers: dict[str, str]) -> Headers:
    """
    The headers of the gateway's answer (204) to a preflight: none when
    the origin is not allowed.
    """
    origin = _allowed_origin(configuration, headers.get("origin"))
    if origin is None:
        return []
    answer = [("Access-Control-Allow-Origin", origin)]
    if configuration.get("AllowMethods"):
        answer.append(("Access-Control-Allow-Methods", ",".join(configuration["AllowMethods"])))
    if configuration.get("AllowHeaders"):
        answer.append(("Access-Control-Allow-Headers", ",".join(configuration["AllowHeaders"])))
    if configuration.get("AllowCredentials"):
        answer.append(("Access-Control-Allow-Credentials", "true"))
    if configuration.get("MaxAge") is not None:
        answer.append(("Access-Control-Max-Age", str(configuration["MaxAge"])))
    return answer


def response_headers(configuration: dict[str, Any], origin: str | None, integration: Headers) -> Headers:
    """
    The integration's response headers without its own C{Access-Control-*}
    ones, with the configured ones when C{origin} is allowed.
    """
    kept = [(name, value) for name, value in integration if not name.lower().startswith("access-control-")]
    allowed = _allowed_origin(configuration, origin)
    if allowed is None:
        return kept
    kept.append(("Access-Control-Allow-Origin", allowed))
    if configuration.get("ExposeHeaders"):
        kept.append(("Access-Control-Expose-Headers", ",".join(configuration["ExposeHeaders"])))
    if configuration.get("AllowCredentials"):
        kept.append(("Access-Control-Allow-Credentials", "true"))
    return kept
