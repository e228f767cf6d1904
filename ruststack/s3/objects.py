"""
Handlers of the object operations: PutObject, GetObject, HeadObject,
DeleteObject, DeleteObjects, CopyObject, the tagging operations and
GetObjectAttributes.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import unquote

import attrs
from twisted.internet import defer
from twisted.web.server import NOT_DONE_YET

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.s3 import (
    access,
    acls,
    checksums,
    conditions,
    encryption,
    lifecycle,
    lockstate,
    ranges,
    sendfile,
    versions,
    wire,
)
from ruststack.s3.call import S3Call, S3Context, check_expected_owner, invalid_argument, no_such_bucket, no_such_key
from ruststack.s3.objectmeta import (
    check_key,
    check_tags,
    meta_from_headers,
    response_headers,
    tags_from_header,
)
from ruststack.s3.producer import BodyProducer
from ruststack.s3.records import Bucket, ObjectMeta, ObjectRecord, Staged

_PRECONDITION_FAILED = "At least one of the pre-conditions you specified did not hold"


def precondition_failed(condition: str) -> AwsError:
    return AwsError("PreconditionFailed", _PRECONDITION_FAILED, 412, {"Condition": condition})


def stored_checksum(staged: Staged, sink_checksum: tuple[str, str] | None) -> tuple[str, str, str] | None:
    """
    The checksum S3 keeps with a simple upload: the one the client sent,
    else the one computed (CRC64NVME by default).
    """
    if sink_checksum is not None:
        return sink_checksum[0], sink_checksum[1], "FULL_OBJECT"
    for algorithm in checksums.ALGORITHMS:
        if algorithm in staged.checksums:
            return algorithm, staged.checksums[algorithm], "FULL_OBJECT"
    return None


def put_object(ctx: S3Context, call: S3Call) -> defer.Deferred:
    bucket = ctx.bucket(call)
    acls.check_write_acl(ctx, bucket, call)
    assert call.key is not None and call.sink is not None
    check_key(call.key)
    sink = call.sink
    return sink.staged().addCallback(put_staged, ctx, call, bucket)


def put_staged(staged: Staged, ctx: S3Context, call: S3Call, target: Bucket) -> defer.Deferred:
    """
    Commit C{staged} as the object C{call} puts in C{target} (its headers
    give the metadata), answering PutObject's headers: PutObject's body,
    and POST Object's file.
    """
    assert call.key is not None and call.sink is not None
    bucket = target.name
    checksum = stored_checksum(staged, call.sink.announced_checksum())
    sse = encryption.of_write(ctx, target, call.headers, call.secure)
    meta = meta_from_headers(call.headers, checksum, sse)
    if "if-match" in call.headers or "if-none-match" in call.headers:
        _check_write_conditions(ctx, call)

    def commit(placed: tuple[bytes | None, str | None]) -> bytes:
        inline, file = placed
        try:
            # The bucket may have gone (a reset) while the body was placed.
            ctx.bucket(call)
            if "if-match" in call.headers or "if-none-match" in call.headers:
                _check_write_conditions(ctx, call)
        except AwsError:
            if file:
                ctx.store.unlink(file)
            raise
        assert call.key is not None
        with_acl = acls.with_write_acl(ctx, bucket, call, meta)
        record = ObjectRecord(bucket, call.key, staged.size, staged.etag, ctx.now(), with_acl, inline, file)
        record, headers = versions.commit_object(ctx, record)
        headers["ETag"] = record.etag
        headers.update(encryption.headers(sse, with_context=True))
        headers.update(lifecycle.expiration_headers(ctx, record))
        if checksum is not None:
            headers[checksums.header_name(checksum[0])] = checksum[1]
            headers["x-amz-checksum-type"] = checksum[2]
        call.set_headers(headers)
        return b""

    return ctx.store.place(staged).addCallback(commit)


def _check_write_conditions(ctx: S3Context, call: S3Call) -> None:
    assert call.bucket is not None and call.key is not None
    current = ctx.store.get_object(call.bucket, call.key)
    outcome = conditions.evaluate_write(call.headers, current.etag if current else None)
    if outcome is None:
        raise no_such_key(call.key)
    if outcome is conditions.Outcome.PRECONDITION_FAILED:
        raise precondition_failed("If-Match" if "if-match" in call.headers else "If-None-Match")


def _readable_object(ctx: S3Context, call: S3Call) -> ObjectRecord:
    record = existing_object(ctx, call)
    encryption.check_read(record.meta.sse, call.headers, call.secure)
    outcome = conditions.evaluate_read(call.headers, record.etag, record.last_modified)
    if outcome is conditions.Outcome.PRECONDITION_FAILED:
        raise precondition_failed("If-Match" if "if-match" in call.headers else "If-Unmodified-Since")
    if outcome is conditions.Outcome.NOT_MODIFIED:
        raise _NotModified(record)
    return record


class _NotModified(Exception):
    def __init__(self, record: ObjectRecord) -> None:
        self.record = record


def _not_modified(call: S3Call, record: ObjectRecord) -> bytes:
    call.request.setResponseCode(304)
    call.set_headers({"ETag": record.etag, "Last-Modified": ids.http_date(record.last_modified)})
    return b""


def get_object(ctx: S3Context, call: S3Call) -> bytes | int:
    try:
        record = _readable_object(ctx, call)
    except _NotModified as e:
        return _not_modified(call, e.record)
    request = call.request
    selected: ranges.ByteRange | None
    part = None
    try:
        if "partNumber" in call.query:
            selected = _part_range(call, record)
            part = int(call.query["partNumber"])
        else:
            selected = ranges.parse_range(call.headers.get("range"), record.size)
    except ranges.Unsatisfiable:
        raise AwsError(
            "InvalidRange",
            "The requested range is not satisfiable",
            416,
            {"RangeRequested": call.headers.get("range", ""), "ActualObjectSize": record.size},
            {"Content-Range": f"bytes */{record.size}"},
        ) from None
    headers = response_headers(record, call.query, call.headers.get("x-amz-checksum-mode") == "ENABLED", part)
    if "versionId" not in call.query:
        headers.update(lifecycle.expiration_headers(ctx, record))
    first, length = 0, record.size
    if selected is not None:
        request.setResponseCode(206)
        headers["Content-Range"] = selected.content_range()
        first, length = selected.first, selected.length
        if part is None:
            # A checksum describes the whole object (or a part), not a range of it.
            headers = {k: v for k, v in headers.items() if not k.startswith("x-amz-checksum-")}
    headers["Content-Length"] = str(length)
    call.set_headers(headers)
    if call.method == "HEAD":
        return b""
    if record.inline is not None:
        return record.inline[first : first + length] if selected is not None else record.inline
    body = ctx.store.open_body(record)
    if sendfile.usable(request):
        sendfile.SendfileWriter(ctx.reactor, request, body, first, length).start()
        return NOT_DONE_YET
    if first:
        body.seek(first)
    BodyProducer(request, body, length).start()
    return NOT_DONE_YET


def _part_range(call: S3Call, record: ObjectRecord) -> ranges.ByteRange:
    """
    The bytes of part C{partNumber} of a multipart object (a simple object
    is its own part 1).
    See https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
    """
    if "range" in call.headers:
        raise AwsError("InvalidRequest", "Cannot specify both Range header and partNumber query parameter", 400)
    text = call.query["partNumber"]
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 10000:
        raise AwsError(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            400,
            {"ArgumentName": "partNumber", "ArgumentValue": text},
        )
    number = int(text)
    sizes = record.meta.part_sizes or [record.size]
    if number > len(sizes):
        raise AwsError(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            416,
            {"PartNumberRequested": number, "ActualPartCount": len(sizes)},
        )
    first = sum(sizes[: number - 1])
    if sizes[number - 1] == 0:
        raise ranges.Unsatisfiable()
    return ranges.ByteRange(first, first + sizes[number - 1] - 1, record.size)


def delete_objects(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    root = wire.parse(call.body())
    if root.tag != "Delete":
        raise wire.malformed()
    quiet = (wire.text(root, "Quiet") or "").strip().lower() == "true"
    entries = root.findall("Object")
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: at most 1,000 keys.
    if not entries or len(entries) > 1000:
        raise wire.malformed()
    parts = []
    account, grants = call.caller.account, ctx.acls(call, bucket)
    for entry in entries:
        key = wire.text(entry, "Key")
        if key is None:
            raise wire.malformed()
        version = wire.text(entry, "VersionId")
        if version is not None and not versions.valid_version_id(version):
            parts.append(_not_deleted(key, "NoSuchVersion", "The specified version does not exist.", version))
        elif len(key.encode("utf-8", "surrogatepass")) > 1024:
            parts.append(_not_deleted(key, "KeyTooLongError", "Your key is too long"))
        elif not access.permits(bucket, account, "s3:DeleteObject", key, call.secure, grants):
            parts.append(_not_deleted(key, "AccessDenied", "Access Denied"))
        elif version is not None and lockstate.protected(ctx, bucket, key, versions.parse_version_id(version), call):
            parts.append(_not_deleted(key, "AccessDenied", "Access Denied", version))
        else:
            deletion = versions.delete_key(ctx, bucket.name, key, version)
            call.deletions.append((key, version, deletion))
            if version is not None:
                lockstate.forget(ctx, bucket.name, key, versions.parse_version_id(version))
            if not quiet:
                parts.append(
                    "<Deleted>"
                    + wire.element("Key", key)
                    + wire.optional("VersionId", version)
                    + (wire.element("DeleteMarker", True) if deletion.marker else "")
                    + wire.optional("DeleteMarkerVersionId", deletion.marker_version_id)
                    + "</Deleted>"
                )
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("DeleteResult", parts)


def _not_deleted(key: str, code: str, message: str, version: str | None = None) -> str:
    # DeleteObjects answers each key it could not delete with an Error entry.
    return (
        "<Error>"
        + wire.element("Key", key)
        + ("" if version is None else wire.element("VersionId", version))
        + wire.element("Code", code)
        + wire.element("Message", message)
        + "</Error>"
    )


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """
    C{x-amz-copy-source}: C{[/]bucket/key[?versionId=...]}, URL-encoded:
    its bucket, key and version id as spelled (C{None} when not given).
    """
    path, _, query = value.partition("?")
    source = unquote(path).lstrip("/")
    bucket, slash, key = source.partition("/")
    if not bucket or not slash or not key:
        raise AwsError(
            "InvalidArgument",
            "Invalid copy source object key",
            400,
            {"ArgumentName": "x-amz-copy-source", "ArgumentValue": value},
        )
    version = None
    if query:
        name, _, given = query.partition("=")
        if name != "versionId":
            raise versions.invalid_version(query, "x-amz-copy-source")
        version = unquote(given)
        if not versions.valid_version_id(version):
            raise versions.invalid_version(version, "x-amz-copy-source")
    return bucket, key, version


def copy_source(ctx: S3Context, call: S3Call) -> ObjectRecord:
    """
    The object C{x-amz-copy-source} names, under the copy-source conditions
    (its version answered in C{x-amz-copy-source-version-id}).
    """
    bucket, key, version = parse_copy_source(call.headers["x-amz-copy-source"])
    expected_owner = call.headers.get("x-amz-source-expected-bucket-owner")
    check_expected_owner(expected_owner, None)
    found = ctx.store.get_bucket(bucket)
    if found is None:
        raise no_such_bucket(bucket)
    check_expected_owner(expected_owner, found.account)
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html: s3:GetObject on the source.
    ctx.check_restricted(found, call.caller.account)
    source_acls = ctx.acls(call, found, key, version)
    access.authorize(found, call.caller.account, "s3:GetObject", key, call.secure, source_acls)
    if version is not None:
        found_version = ctx.store.versions.get_version(bucket, key, versions.parse_version_id(version))
        if found_version is None:
            raise versions.no_such_version(key, version)
        if found_version.record is None:
            raise AwsError(
                "InvalidRequest",
                "The source of a copy request may not specifically refer to a delete marker by version id.",
                400,
            )
        record: ObjectRecord | None = found_version.record
    else:
        record = ctx.store.get_object(bucket, key)
    if record is None:
        raise missing_key(found, call.caller.account, key, call.secure, source_acls)
    encryption.check_read(record.meta.sse, call.headers, call.secure, copy_source=True)
    shown = versions.version_headers(ctx, record, version is not None)
    if shown:
        call.set_headers({"x-amz-copy-source-version-id": shown[versions.VERSION_HEADER]})
    if not conditions.evaluate_copy_source(call.headers, record.etag, record.last_modified):
        raise precondition_failed("x-amz-copy-source-If-Match")
    return record


def copy_object(ctx: S3Context, call: S3Call) -> defer.Deferred:
    target = ctx.bucket(call)
    acls.check_write_acl(ctx, target, call)
    assert call.key is not None
    check_key(call.key)
    source = copy_source(ctx, call)
    directive = call.headers.get("x-amz-metadata-directive", "COPY").upper()
    tagging_directive = call.headers.get("x-amz-tagging-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
    if tagging_directive not in ("COPY", "REPLACE"):
        raise invalid_argument("Unknown tagging directive.", "x-amz-tagging-directive", tagging_directive)
    algorithm = call.headers.get("x-amz-checksum-algorithm", "").upper() or None
    if algorithm is not None and algorithm not in checksums.ALGORITHMS:
        raise AwsError("InvalidRequest", "Checksum algorithm provided is unsupported.", 400)
    # Copying a noncurrent version onto its own key is how a version is restored.
    same = source.bucket == target.name and source.key == call.key and "?" not in call.headers["x-amz-copy-source"]
    changed = "x-amz-storage-class" in call.headers or encryption.ALGORITHM in call.headers or algorithm is not None
    if same and directive == "COPY" and not changed:
        raise AwsError(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the"
            " object's metadata, storage class, website redirect location or encryption attributes.",
            400,
        )
    meta = meta_from_headers(call.headers) if directive == "REPLACE" else source.meta
    sse = encryption.of_write(ctx, target, call.headers, call.secure)
    tags = tags_from_header(call.headers.get("x-amz-tagging")) if tagging_directive == "REPLACE" else source.meta.tags
    storage_class = call.headers.get("x-amz-storage-class") or source.meta.storage_class
    keep_checksum = source.meta.checksum if source.meta.checksum and source.meta.checksum[2] == "FULL_OBJECT" else None
    wanted = algorithm or (keep_checksum[0] if keep_checksum else "CRC64NVME")
    needs_pass = source.meta.parts is not None or keep_checksum is None or keep_checksum[0] != wanted
    body = ctx.store.open_body(source)
    # Link now: the source key may be overwritten while the copy is hashed.
    file = ctx.store.link_copy(source)

    def digest() -> tuple[str, tuple[str, str, str]]:
        # A copy made in one request is a simple object: ETag and checksum
        # are those of its bytes.
        with body:
            md5 = hashlib.md5()
            hasher = checksums.new_hasher(wanted)
            for chunk in iter(lambda: body.read(1024 * 1024), b""):
                md5.update(chunk)
                hasher.update(chunk)
        return f'"{md5.hexdigest()}"', (wanted, base64.b64encode(hasher.digest()).decode(), "FULL_OBJECT")

    if needs_pass:
        hashed = ctx.store.run_in_thread(digest) if source.file else defer.succeed(digest())
    else:
        body.close()
        hashed = defer.succeed((source.etag, keep_checksum))

    def commit(result: tuple[str, tuple[str, str, str]]) -> bytes:
        etag, checksum = result
        # The copy's ACL is its request's, never the source's.
        acl = acls.write_acl(ctx, target.name, call)
        final = ObjectMeta(
            headers=meta.headers,
            user=meta.user,
            checksum=checksum,
            tags=tags,
            parts=None,
            storage_class=storage_class,
            acl=acl,
            sse=sse,
        )
        now = ctx.now()
        assert call.key is not None
        record = ObjectRecord(target.name, call.key, source.size, etag, now, final, source.inline, file)
        committed, headers = versions.commit_object(ctx, record)
        headers.update(lifecycle.expiration_headers(ctx, committed))
        headers.update(encryption.headers(sse, with_context=True))
        call.set_headers({**headers, "Content-Type": "application/xml"})
        return wire.document(
            "CopyObjectResult",
            [
                wire.element("ETag", etag),
                wire.element("LastModified", ids.iso8601(now)),
                wire.element("Checksum" + checksum[0], checksum[1]),
                wire.element("ChecksumType", checksum[2]),
            ],
        )

    def drop_link(failure):
        if file is not None:
            ctx.store.unlink(file)
        return failure

    return hashed.addCallback(commit).addErrback(drop_link)


def existing_object(ctx: S3Context, call: S3Call) -> ObjectRecord:
    """
    The object C{call} addresses: its key's current object, or the version
    C{versionId} names (answered in C{x-amz-version-id}).
    """
    bucket = ctx.bucket(call)
    assert call.key is not None
    version = call.query.get("versionId")
    if version is None:
        record = ctx.store.get_object(bucket.name, call.key)
        if record is None:
            error = missing_key(bucket, call.caller.account, call.key, call.secure, ctx.acls(call, bucket))
            marker = ctx.store.versions.latest_marker(bucket.name, call.key) if error.code == "NoSuchKey" else None
            raise error if marker is None else versions.marker_error(error, marker)
    else:
        found = ctx.store.versions.get_version(bucket.name, call.key, versions.parse_version_id(version))
        if found is None:
            if not access.permits(
                bucket, call.caller.account, "s3:ListBucket", secure=call.secure, acls=ctx.acls(call, bucket)
            ):
                raise access.access_denied()
            raise versions.no_such_version(call.key, version)
        if found.record is None:
            raise versions.marker_by_version(call, found)
        record = found.record
    call.set_headers(versions.version_headers(ctx, record, version is not None))
    return record


def missing_key(
    bucket: Bucket, account: str, key: str, secure: bool = True, acls: access.AclGrants | None = None
) -> AwsError:
    """
    What a caller learns of a key that does not exist: NoSuchKey if it may
    list the bucket, else AccessDenied.
    See https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
    """
    if access.permits(bucket, account, "s3:ListBucket", secure=secure, acls=acls):
        return no_such_key(key)
    return access.access_denied()


def put_object_tagging(ctx: S3Context, call: S3Call) -> bytes:
    record = existing_object(ctx, call)
    root = wire.parse(call.body())
    tag_set = root.find("TagSet")
    if root.tag != "Tagging" or tag_set is None:
        raise wire.malformed()
    tags: dict[str, str] = {}
    for tag in tag_set.findall("Tag"):
        key, value = wire.text(tag, "Key"), wire.text(tag, "Value")
        if key is None or value is None:
            raise wire.malformed()
        if key in tags:
            raise AwsError("InvalidTag", "Cannot provide multiple Tags with the same key", 400, {"TagKey": key})
        tags[key] = value
    check_tags(tags)
    ctx.store.replace_meta(record, attrs.evolve(record.meta, tags=tags))
    return b""


def get_object_tagging(ctx: S3Context, call: S3Call) -> bytes:
    record = existing_object(ctx, call)
    tags = "".join(
        "<Tag>" + wire.element("Key", key) + wire.element("Value", value) + "</Tag>"
        for key, value in record.meta.tags.items()
    )
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("Tagging", ["<TagSet>", tags, "</TagSet>"])


def delete_object_tagging(ctx: S3Context, call: S3Call) -> bytes:
    record = existing_object(ctx, call)
    ctx.store.replace_meta(record, attrs.evolve(record.meta, tags={}))
    call.request.setResponseCode(204)
    return b""


_ATTRIBUTES = ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")


def _header_integer(call: S3Call, name: str, default: int) -> int:
    text = call.headers.get(name)
    if text is None:
        return default
    if not (text.strip().isascii() and text.strip().isdigit()):  # "²" is a digit to str.isdigit
        raise invalid_argument(f"Provided {name} not an integer or within integer range", name, text)
    return int(text)


def get_object_attributes(ctx: S3Context, call: S3Call) -> bytes:
    """
    See https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html:
    ObjectParts has PartsCount for a multipart object, and its Parts (size
    and checksum, paged by x-amz-max-parts/x-amz-part-number-marker) when
    its parts have checksums.
    """
    text = call.headers.get("x-amz-object-attributes", "")
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = wanted - set(_ATTRIBUTES)
    if not wanted or unknown:
        raise invalid_argument("Invalid attribute name specified.", "x-amz-object-attributes", text)
    max_parts = min(_header_integer(call, "x-amz-max-parts", 1000), 1000)
    marker = _header_integer(call, "x-amz-part-number-marker", 0)
    record = existing_object(ctx, call)
    encryption.check_read(record.meta.sse, call.headers, call.secure)
    meta = record.meta
    parts = []
    if "ETag" in wanted:
        parts.append(wire.element("ETag", record.etag.strip('"')))
    if "Checksum" in wanted and meta.checksum:
        algorithm, value, checksum_type = meta.checksum
        parts.append(
            "<Checksum>"
            + wire.element("Checksum" + algorithm, value)
            + wire.element("ChecksumType", checksum_type)
            + "</Checksum>"
        )
    if "ObjectParts" in wanted and meta.parts:
        parts.append(_object_parts(meta, marker, max_parts))
    if "StorageClass" in wanted:
        parts.append(wire.element("StorageClass", meta.storage_class))
    if "ObjectSize" in wanted:
        parts.append(wire.element("ObjectSize", record.size))
    call.set_headers({"Last-Modified": ids.http_date(record.last_modified), "Content-Type": "application/xml"})
    return wire.document("GetObjectAttributesResponse", parts)


def _object_parts(meta: ObjectMeta, marker: int, max_parts: int) -> str:
    assert meta.parts is not None
    document = "<ObjectParts>" + wire.element("PartsCount", meta.parts)
    if meta.checksum and any(meta.part_checksums):
        algorithm = meta.checksum[0]
        numbers = list(range(marker + 1, min(meta.parts, len(meta.part_checksums)) + 1))
        page = numbers[:max_parts]
        truncated = len(numbers) > max_parts
        document += (
            wire.element("PartNumberMarker", marker)
            + wire.element("NextPartNumberMarker", page[-1] if page else marker)
            + wire.element("MaxParts", max_parts)
            + wire.element("IsTruncated", truncated)
        )
        for number in page:
            document += (
                "<Part>"
                + wire.element("PartNumber", number)
                + wire.element("Size", meta.part_sizes[number - 1])
                + wire.optional("Checksum" + algorithm, meta.part_checksums[number - 1])
                + "</Part>"
            )
    return document + "</ObjectParts>"
