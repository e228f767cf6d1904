"""
Listing end to end: the design notes' 1,500-object pagination, prefixes and
delimiters, StartAfter, EncodingType=url, ListObjects v1 markers, byte order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def many(s3):
    name = "listing-1500"
    s3.create_bucket(Bucket=name)
    keys = [f"obj/{i:05d}" for i in range(1500)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=name, Key=key, Body=b"x"), keys))
    return name, keys


def test_1500_objects_paginated_each_seen_once(s3, many):
    # The design notes' reference test.
    name, keys = many
    first = s3.list_objects_v2(Bucket=name, MaxKeys=1000)
    assert first["IsTruncated"] is True
    assert first["KeyCount"] == 1000
    second = s3.list_objects_v2(Bucket=name, MaxKeys=1000, ContinuationToken=first["NextContinuationToken"])
    assert second["IsTruncated"] is False
    assert second["KeyCount"] == 500
    assert "NextContinuationToken" not in second
    seen = [o["Key"] for o in first["Contents"] + second["Contents"]]
    assert seen == keys
    assert len(set(seen)) == 1500


def test_paginator_and_max_keys_cap(s3, many):
    name, keys = many
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 333}))
    assert [o["Key"] for p in pages for o in p["Contents"]] == keys
    assert len(s3.list_objects_v2(Bucket=name, MaxKeys=5000)["Contents"]) == 1000
    assert len(s3.list_objects_v2(Bucket=name)["Contents"]) == 1000


def test_list_objects_v1_markers(s3, many):
    name, keys = many
    seen = [o["Key"] for p in s3.get_paginator("list_objects").paginate(Bucket=name) for o in p["Contents"]]
    assert seen == keys
    page = s3.list_objects(Bucket=name, Marker="obj/01000", MaxKeys=10)
    assert [o["Key"] for o in page["Contents"]] == keys[1001:1011]
    assert page["IsTruncated"] is True


@pytest.fixture
def tree(s3, bucket):
    keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d/", "d/x", "e%f", "é"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    return bucket


def test_delimiter_and_prefix(s3, tree):
    top = s3.list_objects_v2(Bucket=tree, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["c", "e%f", "é"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert top["KeyCount"] == 6
    inner = s3.list_objects_v2(Bucket=tree, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in inner["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["a/b/"]
    paged = list(
        s3.get_paginator("list_objects_v2").paginate(Bucket=tree, Delimiter="/", PaginationConfig={"PageSize": 2})
    )
    entries = [o["Key"] for p in paged for o in p.get("Contents", [])] + [
        c["Prefix"] for p in paged for c in p.get("CommonPrefixes", [])
    ]
    assert sorted(entries) == sorted(["c", "e%f", "é", "a/", "b/", "d/"])


def test_start_after_and_fetch_owner(s3, tree):
    listed = s3.list_objects_v2(Bucket=tree, StartAfter="b/1", FetchOwner=True)
    assert [o["Key"] for o in listed["Contents"]] == ["c", "d/", "d/x", "e%f", "é"]
    assert listed["StartAfter"] == "b/1"
    assert listed["Contents"][0]["Owner"]["ID"]
    assert "Owner" not in s3.list_objects_v2(Bucket=tree)["Contents"][0]


def test_encoding_type_url(stack, tree):
    import urllib.request

    with urllib.request.urlopen(f"{stack.endpoint_url}/{tree}?list-type=2&encoding-type=url", timeout=10) as response:
        body = response.read().decode()
    assert "<Key>e%25f</Key>" in body
    assert "<Key>%C3%A9</Key>" in body
    assert "<EncodingType>url</EncodingType>" in body


def test_utf8_byte_order(s3, bucket):
    keys = ["z", "\u00e9", "\U0001f600", "\uffff", "A", "~"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))


def test_bad_arguments(s3, bucket):
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="not-a-token")
    assert excinfo.value.response["Error"]["Code"] == "InvalidArgument"


def test_max_keys_zero(s3, tree):
    listed = s3.list_objects_v2(Bucket=tree, MaxKeys=0)
    assert listed["KeyCount"] == 0
    assert "Contents" not in listed


def test_v1_and_versions_paginate_with_delimiter(s3, tree):
    v1 = list(s3.get_paginator("list_objects").paginate(Bucket=tree, Delimiter="/", PaginationConfig={"PageSize": 2}))
    entries = [o["Key"] for p in v1 for o in p.get("Contents", [])] + [
        c["Prefix"] for p in v1 for c in p.get("CommonPrefixes", [])
    ]
    assert sorted(entries) == sorted(["c", "e%f", "é", "a/", "b/", "d/"])
    assert all("NextMarker" in p for p in v1 if p["IsTruncated"])
    versions = list(s3.get_paginator("list_object_versions").paginate(Bucket=tree, PaginationConfig={"PageSize": 3}))
    keys = [v["Key"] for p in versions for v in p.get("Versions", [])]
    assert keys == ["a/1", "a/2", "a/b/3", "b/1", "c", "d/", "d/x", "e%f", "é"]
    assert len(versions) == 3
