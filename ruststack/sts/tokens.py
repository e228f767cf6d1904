"""
What STS reads of a web identity token (an OpenID Connect JWT): its claims,
unverified. RustStack has no identity providers to check a signature with.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


class MalformedToken(ValueError):
    """
    Not a JWT: three base64url parts, the middle one a JSON object.
    """


def claims(token: str) -> dict[str, Any]:
    """
    The claims (payload) of a compact JWT, unverified.

    @raise MalformedToken: C{token} is not one.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken("a JWT has three parts")
    payload = parts[1]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError) as e:
        raise MalformedToken(str(e)) from None
    if not isinstance(decoded, dict):
        raise MalformedToken("a JWT's payload is a JSON object")
    return decoded


def audience(decoded: dict[str, Any]) -> str:
    """
    The C{aud} claim as STS reports it: the first, when it is a list.
    """
    aud = decoded.get("aud", "")
    if isinstance(aud, list):
        aud = aud[0] if aud else ""
    return str(aud)
