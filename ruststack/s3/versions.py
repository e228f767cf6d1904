"""
S3 versioning: PutBucketVersioning, GetBucketVersioning,
ListObjectVersions, DeleteObject (delete markers, deleting a version), and
what the object handlers share about version ids (their syntax, the
C{x-amz-version-id} headers, committing a new version).
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
"""

from __future__ import annotations

import re

import attrs

from ruststack.aws.errors import AwsError
from ruststack.s3 import wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.listings import _request, _result
from ruststack.s3.objectmeta import http_date
from ruststack.s3.owners import owner_xml
from ruststack.s3.records import ObjectRecord
from ruststack.s3.versionstore import ENABLED, NULL, SUSPENDED, Listed, Version, after_key, position

VERSION_HEADER = "x-amz-version-id"
MARKER_HEADER = "x-amz-delete-marker"
# The version ids RustStack makes (L{versionstore.new_version_id}), and "null".
_VERSION_ID = re.compile(r"^[A-Za-z0-9._-]{32}$")


def valid_version_id(text: str) -> bool:
    return text == NULL or _VERSION_ID.match(text) is not None


def parse_version_id(text: str, argument: str = "versionId") -> str | None:
    """
    A version id from a request: C{None} for the null version; a value that
    cannot be a version id is InvalidArgument, as S3 answers it.
    """
    if not valid_version_id(text):
        raise invalid_version(text, argument)
    return None if text == NULL else text


def invalid_version(text: str, argument: str = "versionId") -> AwsError:
    return invalid_argument("Invalid version id specified", argument, text)


def no_such_version(key: str, version: str) -> AwsError:
    return AwsError(
        "NoSuchVersion",
        "The specified version does not exist.",
        404,
        {"Key": key, "VersionId": version},
    )


def shown(version_id: str | None) -> str:
    return version_id or NULL


def version_headers(ctx: S3Context, record: ObjectRecord, asked: bool = False) -> dict[str, str]:
    """
    C{x-amz-version-id} for an answer about C{record}: on a bucket that has
    a versioning status, or when the request named a version.
    """
    if record.version_id is None and not asked and ctx.store.versions.status(record.bucket) is None:
        return {}
    return {VERSION_HEADER: shown(record.version_id)}


def commit_object(ctx: S3Context, record: ObjectRecord) -> tuple[ObjectRecord, dict[str, str]]:
    """
    Commit C{record} (its body placed) as its key's new current version:
    a new version id on an Enabled bucket (the previous object kept as a
    noncurrent version), the null version otherwise. Returns the record
    committed and the headers naming its version.
    """
    versions = ctx.store.versions
    if versions.status(record.bucket) is None:
        ctx.store.put_object(record)  # never versioned: the null version, replaced
        return record, {}
    with ctx.store.transaction():
        version_id, archived = versions.prepare_write(record.bucket, record.key)
        if version_id is not None:
            record = record.as_version(version_id)
        ctx.store.put_object(record, keep_previous=archived)
    return record, version_headers(ctx, record)


def marker_error(error: AwsError, marker: Version) -> AwsError:
    """
    C{error} with the headers S3 adds when the latest version of the key is
    a delete marker.
    """
    headers = {**error.headers, MARKER_HEADER: "true", VERSION_HEADER: marker.shown_id}
    return AwsError(error.code, error.message, error.status, error.fields, headers)


def marker_by_version(call: S3Call, marker: Version) -> AwsError:
    """
    GET or HEAD of a delete marker by its version id.
    """
    return AwsError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        {"Method": call.method, "ResourceType": "DeleteMarker"},
        {MARKER_HEADER: "true", VERSION_HEADER: marker.shown_id, "Last-Modified": http_date(marker.modified)},
    )


# Bucket configuration

_MFA_REFUSED = "DevPay and Mfa are mutually exclusive authorization methods."


