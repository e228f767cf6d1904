"""
Parameter mapping of HTTP APIs on a real RustStack: RequestParameters and
ResponseParameters kept and checked by the control plane (reserved headers,
keys, status codes; UpdateIntegration removing what it empties), made on
the requests an HTTP proxy integration forwards and a Lambda integration's
events, and on their answers; the expressions as property tests.
"""

from __future__ import annotations

from functools import partial

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.apigatewayv2 import mapping

from .test_control_plane import error_of
from .test_execute import Deployed, create_function
from .test_http_proxy_and_cors import (
    backend,  # noqa: F401  (the backend fixture)
    proxy_integration,
)

REQUEST = {
    "append:header.x-request": "$context.requestId",
    "overwrite:header.x-a": "changed-${request.path.id}",
    "remove:header.x-drop": "''",
    "append:querystring.copied": "$request.header.x-a",
    "remove:querystring.secret": "''",
    "overwrite:path": "/renamed/${request.path.id}",
}
RESPONSE = {
    "200": {
        "overwrite:statuscode": "202",
        "append:header.x-method": "$response.body.method",
        "remove:header.x-request-id": "''",
        "overwrite:header.x-stage": "$context.stage",
    },
    "404": {"overwrite:statuscode": "410"},
}


def _api(apigw2) -> str:
    return apigw2.create_api(Name="mapped", ProtocolType="HTTP")["ApiId"]


def test_mappings_are_kept_and_checked(apigw2):
    api_id = _api(apigw2)
    made = proxy_integration(
        apigw2, api_id, "http://127.0.0.1:9/x", RequestParameters=REQUEST, ResponseParameters=RESPONSE
    )
    assert (made["RequestParameters"], made["ResponseParameters"]) == (REQUEST, RESPONSE)
    integration_id = made["IntegrationId"]
    # UpdateIntegration: an emptied mapping goes, an emptied status code's map too, the rest stays.
    updated = apigw2.update_integration(
        ApiId=api_id,
        IntegrationId=integration_id,
        RequestParameters={"remove:header.x-drop": "", "append:header.x-new": "static"},
        ResponseParameters={"404": {}, "200": {"overwrite:statuscode": ""}},
    )
    expected_request = {k: v for k, v in REQUEST.items() if k != "remove:header.x-drop"}
    expected_request["append:header.x-new"] = "static"
    assert updated["RequestParameters"] == expected_request
    assert updated["ResponseParameters"] == {"200": {k: v for k, v in RESPONSE["200"].items() if "statuscode" not in k}}
    assert apigw2.get_integration(ApiId=api_id, IntegrationId=integration_id)["RequestParameters"] == expected_request

    def refused(**mappings) -> tuple[int, str, str]:
        return error_of(partial(proxy_integration, apigw2, api_id, "http://127.0.0.1:9/x"), **mappings)

    for header in ("Authorization", "x-amz-date", "Access-Control-Allow-Origin", "Via"):
        assert refused(RequestParameters={f"overwrite:header.{header}": "x"}) == (
            400,
            "BadRequestException",
            "Invalid mapping expression specified: Validation Result: warnings : [],"
            f" errors : [Operations on header {header} are restricted]",
        )
    assert refused(ResponseParameters={"200": {"append:header.X-Amzn-Trace": "x"}})[:2] == (400, "BadRequestException")
    for bad in ({"rename:header.a": "x"}, {"overwrite:body": "x"}, {"append:path": "x"}):
        assert refused(RequestParameters=bad)[:2] == (400, "BadRequestException")
    for bad_status in ({"199": {"overwrite:statuscode": "200"}}, {"200": {"overwrite:statuscode": "abc"}}):
        assert refused(ResponseParameters=bad_status)[:2] == (400, "BadRequestException")
    # Nothing refused was kept.
    assert [i["IntegrationId"] for i in apigw2.get_integrations(ApiId=api_id)["Items"]] == [integration_id]


@pytest.fixture(scope="module")
def proxied(http_api_stack, backend):  # noqa: F811
    http_api_stack.reset("apigatewayv2", "apigateway")
    apigw2 = http_api_stack.client("apigatewayv2")
    api_id = _api(apigw2)
    made = proxy_integration(
        apigw2, api_id, f"{backend.url}/original/{{id}}", RequestParameters=REQUEST, ResponseParameters=RESPONSE
    )
    apigw2.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=f"integrations/{made['IntegrationId']}")
    apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return Deployed(api_id, http_api_stack.endpoint_url.rpartition(":")[2], http_api_stack.endpoint_url)


def test_an_http_proxy_gets_the_mapped_request_and_answers_mapped(proxied):
    response = proxied.request(
        "GET", "/items/42?secret=s&keep=1", headers={"X-A": "original", "X-Drop": "gone", "X-Keep": "k"}
    )
    assert response.status_code == 202, response.text
    seen = response.json()
    path, _, query = seen["path"].partition("?")
    assert path == "/renamed/42"
    assert sorted(query.split("&")) == ["copied=original", "keep=1"]
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["x-a"] == "changed-42" and headers["x-keep"] == "k" and "x-drop" not in headers
    assert headers["x-request"] == response.headers["apigw-requestid"]
    assert response.headers["x-method"] == "GET" and response.headers["x-stage"] == "$default"
    assert "x-request-id" not in response.headers
    # The gateway's own answers are not the integration's: its 404 stays one.
    assert proxied.request("GET", "/nothing").status_code == 404


