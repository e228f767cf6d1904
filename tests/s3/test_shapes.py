"""
S3's shapes and errors as AWS answers them today (issue 13), through boto3
and raw HTTP against a real RustStack: SSE-S3 headers, Owner without
DisplayName, ListParts' NextPartNumberMarker, the extra fields of errors,
CompleteMultipartUpload retries and checksums, partNumber GETs and
GetObjectAttributes' parts, RFC 2047 metadata, the bucket owner condition,
LocationConstraint validation and ListBuckets pagination.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib

import pytest
from botocore.exceptions import ClientError

from tests.s3.conftest import client, send_raw

MIB = 1024 * 1024
SSE = "x-amz-server-side-encryption"


def error_of(excinfo) -> dict:
    return excinfo.value.response["Error"]


def headers_of(response) -> dict:
    return response["ResponseMetadata"]["HTTPHeaders"]


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def block(seed: int, size: int) -> bytes:
    unit = hashlib.sha256(str(seed).encode()).digest()
    return (unit * (size // len(unit) + 1))[:size]


# x-amz-server-side-encryption: AES256 on every object response that carries it on AWS.


def test_sse_s3_on_object_responses(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert put["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    copied = s3.copy_object(Bucket=bucket, Key="k2", CopySource={"Bucket": bucket, "Key": "k"})
    assert copied["ServerSideEncryption"] == "AES256"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert upload["ServerSideEncryption"] == "AES256"
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"x")
    assert part["ServerSideEncryption"] == "AES256"
    part_copy = s3.upload_part_copy(
        Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=2, CopySource={"Bucket": bucket, "Key": "k"}
    )
    assert part_copy["ServerSideEncryption"] == "AES256"
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["ServerSideEncryption"] == "AES256"
    # Not on answers about anything but an object's bytes.
    assert SSE not in headers_of(s3.get_object_tagging(Bucket=bucket, Key="k"))
    assert SSE not in headers_of(s3.list_objects_v2(Bucket=bucket))


# Owner without DisplayName (S3 stopped returning it on November 21, 2025).


def test_owners_have_no_display_name(stack, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    owners = [
        s3.list_buckets()["Owner"],
        s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]["Owner"],
        s3.list_objects(Bucket=bucket)["Contents"][0]["Owner"],
        s3.get_bucket_acl(Bucket=bucket)["Owner"],
        s3.get_bucket_acl(Bucket=bucket)["Grants"][0]["Grantee"],
        s3.get_object_acl(Bucket=bucket, Key="k")["Owner"],
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)["Initiator"],
        s3.list_multipart_uploads(Bucket=bucket)["Uploads"][0]["Owner"],
    ]
    for owner in owners:
        assert "DisplayName" not in owner
        assert len(owner["ID"]) == 64
    _, body = send_raw(stack, "GET", f"/{bucket}?acl", b"")
    assert b"DisplayName" not in body


# ListParts' NextPartNumberMarker.


def test_list_parts_next_part_number_marker(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    for number in (1, 2, 3):
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=b"p")
    whole = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert (whole["IsTruncated"], whole["NextPartNumberMarker"]) == (False, 3)
    first = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id, MaxParts=2)
    assert (first["IsTruncated"], first["NextPartNumberMarker"]) == (True, 2)
    rest = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    assert rest["PartNumberMarker"] == 2 and rest["NextPartNumberMarker"] == 3
    past = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumberMarker=3)
    assert ("Parts" not in past, past["NextPartNumberMarker"], past["IsTruncated"]) == (True, 3, False)


def test_list_parts_of_an_upload_without_parts_names_marker_0(s3, bucket):
    # As AWS answers it (a recorded answer: PartNumberMarker and NextPartNumberMarker both 0).
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="empty")["UploadId"]
    listed = s3.list_parts(Bucket=bucket, Key="empty", UploadId=upload_id)
    assert ("Parts" not in listed, listed["PartNumberMarker"], listed["NextPartNumberMarker"]) == (True, 0, 0)
    assert (listed["MaxParts"], listed["IsTruncated"]) == (1000, False)


# A full-object GET of an object uploaded with a checksum.


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256"])
def test_full_object_get_returns_the_checksum_and_its_type(s3, bucket, algorithm):
    s3.put_object(Bucket=bucket, Key="c", Body=b"checked", ChecksumAlgorithm=algorithm)
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got["ChecksumType"] == "FULL_OBJECT"
    assert got["Checksum" + algorithm]
    assert got["Body"].read() == b"checked"
    # A range is not the object: no checksum.
    ranged = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED", Range="bytes=0-1")
    assert "Checksum" + algorithm not in ranged and "ChecksumType" not in ranged


# Errors with AWS's extra fields.


def test_errors_carry_aws_fields(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="k", PartNumber=2)
    assert error_of(excinfo)["PartNumberRequested"] == "2"
    assert error_of(excinfo)["ActualPartCount"] == "1"
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="k2", CopySource=f"{bucket}/k", MetadataDirective="MOVE")
    assert error_of(excinfo)["ArgumentName"] == "x-amz-metadata-directive"
    assert error_of(excinfo)["ArgumentValue"] == "MOVE"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["Colour"])
    assert (error_of(excinfo)["Code"], error_of(excinfo)["ArgumentName"]) == (
        "InvalidArgument",
        "x-amz-object-attributes",
    )
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="d", Body=b"x", ContentMD5=b64(hashlib.md5(b"y").digest()))
    error = error_of(excinfo)
    assert error["Code"] == "BadDigest"
    assert error["Message"] == "The Content-MD5 you specified did not match what we received."
    assert error["ExpectedDigest"] == b64(hashlib.md5(b"y").digest())
    assert error["CalculatedDigest"] == b64(hashlib.md5(b"x").digest())
    with pytest.raises(ClientError) as excinfo:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]})
    assert (error_of(excinfo)["Code"], error_of(excinfo)["TagKey"]) == ("InvalidTag", "k" * 129)


def test_invalid_part_names_the_part(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 4, "ETag": '"00000000000000000000000000000000"'}]},
        )
    error = error_of(excinfo)
    assert error["Code"] == "InvalidPart"
    assert (error["UploadId"], error["PartNumber"], error["ETag"]) == (
        upload_id,
        "4",
        '"00000000000000000000000000000000"',
    )


# CompleteMultipartUpload: no parts, retries, checksums.


def test_complete_without_parts_is_invalid_request(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": []})
    assert error_of(excinfo)["Code"] == "InvalidRequest"
    assert error_of(excinfo)["Message"] == "You must specify at least one part"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_repeated_complete_answers_the_same(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"once")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload=parts)
    for name in ("ETag", "Bucket", "Key", "Location", "ChecksumCRC64NVME", "ChecksumType", "ServerSideEncryption"):
        assert again[name] == first[name]
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"once"
    # The upload itself is gone, and another key is not that upload.
    with pytest.raises(ClientError) as excinfo:
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert error_of(excinfo)["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket=bucket, Key="other", UploadId=upload_id, MultipartUpload=parts)
    assert error_of(excinfo)["Code"] == "NoSuchUpload"


def _upload(s3, bucket, key, bodies, algorithm, checksum_type=None):
    kwargs = {"ChecksumAlgorithm": algorithm}
    if checksum_type:
        kwargs["ChecksumType"] = checksum_type
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)
    upload_id = created["UploadId"]
    completed = []
    for number, body in enumerate(bodies, 1):
        answer = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body, ChecksumAlgorithm=algorithm
        )
        completed.append(
            {"PartNumber": number, "ETag": answer["ETag"], "Checksum" + algorithm: answer["Checksum" + algorithm]}
        )
    return created, upload_id, completed


@pytest.mark.parametrize(
    "algorithm, digest",
    [
        ("CRC32", lambda data: zlib.crc32(data).to_bytes(4, "big")),
        ("SHA1", lambda data: hashlib.sha1(data).digest()),
        ("SHA256", lambda data: hashlib.sha256(data).digest()),
    ],
)
def test_composite_checksums_by_part(s3, bucket, algorithm, digest):
    bodies = [block(1, 5 * MIB), block(2, 4321)]
    created, upload_id, completed = _upload(s3, bucket, "cs", bodies, algorithm)
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == (algorithm, "COMPOSITE")
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="cs", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    composite = b64(digest(b"".join(digest(b) for b in bodies))) + "-2"
    assert (done["Checksum" + algorithm], done["ChecksumType"]) == (composite, "COMPOSITE")
    full = s3.get_object(Bucket=bucket, Key="cs", ChecksumMode="ENABLED")
    assert (full["Checksum" + algorithm], full["ChecksumType"]) == (composite, "COMPOSITE")
    second = s3.get_object(Bucket=bucket, Key="cs", PartNumber=2, ChecksumMode="ENABLED")
    assert second["Body"].read() == bodies[1]
    assert second["PartsCount"] == 2
    assert second["Checksum" + algorithm] == b64(digest(bodies[1]))
    attributes = s3.get_object_attributes(
        Bucket=bucket, Key="cs", ObjectAttributes=["ObjectParts", "Checksum"], MaxParts=1
    )
    parts = attributes["ObjectParts"]
    assert parts["TotalPartsCount"] == 2
    assert (parts["IsTruncated"], parts["NextPartNumberMarker"], parts["MaxParts"]) == (True, 1, 1)
    assert parts["Parts"] == [{"PartNumber": 1, "Size": 5 * MIB, "Checksum" + algorithm: b64(digest(bodies[0]))}]
    assert attributes["Checksum"] == {"Checksum" + algorithm: composite, "ChecksumType": "COMPOSITE"}
    rest = s3.get_object_attributes(Bucket=bucket, Key="cs", ObjectAttributes=["ObjectParts"], PartNumberMarker=1)
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [2]


def test_composite_complete_needs_every_part_checksum(s3, bucket):
    _, upload_id, completed = _upload(s3, bucket, "cs", [b"one"], "SHA256")
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="cs",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": completed[0]["ETag"]}]},
        )
    assert error_of(excinfo)["Code"] == "InvalidRequest"
    assert error_of(excinfo)["Message"] == (
        "The upload was created using a sha256 checksum. The complete request must include the checksum for each"
        " part. It was missing for part 1 in the request."
    )
    completed[0]["ChecksumSHA256"] = b64(hashlib.sha256(b"two").digest())
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket=bucket, Key="cs", UploadId=upload_id, MultipartUpload={"Parts": completed})
    assert error_of(excinfo)["Code"] == "InvalidPart"


def test_crc64nvme_full_object_upload(s3, bucket):
    from awscrt import checksums as crt

    bodies = [block(3, 5 * MIB), block(4, 99)]
    created, upload_id, completed = _upload(s3, bucket, "full", bodies, "CRC64NVME")
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC64NVME", "FULL_OBJECT")
    whole = b"".join(bodies)
    expected = b64(crt.crc64nvme(whole).to_bytes(8, "big"))
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="full",
            UploadId=upload_id,
            MultipartUpload={"Parts": completed},
            ChecksumCRC64NVME=b64(crt.crc64nvme(b"other").to_bytes(8, "big")),
            ChecksumType="FULL_OBJECT",
        )
    assert error_of(excinfo)["Code"] == "BadDigest"
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="full",
            UploadId=upload_id,
            MultipartUpload={"Parts": completed},
            MpuObjectSize=len(whole) + 1,
        )
    assert error_of(excinfo)["Code"] == "InvalidRequest"
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="full",
        UploadId=upload_id,
        MultipartUpload={"Parts": completed},
        ChecksumCRC64NVME=expected,
        ChecksumType="FULL_OBJECT",
        MpuObjectSize=len(whole),
    )
    assert (done["ChecksumCRC64NVME"], done["ChecksumType"]) == (expected, "FULL_OBJECT")
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC64NVME"], head["ChecksumType"]) == (expected, "FULL_OBJECT")


def test_crc32_full_object_and_checksum_type_mismatch(s3, bucket):
    bodies = [block(5, 5 * MIB), block(6, 10)]
    created, upload_id, completed = _upload(s3, bucket, "f32", bodies, "CRC32", "FULL_OBJECT")
    assert created["ChecksumType"] == "FULL_OBJECT"
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="f32", UploadId=upload_id, MultipartUpload={"Parts": completed}, ChecksumType="COMPOSITE"
        )
    assert error_of(excinfo)["Code"] == "InvalidRequest"
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="f32", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (crc32(b"".join(bodies)), "FULL_OBJECT")


def test_multipart_checksums_survive_a_restart(tmp_path):
    from ruststack.testing import RustStackProcess

    data = str(tmp_path / "data")
    process = RustStackProcess.start("--services", "s3", "--data-dir", data)
    try:
        s3 = process.client("s3")
        s3.create_bucket(Bucket="kept")
        bodies = [block(7, 5 * MIB), block(8, 10)]
        _, upload_id, completed = _upload(s3, "kept", "cs", bodies, "SHA1")
        pending_id = s3.create_multipart_upload(Bucket="kept", Key="pending", ChecksumAlgorithm="CRC32C")["UploadId"]
        done = s3.complete_multipart_upload(
            Bucket="kept", Key="cs", UploadId=upload_id, MultipartUpload={"Parts": completed}
        )
    finally:
        process.stop()
    process = RustStackProcess.start("--services", "s3", "--data-dir", data)
    try:
        s3 = process.client("s3")
        again = s3.complete_multipart_upload(
            Bucket="kept", Key="cs", UploadId=upload_id, MultipartUpload={"Parts": completed}
        )
        assert again["ChecksumSHA1"] == done["ChecksumSHA1"]
        part = s3.get_object(Bucket="kept", Key="cs", PartNumber=2, ChecksumMode="ENABLED")
        assert part["ChecksumSHA1"] == b64(hashlib.sha1(bodies[1]).digest())
        listed = s3.list_parts(Bucket="kept", Key="pending", UploadId=pending_id)
        assert (listed["ChecksumAlgorithm"], listed["ChecksumType"]) == ("CRC32C", "COMPOSITE")
    finally:
        process.stop()


# User metadata: RFC 2047 encoded words.


def test_non_ascii_metadata_round_trips_as_encoded_words(stack, s3, bucket):
    encoded = "=?UTF-8?B?" + b64("Zoë – 東京".encode()) + "?="
    s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"name": encoded, "plain": "ascii"})
    head = s3.head_object(Bucket=bucket, Key="m")
    assert head["Metadata"] == {"name": encoded, "plain": "ascii"}
    # Raw UTF-8 in a header is stored as its text and sent back encoded.
    send_raw(stack, "PUT", f"/{bucket}/raw", b"x", {"x-amz-meta-city": "Zürich".encode().decode("latin-1")})
    assert s3.head_object(Bucket=bucket, Key="raw")["Metadata"] == {
        "city": "=?UTF-8?B?" + b64("Zürich".encode()) + "?="
    }
    # Encoded words that decode to ASCII are stored (and returned) decoded.
    s3.put_object(Bucket=bucket, Key="q", Body=b"x", Metadata={"q": "=?utf-8?Q?hello_world?="})
    assert s3.get_object(Bucket=bucket, Key="q")["Metadata"] == {"q": "hello world"}


# x-amz-expected-bucket-owner.


def test_expected_bucket_owner(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner="000000000000")
    for value in ("abc", "1234", "0000000000001", ""):
        with pytest.raises(ClientError) as excinfo:
            s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=value)
        error = error_of(excinfo)
        assert error["Code"] == "InvalidBucketOwnerAWSAccountID"
        assert error["Message"] == (
            f"The value of the expected bucket owner parameter must be an AWS Account ID... [{value}]"
        )
    # Checked before the bucket is looked up.
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects_v2(Bucket="no-such-bucket-here", ExpectedBucketOwner="abc")
    assert error_of(excinfo)["Code"] == "InvalidBucketOwnerAWSAccountID"
    calls = [
        lambda owner: s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=owner),
        lambda owner: s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner=owner),
        lambda owner: s3.get_bucket_tagging(Bucket=bucket, ExpectedBucketOwner=owner),
        lambda owner: s3.delete_object(Bucket=bucket, Key="k", ExpectedBucketOwner=owner),
        lambda owner: s3.create_multipart_upload(Bucket=bucket, Key="k", ExpectedBucketOwner=owner),
        lambda owner: s3.copy_object(Bucket=bucket, Key="c", CopySource=f"{bucket}/k", ExpectedSourceBucketOwner=owner),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call("111122223333")
        assert error_of(excinfo)["Code"] in ("AccessDenied", "403")
    s3.copy_object(Bucket=bucket, Key="c", CopySource=f"{bucket}/k", ExpectedSourceBucketOwner="000000000000")


# CreateBucket's LocationConstraint.


def test_location_constraints(stack):
    east = client(stack.endpoint_url)
    west = client(stack.endpoint_url, "eu-west-1")
    with pytest.raises(ClientError) as excinfo:
        east.create_bucket(Bucket="nowhere-bucket", CreateBucketConfiguration={"LocationConstraint": "moon-1"})
    assert error_of(excinfo) | {"LocationConstraint": "moon-1"} == {
        "Code": "InvalidLocationConstraint",
        "Message": "The specified location-constraint is not valid",
        "LocationConstraint": "moon-1",
    }
    with pytest.raises(ClientError) as excinfo:
        west.create_bucket(Bucket="elsewhere-bucket", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert error_of(excinfo)["Code"] == "IllegalLocationConstraintException"
    assert error_of(excinfo)["Message"] == (
        "The us-west-2 location constraint is incompatible for the region specific endpoint this request was sent to."
    )
    west.create_bucket(Bucket="eu-alias-bucket", CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert west.head_bucket(Bucket="eu-alias-bucket")["BucketRegion"] == "eu-west-1"
    # GetBucketLocation answers EU as given (AWS: "Buckets with a LocationConstraint of EU reside in eu-west-1").
    assert west.get_bucket_location(Bucket="eu-alias-bucket")["LocationConstraint"] == "EU"
    west.create_bucket(Bucket="eu-named-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert west.get_bucket_location(Bucket="eu-named-bucket")["LocationConstraint"] == "eu-west-1"
    east.create_bucket(Bucket="from-east-bucket", CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
    assert east.head_bucket(Bucket="from-east-bucket")["BucketRegion"] == "ap-south-1"


# ListBuckets pagination.


def test_list_buckets_pages(stack):
    account = client(stack.endpoint_url, aws_access_key_id="123456789012")
    names = [f"pages-{i:02d}" for i in range(5)]
    for name in names:
        account.create_bucket(Bucket=name)
    account.create_bucket(Bucket="other-one", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    everything = account.list_buckets()
    assert [b["Name"] for b in everything["Buckets"]] == ["other-one"] + names
    assert "ContinuationToken" not in everything and "Prefix" not in everything
    first = account.list_buckets(MaxBuckets=2, Prefix="pages-")
    assert [b["Name"] for b in first["Buckets"]] == names[:2]
    assert first["Prefix"] == "pages-" and first["ContinuationToken"]
    second = account.list_buckets(MaxBuckets=2, Prefix="pages-", ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in second["Buckets"]] == names[2:4]
    seen = [
        b["Name"]
        for page in account.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 2})
        for b in page["Buckets"]
    ]
    assert seen == ["other-one"] + names
    regional = account.list_buckets(BucketRegion="eu-west-1")
    assert [(b["Name"], b["BucketRegion"]) for b in regional["Buckets"]] == [("other-one", "eu-west-1")]
    with pytest.raises(ClientError) as excinfo:
        account.list_buckets(MaxBuckets=10001)
    assert (error_of(excinfo)["Code"], error_of(excinfo)["ArgumentName"]) == ("InvalidArgument", "max-buckets")
    # botocore refuses 0 itself; sent raw, it is S3's InvalidArgument too.
    answer, body = send_raw(stack, "GET", "/?max-buckets=0", b"")
    assert answer.status == 400 and b"<ArgumentName>max-buckets</ArgumentName>" in body
    with pytest.raises(ClientError) as excinfo:
        account.list_buckets(ContinuationToken="not-a-token")
    assert error_of(excinfo)["Code"] == "InvalidArgument"


def test_cli_list_buckets_and_owner(stack, tmp_path):
    from tests.cli import needs_cli, run_aws

    if needs_cli.args[0]:
        pytest.skip("the AWS CLI is not installed")
    import json

    run_aws(stack.endpoint_url, "s3api", "create-bucket", "--bucket", "cli-shapes")
    listed = json.loads(run_aws(stack.endpoint_url, "s3api", "list-buckets", "--max-buckets", "1").stdout)
    assert len(listed["Buckets"]) == 1 and "DisplayName" not in listed["Owner"]
    path = tmp_path / "f.txt"
    path.write_bytes(os.urandom(64))
    run_aws(stack.endpoint_url, "s3", "cp", str(path), "s3://cli-shapes/f.txt")
    head = json.loads(
        run_aws(stack.endpoint_url, "s3api", "head-object", "--bucket", "cli-shapes", "--key", "f.txt").stdout
    )
    assert head["ServerSideEncryption"] == "AES256"
