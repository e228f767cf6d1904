"""
Handlers of the bucket operations: CreateBucket, HeadBucket, DeleteBucket,
ListBuckets, GetBucketLocation.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.s3 import access, configs, listing, wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.owners import owner_xml
from ruststack.s3.records import Bucket
from ruststack.s3.versionstore import ENABLED

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# The legacy global endpoint's region, where re-creating your own bucket is a no-op.
_LEGACY_REGION = "us-east-1"
# ListBuckets' page size when paginated without max-buckets, and its cap.
MAX_BUCKETS = 10000


@functools.cache
def location_constraints() -> frozenset[str]:
    """
    The LocationConstraint values S3 knows: the regions of botocore's
    C{BucketLocationConstraint} (and C{EU}, eu-west-1's old name).
    """
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    return frozenset(model.shape_for("BucketLocationConstraint").enum)


_EU = "EU"
# Kept for a bucket created with the constraint EU, which GetBucketLocation answers as given.
_LOCATION_CONSTRAINT = "location-constraint"


def _constraint_region(constraint: str) -> str:
    return "eu-west-1" if constraint == _EU else constraint


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


def _signed(call: S3Call) -> None:
    # Buckets are made and listed by an account: never by an anonymous request.
    if call.caller.account == access.ANONYMOUS:
        raise access.access_denied()


def create_bucket(ctx: S3Context, call: S3Call) -> bytes:
    assert call.bucket is not None
    _signed(call)
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
    if constraint is not None and constraint not in location_constraints():
        # us-east-1 is not among them: its buckets are made without a constraint.
        raise AwsError(
            "InvalidLocationConstraint",
            "The specified location-constraint is not valid",
            400,
            {"LocationConstraint": constraint},
        )
    if endpoint_region != _LEGACY_REGION and (constraint is None or _constraint_region(constraint) != endpoint_region):
        described = "unspecified" if constraint is None else constraint
        raise AwsError(
            "IllegalLocationConstraintException",
            f"The {described} location constraint is incompatible for the region specific endpoint this request was"
            " sent to.",
            400,
        )
    region = _constraint_region(constraint) if constraint else _LEGACY_REGION
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
        initial = configs.initial_configs(ctx, call)
        ctx.store.create_bucket(Bucket(name, call.caller.account, region, ctx.now()))
        if constraint == _EU:
            initial[_LOCATION_CONSTRAINT] = _EU
        for kind, document in initial.items():
            ctx.store.set_bucket_config(name, kind, document)
        if configs.OBJECT_LOCK.kind in initial:
            # Object Lock needs versioning, which S3 turns on for good.
            ctx.store.versions.set_configuration(name, ENABLED, None)
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
    """
    The caller's buckets in name order, paged as S3 pages them: with
    max-buckets, continuation-token, prefix or bucket-region, at most
    max-buckets (default 10,000) a page and a ContinuationToken when more
    follow. See https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
    """
    _signed(call)
    query = call.query
    paged = any(name in query for name in ("max-buckets", "continuation-token", "prefix", "bucket-region"))
    limit = MAX_BUCKETS
    if "max-buckets" in query:
        text = query["max-buckets"]
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_BUCKETS:
            raise invalid_argument(
                f"Argument max-buckets must be an integer between 1 and {MAX_BUCKETS}", "max-buckets", text
            )
        limit = int(text)
    after = ""
    token = query.get("continuation-token")
    if token:
        try:
            after = listing.decode_token(token).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise invalid_argument(
                "The continuation token provided is incorrect", "continuation-token", token
            ) from None
    prefix = query.get("prefix", "")
    region = query.get("bucket-region")
    found = [
        b
        for b in ctx.store.buckets_of(call.caller.account)
        if b.name > after and b.name.startswith(prefix) and (region is None or b.region == region)
    ]
    page = found[:limit] if paged else found
    entries = "".join(
        "<Bucket>"
        + wire.element("Name", b.name)
        + wire.element("CreationDate", ids.iso8601(b.created))
        + wire.element("BucketRegion", b.region)
        + "</Bucket>"
        for b in page
    )
    next_token = listing.encode_token(page[-1].name.encode("utf-8")) if len(found) > len(page) else None
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document(
        "ListAllMyBucketsResult",
        [
            owner_xml(call.caller.account),
            "<Buckets>",
            entries,
            "</Buckets>",
            wire.optional("ContinuationToken", next_token),
            wire.optional("Prefix", query.get("prefix")),
        ],
    )


def get_bucket_location(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    # us-east-1 buckets have an empty LocationConstraint, and those created with EU say EU.
    region = "" if bucket.region == _LEGACY_REGION else bucket.region
    constraint = ctx.store.bucket_config(bucket.name, _LOCATION_CONSTRAINT) or region
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("LocationConstraint", [constraint])
