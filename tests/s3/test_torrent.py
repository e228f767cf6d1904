"""
GetObjectTorrent through boto3 over a real socket: a BitTorrent metainfo
file whose pieces are the SHA-1s of the object's 256 KiB pieces; and
bencoding's properties.
"""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.s3.torrent import PIECE_LENGTH, TRACKER, BdecodeError, bdecode, bencode, piece_hashes


def _expected_pieces(body: bytes) -> bytes:
    return b"".join(hashlib.sha1(body[at : at + PIECE_LENGTH]).digest() for at in range(0, len(body), PIECE_LENGTH))


@pytest.mark.parametrize("size", [0, 5, PIECE_LENGTH, 3 * PIECE_LENGTH + 17])
def test_torrent_of_an_object(s3, bucket, size):
    body = bytes(i * 7 % 251 for i in range(size))
    s3.put_object(Bucket=bucket, Key="dir/file.bin", Body=body)
    answer = s3.get_object_torrent(Bucket=bucket, Key="dir/file.bin")
    assert answer["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-bittorrent"
    metainfo = bdecode(answer["Body"].read())
    assert isinstance(metainfo, dict)
    assert metainfo[b"announce"] == TRACKER.encode()
    assert metainfo[b"info"] == {
        b"length": size,
        b"name": b"dir/file.bin",
        b"piece length": PIECE_LENGTH,
        b"pieces": _expected_pieces(body),
        b"x-amz-bucket": bucket.encode(),
        b"x-amz-key": b"dir/file.bin",
    }


def test_torrent_of_a_missing_object(s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.get_object_torrent(Bucket=bucket, Key="missing")
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"


_values = st.recursive(
    st.integers() | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.binary(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(_values)
def test_bencode_round_trips(value):
    assert bdecode(bencode(value)) == value


@given(st.binary(max_size=40))
def test_bdecode_refuses_or_round_trips(data):
    # Anything bdecode accepts is the one canonical encoding of its value.
    try:
        value = bdecode(data)
    except BdecodeError:
        return
    assert bencode(value) == data


@given(st.binary(max_size=3000), st.lists(st.integers(min_value=1, max_value=700), max_size=10))
def test_piece_hashes_do_not_depend_on_chunking(data, cuts):
    chunks, at = [], 0
    for cut in cuts:
        chunks.append(data[at : at + cut])
        at += cut
    chunks.append(data[at:])
    assert piece_hashes(chunks, 256) == b"".join(
        hashlib.sha1(data[i : i + 256]).digest() for i in range(0, len(data), 256)
    )


def test_bencode_sorts_keys_as_bytes():
    assert bencode({"b": 1, "a": [b"x", "é"]}) == b"d1:al1:x2:\xc3\xa9e1:bi1ee"
