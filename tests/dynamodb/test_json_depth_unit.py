"""
The nesting check that keeps deep bodies from Python's json module and
DynamoDB Local: exact for valid JSON (against a reference that parses),
never raising on anything, fast on what DynamoDB accepts.
"""

from __future__ import annotations

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.dynamodb.json_depth import MAX_JSON_DEPTH, too_deep

# Strings full of what could fool a scanner that does not know strings.
TRICKY_TEXT = st.text(alphabet=st.sampled_from('[]{}"\\/ab\n\u00e9\u2028'), max_size=12)
DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TRICKY_TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TRICKY_TEXT, children, max_size=3),
    max_leaves=40,
)


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@settings(max_examples=1500)
@given(
    document=DOCUMENTS,
    limit=st.integers(0, 12),
    ascii_only=st.booleans(),
    indent=st.sampled_from([None, 1]),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32-be"]),
)
def test_exact_for_valid_json(document, limit, ascii_only, indent, encoding):
    body = json.dumps(document, ensure_ascii=ascii_only, indent=indent).encode(encoding)
    assert too_deep(body, limit) == (depth(document) > limit)


@settings(max_examples=300)
@given(wraps=st.integers(0, 40), limit=st.integers(0, 30), tail=st.sampled_from(["", "[]", "{}", '"]]]"', '"\\\\"']))
def test_exact_past_the_quick_passes(wraps, limit, tail):
    # Documents deeper than the passes that peel leaves, with siblings at
    # every level so that no long run of openers gives them away.
    document = tail or "0"
    for _ in range(wraps):
        document = f'[[], {{"k": "[{{"}}, {document}]'
    body = document.encode()
    assert too_deep(body, limit) == (depth(json.loads(body)) > limit)


@given(body=st.binary(max_size=300), limit=st.integers(0, 20))
def test_never_raises_and_never_lets_through_what_json_finds_deeper(body, limit):
    deep = too_deep(body, limit)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return
    if not deep:
        assert depth(document) <= limit


def test_100000_levels_are_too_deep_and_cheap():
    for body in (
        b"[" * 100_000 + b"]" * 100_000,
        b'{"TableName":"t","Item":{"a":' + b'{"M":{"a":' * 100_000 + b"{}" + b"}}" * 100_000 + b"}}",
        b'{"a":' * 100_000,  # never closed
        b"[[]," * 100_000,  # a sibling at every level: no run of openers
    ):
        started = time.perf_counter()
        assert too_deep(body)
        assert time.perf_counter() - started < 0.1


def test_the_limit_is_inclusive():
    assert not too_deep(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert too_deep(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    # Brackets in strings are not nesting.
    assert not too_deep(json.dumps({"s": "[" * 10_000}).encode())
    assert not too_deep(json.dumps({"s": "\\" * 9 + "[" * 10_000 + '"'}).encode())


def test_a_large_shallow_batch_is_checked_quickly():
    item = {f"a{i}": {"L": [{"S": "x" * 100}, {"M": {"b": {"S": "[{"}}}]} for i in range(100)}
    body = json.dumps(
        {"RequestItems": {"t": [{"PutRequest": {"Item": {**item, "pk": {"S": str(n)}}}} for n in range(25)]}}
    ).encode()
    assert len(body) > 300_000
    started = time.perf_counter()
    for _ in range(10):
        assert not too_deep(body)
    # About 1 ms on the machine of the README figures.
    assert (time.perf_counter() - started) / 10 < 0.02
