"""
S3 replication configurations: Put/Get/DeleteBucketReplication, a whole
document kept as the other bucket configurations are
(L{ruststack.s3.configs}). Stored, not applied: no object is copied to the
destination.
"""

from __future__ import annotations

from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.s3 import configs, wire
from ruststack.s3.call import S3Context
from ruststack.s3.records import Bucket
from ruststack.s3.versionstore import ENABLED

MAX_RULES = 1000
_BUCKET_ARN = "arn:aws:s3:::"


def _invalid_request(message: str) -> AwsError:
    return AwsError("InvalidRequest", message, 400)


def _check_replication(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    if ctx.store.versions.status(bucket.name) != ENABLED:
        raise _invalid_request("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
    rules = values["Rules"]
    if not rules or len(rules) > MAX_RULES:
        raise wire.malformed()
    for rule in rules:
        destination = rule["Destination"]["Bucket"]
        name = destination[len(_BUCKET_ARN) :] if destination.startswith(_BUCKET_ARN) else None
        target = None if name is None else ctx.store.get_bucket(name)
        if target is None:
            raise _invalid_request("Destination bucket must exist.")
        if ctx.store.versions.status(target.name) != ENABLED:
            raise _invalid_request("Destination bucket must have versioning enabled.")


REPLICATION = configs.Config(
    "replication",
    "PutBucketReplication",
    ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
    validate=_check_replication,
)

put_bucket_replication = configs.put_handler(REPLICATION)
get_bucket_replication = configs.get_handler(REPLICATION)
delete_bucket_replication = configs.delete_handler(REPLICATION)
