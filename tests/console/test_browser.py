"""
The console in a real browser (headless Chromium through selenium): pages
render, links and forms navigate, scripts run under the pages' CSP, images
preview. Screenshots of each step are kept as artifacts (see conftest).

test_first_page_of_a_100000_key_bucket measures issue 16's target (first
page renders in under 300 ms) and prints it; it asserts only a loose bound:
speed is measured in bench/, not asserted in tests.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
import zlib
from functools import partial

import boto3
import pytest

from ruststack.console.pages import url
from tests.console.pages import click_and_wait, fresh_account

pytestmark = pytest.mark.usefixtures("browser")

ACCOUNT_COOKIE = "ruststack_console_account"


def open_as(browser, stack, account: str, path: str) -> None:
    """
    Open C{path} in the browser, acting as C{account} (the console's cookie).
    """
    if not browser.current_url.startswith(stack.endpoint_url):
        browser.get(stack.endpoint_url + "/_ruststack/static/console.css")
    browser.add_cookie({"name": ACCOUNT_COOKIE, "value": account, "path": "/_ruststack/"})
    browser.get(stack.endpoint_url + path)


def texts(browser, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]


def click_link(browser, text: str) -> None:
    from selenium.webdriver.common.by import By

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, text))


def png(width: int, height: int) -> bytes:
    """
    A valid PNG of one colour, made by hand (no imaging library needed).
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xb7\x41\x0e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_browsing_a_bucket_down_to_an_object(browser, stack, screenshot):
    from selenium.webdriver.common.by import By

    account = fresh_account()
    s3 = stack.client("s3", aws_access_key_id=account, aws_secret_access_key="any")
    s3.create_bucket(Bucket="photos")
    s3.put_object(Bucket="photos", Key="2024/<summer> & co/notes.json", Body=b'{"b": [1, 2], "a": "<x>"}')
    s3.put_object(Bucket="photos", Key="2024/<summer> & co/sun.png", Body=png(40, 20), ContentType="image/png")
    s3.put_object(Bucket="photos", Key="readme.txt", Body="héllo wörld\n".encode())
    open_as(browser, stack, account, url())
    screenshot("home")
    click_link(browser, "S3")
    assert texts(browser, "#buckets td a") == ["photos"]
    click_link(browser, "photos")
    assert texts(browser, "#keys td a") == ["2024/", "readme.txt"]
    click_link(browser, "2024/")
    click_link(browser, "<summer> & co/")
    screenshot("folder")
    assert texts(browser, "nav.crumbs a") == ["S3", "photos", "2024/", "<summer> & co/"]
    click_link(browser, "notes.json")
    assert browser.find_element(By.ID, "object-key").text == "2024/<summer> & co/notes.json"
    assert browser.find_element(By.ID, "preview-text").text == '{\n  "b": [\n    1,\n    2\n  ],\n  "a": "<x>"\n}'
    screenshot("json")
    click_link(browser, "<summer> & co/")
    click_link(browser, "sun.png")
    image = browser.find_element(By.ID, "preview-image")
    # Loaded through the download URL, under the page's CSP.
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 40
    screenshot("image")
    click_link(browser, "photos")
    click_link(browser, "readme.txt")
    assert browser.find_element(By.ID, "preview-text").text == "héllo wörld"


def test_the_region_select_switches_on_change(browser, stack, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    account = fresh_account()
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=stack.endpoint_url,
        region_name="eu-west-2",
        aws_access_key_id=account,
        aws_secret_access_key="any",
    )
    ddb.create_table(
        TableName="west-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    open_as(browser, stack, account, url("dynamodb"))
    assert texts(browser, "#tables td a") == []
    old = browser.find_element(By.TAG_NAME, "html")
    # console.js submits the form when the select changes: no button pressed.
    Select(browser.find_element(By.ID, "console-region")).select_by_value("eu-west-2")
    WebDriverWait(browser, 30).until(lambda b: old != b.find_element(By.TAG_NAME, "html"))
    assert browser.current_url.endswith("/_ruststack/dynamodb")
    assert texts(browser, "#tables td a") == ["west-table"]
    screenshot()
    Select(browser.find_element(By.ID, "console-region")).select_by_value("us-east-1")
    WebDriverWait(browser, 30).until(lambda b: texts(b, "#tables td a") == [])


def test_querying_a_table_with_the_form(browser, stack, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    account = fresh_account()
    ddb = stack.client("dynamodb", aws_access_key_id=account, aws_secret_access_key="any")
    ddb.create_table(
        TableName="events",
        KeySchema=[{"AttributeName": "device", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "device", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for at in range(10):
        ddb.put_item(TableName="events", Item={"device": {"S": "sensor-1"}, "at": {"N": str(at)}, "v": {"S": "é"}})
    open_as(browser, stack, account, url("dynamodb", "tables", "events"))
    note = browser.find_elements(By.ID, "items-note")
    assert note, f"no items note on the page: {browser.find_element(By.TAG_NAME, 'body').text[:500]}"
    assert "10 items on this page" in note[0].text
    browser.find_element(By.ID, "pk").send_keys("sensor-1")
    Select(browser.find_element(By.ID, "sk_op")).select_by_value(">=")
    browser.find_element(By.ID, "sk").send_keys("7")
    click_and_wait(browser, browser.find_element(By.ID, "query"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#items tbody tr")
    assert [row.find_elements(By.TAG_NAME, "td")[2].text for row in rows] == ["7", "8", "9"]
    screenshot("query")
    click_and_wait(browser, rows[0].find_element(By.LINK_TEXT, "item"))
    assert '"device": "sensor-1"' in browser.find_element(By.ID, "plain").text
    screenshot("item")


def test_an_aws_error_is_a_page(browser, stack, screenshot):
    from selenium.webdriver.common.by import By

    open_as(browser, stack, fresh_account(), url("s3", "buckets", "not-a-bucket"))
    assert browser.find_element(By.CSS_SELECTOR, ".error").text == ("NoSuchBucket: The specified bucket does not exist")
    screenshot()


def put_flat(endpoint_url: str, bucket: str, account: str, index: int):
    """
    bench's populate operation: a signed PUT of an empty object per call.
    """
    from bench.rawclient import RawClient
    from bench.signing import Signer

    client = RawClient(endpoint_url, "s3")
    client.signer = Signer("s3", "us-east-1", access_key=account)
    empty = hashlib.sha256(b"").hexdigest()
    return lambda i: client.call("PUT", f"/{bucket}/object-{i:06d}.json", body=b"", payload_hash=empty) and 0


@pytest.mark.measures("issue 16: first page of a 100,000-key bucket renders in < 300 ms")
def test_first_page_of_a_100000_key_bucket(browser, stack, screenshot):
    """
    Issue 16's target: the first page of a 100,000-key bucket renders in
    under 300 ms. Measured in the browser (Navigation Timing: request sent
    to load event), printed; asserted only loosely.
    """
    from selenium.webdriver.common.by import By

    from bench.workloads.common import populate

    account = fresh_account()
    s3 = stack.client("s3", aws_access_key_id=account, aws_secret_access_key="any")
    s3.create_bucket(Bucket="huge")
    started = time.monotonic()
    # Set-up, not the measure: bounded generously, for a slow or busy machine.
    populate(partial(put_flat, stack.endpoint_url, "huge", account), 100_000, clients=8, limit=900)
    made = time.monotonic() - started
    assert s3.list_objects_v2(Bucket="huge", StartAfter="object-099998.json")["KeyCount"] == 1
    open_as(browser, stack, account, url("s3"))  # warm: the browser's connection, the console's
    figures = []
    for _ in range(5):
        browser.get(stack.endpoint_url + url("s3", "buckets", "huge"))
        timing = browser.execute_script(
            "const t = performance.getEntriesByType('navigation')[0];"
            "return [t.responseStart - t.requestStart, t.responseEnd - t.requestStart,"
            " t.loadEventEnd - t.requestStart];"
        )
        figures.append(timing)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#keys tbody tr")) == 1000
    assert browser.find_element(By.ID, "next-page")
    screenshot()
    figures.sort(key=lambda each: each[2])
    server, received, loaded = figures[len(figures) // 2]
    print(
        f"\nconsole: 100,000 keys made in {made:.1f} s; first page of 1,000 (median of 5, from the request): "
        f"first byte {server:.0f} ms, last byte {received:.0f} ms, "
        f"load event {loaded:.0f} ms (target < 300 ms; load average {os.getloadavg()[0]:.1f})"
    )
    assert loaded < 5000
