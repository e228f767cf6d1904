"""
The website endpoint's parsers on their own: which requests are website
requests (host and path forms), redirects of routing rules, error pages.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3 import website
from ruststack.s3.website import Site

_bucket = st.from_regex(r"\A[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]\Z").filter(lambda name: ".s3-website" not in name)
_key = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
_region = st.sampled_from(["us-east-1", "eu-west-3", "ap-southeast-2"])


@given(_bucket, _key, _region, st.sampled_from([".", "-"]), st.sampled_from(["", ":4566"]))
def test_website_hosts_name_their_bucket(bucket, key, region, separator, port):
    host = f"{bucket}.s3-website{separator}{region}.localhost{port}"
    path = b"/" + quote(key, safe="/").encode()
    assert website.target(host, path, b"GET") == Site(bucket, key, "/")
    # Preflights are the API's, as is any other host.
    assert website.target(host, path, b"OPTIONS") is None
    assert website.target(f"{bucket}.s3.localhost{port}", path, b"GET") is None


@given(_bucket, _key)
def test_the_path_form_names_its_bucket(bucket, key):
    path = b"/_s3-website/" + bucket.encode() + b"/" + quote(key, safe="/").encode()
    assert website.target("localhost:4566", path, b"HEAD") == Site(bucket, key, f"/_s3-website/{bucket}/")
    assert website.target("localhost:4566", b"/" + bucket.encode() + b"/x", b"GET") is None


@given(st.binary(max_size=40), st.text(max_size=30))
def test_any_request_target_parses_or_is_not_a_website(path, host):
    found = website.target(host, path, b"GET")
    assert found is None or isinstance(found.key, str)


_rule_text = st.text("abc/._-", max_size=6)


@given(_rule_text, _rule_text, _rule_text, st.sampled_from([None, "301", "302", "307"]))
def test_replace_key_prefix_keeps_the_rest_of_the_key(prefix, rest, replacement, code):
    rules = [
        {"Condition": {"KeyPrefixEquals": prefix}, "Redirect": {"ReplaceKeyPrefixWith": replacement}},
    ]
    if code is not None:
        rules[0]["Redirect"]["HttpRedirectCode"] = code
    site = Site("b", prefix + rest, "/")
    found = website.routing_redirect(rules, prefix + rest, None, site, "h:1", "http")
    assert found is not None
    assert found.location == "http://h:1/" + quote(replacement + rest, safe="/~")
    assert found.status == int(code or 301)
    # Error rules apply to errors only, and prefix rules before them only.
    assert website.routing_redirect(rules, prefix + rest, 404, site, "h:1", "http") is None


@given(st.sampled_from(["403", "404"]), st.sampled_from([403, 404]))
def test_error_code_conditions(code, error):
    rules = [{"Condition": {"HttpErrorCodeReturnedEquals": code}, "Redirect": {"HostName": "x.example"}}]
    site = Site("b", "k", "/_s3-website/b/")
    assert website.routing_redirect(rules, "k", None, site, "h", "https") is None
    found = website.routing_redirect(rules, "k", error, site, "h", "https")
    assert (found is not None) == (code == str(error))
    if found is not None:
        assert found.location == "https://x.example/k"


@given(st.text(max_size=30))
def test_error_pages_escape_what_they_show(value):
    page = website.error_page(AwsError("NoSuchKey", "The specified key does not exist.", 404, {"Key": value}))
    text = page.decode()
    assert text.startswith("<html>\n<head><title>404 Not Found</title></head>")
    assert f"<li>Key: {html.escape(value)}</li>" in text
    assert text.count("<li>") == 5
