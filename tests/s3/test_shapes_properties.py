"""
Property tests of the parsers issue 13's shapes added or changed: RFC 2047
metadata values, the bucket owner condition, CompleteMultipartUpload's
document and object size, GetObjectAttributes' part headers, and
ListBuckets' paging query.
"""

from __future__ import annotations

import base64

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.aws.identity import Caller
from ruststack.s3 import buckets, multipart, objects, wire
from ruststack.s3.call import S3Context, check_expected_owner
from ruststack.s3.encodedwords import decode_header_value, encode_header_value
from ruststack.s3.records import Bucket
from ruststack.s3.store import Store

# RFC 2047 metadata values.

latin1_text = st.text(alphabet=st.characters(max_codepoint=255))


@given(st.text())
def test_any_stored_value_leaves_as_ascii_and_comes_back(value):
    sent = encode_header_value(value)
    assert sent.isascii()
    header = sent.encode("ascii").decode("latin-1")
    if "=?" not in value:
        assert decode_header_value(header) == value


@given(latin1_text)
def test_any_header_value_decodes_without_error(raw):
    assert isinstance(decode_header_value(raw), str)


@given(st.text(min_size=1), st.sampled_from(["UTF-8", "utf-8", "Utf-8"]))
def test_b_words_decode_to_their_text(value, charset):
    word = f"=?{charset}?B?" + base64.b64encode(value.encode("utf-8", "surrogatepass")).decode() + "?="
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are not text a header can carry
    assert decode_header_value(word) == value
    # Adjacent words join without the whitespace between them.
    assert decode_header_value(word + " \t" + word) == value + value


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
def test_printable_ascii_without_words_is_kept(value):
    if "=?" not in value:
        assert decode_header_value(value) == value
        assert encode_header_value(value) == value


# The bucket owner condition.


@given(st.text())
def test_expected_owner_is_twelve_digits_or_refused(value):
    valid = len(value) == 12 and all(c in "0123456789" for c in value)
    try:
        check_expected_owner(value, None)
    except AwsError as e:
        assert not valid
        assert (e.code, e.status) == ("InvalidBucketOwnerAWSAccountID", 400)
        assert e.message.endswith(f"[{value}]")
    else:
        assert valid
        with pytest.raises(AwsError) as excinfo:
            check_expected_owner(value, "999999999999" if value != "999999999999" else "111111111111")
        assert (excinfo.value.code, excinfo.value.status) == ("AccessDenied", 403)
        check_expected_owner(value, value)


# CompleteMultipartUpload's document and x-amz-mp-object-size.


@attrs.define
class _Call:
    """
    What the parsers read of an S3Call.
    """

    raw: bytes = b""
    headers: dict = attrs.field(factory=dict)
    query: dict = attrs.field(factory=dict)
    caller: Caller | None = None
    sink: None = None
    set: dict = attrs.field(factory=dict)

    def body(self) -> bytes:
        return self.raw

    def set_headers(self, headers: dict) -> None:
        self.set.update(headers)


def _complete_document(parts: list[tuple[str, str]]) -> bytes:
    return (
        b"<CompleteMultipartUpload>"
        + b"".join(
            b"<Part><PartNumber>%s</PartNumber><ETag>%s</ETag></Part>" % (n.encode(), e.encode()) for n, e in parts
        )
        + b"</CompleteMultipartUpload>"
    )


@given(st.binary(max_size=300))
def test_any_complete_body_parses_or_is_refused(raw):
    try:
        requested = multipart._requested_parts(_Call(raw))  # type: ignore[arg-type]
    except AwsError as e:
        assert e.code in ("MalformedXML", "InvalidRequest") and e.status == 400
    else:
        assert requested and all(number >= 0 for number, _, _ in requested)


@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(0, 20000).map(str), st.text(alphabet="0123456789 x-", max_size=6)),
            st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="<>&"), max_size=8),
        ),
        max_size=5,
    )
)
def test_complete_documents_give_their_parts(parts):
    try:
        requested = multipart._requested_parts(_Call(_complete_document(parts)))  # type: ignore[arg-type]
    except AwsError as e:
        if not parts:
            assert (e.code, e.message) == ("InvalidRequest", "You must specify at least one part")
        else:
            assert e.code == "MalformedXML"
            assert any(not n.strip().isdigit() for n, _ in parts)
    else:
        assert [(n, e) for n, e, _ in requested] == [(int(n), e.strip()) for n, e in parts]


@given(st.text(max_size=12))
def test_get_object_attributes_part_headers(text):
    call = _Call(headers={"x-amz-max-parts": text})
    try:
        value = objects._header_integer(call, "x-amz-max-parts", 1000)  # type: ignore[arg-type]
    except AwsError as e:
        assert (e.code, e.fields["ArgumentName"], e.fields["ArgumentValue"]) == (
            "InvalidArgument",
            "x-amz-max-parts",
            text,
        )
    else:
        assert value == int(text)


# ListBuckets' paging query.


@pytest.fixture(scope="module")
def listing_context():
    store = Store()
    names = sorted({f"b-{i:03d}" for i in range(23)} | {"other", "z-last"})
    for name in names:
        store.create_bucket(Bucket(name, "123456789012", "eu-west-1" if name == "other" else "us-east-1", 0.0))
    yield S3Context(store, None, "us-east-1"), names
    store.close()


def _names(document: bytes) -> tuple[list[str], str | None]:
    root = wire.parse(document)
    names = [node.findtext("Name") or "" for node in root.iter("Bucket")]
    return names, root.findtext("ContinuationToken")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 30), st.sampled_from(["", "b-", "b-01", "z", "nothing"]))
def test_list_buckets_pages_cover_every_bucket_once(listing_context, page_size, prefix):
    ctx, names = listing_context
    caller = Caller("123456789012", "us-east-1")
    seen: list[str] = []
    token = None
    for _ in range(len(names) + 2):
        query = {"max-buckets": str(page_size), "prefix": prefix}
        if token:
            query["continuation-token"] = token
        page, token = _names(buckets.list_buckets(ctx, _Call(query=query, caller=caller)))  # type: ignore[arg-type]
        assert len(page) <= page_size
        seen += page
        if token is None:
            break
    assert seen == [name for name in names if name.startswith(prefix)]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=12), st.text(max_size=40))
def test_list_buckets_query_values(listing_context, max_buckets, token):
    ctx, _ = listing_context
    caller = Caller("123456789012", "us-east-1")
    query = {"max-buckets": max_buckets, "continuation-token": token}
    try:
        buckets.list_buckets(ctx, _Call(query=query, caller=caller))  # type: ignore[arg-type]
    except AwsError as e:
        assert e.code == "InvalidArgument" and e.fields["ArgumentName"] in ("max-buckets", "continuation-token")
    else:
        assert max_buckets.isdigit() and 1 <= int(max_buckets) <= buckets.MAX_BUCKETS
