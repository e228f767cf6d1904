"""
Which API, stage and path a data-plane URL names (both forms), as a pure
function of the store: examples and hypothesis properties.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigatewayv2.execute import api_id_of, locate
from ruststack.apigatewayv2.model import HttpApi
from ruststack.apigatewayv2.store import HttpApiStore

API = "abc123defg"


def store_with(*stages: str) -> HttpApiStore:
    store = HttpApiStore()
    api = HttpApi(API, "000000000000", "us-east-1", {"Name": "x"})
    api.stages = {name: {"StageName": name} for name in stages}
    store.apis[API] = api
    return store


HOST = f"{API}.execute-api.localhost:4566"


def test_the_default_stage_is_served_at_the_root():
    found = locate(store_with("$default", "prod"), HOST, "/items/1")
    assert found is not None and found.stage["StageName"] == "$default"
    assert (found.below, found.raw_path) == ("/items/1", "/items/1")


def test_a_first_segment_naming_a_stage_goes_to_it():
    found = locate(store_with("$default", "prod"), HOST, "/prod/items/1")
    assert found is not None and found.stage["StageName"] == "prod"
    assert (found.below, found.raw_path) == ("/items/1", "/prod/items/1")


def test_without_a_default_stage_an_unknown_first_segment_is_nothing():
    assert locate(store_with("prod"), HOST, "/items/1") is None
    assert locate(store_with("prod"), "nosuchapi1.execute-api.localhost", "/prod/x") is None


def test_the_path_form():
    store = store_with("$default", "prod")
    found = locate(store, "localhost:4566", f"/restapis/{API}/prod/_user_request_/a/b")
    assert found is not None and (found.below, found.raw_path) == ("/a/b", "/prod/a/b")
    found = locate(store, "localhost:4566", f"/restapis/{API}/%24default/_user_request_/a")
    assert found is not None and (found.stage["StageName"], found.raw_path) == ("$default", "/a")
    assert locate(store, "localhost:4566", f"/restapis/{API}/dev/_user_request_/a") is None
    assert api_id_of("localhost:4566", f"/restapis/{API}/dev/_user_request_/a") == API


SEGMENTS = st.lists(st.sampled_from(["prod", "items", "1", "%24default", "caf%C3%A9", ""]), max_size=4)


@given(SEGMENTS, st.booleans())
def test_the_host_form_keeps_the_path(segments, with_default):
    path = "/" + "/".join(segments)
    store = store_with(*(["$default"] if with_default else []), "prod")
    found = locate(store, HOST, path)
    if found is None:
        assert not with_default and segments[:1] != ["prod"]
        return
    # rawPath is the request's path; the routes match what is below the stage.
    assert found.raw_path == path
    stage = found.stage["StageName"]
    rebuilt = found.below if stage == "$default" else f"/{stage}{found.below}"
    # The stage's root ("/prod") is "/" below it; leading slashes are one.
    trimmed = "/" + path.lstrip("/")
    assert rebuilt in (trimmed, trimmed + "/") or (stage == "$default" and rebuilt == path)


@given(st.text(max_size=30), st.text(max_size=60))
def test_any_host_and_path_locate_or_not(host, path):
    found = locate(store_with("$default", "prod"), host, path)
    assert found is None or found.api.id == API
