"""
Handlers of the multipart upload operations: CreateMultipartUpload,
UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
ListParts.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
"""

from __future__ import annotations

import base64
import json
import uuid
from xml.etree.ElementTree import Element

from twisted.internet import defer

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.s3 import acls, checksums, encryption, ranges, versions, wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument, no_such_upload
from ruststack.s3.objectmeta import check_key, meta_from_headers
from ruststack.s3.objects import copy_source
from ruststack.s3.owners import owner_xml
from ruststack.s3.records import ObjectMeta, ObjectRecord, Part, Staged, Upload
from ruststack.s3.spool import HashedSpool, Spool

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10000
# How long, and how many, completed uploads answer a repeated
# CompleteMultipartUpload with their result (SDKs retry it on a timeout).
COMPLETIONS_KEPT_SECONDS = 3600.0
COMPLETIONS_KEPT = 1000


def create_multipart_upload(ctx: S3Context, call: S3Call, object_lock: str | None = None) -> bytes:
    """
    CreateMultipartUpload; C{object_lock} is the Object Lock its headers
    asked for, which the upload keeps for the object it completes.
    """
    bucket = ctx.bucket(call)
    acls.check_write_acl(ctx, bucket, call)
    assert call.key is not None
    check_key(call.key)
    algorithm = call.headers.get("x-amz-checksum-algorithm", "").upper() or None
    if algorithm is not None and algorithm not in checksums.ALGORITHMS:
        raise AwsError("InvalidRequest", "Checksum algorithm provided is unsupported.", 400)
    checksum_type = call.headers.get("x-amz-checksum-type", "").upper() or None
    if checksum_type not in (None, "COMPOSITE", "FULL_OBJECT"):
        raise AwsError("InvalidRequest", "Value for x-amz-checksum-type header is invalid.", 400)
    if algorithm is not None and checksum_type is None:
        # CRC64NVME only exists as a full object checksum; the others default to composite.
        checksum_type = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
    if (
        checksum_type == "COMPOSITE"
        and algorithm == "CRC64NVME"
        or checksum_type == "FULL_OBJECT"
        and algorithm in ("SHA1", "SHA256")
    ):
        raise AwsError(
            "InvalidRequest",
            f"The {checksum_type} checksum type cannot be used with the {algorithm} checksum algorithm.",
            400,
        )
    acl = acls.write_acl(ctx, bucket.name, call)  # kept for the object the upload completes
    upload = Upload(
        uuid.uuid4().hex + uuid.uuid4().hex,
        bucket.name,
        call.key,
        ctx.now(),
        call.caller.account,
        meta_from_headers(call.headers, None, encryption.of_write(ctx, bucket, call.headers, call.secure)),
        algorithm,
        checksum_type,
        object_lock,
        None if acl is None else json.dumps(acl),
    )
    ctx.store.create_upload(upload)
    headers = {"Content-Type": "application/xml", **encryption.headers(upload.meta.sse, with_context=True)}
    if algorithm:
        headers["x-amz-checksum-algorithm"] = algorithm
        headers["x-amz-checksum-type"] = checksum_type or ""
    call.set_headers(headers)
    return wire.document(
        "InitiateMultipartUploadResult",
        [
            wire.element("Bucket", bucket.name),
            wire.element("Key", call.key),
            wire.element("UploadId", upload.upload_id),
        ],
    )


def addressed_upload(ctx: S3Context, call: S3Call) -> Upload:
    """
    The upload C{call} names (C{uploadId}), of its bucket and key.
    """
    ctx.bucket(call)
    upload_id = call.query.get("uploadId", "")
    upload = ctx.store.get_upload(upload_id)
    if upload is None or upload.bucket != call.bucket or upload.key != call.key:
        raise no_such_upload(upload_id)
    return upload


def _part_number(call: S3Call) -> int:
    text = call.query.get("partNumber", "")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PARTS:
        raise invalid_argument(
            f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive", "partNumber", text
        )
    return int(text)


def _commit_part(ctx: S3Context, call: S3Call, upload: Upload, number: int, staged: Staged, checksum: str | None):
    def commit(placed: tuple[bytes | None, str | None]) -> Part:
        inline, file = placed
        if ctx.store.get_upload(upload.upload_id) is None:
            if file:
                ctx.store.unlink(file)
            raise no_such_upload(upload.upload_id)
        part = Part(number, staged.size, staged.etag, ctx.now(), checksum, inline, file)
        ctx.store.put_part(upload.upload_id, part)
        return part

    return ctx.store.place(staged).addCallback(commit)


def upload_part(ctx: S3Context, call: S3Call) -> defer.Deferred:
    upload = addressed_upload(ctx, call)
    number = _part_number(call)
    encryption.check_part(upload.meta.sse, call.headers, call.secure)
    assert call.sink is not None
    return call.sink.staged().addCallback(_upload_staged_part, ctx, call, upload, number)


