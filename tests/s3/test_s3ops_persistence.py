"""
With --data-dir, configurations by id, replication, and a version's
retention and legal hold survive a restart, and still hold the version;
a reset forgets them.
"""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess


def test_configurations_and_locks_survive_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    until = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(days=1)
    first = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="kept", ObjectLockEnabledForBucket=True)
        s3.create_bucket(Bucket="kept-copy")
        s3.put_bucket_versioning(Bucket="kept-copy", VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_metrics_configuration(Bucket="kept", Id="m", MetricsConfiguration={"Id": "m"})
        replication = {
            "Role": "arn:aws:iam::000000000000:role/r",
            "Rules": [{"Prefix": "", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::kept-copy"}}],
        }
        s3.put_bucket_replication(Bucket="kept", ReplicationConfiguration=replication)
        version = s3.put_object(Bucket="kept", Key="k", Body=b"x")["VersionId"]
        s3.put_object_retention(Bucket="kept", Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
        s3.put_object_legal_hold(Bucket="kept", Key="k", LegalHold={"Status": "ON"})
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = second.client("s3")
        assert s3.get_bucket_metrics_configuration(Bucket="kept", Id="m")["MetricsConfiguration"] == {"Id": "m"}
        assert s3.get_bucket_replication(Bucket="kept")["ReplicationConfiguration"] == replication
        assert s3.get_object_retention(Bucket="kept", Key="k")["Retention"]["RetainUntilDate"] == until
        assert s3.get_object_legal_hold(Bucket="kept", Key="k", VersionId=version)["LegalHold"]["Status"] == "ON"
        with pytest.raises(ClientError) as raised:
            s3.delete_object(Bucket="kept", Key="k", VersionId=version)
        assert raised.value.response["Error"]["Code"] == "AccessDenied"
        second.reset("s3")
        assert s3.list_buckets()["Buckets"] == []
        s3.create_bucket(Bucket="kept")
        assert "MetricsConfigurationList" not in s3.list_bucket_metrics_configurations(Bucket="kept")
        with pytest.raises(ClientError) as raised:
            s3.get_bucket_replication(Bucket="kept")
        assert raised.value.response["Error"]["Code"] == "ReplicationConfigurationNotFoundError"
    finally:
        second.stop()
