"""
Unit tests of the pure pieces: aws-chunked decoding, ranges, conditionals,
listing, addressing.
"""

from __future__ import annotations

import pytest

from ruststack.s3 import addressing, conditions, listing, ranges
from ruststack.s3.chunked import AwsChunkedDecoder, ChunkedEncodingError

# aws-chunked


def decode(raw: bytes, piece: int) -> tuple[bytes, AwsChunkedDecoder]:
    out: list[bytes] = []
    decoder = AwsChunkedDecoder(out.append)
    for i in range(0, len(raw), piece):
        decoder.feed(raw[i : i + piece])
    decoder.finish()
    return b"".join(out), decoder


SIGNED = (
    b"5;chunk-signature=" + b"a" * 64 + b"\r\nhello\r\n"
    b"6;chunk-signature=" + b"b" * 64 + b"\r\n world\r\n"
    b"0;chunk-signature=" + b"c" * 64 + b"\r\n\r\n"
)
TRAILER = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:" + b"d" * 64 + b"\r\n\r\n"


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64, 10_000])
def test_signed_chunks_in_any_pieces(piece):
    data, decoder = decode(SIGNED, piece)
    assert data == b"hello world"
    assert decoder.signatures == ["a" * 64, "b" * 64, "c" * 64]
    assert decoder.trailers == {}


@pytest.mark.parametrize("piece", [1, 5, 1000])
def test_unsigned_with_trailers(piece):
    data, decoder = decode(TRAILER, piece)
    assert data == b"hello"
    assert decoder.trailers == {"x-amz-checksum-crc32": "NhCmhg==", "x-amz-trailer-signature": "d" * 64}


def test_trailer_without_final_empty_line():
    data, decoder = decode(b"3\r\nabc\r\n0\r\nx-amz-checksum-sha256:abc=\r\n", 4)
    assert data == b"abc"
    assert decoder.trailers["x-amz-checksum-sha256"] == "abc="


