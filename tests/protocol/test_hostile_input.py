"""
The parsers against what a hostile client can send: any bytes are read or
refused with the protocol's error, never another exception, and nothing a
client sends makes the layer expand entities, recurse without bound or
build a list as long as a number it names.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from botocore.utils import percent_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.protocol import Protocol, ProtocolRequest, patterns, timestamps
from ruststack.protocol.parse import split_header_list
from ruststack.protocol.request import decode_label

hostile = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(service: str, request: ProtocolRequest) -> dict | AwsError:
    protocol = Protocol.for_service(service)
    try:
        match = protocol.match(request)
        params = protocol.parse(match, request)
        protocol.validate(match.operation, params)
        return params
    except AwsError as error:
        return error


@hostile
@given(body=st.binary(max_size=200) | st.text(max_size=80).map(str.encode))
def test_any_json_body(body):
    request = ProtocolRequest("POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.Query"}, body)
    assert isinstance(read("dynamodb", request), dict | AwsError)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["TableName", "Limit", "Item", "KeyConditions", "N", "S", "B", "M", "L"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@hostile
@given(
    document=st.dictionaries(
        st.sampled_from(["TableName", "Item", "Expected", "ReturnValues", "ConditionalOperator"]), _JSON, max_size=5
    )
)
def test_any_json_document_of_wrong_types(document):
    import json

    request = ProtocolRequest(
        "POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.PutItem"}, json.dumps(document).encode()
    )
    assert isinstance(read("dynamodb", request), dict | AwsError)


@hostile
@given(body=st.binary(max_size=200))
def test_any_rest_json_body(body):
    request = ProtocolRequest("POST", "/2015-03-31/functions", "", {}, body)
    assert isinstance(read("lambda", request), dict | AwsError)


_XML_PIECES = st.sampled_from(
    [
        "<Tagging>",
        "</Tagging>",
        "<TagSet>",
        "</TagSet>",
        "<Tag>",
        "</Tag>",
        "<Key>",
        "</Key>",
        "<Value>",
        "</Value>",
        "k",
        "&amp;",
        "&#0;",
        "<",
        "]]>",
        "<?xml version='1.0'?>",
    ]
)


@hostile
@given(body=st.lists(_XML_PIECES, max_size=20).map("".join).map(str.encode) | st.binary(max_size=100))
def test_any_xml_body(body):
    request = ProtocolRequest("PUT", "/bucket", "tagging", {}, body)
    assert isinstance(read("s3", request), dict | AwsError)


_FORM_KEYS = st.sampled_from(
    [
        "Tags",
        "Tags.member",
        "Tags.member.1",
        "Tags.member.1.Key",
        "Tags.member.x.Value",
        "Tags.member.01.Value",
        "Tags.member.999999999.Key",
        "UserName",
        "Path",
        "PermissionsBoundary",
        "",
        ".",
        "...",
    ]
)


@hostile
@given(pairs=st.lists(st.tuples(_FORM_KEYS, st.text(max_size=5)), max_size=8))
def test_any_query_form(pairs):
    body = "&".join(
        f"{percent_encode(key)}={percent_encode(value)}"
        for key, value in [("Action", "CreateUser"), ("Version", "2010-05-08"), *pairs]
    )
    request = ProtocolRequest("POST", "/", "", {}, body.encode())
    assert isinstance(read("iam", request), dict | AwsError)


@hostile
@given(
    path=st.text(max_size=30),
    query=st.text(max_size=30),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"]),
)
def test_any_rest_target(path, query, method):
    request = ProtocolRequest(method, "/" + path, query, {}, b"")
    assert isinstance(read("s3", request), dict | AwsError)
    assert isinstance(read("apigateway", request), dict | AwsError)


@hostile
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "x-amz-acl",
                "content-length",
                "if-modified-since",
                "x-amz-object-lock-retain-until-date",
                "x-amz-meta-a",
                "x-amz-tagging",
                "x-amz-bypass-governance-retention",
                "x-amz-mp-parts-count",
            ]
        ),
        st.text(max_size=12),
        max_size=5,
    )
)
def test_any_s3_headers(headers):
    request = ProtocolRequest("PUT", "/bucket/key", "", headers, b"")
    assert isinstance(read("s3", request), dict | AwsError)


# -- attacks with names

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10)
    )
    + b"]><Tagging><TagSet><Tag><Key>&lol9;</Key><Value>v</Value></Tag></TagSet></Tagging>"
)


def test_entity_expansion_is_refused_at_once():
    started = time.perf_counter()
    error = read("s3", ProtocolRequest("PUT", "/bucket", "tagging", {}, BILLION_LAUGHS))
    assert isinstance(error, AwsError) and error.code == "MalformedXML"
    assert time.perf_counter() - started < 0.5


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("do-not-read")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<Tagging><TagSet><Tag><Key>&x;</Key><Value>v</Value></Tag></TagSet></Tagging>"
    ).encode()
    error = read("s3", ProtocolRequest("PUT", "/bucket", "tagging", {}, body))
    assert isinstance(error, AwsError) and error.code == "MalformedXML"


@pytest.mark.parametrize("depth", [100_000])
def test_deep_json_nesting_is_a_serialization_error(depth):
    body = b'{"TableName":"t","Item":' + b"[" * depth + b"]" * depth + b"}"
    error = read("dynamodb", ProtocolRequest("POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.PutItem"}, body))
    assert isinstance(error, AwsError) and error.code == "SerializationException"


def test_a_deep_recursive_shape_is_refused_not_a_crash():
    depth = 2000
    body = b'{"TableName":"t","Item":{"k":' + b'{"L":[' * depth + b'{"S":"x"}' + b"]}" * depth + b"}}"
    error = read("dynamodb", ProtocolRequest("POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.PutItem"}, body))
    assert isinstance(error, AwsError) and error.code == "SerializationException"


def test_deep_xml_nesting_is_refused_or_read_without_recursion_error():
    body = b"<Tagging>" + b"<TagSet>" * 50_000 + b"</TagSet>" * 50_000 + b"</Tagging>"
    assert isinstance(read("s3", ProtocolRequest("PUT", "/bucket", "tagging", {}, body)), dict | AwsError)


def test_a_huge_list_index_is_a_position_not_a_length():
    tracemalloc.start()
    try:
        body = (
            b"Action=CreateUser&Version=2010-05-08&UserName=bob"
            b"&Tags.member.999999999.Key=k&Tags.member.999999999.Value=v"
        )
        params = read("iam", ProtocolRequest("POST", "/", "", {}, body))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert params == {"UserName": "bob", "Tags": [{"Key": "k", "Value": "v"}]}
    assert peak < 1_000_000


def test_an_index_of_thousands_of_digits_is_ignored():
    body = b"Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member." + b"9" * 5000 + b".Key=k"
    assert read("iam", ProtocolRequest("POST", "/", "", {}, body)) == {"UserName": "bob", "Tags": []}


def test_a_number_of_thousands_of_digits_is_refused():
    body = b'{"TableName":"t","Limit":' + b"9" * 5000 + b"}"
    error = read("dynamodb", ProtocolRequest("POST", "/", "", {"X-Amz-Target": "DynamoDB_20120810.Scan"}, body))
    assert isinstance(error, AwsError) and error.code == "SerializationException"
    header = read("s3", ProtocolRequest("GET", "/bucket", "list-type=2&max-keys=" + "9" * 5000, {}, b""))
    assert isinstance(header, AwsError) and header.code == "InvalidArgument"


def test_a_streaming_body_is_never_read():
    class Unreadable:
        def read(self, *args):
            raise AssertionError("the layer read a streaming body")

    body = Unreadable()
    params = read("s3", ProtocolRequest("PUT", "/bucket/key", "", {"Content-Length": "5"}, body))  # type: ignore[arg-type]  # a file that refuses to be read
    assert isinstance(params, dict) and params["Body"] is body


# -- the pieces, as properties


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(
        # botocore escapes quotes, not backslashes: a backslash cannot travel.
        st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="\\"), min_size=1, max_size=8
        ).filter(lambda s: s == s.strip()),
        min_size=1,
        max_size=5,
    )
)
def test_header_lists_split_as_botocore_joins_them(items):
    from botocore.serialize import RestJSONSerializer

    joined = ",".join(RestJSONSerializer()._escape_header_list_string(item) for item in items)
    assert split_header_list(joined) == items


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(exclude_categories=["Cs"])))
def test_labels_decode_what_botocore_encodes(text):
    assert decode_label(percent_encode(text, safe="/~")) == text
    assert decode_label(percent_encode(text)) == text


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=__import__("datetime").datetime(1, 1, 1), timezones=st.just(__import__("datetime").UTC)
    ),
    form=st.sampled_from([timestamps.ISO8601, timestamps.RFC822, timestamps.EPOCH]),
)
def test_timestamps_read_back_as_written(moment, form):
    expected = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if form == timestamps.RFC822:
        expected = expected.replace(microsecond=0)
    if form == timestamps.EPOCH and moment.year < 1970:
        return
    if form == timestamps.RFC822 and moment.year < 1900:
        # An RFC 822 parser reads a year below 100 as 19xx; HTTP dates are later.
        return
    assert timestamps.parse(timestamps.format(moment, form), form) == expected


@settings(max_examples=300, deadline=None)
@given(char=st.characters())
def test_unicode_categories_as_java_reads_them(char):
    import unicodedata

    category = unicodedata.category(char)
    for name in ("L", "N", "Z", "P", "M"):
        assert patterns.matches(rf"\p{{{name}}}", char) == category.startswith(name)
    assert patterns.matches(r"\p{Print}", char) == (" " <= char <= "~")
