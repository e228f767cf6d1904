"""
Multipart uploads end to end through boto3.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def error_of(excinfo) -> dict:
    return excinfo.value.response["Error"]


def part_bytes(seed: int, size: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def test_upload_complete(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ContentType="text/csv", Metadata={"m": "1"})
    upload_id = upload["UploadId"]
    parts = [part_bytes(1, 5 * MIB), part_bytes(2, 5 * MIB), part_bytes(3, 1234)]
    etags = []
    for number, body in enumerate(parts, 1):
        etags.append(s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=body)["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Parts"]] == [
        (1, etags[0], 5 * MIB),
        (2, etags[1], 5 * MIB),
        (3, etags[2], 1234),
    ]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", upload_id)]
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert done["ETag"] == f'"{expected}-3"'
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == b"".join(parts)
    assert got["ETag"] == done["ETag"]
    assert got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"m": "1"}
    assert (
        s3.head_object(Bucket=bucket, Key="mp", PartNumber=1)["ResponseMetadata"]["HTTPHeaders"].get(
            "x-amz-mp-parts-count"
        )
        == "3"
    )
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(ClientError) as excinfo:
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert error_of(excinfo)["Code"] == "NoSuchUpload"


def test_complete_errors(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="e")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="e", UploadId=upload_id, PartNumber=1, Body=b"tiny")["ETag"]
    last = s3.upload_part(Bucket=bucket, Key="e", UploadId=upload_id, PartNumber=2, Body=b"end")["ETag"]

    def complete(parts):
        with pytest.raises(ClientError) as excinfo:
            s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=upload_id, MultipartUpload={"Parts": parts})
        return error_of(excinfo)["Code"]

    assert complete([{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}]) == "EntityTooSmall"
    assert complete([{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}]) == "InvalidPartOrder"
    assert complete([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]) == "InvalidPart"
    assert complete([{"PartNumber": 7, "ETag": small}]) == "InvalidPart"
    # A single small part is a valid (last) part.
    s3.complete_multipart_upload(
        Bucket=bucket, Key="e", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": small}]}
    )
    assert s3.get_object(Bucket=bucket, Key="e")["Body"].read() == b"tiny"


def test_part_number_limits(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="p")["UploadId"]
    for number in (0, 10001):
        with pytest.raises(ClientError) as excinfo:
            s3.upload_part(Bucket=bucket, Key="p", UploadId=upload_id, PartNumber=number, Body=b"x")
        assert error_of(excinfo)["Code"] == "InvalidArgument"
    s3.upload_part(Bucket=bucket, Key="p", UploadId=upload_id, PartNumber=10000, Body=b"x")


def test_abort(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="a")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="a", UploadId=upload_id, PartNumber=1, Body=part_bytes(0, 300_000))
    assert (
        s3.abort_multipart_upload(Bucket=bucket, Key="a", UploadId=upload_id)["ResponseMetadata"]["HTTPStatusCode"]
        == 204
    )
    with pytest.raises(ClientError) as excinfo:
        s3.upload_part(Bucket=bucket, Key="a", UploadId=upload_id, PartNumber=2, Body=b"x")
    assert error_of(excinfo)["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as excinfo:
        s3.abort_multipart_upload(Bucket=bucket, Key="a", UploadId=upload_id)
    assert error_of(excinfo)["Code"] == "NoSuchUpload"


def test_upload_part_copy_with_ranges(s3, bucket):
    source = part_bytes(9, 7 * MIB)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="copied")["UploadId"]

    def copy_part(number: int, byte_range: str) -> str:
        return s3.upload_part_copy(
            Bucket=bucket,
            Key="copied",
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": bucket, "Key": "source"},
            CopySourceRange=byte_range,
        )["CopyPartResult"]["ETag"]

    first = copy_part(1, f"bytes=0-{5 * MIB - 1}")
    second = copy_part(2, f"bytes={5 * MIB}-{7 * MIB - 1}")
    assert first == f'"{hashlib.md5(source[: 5 * MIB]).hexdigest()}"'
    with pytest.raises(ClientError) as excinfo:
        copy_part(3, f"bytes=0-{8 * MIB}")
    assert error_of(excinfo)["Code"] == "InvalidArgument"
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="copied",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second}]},
    )
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == source


def test_composite_checksum(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="cs", ChecksumAlgorithm="SHA256")["UploadId"]
    parts = [part_bytes(4, 5 * MIB), part_bytes(5, 100)]
    completed = []
    for number, body in enumerate(parts, 1):
        response = s3.upload_part(
            Bucket=bucket, Key="cs", UploadId=upload_id, PartNumber=number, Body=body, ChecksumAlgorithm="SHA256"
        )
        assert response["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
        completed.append({"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": response["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="cs", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    expected = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    assert done["ChecksumSHA256"] == base64.b64encode(expected).decode() + "-2"
    head = s3.head_object(Bucket=bucket, Key="cs", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == done["ChecksumSHA256"]
    assert head["ChecksumType"] == "COMPOSITE"


def test_high_level_transfer(s3, bucket, tmp_path):
    from boto3.s3.transfer import TransferConfig

    source = tmp_path / "source.bin"
    data = part_bytes(7, 17 * MIB + 5)
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB)
    s3.upload_file(str(source), bucket, "transfer", Config=config)
    assert s3.head_object(Bucket=bucket, Key="transfer")["ETag"].endswith('-3"')
    target = tmp_path / "target.bin"
    s3.download_file(bucket, "transfer", str(target), Config=config)
    assert target.read_bytes() == data


def test_get_by_part_number(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="pn")["UploadId"]
    parts = [part_bytes(11, 5 * MIB), part_bytes(12, 777)]
    etags = [
        s3.upload_part(Bucket=bucket, Key="pn", UploadId=upload_id, PartNumber=n, Body=b)["ETag"]
        for n, b in enumerate(parts, 1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="pn",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    second = s3.get_object(Bucket=bucket, Key="pn", PartNumber=2)
    assert second["Body"].read() == parts[1]
    assert second["PartsCount"] == 2
    assert second["ContentRange"] == f"bytes {5 * MIB}-{5 * MIB + 776}/{5 * MIB + 777}"
    assert s3.head_object(Bucket=bucket, Key="pn", PartNumber=1)["ContentLength"] == 5 * MIB
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="pn", PartNumber=3)
    assert error_of(excinfo)["Code"] == "InvalidPartNumber"


def test_list_multipart_uploads_pages(s3, bucket):
    created = []
    for key in ("a/1", "a/1", "b", "c/2"):
        created.append((key, s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]))
    seen = []
    pages = s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1})
    for page in pages:
        seen += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen)) == 4
    top = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in top["Uploads"]] == ["b"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "c/"]
    for key, upload_id in created:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
