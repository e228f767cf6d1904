"""
The filter pattern parser and the tokens, by property: every pattern
RustStack renders parses back to itself and matches as the documented
semantics say; any text at all is either a pattern or AWS's
InvalidParameterException, never another failure; tokens round-trip and
anything else is "The specified nextToken is invalid.".
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.cloudwatchlogs import patterns
from ruststack.cloudwatchlogs.patterns import FilterPattern
from ruststack.cloudwatchlogs.tokens import Position, event_id, parse_stream_token, stream_token

# Terms as users write them: words, phrases with spaces, quotes and
# backslashes, any Unicode.
words = st.text(st.characters(categories=("L", "Nd"), include_characters="_"), min_size=1, max_size=8)
phrases = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12).filter(
    lambda t: t.strip()
)
terms = st.lists(st.one_of(words, phrases).map(lambda t: t.encode("utf-8")), max_size=4).map(tuple)
messages = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@st.composite
def term_patterns(draw) -> FilterPattern:
    if draw(st.booleans()):
        return FilterPattern(optional=draw(terms.filter(bool)))
    return FilterPattern(required=draw(terms), excluded=draw(terms))


def reference(pattern: FilterPattern, message: bytes) -> bool:
    """
    The documented semantics, written plainly.
    """
    if any(t.strip() and t in message for t in pattern.excluded):
        return False
    if not all(t in message for t in pattern.required if t.strip()):
        return False
    return not pattern.optional or any(t in message for t in pattern.optional)


@settings(max_examples=300, deadline=None)
@given(term_patterns())
def test_rendered_patterns_parse_back(pattern):
    assert patterns.parse(patterns.render(pattern)) == pattern


@settings(max_examples=300, deadline=None)
@given(term_patterns(), st.lists(messages, max_size=5))
def test_matching_follows_the_documented_semantics(pattern, texts):
    test = patterns.parse(patterns.render(pattern)).test()
    for text in texts:
        message = text.encode("utf-8")
        assert (True if test is None else bool(test(message))) == reference(pattern, message)


@settings(max_examples=300, deadline=None)
@given(words, words, messages)
def test_unquoted_words_mean_what_quoted_ones_do(first, second, text):
    message = text.encode("utf-8")
    plain = patterns.parse(f"{first} -{second}").test()
    quoted = patterns.parse(f'"{first}" -"{second}"').test()
    assert plain is not None and quoted is not None
    assert bool(plain(message)) == bool(quoted(message))


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_a_pattern_or_invalid_parameter(text):
    try:
        parsed = patterns.parse(text)
    except AwsError as error:
        assert error.code == "InvalidParameterException" and error.status == 400
        return
    test = parsed.test()
    if test is not None:
        test(text.encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("abcAB019 .-_:*+?[]{}|^$\\"), min_size=1, max_size=12))
def test_regular_expressions_search_like_python(body):
    try:
        parsed = patterns.parse(f"%{body}%")
    except AwsError:
        return
    assert parsed.regex == body.encode("ascii")
    test = parsed.test()
    assert test is not None
    for text in ("", "abc", "ERROR 1", "a.b-c"):
        assert bool(test(text.encode())) == bool(re.search(body.encode(), text.encode()))


@pytest.mark.parametrize("text", ["{ $.a = 1 }", "[a, b]", "ERROR ?WARN", "?a -b"])
def test_unsupported_kinds_name_themselves(text):
    with pytest.raises(AwsError) as raised:
        patterns.parse(text)
    assert raised.value.code == "InvalidParameterException"
    assert raised.value.message.startswith("RustStack does not support")


@pytest.mark.parametrize("text", ["", "   ", '" "', '""'])
def test_patterns_of_nothing_match_everything(text):
    assert patterns.parse(text).test() is None


# Tokens


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.integers(0, 10**26 - 1), st.integers(0, 10**30 - 1))
def test_positions_round_trip(forward, time, seq):
    position = Position(forward, time, seq)
    token = position.token()
    assert re.fullmatch(r"[fb]/\d{56}/s", token)
    assert Position.parse(token) == position
    assert event_id(time, seq) == token[2:-2]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=70))
def test_other_text_is_an_invalid_token(text):
    if re.fullmatch(r"[fb]/\d{56}/s", text, re.ASCII):
        return
    with pytest.raises(AwsError) as raised:
        Position.parse(text)
    assert (raised.value.code, raised.value.message) == (
        "InvalidParameterException",
        "The specified nextToken is invalid.",
    )


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**63), st.text(max_size=30))
def test_stream_tokens_round_trip(time, name):
    assert parse_stream_token(stream_token((time, name))) == (time, name)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_stream_token_is_read_or_refused(text):
    try:
        parse_stream_token(text)
    except AwsError as error:
        assert error.message == "The specified nextToken is invalid."
