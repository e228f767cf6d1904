"""
Route keys and AWS's route selection, as pure functions: the examples of
"Working with routes for HTTP APIs" and hypothesis properties.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigatewayv2.routes import (
    DEFAULT_ROUTE,
    InvalidRouteKey,
    RouteTable,
    parse_route_key,
    path_segments,
)

# The developer guide's example: which route serves which request.
GUIDE_ROUTES = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"]


@pytest.mark.parametrize(
    ("method", "path", "key", "parameters"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/pets/cat/1", "ANY /{proxy+}", {"proxy": "pets/cat/1"}),
        ("GET", "/", "$default", {}),
        ("DELETE", "/pets/dog/1", "ANY /{proxy+}", {"proxy": "pets/dog/1"}),
        ("GET", "/pets/caf%C3%A9/x", "GET /pets/{proxy+}", {"proxy": "café/x"}),
    ],
)
def test_the_guides_example(method, path, key, parameters):
    table = RouteTable((str(n), key) for n, key in enumerate(GUIDE_ROUTES))
    selected = table.select(method, path)
    assert selected is not None
    assert (selected.key.key, selected.path_parameters) == (key, parameters)
    assert GUIDE_ROUTES[int(selected.route_id)] == key


def test_no_route_and_no_default_is_none():
    table = RouteTable([("a", "GET /items"), ("b", "GET /items/{id}")])
    assert table.select("POST", "/items") is None
    assert table.select("GET", "/other") is None
    assert table.select("GET", "/items/1/more") is None
    assert table.select("GET", "/items/1").path_parameters == {"id": "1"}  # type: ignore[union-attr]


def test_the_method_beats_any_on_the_same_path():
    table = RouteTable([("any", "ANY /items"), ("get", "GET /items")])
    assert table.select("GET", "/items").route_id == "get"  # type: ignore[union-attr]
    assert table.select("PUT", "/items").route_id == "any"  # type: ignore[union-attr]


def test_a_greedy_variable_wants_a_segment():
    table = RouteTable([("p", "ANY /{proxy+}"), ("root", "GET /")])
    assert table.select("GET", "/").route_id == "root"  # type: ignore[union-attr]
    assert table.select("POST", "/") is None


@pytest.mark.parametrize(
    "key",
    [
        "GET",
        "get /x",
        "FETCH /x",
        "GET x",
        "GET /{proxy+}/x",
        "GET /a b",
        "GET /{x",
        "GET /x}",
        "GET /{}",
        "GET /{id}/{id}",
        "",
    ],
)
def test_bad_route_keys(key):
    with pytest.raises(InvalidRouteKey):
        parse_route_key(key)


# Properties

METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
LITERALS = st.sampled_from(["a", "b", "items", "x-1"])
SEGMENT = st.one_of(LITERALS, st.just("{}"))


@st.composite
def route_keys(draw) -> str:
    method = draw(st.one_of(METHODS, st.just("ANY")))
    # Variables are named by their position: a name may appear once.
    segments = [f"{{p{n}}}" if part == "{}" else part for n, part in enumerate(draw(st.lists(SEGMENT, max_size=4)))]
    if draw(st.booleans()):
        segments.append("{proxy+}")
    return f"{method} /" + "/".join(segments)


REQUEST_PATHS = st.lists(LITERALS, max_size=5).map(lambda parts: "/" + "/".join(parts))


@given(route_keys())
def test_a_generated_key_parses_to_itself(key):
    parsed = parse_route_key(key)
    assert parsed.key == key and not parsed.is_default
    assert len(parsed.segments) == len([p for p in key.partition(" ")[2].split("/") if p])


@given(st.text(max_size=40))
def test_any_text_is_a_key_or_refused(text):
    try:
        parsed = parse_route_key(text)
    except InvalidRouteKey:
        return
    assert parsed.key == text


@given(st.lists(route_keys(), max_size=8, unique=True), st.booleans(), METHODS, REQUEST_PATHS)
def test_selection_is_the_most_specific_match(keys, with_default, method, path):
    routes = [(str(n), key) for n, key in enumerate(keys)]
    if with_default:
        routes.append(("default", DEFAULT_ROUTE))
    selected = RouteTable(routes).select(method, path)
    segments = path_segments(path)
    matching = [parse_route_key(k) for k in keys if parse_route_key(k).match(method, segments) is not None]
    if not matching:
        # $default only when no other route matches.
        assert (selected is None) != with_default
        if selected is not None:
            assert selected.route_id == "default"
        return
    assert selected is not None and selected.route_id != "default"
    assert selected.key.match(method, segments) == selected.path_parameters
    assert min(k.specificity() for k in matching) == selected.key.specificity()
    # Each parameter is what its segment(s) of the path hold.
    for position, (kind, name) in enumerate(selected.key.segments):
        if kind == 1:
            assert selected.path_parameters[name] == segments[position]
        elif kind == 2:
            assert selected.path_parameters[name] == "/".join(segments[position:])