def put_bucket_versioning(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    root = wire.parse(call.body())
    if root.tag != "VersioningConfiguration":
        raise wire.malformed()
    status = wire.text(root, "Status")
    mfa_delete = wire.text(root, "MfaDelete")
    if status not in (None, ENABLED, SUSPENDED) or mfa_delete not in (None, "Enabled", "Disabled"):
        raise wire.malformed()
    if mfa_delete == "Enabled" or "x-amz-mfa" in call.headers:
        # MFA delete needs the root user's MFA device, which RustStack has no way to check.
        raise AwsError("InvalidRequest", _MFA_REFUSED, 400)
    versions = ctx.store.versions
    current_status, current_mfa = versions.configuration(bucket.name)
    if status is None and current_status is None:
        # Nothing to change: a never-versioned bucket stays so.
        return b""
    versions.set_configuration(bucket.name, status or current_status or SUSPENDED, mfa_delete or current_mfa)
    return b""


def get_bucket_versioning(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    status, mfa_delete = ctx.store.versions.configuration(bucket.name)
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document(
        "VersioningConfiguration", [wire.optional("Status", status), wire.optional("MfaDelete", mfa_delete)]
    )


# Deleting


@attrs.frozen
class Deletion:
    """
    What deleting a key (or one of its versions) did, as DeleteObject's
    headers and DeleteObjects' C{Deleted} entries tell it.
    """

    version_id: str | None = None  # the version deleted, when one was named
    marker: bool = False  # a delete marker was deleted or made
    marker_version_id: str | None = None  # the marker made

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.marker:
            headers[MARKER_HEADER] = "true"
        if self.marker_version_id is not None:
            headers[VERSION_HEADER] = self.marker_version_id
        elif self.version_id is not None:
            headers[VERSION_HEADER] = self.version_id
        return headers


def delete_key(ctx: S3Context, bucket: str, key: str, version: str | None) -> Deletion:
    """
    Delete C{key} of C{bucket}: its version C{version} (as the request
    spelled it, checked) permanently; without one, the object itself on an
    unversioned bucket, or by putting a delete marker on top of it.
    """
    store = ctx.store
    if version is not None:
        version_id = parse_version_id(version)
        with store.transaction():
            deleted = store.versions.delete_version(bucket, key, version_id)
        if deleted is not None and deleted.marker:
            return Deletion(version, True, version)
        return Deletion(version)
    if store.versions.status(bucket) is None:
        store.delete_object(bucket, key)
        return Deletion()
    with store.transaction():
        made = store.versions.add_marker(bucket, key, ctx.now())
    return Deletion(None, True, shown(made))


def delete_object(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    assert call.key is not None
    deletion = delete_key(ctx, bucket.name, call.key, call.query.get("versionId"))
    call.request.setResponseCode(204)
    call.set_headers(deletion.headers())
    return b""


# Listing


def list_object_versions(ctx: S3Context, call: S3Call) -> bytes:
    bucket, max_keys, encode, prefix, delimiter = _request(ctx, call)
    query = call.query
    key_marker = query.get("key-marker", "")
    version_marker = query.get("version-id-marker", "")
    after = start_position(ctx, bucket.name, key_marker, version_marker)
    page = ctx.store.versions.list_versions(bucket.name, prefix, delimiter, after, max_keys)
    next_key = next_version = None
    if page.truncated and page.next_after:
        last = page.rows[-1] if page.rows else None
        if last is not None and page.next_after == last.position:
            next_key, next_version = _text(last.key), shown(last.version_id)
        else:
            next_key = _text(page.next_after)
    parts = [
        wire.element("Name", bucket.name),
        wire.element("Prefix", encode(prefix)),
        wire.element("KeyMarker", encode(key_marker)),
        wire.element("VersionIdMarker", version_marker),
        wire.optional("NextKeyMarker", encode(next_key) if next_key else None),
        wire.optional("NextVersionIdMarker", next_version),
        wire.element("MaxKeys", max_keys),
        wire.optional("Delimiter", encode(delimiter)),
        wire.optional("EncodingType", query.get("encoding-type")),
        wire.element("IsTruncated", page.truncated),
    ]
    owner = owner_xml(bucket.account)
    parts.extend(_entry(row, encode, owner) for row in page.rows)
    return _result(call, "ListVersionsResult", parts, encode, page)


def start_position(ctx: S3Context, bucket: str, key_marker: str, version_marker: str) -> bytes:
    """
    Where a listing resumes: after every version of C{key_marker}, or after
    its version C{version_marker}.
    """
    if not version_marker:
        return after_key(key_marker) if key_marker else b""
    if not key_marker:
        raise invalid_argument(
            "A version-id marker cannot be specified without a key marker.", "version-id-marker", version_marker
        )
    version_id = parse_version_id(version_marker, "version-id-marker")
    rank = ctx.store.versions.rank_of(bucket, key_marker, version_id)
    if rank is None:
        # A version deleted since the previous page: resume after the key.
        return after_key(key_marker)
    return position(key_marker.encode("utf-8", "surrogatepass"), rank)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def _entry(row: Listed, encode, owner: str) -> str:
    key = wire.element("Key", encode(_text(row.key)))
    head = key + wire.element("VersionId", shown(row.version_id)) + wire.element("IsLatest", row.latest)
    modified = f"<LastModified>{row.modified}</LastModified>"
    if row.marker:
        return f"<DeleteMarker>{owner}{head}{modified}</DeleteMarker>"
    checksum = (
        wire.element("ChecksumAlgorithm", row.checksum_algorithm) + wire.element("ChecksumType", row.checksum_type)
        if row.checksum_algorithm
        else ""
    )
    return (
        f"<Version>{head}{modified}<ETag>{row.etag}</ETag>{checksum}<Size>{row.size}</Size>{owner}"
        f"<StorageClass>{row.storage_class or 'STANDARD'}</StorageClass></Version>"
    )
