"""
Object operations end to end through boto3 (and raw HTTP where boto3 would
hide what S3 sends).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.s3.conftest import send_raw


def error_of(excinfo) -> dict:
    return excinfo.value.response["Error"]


def status_of(excinfo) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_get_missing_key_is_no_such_key(s3, bucket):
    # The design notes' reference test.
    with pytest.raises(s3.exceptions.NoSuchKey) as excinfo:
        s3.get_object(Bucket=bucket, Key="missing")
    assert error_of(excinfo)["Key"] == "missing"
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]


def test_head_missing_key_is_404(s3, bucket):
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="missing")
    assert status_of(excinfo) == 404


def test_put_get_round_trip_with_metadata(s3, bucket):
    body = b"hello world" * 100
    # Each comes back from GetObject as it was put.
    kept = {
        "ContentType": "text/plain",
        "ContentEncoding": "identity",
        "ContentDisposition": 'attachment; filename="f.txt"',
        "ContentLanguage": "en",
        "CacheControl": "max-age=60",
        "Expires": datetime(2030, 1, 1, tzinfo=UTC),
    }
    metadata = {"colour": "blue", "Mixed-Case": "v"}
    put = s3.put_object(Bucket=bucket, Key="dir/file.txt", Body=body, Metadata=metadata, **kept)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dir/file.txt")
    assert got["Body"].read() == body
    assert got["ETag"] == put["ETag"]
    assert {name: got[name] for name in kept} == kept
    assert got["Metadata"] == {"colour": "blue", "mixed-case": "v"}
    headers = got["ResponseMetadata"]["HTTPHeaders"]
    assert re.match(r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$", headers["last-modified"])
    assert headers["server"] == "AmazonS3"
    assert headers["x-amz-id-2"]
    assert re.match(r"^[0-9A-F]{16}$", headers["x-amz-request-id"])
    head = s3.head_object(Bucket=bucket, Key="dir/file.txt")
    assert head["ContentLength"] == len(body)
    assert head["Metadata"] == {"colour": "blue", "mixed-case": "v"}


def test_default_content_type(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.head_object(Bucket=bucket, Key="k")["ContentType"] == "binary/octet-stream"


def test_response_overrides(s3, bucket):
    """
    Each GetObject C{Response*} parameter sets the header it names.
    """
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentType="text/plain")
    overrides = {
        "ContentType": "application/json",
        "ContentDisposition": "inline",
        "CacheControl": "no-cache",
        "ContentLanguage": "fr",
        "ContentEncoding": "gzip",
    }
    got = s3.get_object(Bucket=bucket, Key="k", **{f"Response{name}": value for name, value in overrides.items()})
    assert {name: got[name] for name in overrides} == overrides


def test_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_unicode_and_odd_keys(s3, bucket):
    keys = [
        "ünïcödé/ключ",
        "with space",
        "a+b",
        "percent%20",
        "/leading-slash",
        "trailing/",
        "q?x=1#frag",
        "..",
        "../etc",
    ]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode())


def test_key_too_long(s3, bucket):
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_of(excinfo)["Code"] == "KeyTooLongError"
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")


@pytest.fixture
def hundred(s3, bucket):
    body = bytes(range(256)) * 4  # 1024 bytes
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    return body


@pytest.mark.parametrize(
    "header, first, last",
    [("bytes=0-99", 0, 99), ("bytes=-100", 924, 1023), ("bytes=100-", 100, 1023), ("bytes=1000-5000", 1000, 1023)],
)
def test_ranges(s3, bucket, hundred, header, first, last):
    got = s3.get_object(Bucket=bucket, Key="r", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {first}-{last}/1024"
    assert got["Body"].read() == hundred[first : last + 1]


def test_unsatisfiable_range(s3, bucket, hundred):
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=2000-")
    assert error_of(excinfo)["Code"] == "InvalidRange"
    assert status_of(excinfo) == 416


def test_malformed_range_is_whole_object(s3, bucket, hundred):
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=abc")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == hundred


def test_large_object_range(s3, bucket):
    body = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32)
    s3.put_object(Bucket=bucket, Key="large", Body=body)
    got = s3.get_object(Bucket=bucket, Key="large", Range="bytes=1048576-2097151")
    assert got["Body"].read() == body[1048576:2097152]
    assert s3.get_object(Bucket=bucket, Key="large")["Body"].read() == body


def test_read_conditionals(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"data")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    past, future = modified - timedelta(days=1), modified + timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"data"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"other"')
    assert error_of(excinfo)["Code"] == "PreconditionFailed"
    assert status_of(excinfo) == 412
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status_of(excinfo) == 304
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert status_of(excinfo) == 304
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"data"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert status_of(excinfo) == 412
    # S3's precedence: If-Match true wins over If-Unmodified-Since false...
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=past)["Body"].read() == b"data"
    # ...and If-None-Match false with If-Modified-Since true is 304.
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=past)
    assert status_of(excinfo) == 304
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="c", IfMatch='"other"')
    assert status_of(excinfo) == 412


def test_write_conditionals(s3, bucket):
    s3.put_object(Bucket=bucket, Key="w", Body=b"one", IfNoneMatch="*")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="w", Body=b"two", IfNoneMatch="*")
    assert error_of(excinfo)["Code"] == "PreconditionFailed"
    etag = s3.head_object(Bucket=bucket, Key="w")["ETag"]
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="w", Body=b"two", IfMatch='"0123"')
    assert status_of(excinfo) == 412
    s3.put_object(Bucket=bucket, Key="w", Body=b"two", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="w")["Body"].read() == b"two"
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch=etag)
    assert error_of(excinfo)["Code"] == "NoSuchKey"


def test_content_md5(s3, bucket):
    body = b"checked"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="m", Body=body, ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="m", Body=body, ContentMD5=bad)
    assert error_of(excinfo)["Code"] == "BadDigest"
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="m", Body=body, ContentMD5="not-base64!")
    assert error_of(excinfo)["Code"] == "InvalidDigest"
    assert s3.get_object(Bucket=bucket, Key="m")["Body"].read() == body


def test_delete_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="d")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="d")["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.put_object(Bucket=bucket, Key="v", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="v", VersionId="null", BypassGovernanceRetention=True)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_delete_objects(s3, bucket):
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    verbose = s3.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [
                {"Key": "a"},
                {"Key": "b", "VersionId": "null"},
                {"Key": "never"},
                {"Key": "c", "VersionId": "v1"},
            ]
        },
        BypassGovernanceRetention=True,
    )
    assert sorted(d["Key"] for d in verbose["Deleted"]) == ["a", "b", "never"]
    assert [(e["Key"], e["Code"]) for e in verbose["Errors"]] == [("c", "NoSuchVersion")]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_delete_objects_malformed_xml(stack, bucket):
    response, answer = send_raw(
        stack, "POST", f"/{bucket}?delete", b"<Delete><Object>", {"Content-Type": "application/xml"}
    )
    assert response.status == 400
    assert b"<Code>MalformedXML</Code>" in answer


def test_copy_object(s3, bucket):
    s3.put_object(
        Bucket=bucket, Key="src key+ü", Body=b"copied", Metadata={"a": "1"}, ContentType="text/plain", Tagging="t=1"
    )
    result = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src key+ü"})
    assert result["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copied").hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copied"
    assert got["Metadata"] == {"a": "1"}
    assert got["ContentType"] == "text/plain"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource=f"{bucket}/src key+ü",  # botocore URL-encodes it
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="application/json",
        TaggingDirective="REPLACE",
        Tagging="u=2",
    )
    got = s3.head_object(Bucket=bucket, Key="dst2")
    assert got["Metadata"] == {"b": "2"}
    assert got["ContentType"] == "application/json"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst2")["TagSet"] == [{"Key": "u", "Value": "2"}]


def test_copy_object_errors_and_conditionals(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="s", Body=b"x" * 300_000)["ETag"]
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="s", CopySource={"Bucket": bucket, "Key": "s"})
    assert error_of(excinfo)["Code"] == "InvalidRequest"
    s3.copy_object(Bucket=bucket, Key="s", CopySource={"Bucket": bucket, "Key": "s"}, MetadataDirective="REPLACE")
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "nope"})
    assert error_of(excinfo)["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "s"}, CopySourceIfMatch='"x"')
    assert error_of(excinfo)["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "s"}, CopySourceIfNoneMatch=etag)
    assert error_of(excinfo)["Code"] == "PreconditionFailed"
    s3.copy_object(Bucket=bucket, Key="d", CopySource={"Bucket": bucket, "Key": "s"}, CopySourceIfMatch=etag)
    # The copy stays whole when the source is overwritten (files are linked, never rewritten).
    s3.put_object(Bucket=bucket, Key="s", Body=b"new")
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"x" * 300_000


def test_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=two%20words")
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "two words")]
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "c", "Value": "3"}]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    with pytest.raises(ClientError) as excinfo:
        s3.put_object_tagging(
            Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
        )
    assert error_of(excinfo)["Code"] == "BadRequest"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_tagging(Bucket=bucket, Key="missing")
    assert error_of(excinfo)["Code"] == "NoSuchKey"


def test_get_object_attributes(s3, bucket):
    body = b"attributes"
    s3.put_object(Bucket=bucket, Key="a", Body=body, ChecksumAlgorithm="SHA256")
    attributes = s3.get_object_attributes(
        Bucket=bucket, Key="a", ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass"]
    )
    assert attributes["ETag"] == hashlib.md5(body).hexdigest()
    assert attributes["ObjectSize"] == len(body)
    assert attributes["StorageClass"] == "STANDARD"
    assert attributes["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert isinstance(attributes["LastModified"], datetime)


def test_list_object_versions_unversioned(s3, bucket):
    for key in ("x", "y"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    s3.put_object(Bucket=bucket, Key="x", Body=b"2")
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions] == [("x", "null", True), ("y", "null", True)]
    # The cleanup idiom of real tools.
    s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]}
    )
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)


def test_expect_100_continue(stack, bucket):
    host = stack.endpoint_url.split("//")[1]
    connection = http.client.HTTPConnection(host, timeout=10)
    connection.putrequest("PUT", f"/{bucket}/continued")
    connection.putheader("Content-Length", "5")
    connection.putheader("Expect", "100-continue")
    connection.endheaders()
    # The server must answer 100 before the body is sent.
    line = connection.sock.recv(64)
    assert line.startswith(b"HTTP/1.1 100 Continue")
    connection.send(b"hello")
    response = connection.getresponse()
    assert response.status == 200
    response.read()
    connection.request("GET", f"/{bucket}/continued")
    assert connection.getresponse().read() == b"hello"


def test_payload_sha256_mismatch(stack, bucket):
    claimed = hashlib.sha256(b"claimed").hexdigest()
    response, answer = send_raw(stack, "PUT", f"/{bucket}/sha", b"actual", {"x-amz-content-sha256": claimed})
    assert response.status == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in answer


def test_unsupported_operation_is_not_implemented(stack, bucket):
    response, answer = send_raw(stack, "PUT", f"/{bucket}?metadataAnnotationTable", b"<AnnotationTableConfiguration/>")
    assert response.status == 501
    assert b"<Code>NotImplemented</Code>" in answer


def test_last_write_wins_and_readers_see_whole_objects(s3, bucket):
    first = b"a" * (2 * 1024 * 1024)
    second = b"b" * (3 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="race", Body=first)
    reader = s3.get_object(Bucket=bucket, Key="race")["Body"]
    partial = reader.read(1024)
    s3.put_object(Bucket=bucket, Key="race", Body=second)
    assert partial + reader.read() == first
    assert s3.get_object(Bucket=bucket, Key="race")["Body"].read() == second


def test_timestamps_are_recent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="now", Body=b"x")
    modified = s3.head_object(Bucket=bucket, Key="now")["LastModified"]
    assert abs(modified.timestamp() - time.time()) < 60


def test_clients_that_leave_mid_download(stack, s3, bucket):
    body = os.urandom(64 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    host, port = stack.endpoint_url.split("//")[1].split(":")
    for _ in range(5):
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(f"GET /{bucket}/big HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.close()
    # The server goes on serving, whole objects included.
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body
    ranged = s3.get_object(Bucket=bucket, Key="big", Range="bytes=33554432-33554441")["Body"].read()
    assert ranged == body[33554432:33554442]


def test_concurrent_downloads(s3, bucket):
    from concurrent.futures import ThreadPoolExecutor

    bodies = {f"k{i}": os.urandom(3 * 1024 * 1024 + i) for i in range(4)}
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(), list(bodies) * 2))
    assert got == list(bodies.values()) * 2


def test_delete_objects_checks_content_md5(stack, bucket):
    body = b"<Delete><Object><Key>k</Key></Object></Delete>"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response, answer = send_raw(stack, "POST", f"/{bucket}?delete", body, {"Content-MD5": wrong})
    assert response.status == 400
    assert b"<Code>BadDigest</Code>" in answer


def test_concurrent_writers_last_complete_write_wins(stack, s3, bucket):
    host, port = stack.endpoint_url.split("//")[1].split(":")
    slow = os.urandom(4 * 1024 * 1024)
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(f"PUT /{bucket}/contested HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(slow)}\r\n\r\n".encode())
    sock.sendall(slow[: len(slow) // 2])
    # Another writer starts later and finishes first...
    s3.put_object(Bucket=bucket, Key="contested", Body=b"fast writer")
    assert s3.get_object(Bucket=bucket, Key="contested")["Body"].read() == b"fast writer"
    # ...then the slow one completes: it is the last complete write.
    sock.sendall(slow[len(slow) // 2 :])
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    assert response.startswith(b"HTTP/1.1 200")
    sock.close()
    assert s3.get_object(Bucket=bucket, Key="contested")["Body"].read() == slow
