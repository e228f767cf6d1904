"""
Properties of the parsers and matchers of S3 event notifications
(L{ruststack.s3.notifications}): the key encoding of records, filter rules
and event types.
"""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3 import notifications

keys = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64)
affixes = st.text(alphabet="ab/.~ ", max_size=4)


@given(keys)
def test_encoded_key_decodes_to_the_key(key):
    encoded = notifications.encode_key(key)
    assert urllib.parse.unquote_plus(encoded) == key
    assert " " not in encoded and "~" not in encoded
    # What S3 leaves as it is: letters, digits, and / . - _ *
    assert all(c.isascii() and (c.isalnum() or c in "/.-_*%+") for c in encoded)


def test_encoded_key_examples():
    assert notifications.encode_key("photos/red flower.jpg") == "photos/red+flower.jpg"
    assert notifications.encode_key("a=b&c") == "a%3Db%26c"
    assert notifications.encode_key("é") == "%C3%A9"


@given(st.text(alphabet="ab/.", max_size=8), affixes, affixes)
def test_key_matches_prefix_and_suffix(key, prefix, suffix):
    rules = [{"Name": "prefix", "Value": prefix}, {"Name": "suffix", "Value": suffix}]
    assert notifications.key_matches(rules, key) == (key.startswith(prefix) and key.endswith(suffix))
    assert notifications.key_matches([], key)


EVENTS = [
    "ObjectCreated:Put",
    "ObjectCreated:Copy",
    "ObjectCreated:CompleteMultipartUpload",
    "ObjectRemoved:Delete",
    "ObjectRemoved:DeleteMarkerCreated",
]


@given(st.sampled_from(EVENTS), st.sampled_from(EVENTS))
def test_event_types(configured, event):
    assert notifications.event_matches("s3:" + configured, event) == (configured == event)
    family = configured.split(":")[0]
    assert notifications.event_matches(f"s3:{family}:*", event) == event.startswith(family + ":")


@given(st.lists(st.sampled_from(["prefix", "suffix", "other", "Prefix"]), max_size=4))
def test_filter_rules(names):
    rules = [{"Name": name, "Value": "x"} for name in names]
    lowered = [name.lower() for name in names]
    valid = all(name in ("prefix", "suffix") for name in lowered) and len(set(lowered)) == len(lowered)
    if valid:
        notifications.check_filter(rules)
    else:
        with pytest.raises(AwsError) as raised:
            notifications.check_filter(rules)
        assert (raised.value.code, raised.value.status) == ("InvalidArgument", 400)


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_event_time_format(seconds):
    text = notifications.event_time(seconds)
    assert len(text) == 24 and text[10] == "T" and text.endswith("Z")


def test_sequencers_increase():
    notifier = notifications.Notifier(None, {})
    made = [notifier.sequencer() for _ in range(1000)]
    assert made == sorted(made) and len(set(made)) == 1000
    assert all(len(s) == 18 for s in made)


def configuration(events, prefix, suffix):
    rules = [{"Name": "prefix", "Value": prefix}, {"Name": "suffix", "Value": suffix}]
    return {"Events": events, "Filter": {"Key": {"FilterRules": rules}}}


@given(
    st.sampled_from(EVENTS),
    st.sampled_from(EVENTS),
    st.text(alphabet="ab/", max_size=8),
    affixes,
    affixes,
    affixes,
    affixes,
)
def test_overlapping_configurations(event_a, event_b, key, prefix_a, suffix_a, prefix_b, suffix_b):
    # Two configurations overlap exactly when some change could match both:
    # a common event, and a key with both prefixes and both suffixes.
    a = configuration(["s3:" + event_a], prefix_a, suffix_a)
    b = configuration(["s3:" + event_b], prefix_b, suffix_b)
    values = {"LambdaFunctionConfigurations": [a, b]}
    overlapping = (
        event_a == event_b
        and (prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a))
        and (suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a))
    )
    if overlapping:
        with pytest.raises(AwsError):
            notifications.check_overlaps(values)
    else:
        notifications.check_overlaps(values)
    longest = max(prefix_a, prefix_b, key=len) + key + max(suffix_a, suffix_b, key=len)
    if overlapping:
        # Such a key matches both filters.
        assert notifications.key_matches(a["Filter"]["Key"]["FilterRules"], longest)
        assert notifications.key_matches(b["Filter"]["Key"]["FilterRules"], longest)


def test_wildcards_overlap_their_family():
    assert notifications.events_overlap("s3:ObjectCreated:*", "s3:ObjectCreated:Put")
    assert notifications.events_overlap("s3:ObjectRemoved:Delete", "s3:ObjectRemoved:*")
    assert not notifications.events_overlap("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
    assert not notifications.events_overlap("s3:ObjectCreated:Put", "s3:ObjectCreated:Copy")
