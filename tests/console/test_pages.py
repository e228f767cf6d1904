"""
The console's pages over HTTP, against a real RustStack whose data boto3
made: what each page lists, links, escapes and streams; errors as pages.
(What needs a browser -- rendering, scripts -- is in test_browser.)
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from ruststack.console.pages import url
from tests.console.pages import fresh_account, read

ACCOUNT_COOKIE = "ruststack_console_account"


def as_account(web, stack, account: str):
    """
    The session acts as C{account}; a boto3 client factory for it.
    """
    web.cookies.set(ACCOUNT_COOKIE, account)
    return lambda service: stack.client(service, aws_access_key_id=account, aws_secret_access_key="any")


def page(web, path: str, status: int = 200, **kwargs):
    response = web.get(web.base + path, allow_redirects=False, **kwargs)
    assert response.status_code == status, response.text[-2000:]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return read(response.text)


def test_home_lists_the_running_sections(web):
    html = page(web, url())
    assert html.link("S3").href == "/_ruststack/s3"
    assert html.link("DynamoDB").href == "/_ruststack/dynamodb"
    assert "Lambda" not in [link.text for link in html.links]


def test_an_unknown_console_path_is_a_404_page(web):
    for path in ("/_ruststack/nothing", "/_ruststack/s3/buckets/b/c/d", "/_ruststack/static/../setup.py"):
        html = page(web, path, 404)
        assert "Not found" in html.text


def test_health_and_reset_stay_as_they_were(web):
    assert web.get(web.base + "/_ruststack/health").json()["services"]["s3"]["state"] == "running"
    response = web.get(web.base + "/_ruststack/reset")
    assert response.status_code == 405
    assert response.json() == {"error": "no such endpoint: GET /_ruststack/reset"}


def test_static_files_are_served(web):
    response = web.get(web.base + url("static", "console.css"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert web.get(web.base + url("static", "console.js")).headers["content-type"].startswith("text/javascript")


def test_pages_forbid_inline_script_and_framing(web):
    response = web.get(web.base + url())
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_buckets_are_those_of_the_chosen_account(web, stack):
    mine, theirs = fresh_account(), fresh_account()
    as_account(web, stack, theirs)("s3").create_bucket(Bucket=f"theirs-{theirs}")
    client = as_account(web, stack, mine)
    client("s3").create_bucket(Bucket=f"mine-{mine}")
    html = page(web, url("s3"))
    names = [link.text for link in html.links if link.path.startswith("/_ruststack/s3/buckets/")]
    assert names == [f"mine-{mine}"]


def test_the_account_and_region_form_sets_cookies(web, stack):
    account = fresh_account()
    response = web.post(
        web.base + url("context"),
        data={"account": account, "region": "eu-west-1", "next": "/_ruststack/s3"},
        allow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/_ruststack/s3"
    cookies = response.headers["set-cookie"]
    assert "HttpOnly" in cookies and "SameSite=strict" in cookies
    assert web.cookies.get(ACCOUNT_COOKIE) == account
    assert web.cookies.get("ruststack_console_region") == "eu-west-1"
    home = web.get(web.base + url()).text
    assert f'value="{account}"' in home
    assert '<option value="eu-west-1" selected="selected">' in home


def test_the_form_sends_back_only_to_console_pages(web):
    for elsewhere in ("https://example.com/", "//example.com/", "/somewhere"):
        response = web.post(web.base + url("context"), data={"next": elsewhere}, allow_redirects=False)
        assert response.headers["location"] == "/_ruststack/"


def test_a_form_posted_from_another_site_is_refused(web):
    response = web.post(
        web.base + url("context"),
        data={"account": "123456789012"},
        headers={"origin": "http://evil.example"},
        allow_redirects=False,
    )
    assert response.status_code == 403
    assert ACCOUNT_COOKIE not in response.headers.get("set-cookie", "")


def test_regions_are_separate(web, stack):
    client = as_account(web, stack, fresh_account())
    s3 = client("s3")
    s3.create_bucket(Bucket="in-region-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    # ListBuckets lists every region's buckets, as AWS does; a table is in one region.
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="regional",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert "regional" in page(web, url("dynamodb")).text
    web.cookies.set("ruststack_console_region", "eu-west-1")
    assert "regional" not in page(web, url("dynamodb")).text


# S3


def put_keys(s3, bucket: str, keys, body: bytes = b"x") -> None:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=body), keys))


def test_keys_fold_into_folders_with_breadcrumbs(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="folders")
    put_keys(s3, "folders", ["top.txt", "a/one.txt", "a/b/two.txt", "a/b/three.txt", "c/four.txt"])
    root = page(web, url("s3", "buckets", "folders"))
    assert [link.text for link in root.links if link.path.startswith("/_ruststack/s3/buckets/folders")][1:] == [
        "a/",
        "c/",
        "top.txt",
    ]
    folder = page(web, root.link("a/").href)
    assert [link.text for link in folder.links][-2:] == ["b/", "one.txt"]
    deeper = page(web, folder.link("b/").href)
    # Breadcrumbs: S3 / folders / a/ / b/
    crumbs = [link.text for link in deeper.links[: deeper.links.index(deeper.link("b/")) + 1]]
    assert crumbs[-4:] == ["S3", "folders", "a/", "b/"]
    assert deeper.link("a/").query("prefix") == "a/"
    assert deeper.link("three.txt").query("key") == "a/b/three.txt"
    assert deeper.link("two.txt").path == "/_ruststack/s3/buckets/folders/object"


def test_a_listing_pages_with_continuation_tokens(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="paged")
    keys = [f"k{i:02d}" for i in range(7)]
    put_keys(s3, "paged", keys)
    seen = []
    html = page(web, url("s3", "buckets", "paged", max=3))
    assert html.link_by_id("first-page") is None
    while True:
        seen += [link.text for link in html.links if link.query("key")]
        following = html.link_by_id("next-page")
        if following is None:
            break
        assert following.query("token") and following.query("max") == "3"
        html = page(web, following.href)
        assert html.link_by_id("first-page") is not None
    assert seen == keys


WEIRD_KEYS = ["dir/<b>&amp; \"quoted\" 'x'.txt", "dir/é ü ß 日本.json", "dir/a?b#c%20d+e=f", "dir/ lead &amp trail .. "]


def test_keys_with_markup_and_non_ascii_render_and_link(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="weird")
    put_keys(s3, "weird", WEIRD_KEYS, body=b'{"a": 1}')
    raw = web.get(web.base + url("s3", "buckets", "weird", prefix="dir/")).text
    assert "<b>" not in raw.split("<main>", 1)[1]
    html = read(raw)
    for key in WEIRD_KEYS:
        shown = key[len("dir/") :]
        link = html.link(shown)
        assert link.query("key") == key
        details = page(web, link.href)
        assert details.by_id("object-key").startswith(key)
        download = web.get(web.base + details.link("Download").href)
        assert download.status_code == 200 and download.content == b'{"a": 1}'


def test_object_details_show_metadata_tags_and_a_json_preview(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="details")
    document = {"name": "<script>alert(1)</script>", "n": [1, 2]}
    s3.put_object(
        Bucket="details",
        Key="doc.json",
        Body=json.dumps(document).encode(),
        ContentType="application/json",
        Metadata={"owner": "a<b>&c"},
    )
    s3.put_object_tagging(Bucket="details", Key="doc.json", Tagging={"TagSet": [{"Key": "team", "Value": "a&b"}]})
    response = web.get(web.base + url("s3", "buckets", "details", "object", key="doc.json"))
    assert "<script>alert" not in response.text
    html = read(response.text)
    assert "application/json" in html.text
    assert "a<b>&c" in html.by_id("metadata")
    assert "a&b" in html.by_id("tags")
    assert html.by_id("preview-text").startswith(json.dumps(document, indent=2))
    assert "Versions" not in html.text  # versioning was never on


def test_a_large_text_object_previews_its_first_64_kib(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="big-text")
    s3.put_object(Bucket="big-text", Key="log.txt", Body=b"line\n" * 40_000, ContentType="text/plain")
    html = page(web, url("s3", "buckets", "big-text", "object", key="log.txt"))
    assert "the first 64.0 KiB of 195.3 KiB" in html.text
    assert len(html.by_id("preview-text")) == 64 * 1024


def test_an_image_previews_through_the_download_url(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="images")
    s3.put_object(Bucket="images", Key="pic.png", Body=b"\x89PNG\r\n\x1a\n", ContentType="image/png")
    html = page(web, url("s3", "buckets", "images", "object", key="pic.png"))
    (source,) = html.images
    response = web.get(web.base + source)
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.content == b"\x89PNG\r\n\x1a\n"


def test_versions_of_a_versioned_bucket(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="versioned", Key="v.txt", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket="versioned", Key="v.txt", Body=b"two!")["VersionId"]
    html = page(web, url("s3", "buckets", "versioned", "object", key="v.txt"))
    versions = html.by_id("versions")
    assert versions.index(second) < versions.index(first)
    assert "latest" in versions
    old = page(web, html.link(first).href)
    assert old.by_id("preview-text").startswith("one")
    assert web.get(web.base + old.link("Download").href).content == b"one"


def test_a_download_streams_as_an_attachment(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    s3.create_bucket(Bucket="downloads")
    body = os.urandom(6 * 1024 * 1024)
    s3.put_object(Bucket="downloads", Key="nested/data.bin", Body=body)
    s3.put_object(Bucket="downloads", Key="page.html", Body=b"<script>alert(1)</script>", ContentType="text/html")
    response = web.get(web.base + url("s3", "buckets", "downloads", "download", key="nested/data.bin"), stream=True)
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["content-disposition"].startswith('attachment; filename="data.bin"')
    digest = hashlib.sha256()
    for chunk in response.iter_content(256 * 1024):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(body).hexdigest()
    # An HTML object never renders in the console's origin.
    html = web.get(web.base + url("s3", "buckets", "downloads", "download", key="page.html", inline="1"))
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in html.headers["content-security-policy"]


def test_aws_errors_are_shown_on_the_page(web, stack):
    s3 = as_account(web, stack, fresh_account())("s3")
    html = page(web, url("s3", "buckets", "no-such-bucket-here"), 404)
    assert "NoSuchBucket: The specified bucket does not exist" in html.text
    s3.create_bucket(Bucket="errors")
    html = page(web, url("s3", "buckets", "errors", "object", key="missing"), 404)
    assert "NoSuchKey: The specified key does not exist." in html.text
    html = page(web, url("s3", "buckets", "errors", "download", key="missing"), 404)
    assert "NoSuchKey" in html.text


# DynamoDB


@pytest.fixture
def table(web, stack):
    client = as_account(web, stack, fresh_account())("dynamodb")
    client.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for customer in ("<alice & co>", "bob"):
        for n in range(6):
            client.put_item(
                TableName="orders",
                Item={
                    "customer": {"S": customer},
                    "n": {"N": str(n)},
                    "status": {"S": "open" if n % 2 else "closed"},
                    "blob": {"B": b"\x00\x01"},
                    "tags": {"SS": ["x", "y"]},
                    "price": {"N": "12.50"},
                },
            )
    return client


def test_tables_and_a_tables_keys_and_indexes(web, table):
    html = page(web, url("dynamodb"))
    assert html.link("orders").href == "/_ruststack/dynamodb/tables/orders"
    details = page(web, url("dynamodb", "tables", "orders"))
    assert "customer (S, HASH), n (N, RANGE)" in details.text
    assert "by-status" in details.by_id("indexes") and "status (S, HASH)" in details.by_id("indexes")
    assert "12 items on this page" in details.by_id("items-note")


def test_a_scan_pages_with_last_evaluated_key(web, table):
    seen = []
    html = page(web, url("dynamodb", "tables", "orders", mode="scan", limit=5))
    while True:
        seen += [link.query("key") for link in html.links if link.text == "item"]
        following = html.link_by_id("next-page")
        if following is None:
            break
        assert following.query("limit") == "5"
        html = page(web, following.href)
    assert len(seen) == len(set(seen)) == 12


def test_a_query_with_a_sort_key_condition(web, table):
    html = page(
        web, url("dynamodb", "tables", "orders", mode="query", pk="<alice & co>", sk_op="between", sk="2", sk2="4")
    )
    keys = [json.loads(link.query("key") or "") for link in html.links if link.text == "item"]
    assert keys == [{"customer": {"S": "<alice & co>"}, "n": {"N": str(n)}} for n in (2, 3, 4)]
    on_index = page(web, url("dynamodb", "tables", "orders", mode="query", index="by-status", pk="open"))
    assert "6 items on this page" in on_index.by_id("items-note")


def test_a_query_error_is_dynamodbs(web, table):
    html = page(web, url("dynamodb", "tables", "orders", mode="query", pk="bob", sk="not-a-number"))
    assert "ValidationException" in html.text
    html = page(web, url("dynamodb", "tables", "orders", start="{not json"))
    assert "ValidationException: not a key" in html.text


def test_an_item_as_plain_and_dynamodb_json(web, table):
    key = json.dumps({"customer": {"S": "bob"}, "n": {"N": "3"}})
    html = page(web, url("dynamodb", "tables", "orders", "item", key=key))
    assert json.loads(html.by_id("plain").split("DynamoDB JSON")[0]) == {
        "customer": "bob",
        "n": 3,
        "status": "open",
        "blob": "AAE=",
        "tags": ["x", "y"],
        "price": 12.5,
    }
    assert json.loads(html.by_id("dynamodb-json"))["blob"] == {"B": "AAE="}
    missing = json.dumps({"customer": {"S": "nobody"}, "n": {"N": "1"}})
    assert "No item has this key." in page(web, url("dynamodb", "tables", "orders", "item", key=missing), 404).text
