"""
Bucket operations end to end through boto3.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.s3.conftest import client


def error_of(excinfo) -> dict:
    return excinfo.value.response["Error"]


def test_create_list_head_delete(s3):
    s3.create_bucket(Bucket="lifecycle-bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "lifecycle-bucket" in names
    head = s3.head_bucket(Bucket="lifecycle-bucket")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    s3.delete_bucket(Bucket="lifecycle-bucket")
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket="lifecycle-bucket")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_head_missing_bucket_has_no_body(stack):
    import urllib.request

    request = urllib.request.Request(stack.endpoint_url + "/no-such-bucket-here", method="HEAD")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 404
    assert excinfo.value.read() == b""
    assert excinfo.value.headers["x-amz-request-id"]


def test_location_constraint(stack):
    eu = client(stack.endpoint_url, "eu-west-1")
    eu.create_bucket(Bucket="eu-bucket-1", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket="eu-bucket-1")["LocationConstraint"] == "eu-west-1"
    with pytest.raises(ClientError) as excinfo:
        eu.create_bucket(Bucket="eu-bucket-2")
    assert error_of(excinfo)["Code"] == "IllegalLocationConstraintException"
    with pytest.raises(ClientError) as excinfo:
        eu.create_bucket(Bucket="eu-bucket-1", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_of(excinfo)["Code"] == "BucketAlreadyOwnedByYou"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_get_bucket_location_us_east_1_is_empty(s3, bucket):
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None


@pytest.mark.parametrize("name", ["ab", "UpperCase", "bad..name", "192.168.1.1", "-leading", "x" * 64, "under_score"])
def test_invalid_bucket_names(s3, name):
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket=name)
    assert error_of(excinfo)["Code"] == "InvalidBucketName"


def test_us_east_1_recreate_is_legacy_200(s3, bucket):
    response = s3.create_bucket(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_bucket_of_another_account(stack, bucket):
    other = stack.client("s3", aws_access_key_id="111122223333")
    with pytest.raises(ClientError) as excinfo:
        other.create_bucket(Bucket=bucket)
    assert error_of(excinfo)["Code"] == "BucketAlreadyExists"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert bucket not in [b["Name"] for b in other.list_buckets()["Buckets"]]


def test_delete_non_empty_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(excinfo)["Code"] == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="k")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(excinfo)["Code"] == "BucketNotEmpty"
    s3.abort_multipart_upload(Bucket=bucket, Key="m", UploadId=upload["UploadId"])
    s3.delete_bucket(Bucket=bucket)


def test_missing_bucket_errors(s3):
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects_v2(Bucket="never-created-bucket")
    assert error_of(excinfo)["Code"] == "NoSuchBucket"
    assert error_of(excinfo)["BucketName"] == "never-created-bucket"
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket="never-created-bucket")
    assert error_of(excinfo)["Code"] == "NoSuchBucket"


def test_versioning_is_not_enabled(s3, bucket):
    response = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in response


def test_virtual_host_addressing(stack, bucket):
    import urllib.request

    port = stack.endpoint_url.rsplit(":", 1)[1]

    for host in (f"{bucket}.s3.localhost.localstack.cloud:{port}", f"{bucket}.localhost:{port}"):
        request = urllib.request.Request(stack.endpoint_url + "/?list-type=2", headers={"Host": host})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        assert f"<Name>{bucket}</Name>".encode() in body
    put = urllib.request.Request(
        stack.endpoint_url + "/vkey", data=b"virtual", method="PUT", headers={"Host": f"{bucket}.localhost:{port}"}
    )
    urllib.request.urlopen(put, timeout=10).read()
    with urllib.request.urlopen(f"{stack.endpoint_url}/{bucket}/vkey", timeout=10) as response:
        assert response.read() == b"virtual"


def test_expected_bucket_owner(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner="000000000000")
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner="111122223333")
    assert error_of(excinfo)["Code"] == "AccessDenied"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unconfigured_bucket_configuration(s3, bucket):
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    # Every new bucket blocks public access (since April 2023).
    assert set(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values()) == {True}
    for call, code in (
        (s3.get_bucket_tagging, "NoSuchTagSet"),
        (s3.get_bucket_policy, "NoSuchBucketPolicy"),
        (s3.get_bucket_cors, "NoSuchCORSConfiguration"),
        (s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration"),
        (s3.get_bucket_website, "NoSuchWebsiteConfiguration"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call(Bucket=bucket)
        assert error_of(excinfo)["Code"] == code
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
