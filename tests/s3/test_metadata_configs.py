"""
ABAC and S3 Metadata configurations (V1 and V2) through boto3 over a real
socket: stored, returned with their status fields, the errors AWS gives;
kept with --data-dir and forgotten by a reset.
"""

from __future__ import annotations

import http.client

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess

_TABLE_BUCKET = "arn:aws:s3tables:us-east-1:000000000000:bucket/my-tables"


def _error(raised) -> tuple[int, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_abac_is_disabled_until_enabled(s3, bucket):
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Disabled"}
    s3.put_bucket_abac(Bucket=bucket, AbacStatus={"Status": "Enabled"})
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Enabled"}
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_abac(Bucket="no-such-bucket-abac")
    assert _error(raised) == (404, "NoSuchBucket")


def test_v2_configuration_lifecycle(s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_metadata_configuration(Bucket=bucket)
    assert _error(raised) == (404, "MetadataConfigurationNotFound")
    s3.create_bucket_metadata_configuration(
        Bucket=bucket,
        MetadataConfiguration={
            "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED", "Days": 10}},
            "InventoryTableConfiguration": {"ConfigurationState": "DISABLED"},
        },
    )
    result = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"]
    found = result["MetadataConfigurationResult"]
    assert found["DestinationResult"] == {
        "TableBucketType": "aws",
        "TableBucketArn": "arn:aws:s3tables:us-east-1:000000000000:bucket/aws-s3",
        "TableNamespace": f"b_{bucket}",
    }
    journal = found["JournalTableConfigurationResult"]
    assert (journal["TableStatus"], journal["TableName"]) == ("ACTIVE", "journal")
    assert journal["TableArn"].startswith("arn:aws:s3tables:us-east-1:000000000000:bucket/aws-s3/table/")
    assert journal["RecordExpiration"] == {"Expiration": "ENABLED", "Days": 10}
    assert found["InventoryTableConfigurationResult"] == {"ConfigurationState": "DISABLED"}

    with pytest.raises(ClientError) as raised:
        s3.create_bucket_metadata_configuration(
            Bucket=bucket,
            MetadataConfiguration={"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}}},
        )
    assert _error(raised) == (409, "MetadataConfigurationAlreadyExists")

    s3.update_bucket_metadata_inventory_table_configuration(
        Bucket=bucket, InventoryTableConfiguration={"ConfigurationState": "ENABLED"}
    )
    s3.update_bucket_metadata_journal_table_configuration(
        Bucket=bucket, JournalTableConfiguration={"RecordExpiration": {"Expiration": "DISABLED"}}
    )
    found = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"][
        "MetadataConfigurationResult"
    ]
    inventory = found["InventoryTableConfigurationResult"]
    assert (inventory["ConfigurationState"], inventory["TableStatus"], inventory["TableName"]) == (
        "ENABLED",
        "ACTIVE",
        "inventory",
    )
    assert found["JournalTableConfigurationResult"]["RecordExpiration"] == {"Expiration": "DISABLED"}
    assert found["JournalTableConfigurationResult"]["TableArn"] == journal["TableArn"]

    # The V1 operations do not answer a V2 configuration.
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_metadata_table_configuration(Bucket=bucket)
    assert _error(raised) == (405, "MethodNotAllowed")

    s3.delete_bucket_metadata_configuration(Bucket=bucket)
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_metadata_configuration(Bucket=bucket)
    assert _error(raised) == (404, "MetadataConfigurationNotFound")
    with pytest.raises(ClientError) as raised:
        s3.delete_bucket_metadata_configuration(Bucket=bucket)
    assert _error(raised) == (404, "MetadataConfigurationNotFound")
    with pytest.raises(ClientError) as raised:
        s3.update_bucket_metadata_journal_table_configuration(
            Bucket=bucket, JournalTableConfiguration={"RecordExpiration": {"Expiration": "DISABLED"}}
        )
    assert _error(raised) == (404, "MetadataConfigurationNotFound")


