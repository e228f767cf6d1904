"""
JWT authorizers of HTTP APIs: the bearer token of a request checked against
the issuer's signing keys ("Controlling access to HTTP APIs with JWT
authorizers", API Gateway developer guide).

The keys are found as OpenID Connect discovery finds them
(C{<issuer>/.well-known/openid-configuration}, then its C{jwks_uri}),
fetched with treq and kept for a while; the token's signature (RS256), its
C{exp}, C{nbf} and C{iat}, C{iss} and C{aud} (or C{client_id}) are checked
with PyJWT, and its scopes against the route's.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import treq
from twisted.internet import defer
from twisted.logger import Logger

log = Logger()

# How long signing keys are kept, and how soon an unknown key id may make
# us fetch them again (a rotated key).
_KEYS_TTL = 2 * 3600.0
_REFETCH_AFTER = 60.0
_FETCH_TIMEOUT = 5.0
_ALGORITHMS = ["RS256"]


class JwtRefusal(Exception):
    """
    A token the authorizer refuses: the status (401, or 403 for missing
    scopes) and the C{www-authenticate} challenge AWS answers with.
    """

    def __init__(self, status: int, challenge: str | None) -> None:
        super().__init__(challenge)
        self.status = status
        self.challenge = challenge


def _challenge(error: str, description: str, scope: str = "") -> str:
    return f'Bearer scope="{scope}" error="{error}" error_description="{description}"'


def invalid_token(description: str) -> JwtRefusal:
    return JwtRefusal(401, _challenge("invalid_token", description))


Fetch = Callable[[str], Awaitable[Any]]


async def fetch_json(url: str, clock: Any) -> Any:
    """
    The JSON document at C{url} (treq, with a timeout).
    """
    response = await treq.get(url, timeout=_FETCH_TIMEOUT, reactor=clock)
    body = await treq.content(response)
    if response.code != 200:
        raise ValueError(f"{url} answered {response.code}")
    return json.loads(body)


class SigningKeys:
    """
    The signing keys of issuers, fetched on first use and kept for
    L{_KEYS_TTL}; a key id not among them refetches (at most every
    L{_REFETCH_AFTER} seconds) since issuers rotate keys.
    """

    def __init__(self, clock: Any, fetch: Fetch | None = None) -> None:
        self._clock = clock
        self._fetch: Fetch = fetch or (lambda url: fetch_json(url, clock))
        self._keys: dict[str, tuple[float, jwt.PyJWKSet]] = {}
        self._waiting: dict[str, list[defer.Deferred[jwt.PyJWKSet]]] = {}

    async def key(self, issuer: str, key_id: str | None) -> jwt.PyJWK:
        now = self._clock.seconds()
        found = self._keys.get(issuer)
        if (
            found is None
            or found[0] + _KEYS_TTL <= now
            or (_find(found[1], key_id) is None and found[0] + _REFETCH_AFTER <= now)
        ):
            found = (now, await self._load(issuer))
            self._keys[issuer] = found
        key = _find(found[1], key_id)
        if key is None:
            raise invalid_token("the signing key is not among the issuer's keys")
        return key

    async def _load(self, issuer: str) -> jwt.PyJWKSet:
        # One fetch at a time per issuer, shared by the requests waiting on it.
        waiters = self._waiting.get(issuer)
        if waiters is not None:
            waiter: defer.Deferred[jwt.PyJWKSet] = defer.Deferred()
            waiters.append(waiter)
            return await waiter
        waiters = self._waiting[issuer] = []
        try:
            keys = await self._discover(issuer)
        except JwtRefusal as refusal:
            for waiter in waiters:
                waiter.errback(refusal)
            raise
        finally:
            del self._waiting[issuer]
        for waiter in waiters:
            waiter.callback(keys)
        return keys

    async def _discover(self, issuer: str) -> jwt.PyJWKSet:
        try:
            configuration = await self._fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
            document = await self._fetch(configuration["jwks_uri"])
            return jwt.PyJWKSet.from_dict(document)
        except Exception as e:
            log.warn("cannot fetch the signing keys of {issuer}: {error}", issuer=issuer, error=str(e))
            raise invalid_token("unable to fetch the signing keys of the issuer") from None


def _find(keys: jwt.PyJWKSet, key_id: str | None) -> jwt.PyJWK | None:
    for key in keys.keys:
        if key_id is None or key.key_id == key_id:
            return key
    return None


def bearer_token(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token else value.strip()


async def verify(keys: SigningKeys, token: str, issuer: str, audiences: list[str], scopes: list[str]) -> dict[str, Any]:
    """
    The claims of C{token} if it is valid for this authorizer and route,
    else L{JwtRefusal}.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise invalid_token("the token is malformed") from None
    if header.get("alg") not in _ALGORITHMS:
        raise invalid_token(f"signing method {header.get('alg')} is invalid")
    key = await keys.key(issuer, header.get("kid"))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=_ALGORITHMS,
            issuer=issuer,
            options={"verify_aud": False, "require": ["exp", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise invalid_token("the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise invalid_token("the token is not valid yet") from None
    except jwt.InvalidIssuerError:
        raise invalid_token("the token does not have a valid issuer") from None
    except jwt.InvalidSignatureError:
        raise invalid_token("the token signature is invalid") from None
    except jwt.InvalidTokenError as e:
        raise invalid_token(f"the token is invalid: {e}") from None
    if audiences:
        audience = claims.get("aud", claims.get("client_id"))
        given = audience if isinstance(audience, list) else [audience]
        if not any(a in audiences for a in given):
            raise invalid_token("the token does not have a valid audience")
    if scopes:
        held = token_scopes(claims) or []
        if not any(scope in held for scope in scopes):
            raise JwtRefusal(
                403,
                _challenge("insufficient_scope", f"expected scopes: [{' '.join(scopes)}]", " ".join(scopes)),
            )
    return claims


def token_scopes(claims: dict[str, Any]) -> list[str] | None:
    # OAuth's "scope" (space separated) or Azure AD's "scp".
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [str(v) for v in value]
    return None


def event_claims(claims: dict[str, Any]) -> dict[str, str]:
    """
    The claims as the integration's event carries them: every value a
    string, arrays as C{[a b]}.
    """

    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + " ".join(text(v) for v in value) + "]"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return {name: text(value) for name, value in claims.items()}
