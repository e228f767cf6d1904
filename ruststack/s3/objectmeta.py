"""
Object metadata between HTTP headers and the store: what a PUT, copy or
multipart upload stores, and what GET/HEAD send back.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from urllib.parse import parse_qsl

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.s3 import checksums, encryption
from ruststack.s3.encodedwords import decode_header_value, encode_header_value
from ruststack.s3.records import ObjectMeta, ObjectRecord

# Representation headers S3 stores and returns as given.
STORED_HEADERS = (
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
    "x-amz-website-redirect-location",
)
# GetObject's response-* query parameters override these on the response.
RESPONSE_OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-language": "content-language",
    "response-expires": "expires",
    "response-cache-control": "cache-control",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
}
MAX_KEY_BYTES = 1024
MAX_TAGS = 10


def check_key(key: str) -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise AwsError(
            "KeyTooLongError",
            "Your key is too long",
            400,
            {"MaxSizeAllowed": MAX_KEY_BYTES, "Size": len(key.encode("utf-8", "surrogatepass"))},
        )


def meta_from_headers(
    headers: Mapping[str, str], checksum: tuple[str, str, str] | None = None, sse: dict | None = None
) -> ObjectMeta:
    """
    The metadata a PUT (or CopyObject with REPLACE, or
    CreateMultipartUpload) stores from its request headers, with the
    encryption C{sse} it gets (L{ruststack.s3.encryption.of_write}).
    """
    stored = {"content-type": headers.get("content-type") or "binary/octet-stream"}
    for name in STORED_HEADERS:
        value = headers.get(name)
        if value:
            stored[name] = value
    encoding = stored.get("content-encoding")
    if encoding is not None:
        # aws-chunked describes the upload, not the object.
        kept = [part.strip() for part in encoding.split(",") if part.strip() and part.strip() != "aws-chunked"]
        if kept:
            stored["content-encoding"] = ",".join(kept)
        else:
            del stored["content-encoding"]
    user = {
        name[len("x-amz-meta-") :]: decode_header_value(value)
        for name, value in headers.items()
        if name.startswith("x-amz-meta-")
    }
    return ObjectMeta(
        headers=stored,
        user=user,
        checksum=checksum,
        tags=tags_from_header(headers.get("x-amz-tagging")),
        storage_class=headers.get("x-amz-storage-class") or "STANDARD",
        sse=sse,
    )


def tags_from_header(value: str | None) -> dict[str, str]:
    """
    The C{x-amz-tagging} header: a URL query string of tags.
    """
    if not value:
        return {}
    tags = dict(parse_qsl(value, keep_blank_values=True))
    check_tags(tags)
    return tags


def check_tags(tags: Mapping[str, str]) -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
    if len(tags) > MAX_TAGS:
        raise AwsError("BadRequest", "Object tags cannot be greater than 10", 400)
    for key, value in tags.items():
        if not key or len(key) > 128:
            raise AwsError("InvalidTag", "The TagKey you have provided is invalid", 400, {"TagKey": key})
        if len(value) > 256:
            raise AwsError(
                "InvalidTag", "The TagValue you have provided is invalid", 400, {"TagKey": key, "TagValue": value}
            )


@functools.lru_cache(maxsize=1024)
def _http_date(second: int) -> str:
    return ids.http_date(second)


def http_date(when: float) -> str:
    """
    L{ids.http_date}, remembered: objects written in the same second share it.
    """
    return _http_date(int(when))


def response_headers(
    record: ObjectRecord, query: Mapping[str, str], checksum_mode: bool, part: int | None = None
) -> dict[str, str]:
    """
    The headers GetObject/HeadObject send for C{record}, or for its part
    C{part} (without Content-Length and Content-Range).
    """
    meta = record.meta
    headers = {
        "ETag": record.etag,
        "Last-Modified": http_date(record.last_modified),
        "Accept-Ranges": "bytes",
        **encryption.headers(meta.sse),
    }
    headers.update(meta.headers)
    for name, value in meta.user.items():
        headers["x-amz-meta-" + name] = encode_header_value(value)
    if meta.storage_class != "STANDARD":
        headers["x-amz-storage-class"] = meta.storage_class
    if meta.parts:
        headers["x-amz-mp-parts-count"] = str(meta.parts)
    if meta.tags:
        headers["x-amz-tagging-count"] = str(len(meta.tags))
    if checksum_mode and meta.checksum:
        algorithm, value, checksum_type = meta.checksum
        if part is None:
            headers[checksums.header_name(algorithm)] = value
            headers["x-amz-checksum-type"] = checksum_type
        elif meta.parts and part <= len(meta.part_checksums) and meta.part_checksums[part - 1]:
            # A part of a multipart object: that part's own checksum.
            headers[checksums.header_name(algorithm)] = meta.part_checksums[part - 1]
            headers["x-amz-checksum-type"] = checksum_type
        elif not meta.parts and checksum_type == "FULL_OBJECT":
            # A simple object is its own part 1.
            headers[checksums.header_name(algorithm)] = value
            headers["x-amz-checksum-type"] = checksum_type
    for parameter, header in RESPONSE_OVERRIDES.items():
        override = query.get(parameter)
        if override is not None:
            headers[header] = override
    return headers
