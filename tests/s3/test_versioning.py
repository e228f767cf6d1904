"""
S3 versioning through boto3 over real sockets: the bucket's status,
version ids on every write, delete markers, reads, deletes and copies by
version, ListObjectVersions (and the AWS CLI's list-object-versions), the
null version of a suspended bucket, multipart uploads, DeleteObjects and
object tagging by version.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.cli import needs_cli, run_aws
from tests.s3.conftest import send_raw

VERSION_ID = re.compile(r"^[A-Za-z0-9._-]{32}$")


def error_of(excinfo) -> dict:
    return excinfo.value.response["Error"]


def headers_of(excinfo) -> dict:
    return excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]


@pytest.fixture
def versioned(s3, bucket) -> str:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def history(s3, bucket, **kwargs) -> list[tuple[str, str, bool, bool]]:
    """
    (key, version id, is latest, is a delete marker) in the listing's order.
    """
    listed = s3.list_object_versions(Bucket=bucket, **kwargs)
    # boto3 splits the two kinds; S3 orders them together by key, newest first.
    entries = [(v["Key"], v["VersionId"], v["IsLatest"], False, v["LastModified"]) for v in listed.get("Versions", [])]
    entries += [
        (m["Key"], m["VersionId"], m["IsLatest"], True, m["LastModified"]) for m in listed.get("DeleteMarkers", [])
    ]
    return [entry[:4] for entry in entries]


# The bucket's status


def test_status_round_trip(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    assert "MFADelete" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Disabled"})
    answer = s3.get_bucket_versioning(Bucket=bucket)
    assert (answer["Status"], answer["MFADelete"]) == ("Enabled", "Disabled")


def test_mfa_delete_refused(s3, bucket):
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    assert (error_of(excinfo)["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidRequest",
        400,
    )
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


def test_bad_configuration_is_malformed(stack, bucket):
    body = b"<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>"
    response, answer = send_raw(stack, "PUT", f"/{bucket}?versioning", body)
    assert response.status == 400
    assert b"<Code>MalformedXML</Code>" in answer


def test_no_such_bucket(s3):
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_versioning(Bucket="no-such-bucket-v", VersioningConfiguration={"Status": "Enabled"})
    assert error_of(excinfo)["Code"] == "NoSuchBucket"


# Writes and reads


def test_every_write_makes_a_version(s3, versioned):
    first = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=versioned, Key="k", Body=b"two")["VersionId"]
    assert VERSION_ID.match(first) and VERSION_ID.match(second) and first != second
    got = s3.get_object(Bucket=versioned, Key="k")
    assert (got["Body"].read(), got["VersionId"]) == (b"two", second)
    old = s3.get_object(Bucket=versioned, Key="k", VersionId=first)
    assert (old["Body"].read(), old["VersionId"]) == (b"one", first)
    assert s3.head_object(Bucket=versioned, Key="k", VersionId=first)["ContentLength"] == 3
    assert s3.head_object(Bucket=versioned, Key="k")["VersionId"] == second
    # The current listing shows one object.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=versioned)["Contents"]] == ["k"]
    assert history(s3, versioned) == [("k", second, True, False), ("k", first, False, False)]


def test_large_old_versions_stay_readable(s3, versioned):
    large = bytes(range(256)) * 8192  # 2 MiB: a file, not inline
    first = s3.put_object(Bucket=versioned, Key="big", Body=large)["VersionId"]
    s3.put_object(Bucket=versioned, Key="big", Body=b"small")
    assert s3.get_object(Bucket=versioned, Key="big", VersionId=first)["Body"].read() == large
    ranged = s3.get_object(Bucket=versioned, Key="big", VersionId=first, Range="bytes=10-19")
    assert ranged["Body"].read() == large[10:20]


def test_unversioned_bucket_has_no_version_header(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert "VersionId" not in put
    assert "VersionId" not in s3.get_object(Bucket=bucket, Key="k")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["VersionId"] == "null"


def test_version_ids_are_checked(s3, versioned):
    s3.put_object(Bucket=versioned, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=versioned, Key="k", VersionId="not-a-version")
    assert error_of(excinfo) | {} == {
        "Code": "InvalidArgument",
        "Message": "Invalid version id specified",
        "ArgumentName": "versionId",
        "ArgumentValue": "not-a-version",
    }
    missing = "A" * 32
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=versioned, Key="k", VersionId=missing)
    assert error_of(excinfo)["Code"] == "NoSuchVersion"
    assert error_of(excinfo)["VersionId"] == missing
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_more_overwrites_than_wait_at_once_keep_their_order(s3, versioned):
    """
    Far more overwrites than the 64 versions RustStack lets wait before
    moving them into the history, on two keys in turn, with listings and
    reads between: every version is listed once, newest first, and reads
    back its own body.
    """
    made: dict[str, list[str]] = {"a": [], "b": []}
    for i in range(160):
        key = "ab"[i % 2]
        made[key].append(s3.put_object(Bucket=versioned, Key=key, Body=b"%d" % i)["VersionId"])
        if i in (9, 100):
            assert [v[1] for v in history(s3, versioned, Prefix="a")] == made["a"][::-1]
    listed = history(s3, versioned)
    assert [(v[0], v[1]) for v in listed] == [(key, version) for key in "ab" for version in made[key][::-1]]
    assert [v[2] for v in listed] == [True] + [False] * 79 + [True] + [False] * 79
    for index in (0, 31, 32, 33, 79):
        body = s3.get_object(Bucket=versioned, Key="b", VersionId=made["b"][index])["Body"].read()
        assert body == b"%d" % (2 * index + 1)


# Delete markers


def test_delete_adds_a_marker(s3, versioned):
    kept = s3.put_object(Bucket=versioned, Key="k", Body=b"kept")["VersionId"]
    deleted = s3.delete_object(Bucket=versioned, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert VERSION_ID.match(marker)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=versioned, Key="k")
    assert error_of(excinfo)["Code"] == "NoSuchKey"
    headers = headers_of(excinfo)
    assert (headers["x-amz-delete-marker"], headers["x-amz-version-id"]) == ("true", marker)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=versioned, Key="k")
    assert headers_of(excinfo)["x-amz-delete-marker"] == "true"
    # A marker by its version id: 405.
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=versioned, Key="k", VersionId=marker)
    assert error_of(excinfo)["Code"] == "MethodNotAllowed"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert headers_of(excinfo)["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=versioned, Key="k", VersionId=marker)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    # The old version is still there, and the key is gone from the current listing.
    assert s3.get_object(Bucket=versioned, Key="k", VersionId=kept)["Body"].read() == b"kept"
    assert "Contents" not in s3.list_objects_v2(Bucket=versioned)
    assert history(s3, versioned) == [("k", kept, False, False), ("k", marker, True, True)]
    # Deleting the marker brings the object back.
    undone = s3.delete_object(Bucket=versioned, Key="k", VersionId=marker)
    assert (undone["DeleteMarker"], undone["VersionId"]) == (True, marker)
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"kept"
    assert history(s3, versioned) == [("k", kept, True, False)]


def test_delete_of_a_missing_key_still_adds_a_marker(s3, versioned):
    marker = s3.delete_object(Bucket=versioned, Key="never")["VersionId"]
    assert history(s3, versioned) == [("never", marker, True, True)]
    # A bucket holding only markers is not empty.
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=versioned)
    assert error_of(excinfo)["Code"] == "BucketNotEmpty"
    s3.delete_object(Bucket=versioned, Key="never", VersionId=marker)
    s3.delete_bucket(Bucket=versioned)


def test_deleting_the_current_version_promotes_the_previous(s3, versioned):
    first = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=versioned, Key="k", Body=b"two")["VersionId"]
    answer = s3.delete_object(Bucket=versioned, Key="k", VersionId=second)
    assert answer["VersionId"] == second and "DeleteMarker" not in answer
    got = s3.get_object(Bucket=versioned, Key="k")
    assert (got["Body"].read(), got["VersionId"]) == (b"one", first)
    s3.delete_object(Bucket=versioned, Key="k", VersionId=first)
    assert "Versions" not in s3.list_object_versions(Bucket=versioned)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=versioned, Key="k")
    assert "x-amz-delete-marker" not in headers_of(excinfo)
    # Deleting a version that no longer exists succeeds, as deletes do.
    assert s3.delete_object(Bucket=versioned, Key="k", VersionId=first)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as excinfo:
        s3.delete_object(Bucket=versioned, Key="k", VersionId="bad")
    assert error_of(excinfo)["Code"] == "InvalidArgument"


def test_delete_objects_with_versions(s3, versioned):
    a1 = s3.put_object(Bucket=versioned, Key="a", Body=b"1")["VersionId"]
    a2 = s3.put_object(Bucket=versioned, Key="a", Body=b"2")["VersionId"]
    s3.put_object(Bucket=versioned, Key="b", Body=b"1")
    answer = s3.delete_objects(
        Bucket=versioned,
        Delete={"Objects": [{"Key": "a", "VersionId": a1}, {"Key": "b"}, {"Key": "c", "VersionId": "v1"}]},
    )
    deleted = {d["Key"]: d for d in answer["Deleted"]}
    assert deleted["a"]["VersionId"] == a1 and "DeleteMarker" not in deleted["a"]
    assert deleted["b"]["DeleteMarker"] is True and VERSION_ID.match(deleted["b"]["DeleteMarkerVersionId"])
    assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("c", "NoSuchVersion")]
    assert history(s3, versioned, Prefix="a") == [("a", a2, True, False)]
    marker = deleted["b"]["DeleteMarkerVersionId"]
    answer = s3.delete_objects(Bucket=versioned, Delete={"Objects": [{"Key": "b", "VersionId": marker}]})
    assert answer["Deleted"][0]["DeleteMarker"] is True
    assert answer["Deleted"][0]["DeleteMarkerVersionId"] == answer["Deleted"][0]["VersionId"] == marker
    assert s3.get_object(Bucket=versioned, Key="b")["Body"].read() == b"1"


# The null version


def test_objects_from_before_versioning_are_the_null_version(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"before")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == "null"
    new = s3.put_object(Bucket=bucket, Key="k", Body=b"after")["VersionId"]
    assert history(s3, bucket) == [("k", new, True, False), ("k", "null", False, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"before"


def test_suspended_bucket_writes_replace_the_null_version(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"null one")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"null two")["VersionId"] == "null"
    assert history(s3, bucket) == [("k", "null", True, False), ("k", kept, False, False)]
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"null three")["VersionId"] == "null"
    assert history(s3, bucket) == [("k", "null", True, False), ("k", kept, False, False)]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"null three"
    # A delete puts a null marker in place of the null version.
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert (deleted["DeleteMarker"], deleted["VersionId"]) == (True, "null")
    assert history(s3, bucket) == [("k", kept, False, False), ("k", "null", True, True)]
    # Writing again replaces the null marker.
    s3.put_object(Bucket=bucket, Key="k", Body=b"null four")
    assert history(s3, bucket) == [("k", "null", True, False), ("k", kept, False, False)]


# Copies, multipart uploads, tagging


def test_copy_by_version(s3, versioned):
    first = s3.put_object(Bucket=versioned, Key="src", Body=b"first")["VersionId"]
    s3.put_object(Bucket=versioned, Key="src", Body=b"second")
    copied = s3.copy_object(
        Bucket=versioned, Key="dst", CopySource={"Bucket": versioned, "Key": "src", "VersionId": first}
    )
    assert copied["CopySourceVersionId"] == first
    assert VERSION_ID.match(copied["VersionId"])
    assert s3.get_object(Bucket=versioned, Key="dst")["Body"].read() == b"first"
    # Restoring an old version: a copy of it onto its own key.
    restored = s3.copy_object(
        Bucket=versioned, Key="src", CopySource={"Bucket": versioned, "Key": "src", "VersionId": first}
    )
    assert s3.get_object(Bucket=versioned, Key="src")["VersionId"] == restored["VersionId"]
    assert s3.get_object(Bucket=versioned, Key="src")["Body"].read() == b"first"
    assert len(history(s3, versioned, Prefix="src")) == 3
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=versioned, Key="x", CopySource={"Bucket": versioned, "Key": "src", "VersionId": "A" * 32})
    assert error_of(excinfo)["Code"] == "NoSuchVersion"
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=versioned, Key="x", CopySource={"Bucket": versioned, "Key": "src", "VersionId": "bad"})
    assert error_of(excinfo)["Code"] == "InvalidArgument"
    marker = s3.delete_object(Bucket=versioned, Key="src")["VersionId"]
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=versioned, Key="x", CopySource={"Bucket": versioned, "Key": "src", "VersionId": marker})
    assert error_of(excinfo)["Code"] == "InvalidRequest"
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=versioned, Key="x", CopySource={"Bucket": versioned, "Key": "src"})
    assert error_of(excinfo)["Code"] == "NoSuchKey"


def test_multipart_on_a_versioned_bucket(s3, versioned):
    before = s3.put_object(Bucket=versioned, Key="mp", Body=b"before")["VersionId"]
    upload_id = s3.create_multipart_upload(Bucket=versioned, Key="mp")["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=versioned,
        Key="mp",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": versioned, "Key": "mp", "VersionId": before},
    )
    assert copied["CopySourceVersionId"] == before
    parts = [{"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]}]
    done = s3.complete_multipart_upload(
        Bucket=versioned, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert VERSION_ID.match(done["VersionId"])
    # A retried completion answers the same version.
    again = s3.complete_multipart_upload(
        Bucket=versioned, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert again["VersionId"] == done["VersionId"]
    assert history(s3, versioned) == [("mp", done["VersionId"], True, False), ("mp", before, False, False)]


def test_tagging_by_version(s3, versioned):
    first = s3.put_object(Bucket=versioned, Key="t", Body=b"1", Tagging="v=1")["VersionId"]
    second = s3.put_object(Bucket=versioned, Key="t", Body=b"2", Tagging="v=2")["VersionId"]
    tagged = s3.put_object_tagging(
        Bucket=versioned, Key="t", VersionId=first, Tagging={"TagSet": [{"Key": "v", "Value": "old"}]}
    )
    assert tagged["VersionId"] == first
    assert s3.get_object_tagging(Bucket=versioned, Key="t", VersionId=first)["TagSet"] == [{"Key": "v", "Value": "old"}]
    current = s3.get_object_tagging(Bucket=versioned, Key="t")
    assert (current["TagSet"], current["VersionId"]) == ([{"Key": "v", "Value": "2"}], second)
    s3.delete_object_tagging(Bucket=versioned, Key="t", VersionId=second)
    assert s3.get_object_tagging(Bucket=versioned, Key="t")["TagSet"] == []
    assert s3.get_object_tagging(Bucket=versioned, Key="t", VersionId=first)["TagSet"] != []


_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _readers(s3, bucket: str, key: str, **version) -> list[str]:
    grants = s3.get_object_acl(Bucket=bucket, Key=key, **version)["Grants"]
    return [g["Grantee"].get("URI", "owner") for g in grants if g["Permission"] == "READ"]


def test_acls_by_version(s3, versioned):
    """
    Each version has its own ACL, as in S3: the one its write gave it, or
    the one PutObjectAcl gives the version it names; a copy starts with
    its own request's, never its source's.
    """
    s3.put_bucket_ownership_controls(
        Bucket=versioned, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_public_access_block(Bucket=versioned)
    first = s3.put_object(Bucket=versioned, Key="a", Body=b"1", ACL="public-read")["VersionId"]
    second = s3.put_object(Bucket=versioned, Key="a", Body=b"2")["VersionId"]
    assert _readers(s3, versioned, "a", VersionId=first) == [_ALL_USERS]
    assert _readers(s3, versioned, "a") == _readers(s3, versioned, "a", VersionId=second) == []

    s3.put_object_acl(Bucket=versioned, Key="a", VersionId=second, GrantRead=f"uri={_ALL_USERS}")
    s3.put_object_acl(Bucket=versioned, Key="a", VersionId=first, ACL="private")
    assert _readers(s3, versioned, "a") == [_ALL_USERS]
    assert _readers(s3, versioned, "a", VersionId=first) == []

    s3.copy_object(Bucket=versioned, Key="copy", CopySource={"Bucket": versioned, "Key": "a"})
    assert _readers(s3, versioned, "copy") == []
    s3.delete_object(Bucket=versioned, Key="a", VersionId=second)
    # The version left is the current object again, with its own ACL.
    assert _readers(s3, versioned, "a") == []
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_acl(Bucket=versioned, Key="a", VersionId=second)
    assert error_of(excinfo)["Code"] == "NoSuchVersion"


# ListObjectVersions


def test_listing_order_and_pages(s3, versioned):
    made: dict[str, list[str]] = {}
    for key in ("b", "a", "c/1", "c/2"):
        for body in (b"1", b"2"):
            made.setdefault(key, []).insert(0, s3.put_object(Bucket=versioned, Key=key, Body=body)["VersionId"])
    marker = s3.delete_object(Bucket=versioned, Key="b")["VersionId"]
    made["b"].insert(0, marker)
    expected = [(key, vid) for key in ("a", "b", "c/1", "c/2") for vid in made[key]]
    # boto3 lists markers after versions, each kind in S3's order.
    assert [(k, v) for k, v, _, _ in history(s3, versioned)] == [e for e in expected if e[1] != marker] + [
        ("b", marker)
    ]
    # Pages of 2 with KeyMarker/VersionIdMarker walk every version once, in order.
    seen = []
    kwargs: dict = {}
    while True:
        page = s3.list_object_versions(Bucket=versioned, MaxKeys=2, **kwargs)
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) <= 2
        seen += sorted(((e["Key"], e["VersionId"]) for e in entries), key=expected.index)
        if not page["IsTruncated"]:
            break
        kwargs = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    assert seen == expected
    # A key marker alone starts after every version of that key.
    after_a = s3.list_object_versions(Bucket=versioned, KeyMarker="a")
    assert {v["Key"] for v in after_a["Versions"]} == {"b", "c/1", "c/2"}
    # Delimiter: c/ is one common prefix.
    grouped = s3.list_object_versions(Bucket=versioned, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["c/"]
    assert {v["Key"] for v in grouped["Versions"]} == {"a", "b"}
    latest = {
        (v["Key"], v["VersionId"]) for v in s3.list_object_versions(Bucket=versioned)["Versions"] if v["IsLatest"]
    }
    assert latest == {("a", made["a"][0]), ("c/1", made["c/1"][0]), ("c/2", made["c/2"][0])}


def test_listing_markers_are_checked(s3, versioned):
    with pytest.raises(ClientError) as excinfo:
        s3.list_object_versions(Bucket=versioned, VersionIdMarker="A" * 32)
    assert error_of(excinfo)["Code"] == "InvalidArgument"
    with pytest.raises(ClientError) as excinfo:
        s3.list_object_versions(Bucket=versioned, KeyMarker="a", VersionIdMarker="bad")
    assert error_of(excinfo)["Code"] == "InvalidArgument"


def test_listing_xml_interleaves_markers(stack, s3, versioned):
    s3.put_object(Bucket=versioned, Key="k", Body=b"x")
    s3.delete_object(Bucket=versioned, Key="k")
    s3.put_object(Bucket=versioned, Key="k", Body=b"y")
    response, answer = send_raw(stack, "GET", f"/{versioned}?versions", b"")
    assert response.status == 200
    text = answer.decode()
    assert text.index("<Version>") < text.index("<DeleteMarker>") < text.rindex("<Version>")


@needs_cli
def test_cli_list_object_versions(stack, s3, versioned):
    first = s3.put_object(Bucket=versioned, Key="cli", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket=versioned, Key="cli")["VersionId"]
    listed = json.loads(run_aws(stack.endpoint_url, "s3api", "list-object-versions", "--bucket", versioned).stdout)
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [("cli", first, False)]
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [("cli", marker, True)]


# Persistence


def test_versions_survive_restart_and_reset(tmp_path):
    data_dir = str(tmp_path / "data")
    large = bytes(range(256)) * 8192
    first = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="durable-versions")
        s3.put_bucket_versioning(Bucket="durable-versions", VersioningConfiguration={"Status": "Enabled"})
        old = s3.put_object(Bucket="durable-versions", Key="k", Body=large)["VersionId"]
        new = s3.put_object(Bucket="durable-versions", Key="k", Body=b"new")["VersionId"]
        marker = s3.delete_object(Bucket="durable-versions", Key="k")["VersionId"]
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = second.client("s3")
        assert s3.get_bucket_versioning(Bucket="durable-versions")["Status"] == "Enabled"
        assert history(s3, "durable-versions") == [
            ("k", new, False, False),
            ("k", old, False, False),
            ("k", marker, True, True),
        ]
        # The old large version's body is a file that outlived the restart's sweep.
        assert s3.get_object(Bucket="durable-versions", Key="k", VersionId=old)["Body"].read() == large
        assert len(os.listdir(os.path.join(data_dir, "s3", "objects"))) == 1
        s3.delete_object(Bucket="durable-versions", Key="k", VersionId=old)
        assert os.listdir(os.path.join(data_dir, "s3", "objects")) == []
        second.reset("s3")
        s3.create_bucket(Bucket="durable-versions")
        assert "Status" not in s3.get_bucket_versioning(Bucket="durable-versions")
        assert "Versions" not in s3.list_object_versions(Bucket="durable-versions")
    finally:
        second.stop()


def test_an_index_from_before_versioning_opens(tmp_path):
    import sqlite3

    from ruststack.s3.store import Store

    database = sqlite3.connect(tmp_path / "index.sqlite")
    database.executescript(
        "CREATE TABLE objects (bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,"
        " modified REAL NOT NULL, meta TEXT NOT NULL, file TEXT, body BLOB);"
        "INSERT INTO objects VALUES ('b', X'6B', 1, '\"e\"', 0, '{}', NULL, X'78');"
    )
    database.close()
    store = Store(str(tmp_path))
    try:
        record = store.get_object("b", "k")
        assert record is not None and record.version_id is None and record.inline == b"x"
    finally:
        store.close()