@pytest.mark.parametrize(
    "journal",
    [
        {"RecordExpiration": {"Expiration": "ENABLED"}},
        {"RecordExpiration": {"Expiration": "ENABLED", "Days": 6}},
        {"RecordExpiration": {"Expiration": "DISABLED", "Days": 9}},
        {"RecordExpiration": {"Expiration": "DISABLED"}, "EncryptionConfiguration": {"SseAlgorithm": "aws:kms"}},
    ],
)
def test_v2_invalid_journal(s3, bucket, journal):
    with pytest.raises(ClientError) as raised:
        s3.create_bucket_metadata_configuration(
            Bucket=bucket, MetadataConfiguration={"JournalTableConfiguration": journal}
        )
    assert _error(raised) == (400, "InvalidArgument")
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_metadata_configuration(Bucket=bucket)
    assert _error(raised) == (404, "MetadataConfigurationNotFound")


def test_v1_configuration(s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_metadata_table_configuration(Bucket=bucket)
    assert _error(raised) == (404, "MetadataConfigurationNotFound")
    s3.create_bucket_metadata_table_configuration(
        Bucket=bucket,
        MetadataTableConfiguration={"S3TablesDestination": {"TableBucketArn": _TABLE_BUCKET, "TableName": "my_t"}},
    )
    result = s3.get_bucket_metadata_table_configuration(Bucket=bucket)["GetBucketMetadataTableConfigurationResult"]
    assert result["Status"] == "ACTIVE"
    destination = result["MetadataTableConfigurationResult"]["S3TablesDestinationResult"]
    assert destination["TableArn"].startswith(_TABLE_BUCKET + "/table/")
    assert {k: destination[k] for k in ("TableBucketArn", "TableName", "TableNamespace")} == {
        "TableBucketArn": _TABLE_BUCKET,
        "TableName": "my_t",
        "TableNamespace": "aws_s3_metadata",
    }
    # The V2 Get answers a V1 configuration in its own form.
    found = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"][
        "MetadataConfigurationResult"
    ]
    assert found["DestinationResult"]["TableBucketType"] == "customer"
    assert found["JournalTableConfigurationResult"]["TableArn"] == destination["TableArn"]
    s3.delete_bucket_metadata_table_configuration(Bucket=bucket)
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_metadata_configuration(Bucket=bucket)
    assert _error(raised) == (404, "MetadataConfigurationNotFound")


def test_v1_invalid_destination(s3, bucket):
    for destination in (
        {"TableBucketArn": "arn:aws:s3:::not-a-table-bucket", "TableName": "t"},
        {"TableBucketArn": _TABLE_BUCKET, "TableName": "Upper-Case"},
    ):
        with pytest.raises(ClientError) as raised:
            s3.create_bucket_metadata_table_configuration(
                Bucket=bucket, MetadataTableConfiguration={"S3TablesDestination": destination}
            )
        assert _error(raised) == (400, "InvalidArgument")


def test_malformed_document(s3, bucket):
    endpoint = s3.meta.endpoint_url.split("//")[1]
    connection = http.client.HTTPConnection(endpoint, timeout=10)
    try:
        connection.request("PUT", f"/{bucket}?abac", body=b"<AbacStatus><Status>Maybe</Status></AbacStatus>")
        response = connection.getresponse()
        assert (response.status, b"<Code>MalformedXML</Code>" in response.read()) == (400, True)
    finally:
        connection.close()


def test_configurations_survive_restart_and_reset(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="meta")
        s3.put_bucket_abac(Bucket="meta", AbacStatus={"Status": "Enabled"})
        s3.create_bucket_metadata_configuration(
            Bucket="meta",
            MetadataConfiguration={"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}}},
        )
        before = s3.get_bucket_metadata_configuration(Bucket="meta")["GetBucketMetadataConfigurationResult"]
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = second.client("s3")
        assert s3.get_bucket_abac(Bucket="meta")["AbacStatus"] == {"Status": "Enabled"}
        assert s3.get_bucket_metadata_configuration(Bucket="meta")["GetBucketMetadataConfigurationResult"] == before
        second.reset("s3")
        s3.create_bucket(Bucket="meta")
        assert s3.get_bucket_abac(Bucket="meta")["AbacStatus"] == {"Status": "Disabled"}
        with pytest.raises(ClientError) as raised:
            s3.get_bucket_metadata_configuration(Bucket="meta")
        assert _error(raised) == (404, "MetadataConfigurationNotFound")
    finally:
        second.stop()