def _upload_staged_part(staged: Staged, ctx: S3Context, call: S3Call, upload: Upload, number: int) -> defer.Deferred:
    checksum = None
    if upload.checksum_algorithm:
        checksum = staged.checksums.get(upload.checksum_algorithm)
        if checksum is None:
            raise AwsError(
                "InvalidRequest",
                f"Checksum Type mismatch occurred, expected checksum Type: {upload.checksum_algorithm.lower()},"
                " actual checksum Type: null",
                400,
            )

    def respond(part: Part) -> bytes:
        headers = {"ETag": part.etag, **encryption.headers(upload.meta.sse)}
        if checksum is not None and upload.checksum_algorithm:
            headers[checksums.header_name(upload.checksum_algorithm)] = checksum
        call.set_headers(headers)
        return b""

    return _commit_part(ctx, call, upload, number, staged, checksum).addCallback(respond)


def _copy_range(source_body, first: int, length: int, folder: str, algorithm: str | None) -> Staged:
    # Runs in a thread: read the range once, hashing it on the way.
    with HashedSpool(folder, algorithm) as spool, source_body:
        source_body.seek(first)
        remaining = length
        while remaining:
            chunk = source_body.read(min(remaining, 1024 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
            spool.write(chunk)
    return spool.staged()


def upload_part_copy(ctx: S3Context, call: S3Call) -> defer.Deferred:
    upload = addressed_upload(ctx, call)
    number = _part_number(call)
    encryption.check_part(upload.meta.sse, call.headers, call.secure)
    source = copy_source(ctx, call)
    first, length = 0, source.size
    if "x-amz-copy-source-range" in call.headers:
        try:
            selected = ranges.parse_copy_range(call.headers["x-amz-copy-source-range"], source.size)
        except ValueError as e:
            raise invalid_argument(str(e), "x-amz-copy-source-range", call.headers["x-amz-copy-source-range"]) from None
        first, length = selected.first, selected.length
    body = ctx.store.open_body(source)
    copying = ctx.store.run_in_thread(_copy_range, body, first, length, ctx.store.temporary, upload.checksum_algorithm)

    def commit(staged: Staged) -> defer.Deferred:
        checksum = staged.checksums.get(upload.checksum_algorithm) if upload.checksum_algorithm else None
        return _commit_part(ctx, call, upload, number, staged, checksum)

    def respond(part: Part) -> bytes:
        call.set_headers({"Content-Type": "application/xml", **encryption.headers(upload.meta.sse)})
        return wire.document(
            "CopyPartResult",
            [wire.element("ETag", part.etag), wire.element("LastModified", ids.iso8601(part.last_modified))]
            + ([wire.element("Checksum" + (upload.checksum_algorithm or ""), part.checksum)] if part.checksum else []),
        )

    return copying.addCallback(commit).addCallback(respond)


def _invalid_part(upload_id: str, number: int, etag: str) -> AwsError:
    return AwsError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the"
        " specified entity tag may not match the part's entity tag.",
        400,
        {"UploadId": upload_id, "PartNumber": number, "ETag": etag},
    )


def _concatenate(bodies: list, folder: str, algorithm: str) -> tuple[Spool, str]:
    # Runs in a thread: one pass over the parts makes the object's bytes and
    # its full-object checksum.
    hasher = checksums.new_hasher(algorithm)
    with Spool(folder) as spool:
        for body in bodies:
            with body:
                while chunk := body.read(1024 * 1024):
                    hasher.update(chunk)
                    spool.write(chunk)
    return spool, base64.b64encode(hasher.digest()).decode()


def _completed_document(call: S3Call, bucket: str, key: str, result: dict) -> bytes:
    call.set_headers({"Content-Type": "application/xml", **encryption.headers(result.get("sse"))})
    if result.get("version_id") is not None:
        call.set_headers({versions.VERSION_HEADER: result["version_id"]})
    host = call.request.getHeader(b"host")
    location = f"http://{host.decode('latin-1') if host else 'localhost'}/{bucket}/{key}"
    algorithm, value, checksum_type = result["checksum"]
    return wire.document(
        "CompleteMultipartUploadResult",
        [
            wire.element("Location", location),
            wire.element("Bucket", bucket),
            wire.element("Key", key),
            wire.element("ETag", result["etag"]),
            wire.element("Checksum" + algorithm, value),
            wire.element("ChecksumType", checksum_type),
        ],
    )


def _requested_parts(call: S3Call) -> list[tuple[int, str, Element]]:
    # The checksum headers of CompleteMultipartUpload are the object's, not its body's.
    root = wire.parse(call.sink.body(checksums=False) if call.sink is not None else call.body())
    if root.tag != "CompleteMultipartUpload":
        raise wire.malformed()
    requested = []
    for node in root.findall("Part"):
        number_text, etag = wire.text(node, "PartNumber"), wire.text(node, "ETag")
        if number_text is None or etag is None or not (number_text.strip().isascii() and number_text.strip().isdigit()):
            raise wire.malformed()
        requested.append((int(number_text), etag.strip(), node))
    if not requested:
        raise AwsError("InvalidRequest", "You must specify at least one part", 400)
    return requested


def _check_checksum_request(call: S3Call, upload: Upload) -> tuple[str, str] | None:
    """
    The object checksum C{call} asks the completed object to have
    (C{x-amz-checksum-<algorithm>}), once its C{x-amz-checksum-type} agrees
    with the upload's.
    """
    wanted_type = call.headers.get("x-amz-checksum-type", "").upper() or None
    if wanted_type is not None and wanted_type != (upload.checksum_type or "FULL_OBJECT"):
        raise AwsError(
            "InvalidRequest",
            f"The upload was created using the {upload.checksum_type or 'null'} checksum mode. The complete request"
            " must use the same checksum mode.",
            400,
        )
    for algorithm in checksums.ALGORITHMS:
        value = call.headers.get(checksums.header_name(algorithm))
        if value is None:
            continue
        if upload.checksum_algorithm is not None and algorithm != upload.checksum_algorithm:
            raise AwsError(
                "InvalidRequest",
                f"The upload was created using a {upload.checksum_algorithm.lower()} checksum. The complete request"
                f" must use the same checksum algorithm, not {algorithm.lower()}.",
                400,
            )
        return algorithm, value
    return None


def _checksum_mismatch(algorithm: str) -> AwsError:
    return AwsError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400)


