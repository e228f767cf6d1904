"""
The console under C{--auth verify}: it asks for an access key pair, signs
its calls with it, and shows that key's account only; a wrong pair is
refused with AWS's own error; signing out forgets the session.
"""

from __future__ import annotations

import pytest
import requests

from ruststack.console.pages import url
from tests.console.pages import click_and_wait, read
from tests.tenants import ALICE, BOB, start_tenants


@pytest.fixture(scope="module")
def tenants(tmp_path_factory):
    started = start_tenants(tmp_path_factory.mktemp("console-tenants"), "s3,sts", verify=True)
    started.client("s3", ALICE).create_bucket(Bucket="alice-bucket")
    started.client("s3", BOB).create_bucket(Bucket="bob-bucket")
    yield started
    started.stop()


@pytest.fixture
def web(tenants):
    session = requests.Session()
    yield session
    session.close()


def sign_in(web, tenants, key: str, secret: str, next_page: str = "/_ruststack/s3") -> requests.Response:
    return web.post(
        tenants.endpoint_url + url("signin"),
        data={"access_key": key, "secret_key": secret, "next": next_page},
        allow_redirects=False,
    )


def test_the_console_asks_for_keys(web, tenants):
    response = web.get(tenants.endpoint_url + url("s3"), allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/_ruststack/signin?next=%2F_ruststack%2Fs3"
    form = web.get(tenants.endpoint_url + response.headers["location"])
    assert form.status_code == 200
    assert 'name="secret_key"' in form.text and 'type="password"' in form.text


def test_a_wrong_secret_is_refused_with_awss_error(web, tenants):
    key, _ = tenants.keys[ALICE]
    response = sign_in(web, tenants, key, "not-the-secret")
    assert response.status_code == 401
    assert "SignatureDoesNotMatch: The request signature we calculated does not match" in read(response.text).text
    assert "ruststack_console_session" not in response.headers.get("set-cookie", "")


def test_an_unknown_key_is_refused_with_awss_error(web, tenants):
    response = sign_in(web, tenants, "AKIANOBODY", "whatever")
    assert response.status_code == 401
    assert "InvalidClientTokenId: The security token included in the request is invalid." in read(response.text).text


def test_a_signed_in_console_shows_that_account_only(web, tenants):
    key, secret = tenants.keys[ALICE]
    response = sign_in(web, tenants, key, secret)
    assert response.status_code == 303 and response.headers["location"] == "/_ruststack/s3"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ruststack_console_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert secret not in cookie and key not in cookie
    html = read(web.get(tenants.endpoint_url + url("s3")).text)
    assert [link.text for link in html.links if link.path.startswith("/_ruststack/s3/buckets/")] == ["alice-bucket"]
    assert ALICE in html.text
    # Another account's bucket, by name: its owner's rules apply, as to any client.
    other = web.get(tenants.endpoint_url + url("s3", "buckets", "bob-bucket"))
    assert other.status_code == 403
    assert "AccessDenied" in read(other.text).text
    # The account cookie of --auth off means nothing here.
    web.cookies.set("ruststack_console_account", BOB)
    again = read(web.get(tenants.endpoint_url + url("s3")).text)
    assert "bob-bucket" not in again.text


def test_signing_out_forgets_the_session(web, tenants):
    key, secret = tenants.keys[BOB]
    sign_in(web, tenants, key, secret)
    session = web.cookies.get("ruststack_console_session")
    assert "bob-bucket" in web.get(tenants.endpoint_url + url("s3")).text
    response = web.post(tenants.endpoint_url + url("signout"), allow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/_ruststack/signin"
    assert web.get(tenants.endpoint_url + url("s3"), allow_redirects=False).status_code == 303
    # The old session id is no key any more.
    stale = requests.get(
        tenants.endpoint_url + url("s3"), cookies={"ruststack_console_session": session}, allow_redirects=False
    )
    assert stale.status_code == 303


def test_signing_in_from_the_browser(tenants, browser, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    browser.get(tenants.endpoint_url + url("s3"))
    assert "/_ruststack/signin" in browser.current_url
    key, secret = tenants.keys[ALICE]
    browser.find_element(By.ID, "access_key").send_keys(key)
    browser.find_element(By.ID, "secret_key").send_keys("wrong")
    click_and_wait(browser, browser.find_element(By.ID, "signin"))
    refused = WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".error strong"))
    assert refused[0].text == "SignatureDoesNotMatch"
    screenshot("refused")
    browser.find_element(By.ID, "access_key").clear()
    browser.find_element(By.ID, "access_key").send_keys(key)
    browser.find_element(By.ID, "secret_key").send_keys(secret)
    click_and_wait(browser, browser.find_element(By.ID, "signin"))
    WebDriverWait(browser, 30).until(lambda b: b.current_url.endswith("/_ruststack/s3"))
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#buckets td a")] == ["alice-bucket"]
    assert browser.find_element(By.ID, "console-account").text == ALICE
    screenshot("signed-in")
    click_and_wait(browser, browser.find_element(By.ID, "signout"))
    WebDriverWait(browser, 30).until(lambda b: "/_ruststack/signin" in b.current_url)