@pytest.fixture(scope="module")
def invoked(http_api_stack):
    http_api_stack.reset("apigatewayv2", "apigateway")
    lam, apigw2 = http_api_stack.client("lambda"), http_api_stack.client("apigatewayv2")
    arn = create_function(lam, "mapped-echo")
    api_id = _api(apigw2)
    made = apigw2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=arn,
        PayloadFormatVersion="2.0",
        RequestParameters={
            "overwrite:header.x-flavour": "$stageVariables.flavour",
            "append:querystring.who": "${context.routeKey} from ${context.identity.sourceIp}",
            "remove:header.x-drop": "''",
        },
        ResponseParameters={"200": {"overwrite:statuscode": "203", "append:header.x-route": "$context.routeKey"}},
    )
    apigw2.create_route(ApiId=api_id, RouteKey="GET /{proxy+}", Target=f"integrations/{made['IntegrationId']}")
    apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, StageVariables={"flavour": "mint"})
    lam.add_permission(
        FunctionName="mapped-echo",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    return Deployed(api_id, http_api_stack.endpoint_url.rpartition(":")[2], http_api_stack.endpoint_url)


def test_a_lambda_event_is_of_the_mapped_request(invoked):
    response = invoked.request("GET", "/a/b?x=1", headers={"X-Drop": "gone"})
    assert response.status_code == 203, response.text
    event = response.json()
    assert event["headers"]["x-flavour"] == "mint" and "x-drop" not in event["headers"]
    assert event["queryStringParameters"] == {"x": "1", "who": "GET /{proxy+} from 127.0.0.1"}
    assert event["rawQueryString"] == "x=1&who=GET%20%2F%7Bproxy%2B%7D%20from%20127.0.0.1"
    assert response.headers["x-route"] == "GET /{proxy+}"


# The expressions, on their own.

_SOURCES = mapping.Sources(
    headers=[("X-A", "1"), ("x-a", "2"), ("Accept", "*/*")],
    query=[("q", "a"), ("q", "b"), ("Q", "c")],
    body=b'{"pets": [{"name": "rex", "age": 3}], "ok": true}',
    path="/pets/7",
    path_parameters={"id": "7"},
    context={"requestId": "r", "authorizer.claims.sub": "u"},
    stage_variables={"env": "dev"},
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$request.header.x-a", "1,2"),
        ("$request.querystring.q", "a,b"),
        ("$request.querystring.Q", "c"),
        ("$request.body.pets[0].name", "rex"),
        ("$request.body.pets[0]", '{"name": "rex", "age": 3}'),
        ("$request.body.ok", "true"),
        ("$request.body.pets[5].name", None),
        ("$request.path", "/pets/7"),
        ("$request.path.id", "7"),
        ("$context.authorizer.claims.sub", "u"),
        ("$stageVariables.env", "dev"),
        ("$stageVariables.missing", None),
        ("${request.path.id}-${stageVariables.env}-${nothing.here}", "7-dev-"),
        ("static", "static"),
    ],
)
def test_a_value_selects_what_it_names(text, value):
    assert mapping.value_of(text, _SOURCES) == value


def test_a_json_path_reads_the_first_100_kb_only():
    small = attrs.evolve(_SOURCES, body=b'{"a": "b"}')
    assert mapping.value_of("$request.body.a", small) == "b"
    large = attrs.evolve(_SOURCES, body=b'{"a": "b", "pad": "' + b"x" * mapping.JSON_PATH_LIMIT + b'"}')
    assert mapping.value_of("$request.body.a", large) is None
    assert mapping.value_of("$request.body", large) == large.body.decode()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_value_text_selects_a_text_or_nothing(text):
    assert mapping.value_of(text, _SOURCES) is None or isinstance(mapping.value_of(text, _SOURCES), str)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.one_of(
            st.text(max_size=30),
            st.builds(
                lambda action, where, name: f"{action}:{where}.{name}",
                st.sampled_from(["append", "overwrite", "remove", "rename"]),
                st.sampled_from(["header", "querystring", "path", "body"]),
                st.text(min_size=1, max_size=12),
            ),
        ),
        st.one_of(st.text(max_size=20), st.integers()),
        max_size=5,
    )
)
def test_request_parameters_are_taken_or_refused_and_taken_ones_apply(parameters):
    try:
        mapping.check_request_parameters(parameters)
    except mapping.InvalidMapping:
        return
    mapped = mapping.map_request(parameters, _SOURCES, "q=a&q=b&Q=c")
    assert all(isinstance(name, str) and isinstance(value, str) for name, value in mapped.headers)
    assert isinstance(mapped.raw_query, str)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=4),
        st.dictionaries(
            st.sampled_from(["overwrite:statuscode", "append:header.x", "remove:header.y", "bad"]),
            st.text(max_size=6),
            max_size=3,
        ),
        max_size=3,
    ),
    st.integers(min_value=200, max_value=599),
)
def test_response_parameters_are_taken_or_refused_and_taken_ones_apply(parameters, status):
    try:
        mapping.check_response_parameters(parameters)
    except mapping.InvalidMapping:
        return
    answered, headers = mapping.map_response(parameters, status, [("Y", "1")], _SOURCES)
    assert 200 <= answered <= 599 and all(isinstance(v, str) for _, v in headers)


_MAPS = st.dictionaries(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=8), max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(_MAPS, st.dictionaries(st.sampled_from(["200", "404", "500"]), _MAPS.filter(bool), max_size=3)),
    st.one_of(_MAPS, st.dictionaries(st.sampled_from(["200", "404", "500"]), _MAPS.filter(bool), max_size=3)),
)
def test_an_update_replacing_mappings_leaves_exactly_the_wanted_ones(current, wanted):
    # UpdateIntegration merges (an empty value removes); a template's update must end at the template's own.
    assert mapping.merged(current, mapping.replacing(current, wanted)) == wanted