def complete_multipart_upload(ctx: S3Context, call: S3Call) -> defer.Deferred | bytes:
    ctx.bucket(call)
    assert call.bucket is not None and call.key is not None
    upload_id = call.query.get("uploadId", "")
    upload = ctx.store.get_upload(upload_id)
    if upload is None or upload.bucket != call.bucket or upload.key != call.key:
        completed = ctx.store.completion(upload_id, call.bucket, call.key, ctx.now() - COMPLETIONS_KEPT_SECONDS)
        if completed is None:
            raise no_such_upload(upload_id)
        # The upload completed a moment ago: a retry gets the same answer.
        return _completed_document(call, call.bucket, call.key, completed)
    requested = _requested_parts(call)
    numbers = [number for number, _, _ in requested]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise AwsError(
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
            400,
            {"UploadId": upload.upload_id},
        )
    asked_checksum = _check_checksum_request(call, upload)
    stored = {part.number: part for part in ctx.store.parts(upload.upload_id)}
    chosen: list[Part] = []
    for index, (number, etag, node) in enumerate(requested):
        part = stored.get(number)
        if part is None or part.etag.strip('"') != etag.strip('"'):
            raise _invalid_part(upload.upload_id, number, etag)
        if upload.checksum_algorithm:
            given = wire.text(node, "Checksum" + upload.checksum_algorithm)
            if given is None and upload.checksum_type == "COMPOSITE":
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
                raise AwsError(
                    "InvalidRequest",
                    f"The upload was created using a {upload.checksum_algorithm.lower()} checksum. The complete"
                    f" request must include the checksum for each part. It was missing for part {number} in the"
                    " request.",
                    400,
                )
            if given is not None and given != part.checksum:
                raise _invalid_part(upload.upload_id, number, etag)
        if index < len(requested) - 1 and part.size < MIN_PART_SIZE:
            raise AwsError(
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                400,
                {"ProposedSize": part.size, "MinSizeAllowed": MIN_PART_SIZE, "PartNumber": number, "ETag": part.etag},
            )
        chosen.append(part)
    size_text = call.headers.get("x-amz-mp-object-size")
    total = sum(part.size for part in chosen)
    size_digits = (size_text or "").strip()
    if size_text is not None and (not (size_digits.isascii() and size_digits.isdigit()) or int(size_digits) != total):
        raise AwsError(
            "InvalidRequest",
            f"The provided 'x-amz-mp-object-size' header value {size_text} does not match what was computed: {total}",
            400,
        )
    full_algorithm = (
        upload.checksum_algorithm
        if upload.checksum_type == "FULL_OBJECT" and upload.checksum_algorithm
        else "CRC64NVME"
    )
    etag = checksums.multipart_etag([bytes.fromhex(part.etag.strip('"')) for part in chosen])
    final_checksum: tuple[str, str, str] | None = None
    if upload.checksum_algorithm and upload.checksum_type == "COMPOSITE":
        composite = checksums.composite(upload.checksum_algorithm, [part.checksum or "" for part in chosen])
        final_checksum = (upload.checksum_algorithm, composite, "COMPOSITE")
        if asked_checksum is not None and asked_checksum[1] not in (composite, composite.rpartition("-")[0]):
            raise _checksum_mismatch(asked_checksum[0])
    elif asked_checksum is not None and asked_checksum[0] != full_algorithm:
        # A full-object checksum of another algorithm than the one computed.
        raise AwsError(
            "InvalidRequest",
            f"The upload was created using a {full_algorithm.lower()} checksum. The complete request must use the"
            f" same checksum algorithm, not {asked_checksum[0].lower()}.",
            400,
        )
    bodies = [ctx.store.open_body(part) for part in chosen]
    joined = ctx.store.run_in_thread(_concatenate, bodies, ctx.store.temporary, full_algorithm)

    def place(result: tuple[Spool, str]) -> defer.Deferred:
        spool, full = result
        if final_checksum is None and asked_checksum is not None and asked_checksum[1] != full:
            spool.discard()
            raise _checksum_mismatch(asked_checksum[0])
        checksum = final_checksum or (full_algorithm, full, "FULL_OBJECT")
        staged = Staged(spool.size, b"", spool.in_memory(), spool.path)
        return ctx.store.place(staged).addCallback(commit, staged.size, checksum)

    def commit(placed: tuple[bytes | None, str | None], size: int, checksum: tuple[str, str, str]) -> bytes:
        inline, file = placed
        if ctx.store.get_upload(upload.upload_id) is None:
            if file:
                ctx.store.unlink(file)
            raise no_such_upload(upload.upload_id)
        meta = upload.meta
        final = ObjectMeta(
            meta.headers,
            meta.user,
            checksum,
            meta.tags,
            len(chosen),
            meta.storage_class,
            [p.size for p in chosen],
            [p.checksum or "" for p in chosen] if upload.checksum_algorithm else [],
            None if upload.acl is None else json.loads(upload.acl),
            meta.sse,
        )
        now = ctx.now()
        record = ObjectRecord(upload.bucket, upload.key, size, etag, now, final, inline, file)
        _, headers = versions.commit_object(ctx, record)
        ctx.store.drop_upload(upload.upload_id)
        result = {
            "etag": etag,
            "checksum": list(checksum),
            "version_id": headers.get(versions.VERSION_HEADER),
            "sse": meta.sse,
        }
        ctx.store.remember_completion(upload, now, result, COMPLETIONS_KEPT, COMPLETIONS_KEPT_SECONDS)
        return _completed_document(call, upload.bucket, upload.key, result)

    return joined.addCallback(place)


