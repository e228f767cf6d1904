"""
The console's S3 pages: buckets, a folder-like browser of keys, object
details, downloads (streamed) and previews.

Keys travel in query arguments (C{?key=}), never in the path: a key may
hold any character, C{/} and C{..} included.
"""

from __future__ import annotations

import json
from typing import Any

import treq
from twisted.internet import defer
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from twisted.web.client import ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.template import Tag, tags

from ruststack.console.client import AwsCallError
from ruststack.console.pages import (
    TAKEN,
    Answer,
    Page,
    Route,
    Section,
    View,
    definitions,
    error_box,
    link,
    table,
    url,
)

PAGE_SIZE = 1000
PREVIEW_BYTES = 64 * 1024
# Shown inline (an <img>, or the download URL opened in the browser); any
# other type downloads as an attachment, so no object can run script in the
# console's origin (not even SVG).
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"})
TEXT_TYPES = frozenset(
    {"application/json", "application/xml", "application/javascript", "application/x-yaml", "application/yaml"}
)
TEXT_SUFFIXES = (".txt", ".json", ".csv", ".md", ".log", ".xml", ".yaml", ".yml", ".html", ".js", ".py", ".ini")


def size_text(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size_f = size / 1024
        if size_f < 1024 or unit == "TiB":
            return f"{size_f:.1f} {unit}"
        size = int(size_f)
    return f"{size} B"  # pragma: no cover


def _when(moment: Any) -> str:
    # To the second, in UTC: the listing's 1,000 rows stay short.
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def bucket_crumbs(bucket: str, prefix: str) -> list[tuple[str, str]]:
    """
    Breadcrumbs of a prefix: the bucket list, the bucket, each folder.
    """
    crumbs = [("S3", url("s3")), (bucket, url("s3", "buckets", bucket))]
    parts = prefix.split("/")[:-1] if prefix else []
    for depth in range(len(parts)):
        crumbs.append((parts[depth] + "/", url("s3", "buckets", bucket, prefix="/".join(parts[: depth + 1]) + "/")))
    return crumbs


def object_url(bucket: str, key: str, version: str | None = None) -> str:
    return url("s3", "buckets", bucket, "object", key=key, versionId=version)


def download_url(bucket: str, key: str, version: str | None = None, inline: bool = False) -> str:
    return url("s3", "buckets", bucket, "download", key=key, versionId=version, inline="1" if inline else None)


async def buckets(view: View) -> Answer:
    answer = await view.client.call("s3", "ListBuckets", {})
    rows = [
        (link(bucket["Name"], url("s3", "buckets", bucket["Name"])), str(bucket.get("CreationDate", "")))
        for bucket in answer.get("Buckets", [])
    ]
    return Page("S3 buckets", table(["Bucket", "Created"], rows, id="buckets"), crumbs=[("S3", url("s3"))])


async def browse(view: View) -> Answer:
    """
    One page of a bucket's keys under a prefix, folded at C{/}: a single
    ListObjectsV2 call, however many keys the bucket holds.
    """
    bucket = view.params["bucket"]
    prefix, token = view.arg("prefix"), view.arg("token")
    size = view.int_arg("max", PAGE_SIZE, 1, PAGE_SIZE)
    shown_size = size if size != PAGE_SIZE else None
    params: dict[str, Any] = {"Bucket": bucket, "Delimiter": "/", "Prefix": prefix, "MaxKeys": size}
    if token:
        params["ContinuationToken"] = token
    answer = await view.client.call("s3", "ListObjectsV2", params)
    rows: list[tuple[Any, ...]] = []
    for common in answer.get("CommonPrefixes", []):
        folder = common["Prefix"]
        folder_link = link(folder[len(prefix) :], url("s3", "buckets", bucket, prefix=folder))
        rows.append((folder_link, "folder", ""))
    for item in answer.get("Contents", []):
        key = item["Key"]
        rows.append(
            (
                link(key[len(prefix) :] or key, object_url(bucket, key)),
                size_text(item.get("Size")),
                _when(item.get("LastModified")),
            )
        )
    pager: list[Tag] = []
    if token:
        first_url = url("s3", "buckets", bucket, prefix=prefix or None, max=shown_size)
        pager.append(link("First page", first_url, id="first-page"))
    if answer.get("IsTruncated") and answer.get("NextContinuationToken"):
        following = answer["NextContinuationToken"]
        next_url = url("s3", "buckets", bucket, prefix=prefix or None, token=following, max=shown_size)
        pager.append(link("Next page", next_url, id="next-page"))
    body = [
        tags.p(
            f"{len(rows)} entries on this page",
            f" under {prefix}" if prefix else "",
            " (more on the next pages)" if answer.get("IsTruncated") else "",
            class_="muted",
            id="listing-count",
        ),
        table(["Name", "Size", "Last modified"], rows, id="keys", class_="listing"),
        tags.div(*pager, class_="pager"),
    ]
    title = f"{bucket}/{prefix}" if prefix else bucket
    return Page(title, body, crumbs=bucket_crumbs(bucket, prefix))


def _head_error(error: AwsCallError, bucket: str, key: str) -> AwsCallError:
    # A HEAD answer has no body: give its code and message in S3's words.
    if error.status == 404 and error.code in ("404", "NotFound"):
        return AwsCallError("NoSuchKey", "The specified key does not exist.", 404, error.operation)
    return error


def is_text(content_type: str, key: str) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    textual = essence.startswith("text/") or essence in TEXT_TYPES or essence.endswith("+json")
    return textual or key.endswith(TEXT_SUFFIXES)


def is_json(content_type: str, key: str) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json") or key.endswith(".json")


async def object_details(view: View) -> Answer:
    bucket, key = view.params["bucket"], view.arg("key")
    version = view.arg("versionId") or None
    where: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        where["VersionId"] = version
    try:
        head = await view.client.call("s3", "HeadObject", where)
    except AwsCallError as e:
        raise _head_error(e, bucket, key) from e
    content_type = head.get("ContentType", "")
    size = head.get("ContentLength", 0)
    facts: list[tuple[str, Any]] = [
        ("Key", tags.code(key, id="object-key")),
        ("Size", f"{size_text(size)} ({size} bytes)"),
        ("Content type", content_type),
        ("Last modified", str(head.get("LastModified", ""))),
        ("ETag", head.get("ETag", "")),
    ]
    for label, name in (
        ("Version", "VersionId"),
        ("Storage class", "StorageClass"),
        ("Cache control", "CacheControl"),
        ("Content encoding", "ContentEncoding"),
        ("Content disposition", "ContentDisposition"),
        ("Server-side encryption", "ServerSideEncryption"),
        ("Object Lock mode", "ObjectLockMode"),
        ("Retain until", "ObjectLockRetainUntilDate"),
        ("Legal hold", "ObjectLockLegalHoldStatus"),
    ):
        if head.get(name):
            facts.append((label, str(head[name])))
    body: list[Any] = [
        tags.p(
            link("Download", download_url(bucket, key, version), id="download"),
            class_="actions",
        ),
        definitions(facts),
        tags.h2("Metadata"),
        table(["Name", "Value"], sorted(head.get("Metadata", {}).items()), id="metadata"),
        tags.h2("Tags"),
        await _tags(view, where),
    ]
    body += await _versions(view, bucket, key)
    body += await _preview(view, where, bucket, key, version, content_type, size)
    prefix = key.rpartition("/")[0] + "/" if "/" in key else ""
    return Page(key, body, crumbs=bucket_crumbs(bucket, prefix))


async def _tags(view: View, where: dict[str, Any]) -> Tag:
    try:
        answer = await view.client.call("s3", "GetObjectTagging", where)
    except AwsCallError as e:
        return error_box(e.code, e.message)
    return table(["Key", "Value"], [(tag["Key"], tag["Value"]) for tag in answer.get("TagSet", [])], id="tags")


async def _versions(view: View, bucket: str, key: str) -> list[Any]:
    """
    The object's versions, for a bucket that has (or had) versioning on.
    """
    try:
        versioning = await view.client.call("s3", "GetBucketVersioning", {"Bucket": bucket})
    except AwsCallError as e:
        return [tags.h2("Versions"), error_box(e.code, e.message)]
    if not versioning.get("Status"):
        return []
    answer = await view.client.call("s3", "ListObjectVersions", {"Bucket": bucket, "Prefix": key, "MaxKeys": 1000})
    found = [(entry, False) for entry in answer.get("Versions", []) if entry["Key"] == key]
    found += [(entry, True) for entry in answer.get("DeleteMarkers", []) if entry["Key"] == key]
    found.sort(key=lambda pair: pair[0].get("LastModified") or 0, reverse=True)
    rows = []
    for entry, deleted in found:
        version_id = entry.get("VersionId", "null")
        rows.append(
            (
                version_id if deleted else link(version_id, object_url(bucket, key, version_id)),
                "delete marker" if deleted else size_text(entry.get("Size")),
                str(entry.get("LastModified", "")),
                "latest" if entry.get("IsLatest") else "",
                "" if deleted else link("download", download_url(bucket, key, version_id)),
            )
        )
    return [
        tags.h2("Versions"),
        tags.p(f"Versioning: {versioning['Status']}", class_="muted"),
        table(["Version", "Size", "Last modified", "", ""], rows, id="versions"),
    ]


async def _preview(
    view: View, where: dict[str, Any], bucket: str, key: str, version: str | None, content_type: str, size: int
) -> list[Any]:
    essence = content_type.split(";", 1)[0].strip().lower()
    if essence in INLINE_IMAGES:
        source = download_url(bucket, key, version, inline=True)
        return [tags.h2("Preview"), tags.img(src=source, alt=key, class_="preview", id="preview-image")]
    if not is_text(content_type, key) or size == 0:
        return []
    response = await view.client.open("s3", "GetObject", {**where, "Range": f"bytes=0-{PREVIEW_BYTES - 1}"})
    data = await treq.content(response)
    text = data.decode("utf-8", "replace")
    note = f"the first {size_text(PREVIEW_BYTES)} of {size_text(size)}" if size > PREVIEW_BYTES else ""
    if is_json(content_type, key) and size <= PREVIEW_BYTES:
        try:
            text = json.dumps(json.loads(data), indent=2, ensure_ascii=False)
        except ValueError:
            note = "not valid JSON: shown as text"
    return [
        tags.h2("Preview"),
        tags.p(note, class_="muted") if note else "",
        tags.pre(tags.code(text), id="preview-text"),
    ]


class _Relay(Protocol):
    """
    An S3 answer's body, written on to the browser as it comes: the
    browser's pace holds back the read from the edge.
    """

    def __init__(self, request, done: defer.Deferred) -> None:
        self.request = request
        self.done = done

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.request.registerProducer(self.transport, True)
        transport: Any = self.transport  # twisted.web's TransportProxyProducer
        self.request.notifyFinish().addErrback(lambda _: transport.stopProducing())

    def dataReceived(self, data: bytes) -> None:
        if not self.request.finished and not getattr(self.request, "_disconnected", False):
            self.request.write(data)

    def connectionLost(self, reason: Failure = ResponseDone) -> None:  # type: ignore[assignment]
        gone = self.request.finished or getattr(self.request, "_disconnected", False)
        if not gone:
            self.request.unregisterProducer()
            if reason.check(ResponseDone, PotentialDataLoss):
                self.request.finish()
            else:
                # Cut short: the browser must not take a truncated file for whole.
                assert self.request.channel is not None
                self.request.channel.transport.abortConnection()
        self.done.callback(None)


async def download(view: View) -> Answer:
    bucket, key = view.params["bucket"], view.arg("key")
    where: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if view.arg("versionId"):
        where["VersionId"] = view.arg("versionId")
    response = await view.client.open("s3", "GetObject", where)
    request = view.request
    content_type = (response.headers.getRawHeaders(b"content-type") or [b"application/octet-stream"])[0]
    essence = content_type.split(b";", 1)[0].strip().lower().decode("latin-1")
    inline = view.arg("inline") == "1" and essence in INLINE_IMAGES
    name = key.rpartition("/")[2] or "object"
    request.setHeader(b"content-type", content_type if inline else b"application/octet-stream")
    disposition = "inline" if inline else "attachment"
    ascii_name = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
    request.setHeader(
        b"content-disposition",
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{_rfc5987(name)}".encode("ascii"),
    )
    # twisted.web's client keeps the length apart from the headers.
    if isinstance(response.length, int):
        request.setHeader(b"content-length", b"%d" % response.length)
    for header in (b"etag", b"last-modified"):
        value = response.headers.getRawHeaders(header)
        if value:
            request.setHeader(header, value[0])
    request.setHeader(b"x-content-type-options", b"nosniff")
    request.setHeader(b"content-security-policy", b"sandbox; default-src 'none'")
    request.setHeader(b"cache-control", b"no-store")
    done: defer.Deferred = defer.Deferred()
    response.deliverBody(_Relay(request, done))
    await done
    return TAKEN


def _rfc5987(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


SECTION = Section(
    name="s3",
    title="S3",
    service="s3",
    summary="buckets, their keys as folders, objects' details, downloads and previews",
    order=10,
    routes=[
        Route("", buckets),
        Route("buckets/{bucket}", browse),
        Route("buckets/{bucket}/object", object_details),
        Route("buckets/{bucket}/download", download),
    ],
)
