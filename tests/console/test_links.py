"""
Properties of what the console builds from user data: URLs whose path and
query decode back to the segments and values they were made of (whatever
characters a bucket, key or table holds), links in rendered pages that a
browser follows to the same key, and DynamoDB keys carried in links.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twisted.web.template import flattenString

from ruststack.console import pages
from ruststack.console.sections import dynamodb, s3
from tests.console.pages import read

# Text as S3 keys and DynamoDB strings hold it: any Unicode but surrogates.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
segment = text.filter(bool)


def flattened(tag) -> str:
    result: list[bytes] = []
    flattenString(None, tag).addCallback(lambda flat: result.append(flat))
    return result[0].decode("utf-8")


@given(st.lists(segment, max_size=4), st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), text, max_size=4))
def test_a_url_decodes_to_what_it_was_made_of(segments, query):
    built = pages.url(*segments, **query)
    assert built.isascii() and " " not in built
    parts = urlsplit(built)
    assert pages.split_path(parts.path.encode("ascii")) == segments
    assert {name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()} == query


@given(segment, segment)
def test_a_rendered_key_link_leads_to_the_key(bucket, key):
    link = pages.link(key, s3.object_url(bucket, key))
    html = read(flattened(pages.table(["Name"], [(link,)])))
    (found,) = [each for each in html.links]
    assert found.text == key
    assert found.query("key") == key
    assert pages.split_path(urlsplit(found.href).path.encode("ascii")) == ["s3", "buckets", bucket, "object"]


@given(text)
def test_breadcrumbs_lead_to_each_folder(prefix):
    crumbs = s3.bucket_crumbs("b", prefix)
    folders = prefix.split("/")[:-1]
    assert len(crumbs) == 2 + len(folders)
    for depth, (label, href) in enumerate(crumbs[2:]):
        assert label == folders[depth] + "/"
        assert parse_qs(urlsplit(href).query)["prefix"] == ["/".join(folders[: depth + 1]) + "/"]


def attribute_values(depth: int = 2):
    scalar = st.one_of(
        st.builds(lambda s: {"S": s}, text),
        st.builds(lambda n: {"N": str(n)}, st.integers() | st.decimals(allow_nan=False, allow_infinity=False)),
        st.builds(lambda b: {"B": b}, st.binary(max_size=20)),
        st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.just({"NULL": True}),
        st.builds(lambda s: {"SS": sorted(s)}, st.sets(text, min_size=1, max_size=3)),
        st.builds(lambda s: {"BS": sorted(s)}, st.sets(st.binary(max_size=8), min_size=1, max_size=3)),
    )
    if depth == 0:
        return scalar
    inner = attribute_values(depth - 1)
    return st.one_of(
        scalar,
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
        st.builds(lambda items: {"M": items}, st.dictionaries(text, inner, max_size=3)),
    )


@given(st.dictionaries(text, attribute_values(), max_size=4))
def test_a_key_in_a_link_comes_back_as_it_was(key):
    token = dynamodb.key_token(key)
    assert dynamodb.parse_key_token(token) == key
    built = pages.url("dynamodb", "tables", "t", "item", key=token)
    assert parse_qs(urlsplit(built).query)["key"] == [token]


@given(text)
def test_any_text_as_a_key_is_a_key_or_bad_input(token):
    try:
        key = dynamodb.parse_key_token(token)
    except dynamodb.BadInput:
        return
    assert isinstance(key, dict)


@given(st.dictionaries(text, attribute_values(), max_size=4))
def test_plain_json_is_json(item):
    json.dumps(dynamodb.plain_item(item))


@pytest.mark.parametrize(
    ("number", "plain"),
    [
        ("12", 12),
        ("12.50", 12.5),
        ("-0.001", -0.001),
        ("1E+3", 1000),
        ("0.1000000000000000000001", "0.1000000000000000000001"),
    ],
)
def test_numbers_are_numbers_unless_a_float_would_change_them(number, plain):
    assert dynamodb.plain({"N": number}) == plain


@given(segment, segment, segment)
def test_a_query_forms_values_are_expression_values_never_expression_text(partition, sort, value):
    schema = [{"AttributeName": partition, "KeyType": "HASH"}, {"AttributeName": sort, "KeyType": "RANGE"}]
    params = dynamodb.query_params(
        "t", schema, {partition: "S", sort: "S"}, "", {"pk": value, "sk_op": "begins_with", "sk": value}
    )
    assert params["KeyConditionExpression"] == "#pk = :pk AND begins_with(#sk, :sk)"
    assert params["ExpressionAttributeNames"] == {"#pk": partition, "#sk": sort}
    assert params["ExpressionAttributeValues"] == {":pk": {"S": value}, ":sk": {"S": value}}


def test_an_unknown_sort_condition_is_bad_input():
    schema = [{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "s", "KeyType": "RANGE"}]
    with pytest.raises(dynamodb.BadInput):
        dynamodb.query_params("t", schema, {}, "", {"pk": "a", "sk_op": "; DROP", "sk": "b"})


@given(text)
def test_a_form_sends_back_only_to_a_console_page(location):
    from ruststack.console.resource import _safe_next

    back = _safe_next(location)
    assert back == location or back == "/_ruststack/"
    assert back.startswith("/_ruststack/") and back.isascii() and back.isprintable() and " " not in back
    assert urlsplit(back).netloc == ""


@pytest.mark.parametrize(
    ("headers", "same"),
    [
        ({}, True),
        ({b"origin": b"http://127.0.0.1:4566"}, True),
        ({b"origin": b"http://evil.example"}, False),
        ({b"origin": b"null"}, False),
        ({b"sec-fetch-site": b"same-origin", b"origin": b"http://127.0.0.1:4566"}, True),
        ({b"sec-fetch-site": b"cross-site"}, False),
        ({b"sec-fetch-site": b"same-site", b"origin": b"http://127.0.0.1:4566"}, False),
    ],
)
def test_only_same_origin_forms_are_taken(headers, same):
    from twisted.web.test.requesthelper import DummyRequest

    from ruststack.console.resource import _same_origin

    request = DummyRequest([b""])
    request.requestHeaders.setRawHeaders(b"host", [b"127.0.0.1:4566"])
    for name, value in headers.items():
        request.requestHeaders.setRawHeaders(name, [value])
    assert _same_origin(request) is same  # type: ignore[arg-type]  # a DummyRequest is enough
