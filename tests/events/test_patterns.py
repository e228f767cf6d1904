"""
Property tests of the event pattern checker: patterns built from the
grammar AWS documents are taken as they are; an empty array anywhere, or a
leaf that is no array, is refused with AWS's reason; any JSON or text is
taken or refused, never a crash.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ruststack.events import patterns

KEYS = st.text(st.characters(codec="utf-8", exclude_characters='"\\'), min_size=1, max_size=8).filter(
    lambda k: k != "$or"
)
SCALARS = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=10)
STRINGS = st.text(max_size=10)
NUMERIC = st.tuples(st.sampled_from(["<", "<=", "=", ">", ">="]), st.integers(-1000, 1000)).map(list) | st.tuples(
    st.sampled_from([">", ">="]), st.integers(-1000, 0), st.sampled_from(["<", "<="]), st.integers(1, 1000)
).map(list)
EXPRESSIONS = st.one_of(
    STRINGS.map(lambda s: {"prefix": s}),
    STRINGS.map(lambda s: {"suffix": s}),
    STRINGS.map(lambda s: {"equals-ignore-case": s}),
    st.booleans().map(lambda b: {"exists": b}),
    NUMERIC.map(lambda n: {"numeric": n}),
    st.sampled_from(["10.0.0.0/24", "192.168.1.7/32", "2001:db8::/32"]).map(lambda c: {"cidr": c}),
    st.lists(STRINGS, min_size=1, max_size=3).map(lambda v: {"anything-but": v}),
    STRINGS.map(lambda s: {"anything-but": {"prefix": s}}),
    st.sampled_from(["a*b", "*.png", "x"]).map(lambda w: {"wildcard": w}),
)
LEAVES = st.lists(SCALARS | EXPRESSIONS, min_size=1, max_size=4)
PATTERNS = st.recursive(
    st.dictionaries(KEYS, LEAVES, min_size=1, max_size=3),
    lambda inner: (
        st.dictionaries(KEYS, LEAVES | inner, min_size=1, max_size=3)
        | st.lists(inner, min_size=2, max_size=3).map(lambda branches: {"$or": branches})
    ),
    max_leaves=8,
)


@given(PATTERNS)
def test_patterns_of_the_grammar_are_taken(pattern):
    assert patterns.check(json.dumps(pattern)) == pattern


def _leaf_paths(pattern, path=()):
    for key, value in pattern.items():
        if key == "$or":
            for index, branch in enumerate(value):
                yield from _leaf_paths(branch, (*path, key, index))
        elif isinstance(value, dict):
            yield from _leaf_paths(value, (*path, key))
        else:
            yield (*path, key)


def _replaced(pattern, path, new):
    copy = json.loads(json.dumps(pattern))
    where = copy
    for step in path[:-1]:
        where = where[step]
    where[path[-1]] = new
    return copy


@given(PATTERNS, st.data())
def test_an_empty_array_anywhere_is_refused(pattern, data):
    path = data.draw(st.sampled_from(list(_leaf_paths(pattern))))
    try:
        patterns.check(json.dumps(_replaced(pattern, path, [])))
    except patterns.InvalidPattern as e:
        assert e.reason == "Empty arrays are not allowed"
    else:
        raise AssertionError("taken")


@given(PATTERNS, st.data(), st.none() | st.booleans() | st.integers() | st.text(max_size=5))
def test_a_leaf_that_is_not_an_array_is_refused(pattern, data, value):
    path = data.draw(st.sampled_from(list(_leaf_paths(pattern))))
    try:
        patterns.check(json.dumps(_replaced(pattern, path, value)))
    except patterns.InvalidPattern as e:
        assert e.reason == f'"{path[-1]}" must be an object or an array'
    else:
        raise AssertionError("taken")


JSON = st.recursive(
    SCALARS | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


@given(JSON | st.text(max_size=40))
def test_any_json_or_text_is_taken_or_refused_never_a_crash(value):
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        patterns.check(text)
    except patterns.InvalidPattern as e:
        assert e.reason
