"""
The API Gateway pages' pure parts: a stage's two invoke URL forms, the URL
and Host a sent request goes to, the form's header lines, and which function
an integration names.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ruststack.console.apigateway_data import function_of, invoke_urls
from ruststack.console.send_request import parse_headers, target


def test_rest_stage_urls() -> None:
    urls = invoke_urls("http://127.0.0.1:4566", "abc123defg", "prod")
    assert urls.host_form == "http://abc123defg.execute-api.localhost:4566/prod/"
    assert urls.path_form == "http://localhost:4566/restapis/abc123defg/prod/_user_request_/"


def test_http_default_stage_is_at_the_root() -> None:
    urls = invoke_urls("http://localhost:4566", "abc123defg", "$default", http_api=True)
    assert urls.host_form == "http://abc123defg.execute-api.localhost:4566/"
    assert urls.path_form == "http://localhost:4566/restapis/abc123defg/$default/_user_request_/"
    named = invoke_urls("http://localhost:4566", "abc123defg", "dev", http_api=True)
    assert named.host_form == "http://abc123defg.execute-api.localhost:4566/dev/"


def test_targets() -> None:
    edge = "http://127.0.0.1:4566"
    assert target(edge, "a1", "prod", "/notes/1", "x=1&y=2", False) == (
        "http://127.0.0.1:4566/prod/notes/1?x=1&y=2",
        "a1.execute-api.localhost:4566",
    )
    assert target(edge, "a1", "$default", "notes", "", True) == (
        "http://127.0.0.1:4566/notes",
        "a1.execute-api.localhost:4566",
    )
    assert target(edge, "a1", "$default", "/a b/é", "?q=ü", True, form="path") == (
        "http://127.0.0.1:4566/restapis/a1/$default/_user_request_/a%20b/%C3%A9?q=%C3%BC",
        "localhost:4566",
    )


def test_function_of() -> None:
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:000000000000:function:notes/invocations"
    )
    assert function_of(uri) == "notes"
    assert function_of("arn:aws:lambda:us-east-1:000000000000:function:notes:live") == "notes"
    assert function_of("http://example.com") is None
    assert function_of(None) is None


def test_header_lines() -> None:
    assert parse_headers("Content-Type: application/json\n\nX-A:  1 \nnot a header\n: empty name") == [
        ("Content-Type", "application/json"),
        ("X-A", "1"),
    ]


@given(st.text())
def test_any_header_text(text: str) -> None:
    for name, value in parse_headers(text):
        assert name and name == name.strip() and value == value.strip()
        assert "\n" not in name + value and "\r" not in name + value


@given(st.text(), st.text(), st.sampled_from(["host", "path"]), st.booleans())
def test_any_typed_path_and_query_make_an_ascii_url(path: str, query: str, form: str, http_api: bool) -> None:
    url, host = target("http://127.0.0.1:4566", "a1", "prod", path, query, http_api, form)
    url.encode("ascii")
    assert url.startswith("http://127.0.0.1:4566/")
    assert " " not in url and "#" not in url.split("?", 1)[0]
