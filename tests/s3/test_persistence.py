"""
With --data-dir, buckets, objects (inline and file-backed), tags and
multipart uploads in progress survive a restart.
"""

from __future__ import annotations

import os

from ruststack.testing import RustStackProcess


def test_state_survives_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    large = os.urandom(3 * 1024 * 1024)
    first = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="durable")
        s3.put_object(Bucket="durable", Key="small", Body=b"small body", Metadata={"m": "v"}, Tagging="t=1")
        s3.put_object(Bucket="durable", Key="large", Body=large)
        s3.put_object(Bucket="durable", Key="replaced", Body=large)
        s3.put_object(Bucket="durable", Key="replaced", Body=b"second")
        upload_id = s3.create_multipart_upload(Bucket="durable", Key="pending")["UploadId"]
        etag = s3.upload_part(Bucket="durable", Key="pending", UploadId=upload_id, PartNumber=1, Body=b"part")["ETag"]
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "s3", "--data-dir", data_dir)
    try:
        s3 = second.client("s3")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["durable"]
        small = s3.get_object(Bucket="durable", Key="small")
        assert small["Body"].read() == b"small body"
        assert small["Metadata"] == {"m": "v"}
        assert s3.get_object_tagging(Bucket="durable", Key="small")["TagSet"] == [{"Key": "t", "Value": "1"}]
        assert s3.get_object(Bucket="durable", Key="large")["Body"].read() == large
        assert s3.get_object(Bucket="durable", Key="replaced")["Body"].read() == b"second"
        s3.complete_multipart_upload(
            Bucket="durable",
            Key="pending",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
        )
        assert s3.get_object(Bucket="durable", Key="pending")["Body"].read() == b"part"
        # Only live bodies are on disk: the replaced object's file is gone.
        files = os.listdir(os.path.join(data_dir, "s3", "objects"))
        assert len(files) == 1
        second.reset("s3")
        assert s3.list_buckets()["Buckets"] == []
    finally:
        second.stop()
