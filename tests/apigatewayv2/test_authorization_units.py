"""
The pure parts of HTTP API authorization, CORS and HTTP proxying, with
hypothesis: identity sources, bearer tokens, claims as events carry them,
CORS headers and integration URLs, for any input.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigatewayv2 import cors, http_proxy, jwt_authorizer
from ruststack.apigatewayv2.authorize import identity_values
from ruststack.apigatewayv2.authorizer_operations import IDENTITY_SOURCE

text = st.text(max_size=30)
headers = st.dictionaries(st.text("abcdefgh-", min_size=1, max_size=8), text, max_size=5)


@given(st.lists(text, max_size=4), headers, headers)
def test_identity_values_are_the_sources_or_none(sources, header_values, query):
    event = {"headers": header_values, "queryStringParameters": query, "requestContext": {"stage": "s"}}
    values = identity_values(sources, event)
    assert values is None or (len(values) == len(sources) and all(values))


def test_identity_sources_by_kind():
    event = {
        "headers": {"authorization": "t"},
        "queryStringParameters": {"q": "v"},
        "stageVariables": {"s": "w"},
        "requestContext": {"stage": "prod"},
    }
    sources = ["$request.header.Authorization", "$request.querystring.q", "$stageVariables.s", "$context.stage"]
    assert identity_values(sources, event) == ["t", "v", "w", "prod"]
    assert identity_values(["$request.header.missing"], event) is None
    assert all(IDENTITY_SOURCE.match(source) for source in sources)
    assert not IDENTITY_SOURCE.match("method.request.header.Authorization")


@given(text)
def test_bearer_tokens(token):
    assert jwt_authorizer.bearer_token(f"Bearer {token}") == (token.strip() or f"Bearer {token}".strip())


@given(st.dictionaries(text, st.recursive(st.none() | st.booleans() | st.integers() | text, st.lists, max_leaves=5)))
def test_claims_in_events_are_strings(claims):
    assert all(isinstance(value, str) for value in jwt_authorizer.event_claims(claims).values())


def test_claims_as_aws_writes_them():
    assert jwt_authorizer.event_claims({"exp": 5, "groups": ["a", "b"], "ok": True}) == {
        "exp": "5",
        "groups": "[a b]",
        "ok": "true",
    }


configuration = st.fixed_dictionaries(
    {},
    optional={
        "AllowOrigins": st.lists(st.sampled_from(["*", "https://a.example", "https://b.example"]), max_size=3),
        "AllowMethods": st.lists(st.sampled_from(["GET", "POST", "*"]), max_size=3),
        "AllowHeaders": st.lists(st.sampled_from(["authorization", "*"]), max_size=2),
        "ExposeHeaders": st.lists(st.sampled_from(["x-id", "date"]), max_size=2),
        "AllowCredentials": st.booleans(),
        "MaxAge": st.integers(0, 86400),
    },
)


@given(configuration, st.one_of(st.none(), st.sampled_from(["https://a.example", "https://c.example"]), text))
def test_cors_headers_only_for_allowed_origins(config, origin):
    request = {"origin": origin} if origin is not None else {}
    answer = dict(cors.preflight_headers(config, request))
    allowed = origin is not None and ("*" in config.get("AllowOrigins", []) or origin in config.get("AllowOrigins", []))
    assert ("Access-Control-Allow-Origin" in answer) == allowed
    response = cors.response_headers(config, origin, [("access-control-allow-origin", "evil"), ("X", "1")])
    assert ("access-control-allow-origin", "evil") not in response and ("X", "1") in response


@given(st.dictionaries(st.sampled_from(["id", "proxy"]), text), text, st.booleans())
def test_integration_urls(parameters, query, default_route):
    url = http_proxy.target_url("http://127.0.0.1:1/pets/{id}/{proxy}", parameters, {}, "/a/b", query, default_route)
    assert url.startswith("http://127.0.0.1:1/pets/") and "{" not in url.partition("?")[0]


def test_integration_urls_as_api_gateway_makes_them():
    assert (
        http_proxy.target_url("http://h/pets/{proxy}", {"proxy": "a/b c"}, {}, "/x/a/b c", "q=1", False)
        == "http://h/pets/a/b%20c?q=1"
    )
    assert http_proxy.target_url("http://h/base/", {}, {}, "/x/y", "", True) == "http://h/base/x/y"
    assert (
        http_proxy.target_url("http://${stageVariables.host}/v", {}, {"host": "h:1"}, "/", "", False) == "http://h:1/v"
    )
