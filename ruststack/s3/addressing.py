"""
Which bucket and key an S3 request addresses: path style
(C{/bucket/key}) or virtual-host style (C{Host: bucket.s3.<anything>},
C{Host: bucket.localhost[:port]}).
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

import attrs

from ruststack.aws.errors import AwsError

_VIRTUAL_S3 = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-_]*?)\.s3[.-]")
_VIRTUAL_LOCALHOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-_]*)\.localhost$")


@attrs.frozen
class Address:
    """
    C{bucket} is C{None} for the service (ListBuckets), C{key} C{None} for
    a bucket. Which operation the query names is L{ruststack.s3.routing}'s
    to say.
    """

    bucket: str | None
    key: str | None
    query: dict[str, str]


def bucket_from_host(host: str) -> str | None:
    """
    The bucket a virtual-host style C{Host} names, if it names one.
    """
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    match = _VIRTUAL_S3.match(name) or _VIRTUAL_LOCALHOST.match(name)
    return match.group("bucket") if match else None


def sigv2_resources(host: str, path: str) -> list[str]:
    """
    The canonical resources a SigV2 signature may cover: C{/bucket/key},
    where a bucket alone is C{/bucket/} (as S3 and botocore write it), and
    for a virtual-host request the path under the bucket its host names.
    """
    candidates = [path]
    if path.count("/") == 1 and len(path) > 1:
        candidates.append(path + "/")
    bucket = bucket_from_host(host)
    if bucket is not None:
        candidates.append(f"/{bucket}{path}")
    return candidates


def parse_query(raw: bytes) -> dict[str, str]:
    """
    Query parameters (first value of each), percent- and plus-decoded.
    """
    query: dict[str, str] = {}
    if not raw:
        return query
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        name_text = _decode(name.replace(b"+", b" "))
        if name_text not in query:
            query[name_text] = _decode(value.replace(b"+", b" "))
    return query


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise AwsError("InvalidURI", "Couldn't parse the specified URI.", 400) from None


def address(host: str, path: bytes, raw_query: bytes) -> Address:
    """
    Parse a request's target.
    """
    query = parse_query(raw_query)
    virtual = bucket_from_host(host)
    if virtual is not None:
        key_part = path[1:] if path.startswith(b"/") else path
        return Address(virtual, _decode(key_part) if key_part else None, query)
    stripped = path.lstrip(b"/")
    if not stripped:
        return Address(None, None, query)
    bucket, slash, key_part = stripped.partition(b"/")
    key = _decode(key_part) if slash and key_part else None
    return Address(_decode(bucket), key, query)
