"""
Analytics, inventory, metrics and Intelligent-Tiering configurations by id
over boto3: put, got back exactly, listed in pages of 100 with
ContinuationToken, deleted, with S3's errors.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.s3.conftest import send_raw


def _error(raised) -> tuple[int, str, str]:
    error = raised.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def analytics(config_id: str) -> dict:
    return {
        "Id": config_id,
        "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "team", "Value": "web"}]}},
        "StorageClassAnalysis": {
            "DataExport": {
                "OutputSchemaVersion": "V_1",
                "Destination": {
                    "S3BucketDestination": {"Format": "CSV", "Bucket": "arn:aws:s3:::reports", "Prefix": "a/"}
                },
            }
        },
    }


def inventory(config_id: str, bucket_arn: str = "arn:aws:s3:::reports") -> dict:
    return {
        "Id": config_id,
        "IsEnabled": True,
        "Destination": {"S3BucketDestination": {"Bucket": bucket_arn, "Format": "Parquet", "Prefix": "inv"}},
        "IncludedObjectVersions": "Current",
        "OptionalFields": ["Size", "ETag"],
        "Schedule": {"Frequency": "Weekly"},
    }


def metrics(config_id: str) -> dict:
    return {"Id": config_id, "Filter": {"Prefix": "images/"}}


def tiering(config_id: str) -> dict:
    return {
        "Id": config_id,
        "Filter": {"Prefix": "cold/"},
        "Status": "Enabled",
        "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}, {"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}],
    }


KINDS = [
    ("analytics", "AnalyticsConfiguration", analytics),
    ("inventory", "InventoryConfiguration", inventory),
    ("metrics", "MetricsConfiguration", metrics),
    ("intelligent_tiering", "IntelligentTieringConfiguration", tiering),
]


@pytest.mark.parametrize(("kind", "member", "make"), KINDS)
def test_put_get_list_delete(s3, bucket, kind, member, make):
    put, get = getattr(s3, f"put_bucket_{kind}_configuration"), getattr(s3, f"get_bucket_{kind}_configuration")
    listed, delete = (
        getattr(s3, f"list_bucket_{kind}_configurations"),
        getattr(s3, f"delete_bucket_{kind}_configuration"),
    )
    assert listed(Bucket=bucket)["IsTruncated"] is False
    assert f"{member}List" not in listed(Bucket=bucket)
    put(Bucket=bucket, Id="second", **{member: make("second")})
    put(Bucket=bucket, Id="first-1.a_b", **{member: make("first-1.a_b")})
    assert get(Bucket=bucket, Id="second")[member] == make("second")
    answer = listed(Bucket=bucket)
    assert answer["IsTruncated"] is False
    assert answer[f"{member}List"] == [make("first-1.a_b"), make("second")]
    # A put replaces the configuration of that id.
    changed = make("second")
    changed["Filter"] = {"Prefix": "other/"}
    put(Bucket=bucket, Id="second", **{member: changed})
    assert get(Bucket=bucket, Id="second")[member] == changed
    assert delete(Bucket=bucket, Id="second")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        get(Bucket=bucket, Id="second")
    assert _error(raised) == (404, "NoSuchConfiguration", "The specified configuration does not exist.")
    with pytest.raises(ClientError) as raised:
        delete(Bucket=bucket, Id="second")
    assert _error(raised)[:2] == (404, "NoSuchConfiguration")
    assert [c["Id"] for c in listed(Bucket=bucket)[f"{member}List"]] == ["first-1.a_b"]


@pytest.mark.parametrize(("kind", "member", "make"), KINDS)
def test_id_mismatch_and_invalid_ids(s3, bucket, kind, member, make):
    put = getattr(s3, f"put_bucket_{kind}_configuration")
    with pytest.raises(ClientError) as raised:
        put(Bucket=bucket, Id="one", **{member: make("two")})
    assert _error(raised) == (400, "IdMismatch", "Document ID does not match the specified configuration ID.")
    for bad in ("has space", "x" * 65, "slash/id"):
        with pytest.raises(ClientError) as raised:
            put(Bucket=bucket, Id=bad, **{member: make(bad)})
        assert _error(raised)[:2] == (400, "InvalidArgument")


def test_list_pages_of_100(s3, bucket):
    ids = [f"m{n:03d}" for n in range(205)]
    for config_id in ids:
        s3.put_bucket_metrics_configuration(Bucket=bucket, Id=config_id, MetricsConfiguration={"Id": config_id})
    seen, token, pages = [], None, 0
    while True:
        answer = s3.list_bucket_metrics_configurations(Bucket=bucket, **({"ContinuationToken": token} if token else {}))
        pages += 1
        seen += [c["Id"] for c in answer["MetricsConfigurationList"]]
        if token:
            assert answer["ContinuationToken"] == token
        if not answer["IsTruncated"]:
            assert "NextContinuationToken" not in answer
            break
        assert len(answer["MetricsConfigurationList"]) == 100
        token = answer["NextContinuationToken"]
    assert (seen, pages) == (ids, 3)
    with pytest.raises(ClientError) as raised:
        s3.list_bucket_metrics_configurations(Bucket=bucket, ContinuationToken="not-ours")
    assert _error(raised) == (400, "InvalidArgument", "The continuation token provided is incorrect")


def test_inventory_destination_must_be_an_arn(s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_inventory_configuration(
            Bucket=bucket, Id="inv", InventoryConfiguration=inventory("inv", bucket_arn="reports")
        )
    assert _error(raised) == (400, "InvalidS3DestinationBucket", "Invalid bucket ARN.")


def test_malformed_documents(stack, bucket):
    for body in (b"", b"<MetricsConfiguration><Nope/></MetricsConfiguration>", b"<Other><Id>a</Id></Other>"):
        response, answer = send_raw(stack, "PUT", f"/{bucket}?metrics&id=a", body)
        assert response.status == 400, answer
        assert b"<Code>MalformedXML</Code>" in answer


def test_missing_bucket_and_other_accounts(stack, s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.list_bucket_inventory_configurations(Bucket="no-such-bucket-s3ops")
    assert _error(raised)[:2] == (404, "NoSuchBucket")
    other = stack.client("s3", aws_access_key_id="999999999999")
    with pytest.raises(ClientError) as raised:
        other.list_bucket_inventory_configurations(Bucket=bucket)
    assert _error(raised)[:2] == (403, "AccessDenied")


def test_configurations_go_with_the_bucket(s3):
    s3.create_bucket(Bucket="byid-gone")
    s3.put_bucket_metrics_configuration(Bucket="byid-gone", Id="m", MetricsConfiguration={"Id": "m"})
    s3.delete_bucket(Bucket="byid-gone")
    s3.create_bucket(Bucket="byid-gone")
    assert "MetricsConfigurationList" not in s3.list_bucket_metrics_configurations(Bucket="byid-gone")