def abort_multipart_upload(ctx: S3Context, call: S3Call) -> bytes:
    upload = addressed_upload(ctx, call)
    ctx.store.drop_upload(upload.upload_id)
    call.request.setResponseCode(204)
    return b""


def list_parts(ctx: S3Context, call: S3Call) -> bytes:
    upload = addressed_upload(ctx, call)
    marker_text = call.query.get("part-number-marker", "0") or "0"
    if not (marker_text.isascii() and marker_text.isdigit()):
        raise invalid_argument("Provided part-number-marker not an integer", "part-number-marker", marker_text)
    max_text = call.query.get("max-parts", "1000")
    if not (max_text.isascii() and max_text.isdigit()):
        raise invalid_argument("Provided max-parts not an integer or within integer range", "max-parts", max_text)
    max_parts = min(int(max_text), 1000)
    found = ctx.store.parts(upload.upload_id, int(marker_text), max_parts + 1)
    truncated = len(found) > max_parts
    found = found[:max_parts]
    parts = [
        wire.element("Bucket", upload.bucket),
        wire.element("Key", upload.key),
        wire.element("UploadId", upload.upload_id),
        wire.element("PartNumberMarker", int(marker_text)),
        # S3 names the last part listed, truncated or not; with none listed,
        # where the listing stands (0 for an upload without parts, as recorded).
        wire.element("NextPartNumberMarker", found[-1].number if found else int(marker_text)),
        wire.element("MaxParts", max_parts),
        wire.element("IsTruncated", truncated),
        owner_xml(upload.account, "Initiator"),
        owner_xml(upload.account),
        wire.element("StorageClass", upload.meta.storage_class),
        wire.optional("ChecksumAlgorithm", upload.checksum_algorithm),
        wire.optional("ChecksumType", upload.checksum_type),
    ]
    for part in found:
        parts.append(
            "<Part>"
            + wire.element("PartNumber", part.number)
            + wire.element("LastModified", ids.iso8601(part.last_modified))
            + wire.element("ETag", part.etag)
            + wire.element("Size", part.size)
            + (wire.element("Checksum" + (upload.checksum_algorithm or ""), part.checksum) if part.checksum else "")
            + "</Part>"
        )
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("ListPartsResult", parts)
