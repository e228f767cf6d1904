"""
Handlers of the bucket operations: CreateBucket, HeadBucket, DeleteBucket,
ListBuckets, GetBucketLocation, GetBucketVersioning.
"""

from __future__ import annotations

import ipaddress
import re

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.s3 import wire
from ruststack.s3.call import S3Call, S3Context
from ruststack.s3.owners import owner_xml
from ruststack.s3.records import Bucket

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# The legacy global endpoint's region, where re-creating your own bucket is a no-op.
_LEGACY_REGION = "us-east-1"


def valid_bucket_name(name: str) -> bool:
    """
    The general purpose bucket naming rules:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    """
    if not _BUCKET_NAME.match(name) or ".." in name or ".-" in name or "-." in name:
        return False
    try:
        ipaddress.IPv4Address(name)
        return False
    except ValueError:
        pass
    prefixes = ("xn--", "sthree-", "amzn-s3-demo-")
    suffixes = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
    return not name.startswith(prefixes) and not name.endswith(suffixes)


def create_bucket(ctx: S3Context, call: S3Call) -> bytes:
    assert call.bucket is not None
    name = call.bucket
    if not valid_bucket_name(name):
        raise AwsError("InvalidBucketName", "The specified bucket is not valid.", 400, {"BucketName": name})
    body = call.body()
    constraint = None
    if body.strip():
        root = wire.parse(body)
        if root.tag != "CreateBucketConfiguration":
            raise wire.malformed()
        constraint = (wire.text(root, "LocationConstraint") or "").strip() or None
    endpoint_region = call.caller.region or ctx.default_region
    if constraint == _LEGACY_REGION:
        raise AwsError(
            "InvalidLocationConstraint",
            "The specified location-constraint is not valid",
            400,
            {"LocationConstraint": constraint},
        )
    if endpoint_region != _LEGACY_REGION and constraint != endpoint_region:
        described = "unspecified" if constraint is None else constraint
        raise AwsError(
            "IllegalLocationConstraintException",
            f"The {described} location constraint is incompatible for the region specific endpoint this request was"
            " sent to.",
            400,
        )
    region = constraint or _LEGACY_REGION
    existing = ctx.store.get_bucket(name)
    if existing is not None:
        if existing.account != call.caller.account:
            raise AwsError(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared by all users of the"
                " system. Please select a different name and try again.",
                409,
                {"BucketName": name},
            )
        if not (existing.region == _LEGACY_REGION and region == _LEGACY_REGION):
            raise AwsError(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                409,
                {"BucketName": name},
            )
    else:
        ctx.store.create_bucket(Bucket(name, call.caller.account, region, ctx.now()))
    call.set_headers({"Location": f"/{name}"})
    return b""


def head_bucket(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    call.set_headers({"x-amz-bucket-region": bucket.region})
    return b""


def delete_bucket(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    if not ctx.store.bucket_is_empty(bucket.name):
        raise AwsError(
            "BucketNotEmpty", "The bucket you tried to delete is not empty", 409, {"BucketName": bucket.name}
        )
    ctx.store.delete_bucket(bucket.name)
    call.request.setResponseCode(204)
    return b""


def list_buckets(ctx: S3Context, call: S3Call) -> bytes:
    entries = "".join(
        "<Bucket>"
        + wire.element("Name", b.name)
        + wire.element("CreationDate", ids.iso8601(b.created))
        + wire.element("BucketRegion", b.region)
        + "</Bucket>"
        for b in ctx.store.buckets_of(call.caller.account)
    )
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("ListAllMyBucketsResult", [owner_xml(call.caller.account), "<Buckets>", entries, "</Buckets>"])


def get_bucket_location(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    # us-east-1 buckets have an empty LocationConstraint.
    region = "" if bucket.region == _LEGACY_REGION else bucket.region
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("LocationConstraint", [region])


def get_bucket_versioning(ctx: S3Context, call: S3Call) -> bytes:
    ctx.bucket(call)
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("VersioningConfiguration", [])