@pytest.mark.parametrize(
    "raw",
    [b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n", b"5\r\nhel", b"0\r\nbad trailer\r\n\r\n", b"9" * 5000],
)
def test_malformed_chunks(raw):
    decoder = AwsChunkedDecoder(lambda data: None)
    with pytest.raises(ChunkedEncodingError):
        decoder.feed(raw)
        decoder.finish()


# Ranges


@pytest.mark.parametrize(
    "header, expected",
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=-100", (900, 999)),
        ("bytes=100-", (100, 999)),
        ("bytes=990-2000", (990, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes = 5 - 6", (5, 6)),
    ],
)
def test_satisfiable_ranges(header, expected):
    selected = ranges.parse_range(header, 1000)
    assert selected is not None
    assert (selected.first, selected.last) == expected
    assert selected.content_range() == f"bytes {expected[0]}-{expected[1]}/1000"
    assert selected.length == expected[1] - expected[0] + 1


@pytest.mark.parametrize("header", [None, "", "bytes=abc", "items=0-1", "bytes=5-1", "bytes=0-1,3-4", "bytes=-"])
def test_ignored_ranges_mean_whole_object(header):
    assert ranges.parse_range(header, 1000) is None


@pytest.mark.parametrize("header, size", [("bytes=1000-", 1000), ("bytes=-0", 1000), ("bytes=0-", 0), ("bytes=-1", 0)])
def test_unsatisfiable_ranges(header, size):
    with pytest.raises(ranges.Unsatisfiable):
        ranges.parse_range(header, size)


def test_copy_source_range():
    assert ranges.parse_copy_range("bytes=0-9", 10).length == 10
    for bad in ("bytes=0-10", "bytes=-5", "bytes=5-", "bytes=6-5"):
        with pytest.raises(ValueError):
            ranges.parse_copy_range(bad, 10)


# Conditionals

ETAG = '"abc"'
MODIFIED = 1_700_000_000.0
BEFORE = "Tue, 14 Nov 2023 00:00:00 GMT"  # earlier than MODIFIED (2023-11-14T22:13:20Z)
AFTER = "Wed, 15 Nov 2023 00:00:00 GMT"


@pytest.mark.parametrize(
    "headers, outcome",
    [
        ({}, conditions.Outcome.PROCEED),
        ({"if-match": '"abc"'}, conditions.Outcome.PROCEED),
        ({"if-match": "abc"}, conditions.Outcome.PROCEED),
        ({"if-match": '"x", "abc"'}, conditions.Outcome.PROCEED),
        ({"if-match": "*"}, conditions.Outcome.PROCEED),
        ({"if-match": '"x"'}, conditions.Outcome.PRECONDITION_FAILED),
        ({"if-unmodified-since": BEFORE}, conditions.Outcome.PRECONDITION_FAILED),
        ({"if-unmodified-since": AFTER}, conditions.Outcome.PROCEED),
        ({"if-match": '"abc"', "if-unmodified-since": BEFORE}, conditions.Outcome.PROCEED),
        ({"if-none-match": '"abc"'}, conditions.Outcome.NOT_MODIFIED),
        ({"if-none-match": '"x"'}, conditions.Outcome.PROCEED),
        ({"if-modified-since": AFTER}, conditions.Outcome.NOT_MODIFIED),
        ({"if-modified-since": BEFORE}, conditions.Outcome.PROCEED),
        ({"if-none-match": '"abc"', "if-modified-since": BEFORE}, conditions.Outcome.NOT_MODIFIED),
        ({"if-none-match": '"x"', "if-modified-since": AFTER}, conditions.Outcome.PROCEED),
        ({"if-match": '"x"', "if-none-match": '"abc"'}, conditions.Outcome.PRECONDITION_FAILED),
        ({"if-modified-since": "garbage"}, conditions.Outcome.PROCEED),
    ],
)
def test_read_conditions(headers, outcome):
    assert conditions.evaluate_read(headers, ETAG, MODIFIED) is outcome


def test_copy_source_conditions():
    assert conditions.evaluate_copy_source({"x-amz-copy-source-if-match": ETAG}, ETAG, MODIFIED)
    assert not conditions.evaluate_copy_source({"x-amz-copy-source-if-none-match": ETAG}, ETAG, MODIFIED)
    assert not conditions.evaluate_copy_source({"x-amz-copy-source-if-modified-since": AFTER}, ETAG, MODIFIED)


def test_write_conditions():
    assert conditions.evaluate_write({"if-none-match": "*"}, None) is conditions.Outcome.PROCEED
    assert conditions.evaluate_write({"if-none-match": "*"}, ETAG) is conditions.Outcome.PRECONDITION_FAILED
    assert conditions.evaluate_write({"if-match": ETAG}, ETAG) is conditions.Outcome.PROCEED
    assert conditions.evaluate_write({"if-match": '"x"'}, ETAG) is conditions.Outcome.PRECONDITION_FAILED
    assert conditions.evaluate_write({"if-match": ETAG}, None) is None


# Listing over an ordered list


def seek_over(keys: list[bytes]):
    ordered = sorted(keys)
    calls = []

    def seek(lower, inclusive, upper, limit):
        calls.append(lower)
        found = [(k,) for k in ordered if (k >= lower if inclusive else k > lower) and (upper is None or k < upper)]
        return iter(found[:limit])

    return seek, calls


KEYS = [b"a/1", b"a/2", b"a/b/3", b"b/1", b"c", b"d/", b"d/x", b"e"]


def walk(keys, prefix=b"", delimiter=b"", page_size=2):
    seek, _ = seek_over(keys)
    after, entries = b"", []
    while True:
        page = listing.list_page(seek, prefix, delimiter, after, page_size)
        entries += [row[0] for row in page.rows] + [b"P:" + p for p in page.common_prefixes]
        if not page.truncated:
            return entries
        assert page.next_after is not None  # a truncated page says where it ended
        after = page.next_after


def test_listing_without_delimiter():
    assert walk(KEYS) == KEYS
    assert walk(KEYS, prefix=b"a/") == [b"a/1", b"a/2", b"a/b/3"]


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_listing_with_delimiter(page_size):
    entries = walk(KEYS, delimiter=b"/", page_size=page_size)
    assert sorted(entries) == sorted([b"P:a/", b"P:b/", b"c", b"P:d/", b"e"])
    assert len(entries) == len(set(entries))
    assert sorted(walk(KEYS, prefix=b"a/", delimiter=b"/", page_size=page_size)) == [b"P:a/b/", b"a/1", b"a/2"]


def test_common_prefix_costs_one_seek():
    keys = [b"dir/%05d" % i for i in range(5000)] + [b"z"]
    seek, calls = seek_over(keys)
    page = listing.list_page(seek, b"", b"/", b"", 1000)
    assert page.common_prefixes == [b"dir/"]
    assert [row[0] for row in page.rows] == [b"z"]
    assert len(calls) == 2


def test_marker_that_is_a_common_prefix_resumes_past_it():
    seek, _ = seek_over(KEYS)
    page = listing.list_page(seek, b"", b"/", b"a/", 10)
    assert page.common_prefixes == [b"b/", b"d/"]


def test_successor():
    assert listing.successor(b"a/") == b"a0"
    assert listing.successor(b"a\xff") == b"b"
    assert listing.successor(b"\xff\xff") is None


def test_tokens_round_trip():
    assert listing.decode_token(listing.encode_token("ü/k".encode())) == "ü/k".encode()
    with pytest.raises(ValueError):
        listing.decode_token("garbage!")


# Addressing


@pytest.mark.parametrize(
    "host, path, bucket, key",
    [
        ("127.0.0.1:4566", b"/", None, None),
        ("127.0.0.1:4566", b"/bkt", "bkt", None),
        ("127.0.0.1:4566", b"/bkt/", "bkt", None),
        ("127.0.0.1:4566", b"/bkt/a/b%20c", "bkt", "a/b c"),
        ("127.0.0.1:4566", b"/bkt//lead", "bkt", "/lead"),
        ("bkt.s3.amazonaws.com", b"/k", "bkt", "k"),
        ("my.dotted.bkt.s3.us-east-1.amazonaws.com", b"/k", "my.dotted.bkt", "k"),
        ("bkt.s3.localhost.localstack.cloud:4566", b"/", "bkt", None),
        ("bkt.localhost:4566", b"/%C3%BC", "bkt", "ü"),
        ("localhost:4566", b"/bkt/k", "bkt", "k"),
        ("s3.amazonaws.com", b"/bkt/k", "bkt", "k"),
    ],
)
def test_addressing(host, path, bucket, key):
    target = addressing.address(host, path, b"")
    assert (target.bucket, target.key) == (bucket, key)


def test_query():
    target = addressing.address("h", b"/b/k", b"uploadId=x&partNumber=2")
    assert target.query == {"uploadId": "x", "partNumber": "2"}
    assert addressing.address("h", b"/b", b"list-type=2&prefix=a%2Fb+c").query["prefix"] == "a/b c"
    assert addressing.address("h", b"/b", b"delete").query == {"delete": ""}


# Chunk signatures: the example of
# https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html


def test_chunk_signatures_of_the_aws_example():
    import hashlib

    from ruststack.aws import sigv4
    from ruststack.s3.chunksig import ChunkSignatures

    seed = sigv4.Signature(
        scope=sigv4.CredentialScope("AKIAIOSFODNN7EXAMPLE", "20130524", "us-east-1", "s3"),
        signed_headers=(),
        signature="4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        amz_date="20130524T000000Z",
    )
    chunks = [
        (b"a" * 65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
        (b"a" * 1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
        (b"", "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
    ]
    good = ChunkSignatures("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", seed)
    for data, signature in chunks:
        good.chunk(signature, hashlib.sha256(data).digest())
    assert good.valid
    tampered = ChunkSignatures("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", seed)
    tampered.chunk(chunks[0][1], hashlib.sha256(b"b" + chunks[0][0][1:]).digest())
    assert not tampered.valid


def test_decoder_reports_each_chunk():
    import hashlib

    seen = []
    decoder = AwsChunkedDecoder(lambda data: None, lambda signature, digest: seen.append((signature, digest)))
    for i in range(0, len(SIGNED), 3):
        decoder.feed(SIGNED[i : i + 3])
    decoder.finish()
    assert seen == [
        ("a" * 64, hashlib.sha256(b"hello").digest()),
        ("b" * 64, hashlib.sha256(b" world").digest()),
        ("c" * 64, hashlib.sha256(b"").digest()),
    ]
