"""
PutBucketTagging, GetBucketTagging and DeleteBucketTagging: a bucket's tag
set, kept by the store and replaced whole by each put, as S3 does.
CloudFormation tags the buckets of its templates this way.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
"""

from __future__ import annotations

from ruststack.aws.errors import AwsError
from ruststack.s3 import wire
from ruststack.s3.call import S3Call, S3Context

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/CostAllocTagging.html
MAX_BUCKET_TAGS = 50


def parse_tag_set(body: bytes) -> list[tuple[str, str]]:
    """
    The tags of a C{<Tagging>} document, in its order, checked as S3 checks
    a bucket's: unique keys of 1 to 128 characters, values of at most 256,
    no C{aws:} keys (those are AWS's own), at most 50.
    """
    root = wire.parse(body)
    tag_set = root.find("TagSet")
    if root.tag != "Tagging" or tag_set is None:
        raise wire.malformed()
    tags: list[tuple[str, str]] = []
    seen: set[str] = set()
    for tag in tag_set.findall("Tag"):
        key, value = wire.text(tag, "Key"), wire.text(tag, "Value")
        if key is None or value is None:
            raise wire.malformed()
        if key in seen:
            raise AwsError("InvalidTag", "Cannot provide multiple Tags with the same key", 400, {"TagKey": key})
        if key.lower().startswith("aws:"):
            raise AwsError("InvalidTag", "System tags cannot be added/updated by requester", 400)
        if not key or len(key) > 128:
            raise AwsError("InvalidTag", "The TagKey you have provided is invalid", 400, {"TagKey": key})
        if len(value) > 256:
            raise AwsError("InvalidTag", "The TagValue you have provided is invalid", 400, {"TagKey": key})
        seen.add(key)
        tags.append((key, value))
    if len(tags) > MAX_BUCKET_TAGS:
        raise AwsError("BadRequest", f"Bucket tag count cannot be greater than {MAX_BUCKET_TAGS}", 400)
    return tags


def put_bucket_tagging(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    tags = parse_tag_set(call.body())
    # An empty tag set leaves the bucket without one, as DeleteBucketTagging.
    ctx.store.set_bucket_tags(bucket.name, tags or None)
    call.request.setResponseCode(204)
    return b""


def get_bucket_tagging(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    tags = ctx.store.bucket_tags(bucket.name)
    if tags is None:
        raise AwsError("NoSuchTagSet", "The TagSet does not exist", 404, {"BucketName": bucket.name})
    entries = "".join(
        "<Tag>" + wire.element("Key", key) + wire.element("Value", value) + "</Tag>" for key, value in tags
    )
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("Tagging", ["<TagSet>", entries, "</TagSet>"])


def delete_bucket_tagging(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    ctx.store.set_bucket_tags(bucket.name, None)
    call.request.setResponseCode(204)
    return b""
