"""
STS's parts without a socket: web identity tokens, the sessions store, and
the authenticator's handling of temporary credentials (on a task.Clock).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.task import Clock

from ruststack.aws import identity, sigv4
from ruststack.sts import tokens

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


def encode(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@given(st.dictionaries(st.text(max_size=10), JSON, max_size=5))
def test_claims_of_any_jwt_are_its_payload(claims):
    assert tokens.claims(f"{encode({'alg': 'none'})}.{encode(claims)}.sig") == claims


@given(st.text(max_size=200))
def test_any_text_is_claims_or_malformed(text):
    try:
        assert isinstance(tokens.claims(text), dict)
    except tokens.MalformedToken:
        pass


@pytest.mark.parametrize("payload", [encode([1]), encode("x"), "!!!", "e30"])
def test_malformed(payload):
    if payload == "e30":  # {} : a payload may be empty of claims
        assert tokens.claims(f"a.{payload}.c") == {}
        return
    with pytest.raises(tokens.MalformedToken):
        tokens.claims(f"a.{payload}.c")


def test_audience_is_the_first_of_a_list():
    assert tokens.audience({"aud": ["a", "b"]}) == "a"
    assert tokens.audience({"aud": "c"}) == "c"
    assert tokens.audience({}) == ""


def test_sessions_are_bounded_expired_first():
    sessions = identity.Sessions(limit=3)
    old = sessions.issue("1", "arn", "id", expiration=10, now=0)
    live = [sessions.issue("1", "arn", "id", expiration=100, now=0) for _ in range(2)]
    newest = sessions.issue("1", "arn", "id", expiration=100, now=50)  # old has expired: it goes
    assert sessions.get(old.access_key) is None
    assert all(sessions.get(s.access_key) for s in [*live, newest])
    sessions.issue("1", "arn", "id", expiration=100, now=50)  # none expired: the oldest goes
    assert sessions.get(live[0].access_key) is None


def signed_by(session: identity.Session, token: str | None):
    """
    A request signed with a session's key (by botocore), carrying C{token}.
    """
    request = AWSRequest("GET", "http://localhost/")
    SigV4Auth(Credentials(session.access_key, session.secret_key, token), "sts", "us-east-1").add_auth(request)
    headers = [(name.lower(), value) for name, value in request.headers.items()]
    headers.append(("host", "localhost"))
    return sigv4.parse_request(dict(headers), []), headers


def test_session_credentials_when_verifying():
    clock = Clock()
    clock.advance(time.time())
    authenticator = identity.Authenticator("000000000000", "us-east-1", {}, clock=clock)
    session = authenticator.sessions.issue("123456789012", "arn", "id", clock.seconds() + 900, clock.seconds())
    assert authenticator.account_for(session.access_key) == "123456789012"

    def authenticate(token):
        signature, headers = signed_by(session, token)
        authenticator.authenticate(signature, "GET", "/", [], headers, EMPTY_SHA256)

    authenticate(session.token)
    for token in (None, "other"):
        with pytest.raises(identity.AuthenticationError) as raised:
            authenticate(token)
        assert raised.value.failure is identity.AuthFailure.INVALID_TOKEN
    clock.advance(900)
    with pytest.raises(identity.AuthenticationError) as raised:
        authenticate(session.token)
    assert raised.value.failure is identity.AuthFailure.EXPIRED_TOKEN
