"""
The JWT authorizers' signing keys on a task.Clock with a fake fetch: one
discovery per issuer shared by concurrent requests, kept for two hours,
fetched again for an unknown key id (at most once a minute), and a failed
fetch refused as an invalid token.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from twisted.internet import defer, task

from ruststack.apigatewayv2 import jwt_authorizer

ISSUER = "https://issuer.example"


def jwk(kid: str) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid, "alg": "RS256"}


@pytest.fixture(scope="module")
def documents():
    return {"k1": jwk("k1"), "k2": jwk("k2")}


class FakeFetch:
    def __init__(self, published):
        self.published = published
        self.urls: list[str] = []
        self.pending: list[defer.Deferred] = []
        self.hold = False

    def __call__(self, url: str):
        self.urls.append(url)
        answer: dict[str, Any]
        if url.endswith("/.well-known/openid-configuration"):
            answer = {"jwks_uri": f"{ISSUER}/keys"}
        else:
            answer = {"keys": list(self.published)}
        if self.hold:
            waiting: defer.Deferred[dict[str, Any]] = defer.Deferred()
            self.pending.append(waiting)
            return waiting
        return defer.succeed(answer)


def key_of(keys, kid):
    return defer.ensureDeferred(keys.key(ISSUER, kid))


def test_keys_are_kept_and_fetched_again_for_a_new_key_id(documents):
    clock = task.Clock()
    fetch = FakeFetch([documents["k1"]])
    keys = jwt_authorizer.SigningKeys(clock, fetch)
    assert key_of(keys, "k1").result.key_id == "k1"
    assert key_of(keys, "k1").result.key_id == "k1"
    assert fetch.urls == [f"{ISSUER}/.well-known/openid-configuration", f"{ISSUER}/keys"]
    # A rotated key: not fetched again within the minute, then found.
    fetch.published.append(documents["k2"])
    failure = key_of(keys, "k2")
    assert isinstance(failure.result.value, jwt_authorizer.JwtRefusal)
    failure.addErrback(lambda _: None)
    clock.advance(61)
    assert key_of(keys, "k2").result.key_id == "k2"
    assert len(fetch.urls) == 4
    # Two hours on, everything is fetched again.
    clock.advance(2 * 3600)
    key_of(keys, "k1")
    assert len(fetch.urls) == 6


def test_concurrent_requests_share_one_fetch(documents):
    fetch = FakeFetch([documents["k1"]])
    fetch.hold = True
    keys = jwt_authorizer.SigningKeys(task.Clock(), fetch)
    first, second = key_of(keys, "k1"), key_of(keys, "k1")
    assert len(fetch.pending) == 1
    fetch.pending.pop().callback({"jwks_uri": f"{ISSUER}/keys"})
    fetch.pending.pop().callback({"keys": [documents["k1"]]})
    assert first.result.key_id == second.result.key_id == "k1"
    assert len(fetch.urls) == 2


def test_a_failed_fetch_is_an_invalid_token():
    def down(url):
        return defer.fail(ValueError("connection refused"))

    keys = jwt_authorizer.SigningKeys(task.Clock(), down)
    found = key_of(keys, "k1")
    refusal = found.result.value
    found.addErrback(lambda _: None)
    assert (refusal.status, refusal.challenge) == (
        401,
        'Bearer scope="" error="invalid_token" error_description="unable to fetch the signing keys of the issuer"',
    )
