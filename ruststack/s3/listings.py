"""
Handlers of the listing operations: ListObjectsV2, ListObjects,
ListObjectVersions and ListMultipartUploads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote
from xml.sax.saxutils import escape

from ruststack.aws import ids
from ruststack.s3 import listing, wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.owners import owner_xml
from ruststack.s3.records import Bucket
from ruststack.s3.store import upload_position

MAX_KEYS = 1000


def _max_keys(call: S3Call, name: str = "max-keys") -> int:
    text = call.query.get(name)
    if text is None:
        return MAX_KEYS
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0 or value > 2**31 - 1:
        raise invalid_argument("Provided max-keys not an integer or within integer range", name, text)
    return min(value, MAX_KEYS)


def _encoder(call: S3Call) -> Callable[[str], str]:
    encoding = call.query.get("encoding-type")
    if encoding is None:
        return lambda text: text
    if encoding != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", encoding)
    # EncodingType=url: keys and prefixes URL-encoded (botocore decodes them with unquote_plus).
    return lambda text: quote(text, safe="/")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def _contents(tag: str, encode, row, owner: str, extra: str = "") -> str:
    key, size, etag, modified, storage_class, algorithm, checksum_type = row
    # Only the key needs escaping: ETags are hex in quotes, the rest are ours.
    checksum = (
        f"<ChecksumAlgorithm>{algorithm}</ChecksumAlgorithm><ChecksumType>{checksum_type}</ChecksumType>"
        if algorithm
        else ""
    )
    return (
        f"<{tag}><Key>{escape(encode(_text(key)))}</Key>{extra}<LastModified>{modified}</LastModified>"
        f"<ETag>{etag}</ETag>{checksum}<Size>{size}</Size>{owner}<StorageClass>{storage_class}</StorageClass></{tag}>"
    )


class _Request(NamedTuple):
    """
    What every listing reads of its request first: the bucket, and the
    query's page size, key encoding, prefix and delimiter.
    """

    bucket: Bucket
    max_keys: int
    encode: Callable[[str], str]
    prefix: str
    delimiter: str


def _request(ctx: S3Context, call: S3Call, max_keys_name: str = "max-keys") -> _Request:
    query = call.query
    # Checked in this order: the bucket (NoSuchBucket, AccessDenied), then the query.
    bucket, max_keys, encode = ctx.bucket(call), _max_keys(call, max_keys_name), _encoder(call)
    return _Request(bucket, max_keys, encode, query.get("prefix", ""), query.get("delimiter", ""))


def _result(call: S3Call, root: str, parts: list[str], encode: Callable[[str], str], page: listing.Page) -> bytes:
    # Every listing's document ends with the page's common prefixes.
    parts.extend(
        "<CommonPrefixes>" + wire.element("Prefix", encode(_text(p))) + "</CommonPrefixes>"
        for p in page.common_prefixes
    )
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document(root, parts)


def list_objects_v2(ctx: S3Context, call: S3Call) -> bytes:
    bucket, max_keys, encode, prefix, delimiter = _request(ctx, call)
    query = call.query
    token = query.get("continuation-token")
    start_after = query.get("start-after", "")
    if token is not None:
        try:
            after: str | bytes = listing.decode_token(token)
        except ValueError:
            raise invalid_argument(
                "The continuation token provided is incorrect", "continuation-token", token
            ) from None
    else:
        after = start_after
    page = ctx.store.list_objects(bucket.name, prefix, delimiter, after, max_keys)
    fetch_owner = query.get("fetch-owner") == "true"
    next_token = listing.encode_token(page.next_after) if page.truncated and page.next_after is not None else None
    parts = [
        wire.element("Name", bucket.name),
        wire.element("Prefix", encode(prefix)),
        wire.optional("Delimiter", encode(delimiter)),
        wire.element("MaxKeys", max_keys),
        wire.optional("EncodingType", query.get("encoding-type")),
        wire.element("KeyCount", len(page.rows) + len(page.common_prefixes)),
        wire.element("IsTruncated", page.truncated),
        wire.optional("ContinuationToken", token),
        wire.optional("NextContinuationToken", next_token),
        wire.optional("StartAfter", encode(start_after)),
    ]
    owner = owner_xml(bucket.account) if fetch_owner else ""
    parts.extend(_contents("Contents", encode, row, owner) for row in page.rows)
    return _result(call, "ListBucketResult", parts, encode, page)


def list_objects(ctx: S3Context, call: S3Call) -> bytes:
    bucket, max_keys, encode, prefix, delimiter = _request(ctx, call)
    query = call.query
    marker = query.get("marker", "")
    page = ctx.store.list_objects(bucket.name, prefix, delimiter, marker, max_keys)
    parts = [
        wire.element("Name", bucket.name),
        wire.element("Prefix", encode(prefix)),
        wire.element("Marker", encode(marker)),
        # S3 gives NextMarker only with a delimiter; without, clients resume after the last key.
        wire.optional(
            "NextMarker", encode(_text(page.next_after)) if page.truncated and delimiter and page.next_after else None
        ),
        wire.element("MaxKeys", max_keys),
        wire.optional("Delimiter", encode(delimiter)),
        wire.optional("EncodingType", query.get("encoding-type")),
        wire.element("IsTruncated", page.truncated),
    ]
    owner = owner_xml(bucket.account)
    parts.extend(_contents("Contents", encode, row, owner) for row in page.rows)
    return _result(call, "ListBucketResult", parts, encode, page)


def list_object_versions(ctx: S3Context, call: S3Call) -> bytes:
    bucket, max_keys, encode, prefix, delimiter = _request(ctx, call)
    query = call.query
    key_marker = query.get("key-marker", "")
    page = ctx.store.list_objects(bucket.name, prefix, delimiter, key_marker, max_keys)
    next_marker = _text(page.next_after) if page.truncated and page.next_after else None
    parts = [
        wire.element("Name", bucket.name),
        wire.element("Prefix", encode(prefix)),
        wire.element("KeyMarker", encode(key_marker)),
        wire.element("VersionIdMarker", query.get("version-id-marker", "")),
        wire.optional("NextKeyMarker", encode(next_marker) if next_marker else None),
        wire.optional("NextVersionIdMarker", "null" if next_marker else None),
        wire.element("MaxKeys", max_keys),
        wire.optional("Delimiter", encode(delimiter)),
        wire.optional("EncodingType", query.get("encoding-type")),
        wire.element("IsTruncated", page.truncated),
    ]
    # Unversioned: each object is its only version, "null", and the latest.
    extra = wire.element("VersionId", "null") + wire.element("IsLatest", True)
    owner = owner_xml(bucket.account)
    parts.extend(_contents("Version", encode, row, owner, extra) for row in page.rows)
    return _result(call, "ListVersionsResult", parts, encode, page)


def list_multipart_uploads(ctx: S3Context, call: S3Call) -> bytes:
    bucket, max_uploads, encode, prefix, delimiter = _request(ctx, call, "max-uploads")
    query = call.query
    key_marker = query.get("key-marker", "")
    upload_marker = query.get("upload-id-marker", "")
    after = b""
    if key_marker:
        # Resume after the marker upload, or after every upload of the marker key.
        marked = ctx.store.get_upload(upload_marker) if upload_marker else None
        if marked is not None and marked.key == key_marker:
            after = upload_position(marked)
        else:
            after = key_marker.encode("utf-8", "surrogatepass") + b"\0\xff"
    page = ctx.store.list_uploads(bucket.name, prefix, delimiter, after, max_uploads)
    next_key = next_upload = None
    if page.truncated and page.next_after:
        if page.rows and page.next_after == page.rows[-1][0]:
            last = page.rows[-1][1]
            next_key, next_upload = last.key, last.upload_id
        else:
            next_key = _text(page.next_after)
    parts = [
        wire.element("Bucket", bucket.name),
        wire.element("KeyMarker", encode(key_marker)),
        wire.element("UploadIdMarker", upload_marker),
        wire.optional("NextKeyMarker", encode(next_key) if next_key else None),
        wire.optional("NextUploadIdMarker", next_upload),
        wire.element("Prefix", encode(prefix)),
        wire.optional("Delimiter", encode(delimiter)),
        wire.element("MaxUploads", max_uploads),
        wire.optional("EncodingType", query.get("encoding-type")),
        wire.element("IsTruncated", page.truncated),
    ]
    for _, upload in page.rows:
        parts.append(
            "<Upload>"
            + wire.element("Key", encode(upload.key))
            + wire.element("UploadId", upload.upload_id)
            + owner_xml(upload.account, "Initiator")
            + owner_xml(upload.account)
            + wire.element("StorageClass", upload.meta.storage_class)
            + wire.element("Initiated", ids.iso8601(upload.initiated))
            + wire.optional("ChecksumAlgorithm", upload.checksum_algorithm)
            + wire.optional("ChecksumType", upload.checksum_type)
            + "</Upload>"
        )
    return _result(call, "ListMultipartUploadsResult", parts, encode, page)
