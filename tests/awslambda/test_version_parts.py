"""
The parts of versions and aliases without a stack: the list markers, what a
qualifier names, the routing checks (hypothesis properties), the persisted
form, and the weighted draw of an alias's version (seeded).
"""

from __future__ import annotations

import base64
import random
import types

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.awslambda import access, versions
from ruststack.awslambda.functions import Alias, LambdaFunction
from ruststack.awslambda.service import LambdaService
from tests.awslambda import functions


def with_versions(count: int) -> LambdaFunction:
    function = functions.stored("us-east-1")
    for number in range(1, count + 1):
        function.versions[str(number)] = attrs.evolve(function, version=str(number), versions={}, aliases={})
    function.last_version = count
    return function


KEYS = ["$LATEST", "1", "2", "3"]
MARKERS = st.sampled_from(KEYS).map(lambda key: base64.urlsafe_b64encode(key.encode()).decode())


@given(st.one_of(st.text(max_size=40), MARKERS), st.integers(min_value=1, max_value=10))
def test_a_marker_is_refused_or_continues_the_listing(marker, size):
    keys = KEYS
    if not marker:
        assert versions.page_of(keys, {"Marker": marker, "MaxItems": size})[0] == keys[:size]
        return
    try:
        page, following = versions.page_of(keys, {"Marker": marker, "MaxItems": size})
    except AwsError as error:
        assert (error.code, error.message, error.status) == ("InvalidParameterValueException", "Invalid Marker", 400)
        return
    after = base64.urlsafe_b64decode(marker.encode()).decode()
    assert page == keys[keys.index(after) + 1 :][:size]
    assert (following is None) == (keys.index(after) + 1 + size >= len(keys))


@given(st.integers(min_value=1, max_value=5))
def test_markers_walk_every_key_once(size):
    keys = ["$LATEST", *map(str, range(1, 12))]
    seen: list[str] = []
    params: dict = {"MaxItems": size}
    while True:
        page, marker = versions.page_of(keys, params)
        seen += page
        if marker is None:
            break
        params = {"MaxItems": size, "Marker": marker}
    assert seen == keys


@given(st.text(max_size=20))
def test_a_qualifier_names_latest_a_version_an_alias_or_nothing(qualifier):
    function = with_versions(2)
    function.aliases["live"] = Alias("live", "2")
    target = access.qualified(function, qualifier or None)
    if not qualifier or qualifier == "$LATEST":
        assert target is not None and target.version is function
    elif qualifier in ("1", "2"):
        assert target is not None and target.version is function.versions[qualifier] and target.alias is None
    elif qualifier == "live":
        assert target is not None and target.version is function.versions["2"]
        assert target.arn == "arn:aws:lambda:us-east-1:111111111111:function:fn:live"
    else:
        assert target is None


@given(
    st.sampled_from(["$LATEST", "1", "2", "3"]),
    st.dictionaries(st.sampled_from(["1", "2", "3", "9"]), st.floats(min_value=0, max_value=1), max_size=2),
)
def test_routing_accepts_only_two_existing_published_versions(version, weights):
    function = with_versions(3)
    config = {"AdditionalVersionWeights": weights}
    try:
        accepted = versions.routing(function, version, config)
    except AwsError as error:
        assert error.code in ("InvalidParameterValueException", "ResourceNotFoundException")
        return
    assert accepted == weights
    assert len(weights) <= 1 and version not in weights
    assert not weights or version != "$LATEST"
    assert all(extra in function.versions for extra in weights)


def test_versions_and_aliases_survive_the_persisted_form():
    function = with_versions(2)
    function.aliases["live"] = Alias("live", "1", "prod", {"2": 0.1}, policy=[{"Sid": "s"}])
    function.versions["2"].environment = {"MY": "two"}
    read = LambdaFunction.from_json(function.to_json())
    assert read.versions["2"].environment == {"MY": "two"} and read.versions["2"].arn.endswith(":fn:2")
    assert attrs.asdict(read.aliases["live"]) == attrs.asdict(function.aliases["live"])
    assert read.last_version == 2
    # What was kept before versions existed reads as a function without any.
    legacy = {k: v for k, v in function.to_json().items() if k not in ("versions", "aliases", "last_version")}
    assert LambdaFunction.from_json(legacy).versions == {}


def test_the_draw_follows_the_weights():
    function = with_versions(2)
    function.aliases["canary"] = Alias("canary", "1", weights={"2": 0.2})
    target = access.qualified(function, "canary")
    assert target is not None
    picker = types.SimpleNamespace(random=random.Random(1234))
    drawn = [LambdaService.pick(picker, target).version for _ in range(10000)]  # type: ignore[arg-type]
    assert 1800 < drawn.count("2") < 2200
    function.aliases["plain"] = Alias("plain", "1")
    plain = access.qualified(function, "plain")
    assert plain is not None and LambdaService.pick(picker, plain) is function.versions["1"]  # type: ignore[arg-type]


def test_an_alias_never_points_at_a_missing_version():
    function = with_versions(1)
    with pytest.raises(AwsError) as raised:
        versions.routing(function, "2", None)
    assert raised.value.message == "Function not found: arn:aws:lambda:us-east-1:111111111111:function:fn:2"
