"""
The AWS CLI's s3api commands for S3 Select, torrents and S3 Metadata.
"""

from __future__ import annotations

import json

from ruststack.s3.torrent import bdecode
from tests.cli import needs_cli, run_aws

pytestmark = needs_cli


def aws(stack, *args: str) -> str:
    return run_aws(stack.endpoint_url, *args).stdout


def test_cli_select_torrent_and_metadata(stack, tmp_path):
    aws(stack, "s3api", "create-bucket", "--bucket", "cli-more")
    source = tmp_path / "people.csv"
    source.write_bytes(b"name,age\nalice,30\nbob,25\n")
    aws(stack, "s3api", "put-object", "--bucket", "cli-more", "--key", "people.csv", "--body", str(source))
    selected = tmp_path / "selected.json"
    aws(
        stack, "s3api", "select-object-content", "--bucket", "cli-more", "--key", "people.csv",
        "--expression", "SELECT s.name FROM S3Object s WHERE CAST(s.age AS INT) > 26",
        "--expression-type", "SQL",
        "--input-serialization", '{"CSV": {"FileHeaderInfo": "USE"}}',
        "--output-serialization", '{"JSON": {}}',
        str(selected),
    )  # fmt: skip
    assert selected.read_bytes() == b'{"name":"alice"}\n'
    torrent = tmp_path / "people.torrent"
    aws(stack, "s3api", "get-object-torrent", "--bucket", "cli-more", "--key", "people.csv", str(torrent))
    info = bdecode(torrent.read_bytes())[b"info"]
    assert (info[b"name"], info[b"length"]) == (b"people.csv", source.stat().st_size)
    aws(
        stack, "s3api", "create-bucket-metadata-configuration", "--bucket", "cli-more",
        "--metadata-configuration", '{"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}}}',
    )  # fmt: skip
    found = json.loads(aws(stack, "s3api", "get-bucket-metadata-configuration", "--bucket", "cli-more"))
    journal = found["GetBucketMetadataConfigurationResult"]["MetadataConfigurationResult"][
        "JournalTableConfigurationResult"
    ]
    assert journal["TableStatus"] == "ACTIVE"
