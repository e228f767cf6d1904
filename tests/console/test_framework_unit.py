"""
The console framework's contract with its sections (ruststack/console/
__init__.py), without a network: a fake section's handlers answer pages,
redirects, AWS errors, 404s, streams and failures, rendered by a
ConsoleResource into a twisted.web request on a dummy channel.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from twisted.web import server
from twisted.web.template import tags
from twisted.web.test.requesthelper import DummyChannel

from ruststack.aws.identity import Authenticator
from ruststack.console.client import AwsCallError
from ruststack.console.pages import TAKEN, NotFound, Page, Redirect, Route, Section, View
from ruststack.console.resource import ConsoleResource
from tests.console.pages import read


async def page(view: View):
    return Page(f"Thing {view.params['name']}", tags.p(view.arg("q"), id="q"), crumbs=[("Fake", "/_ruststack/fake")])


async def aws_error(view: View):
    raise AwsCallError("ResourceNotFoundException", "Function not found: <f>", 404, "GetFunction")


async def server_error(view: View):
    raise AwsCallError("ServiceException", "it broke", 500, "Invoke")


async def missing(view: View):
    raise NotFound("No such thing.")


async def boom(view: View):
    raise RuntimeError("a bug")


async def elsewhere(view: View):
    return Redirect("/_ruststack/fake/things/x")


async def stream(view: View):
    view.request.setHeader(b"content-type", b"text/event-stream")
    view.request.write(b"data: one\n\n")
    view.request.finish()
    return TAKEN


async def posted(view: View):
    return Page("Posted", tags.p(view.arg("field"), id="field"))


FAKE = Section(
    name="fake",
    title="Fake",
    service=("fake", "other"),
    routes=[
        Route("things/{name}", page),
        Route("aws", aws_error),
        Route("server", server_error),
        Route("missing", missing),
        Route("boom", boom),
        Route("redirect", elsewhere),
        Route("stream", stream),
        Route("form", posted, methods=(b"POST",)),
    ],
)
HIDDEN = Section(name="hidden", title="Hidden", service="not-running", routes=[Route("", page)])


@pytest.fixture
def console():
    stack = SimpleNamespace(
        reactor=None,
        edge=SimpleNamespace(authenticator=Authenticator("000000000000", "us-east-1")),
        config=SimpleNamespace(region="us-east-1"),
        aws_services={"fake": object()},
        edge_url="http://127.0.0.1:9",
    )
    resource = ConsoleResource(stack)  # type: ignore[arg-type]
    resource.sections = [FAKE, HIDDEN]
    return resource


def render(console, uri: bytes, method: bytes = b"GET", headers=None, args=None):
    channel = DummyChannel()
    request = server.Request(channel)
    request.method, request.uri, request.path = method, uri, uri.split(b"?")[0]
    request.clientproto = b"HTTP/1.1"
    request.args = args or {}
    for name, value in (headers or {}).items():
        request.requestHeaders.setRawHeaders(name, [value])
    console.render(request)
    assert request.finished
    head, _, body = channel.transport.written.getvalue().partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body.decode("utf-8")


def test_a_route_with_a_parameter_and_a_query_argument(console):
    status, _, body = render(console, b"/_ruststack/fake/things/%3Cb%3E%20%C3%A9", args={b"q": ["<i>é".encode()]})
    html = read(body)
    assert status == 200
    assert "Thing <b> é" in html.text and "<b>" not in body.split("<main>")[1]
    assert html.by_id("q").startswith("<i>é")
    assert html.link("Fake").href == "/_ruststack/fake"


def test_the_navigation_lists_sections_whose_service_runs(console):
    _, _, body = render(console, b"/_ruststack/")
    titles = [link.text for link in read(body).links]
    assert "Fake" in titles and "Hidden" not in titles
    assert render(console, b"/_ruststack/hidden")[0] == 404


def test_an_aws_error_is_a_page_with_its_status(console):
    status, _, body = render(console, b"/_ruststack/fake/aws")
    assert status == 404
    assert "ResourceNotFoundException: Function not found: <f>" in read(body).text
    assert render(console, b"/_ruststack/fake/server")[0] == 502


def test_not_found_and_unknown_paths_are_404_pages(console):
    status, _, body = render(console, b"/_ruststack/fake/missing")
    assert status == 404 and "No such thing." in read(body).text
    assert render(console, b"/_ruststack/fake/nowhere")[0] == 404
    # A route answers only its methods.
    assert render(console, b"/_ruststack/fake/form")[0] == 404


def test_a_failing_handler_is_a_plain_500_without_a_traceback(console):
    status, head, body = render(console, b"/_ruststack/fake/boom")
    assert status == 500
    assert body == "The console failed; see RustStack's log.\n"
    assert "a bug" not in body


def test_a_redirect(console):
    status, head, _ = render(console, b"/_ruststack/fake/redirect")
    assert status == 303 and "Location: /_ruststack/fake/things/x" in head


def test_a_handler_may_write_the_response_itself(console):
    status, head, body = render(console, b"/_ruststack/fake/stream")
    assert status == 200 and "text/event-stream" in head
    assert body.endswith("data: one\n\n") or "data: one" in body


def test_a_form_post_from_the_page_and_from_elsewhere(console):
    form = {b"field": [b"value"]}
    status, _, body = render(console, b"/_ruststack/fake/form", b"POST", args=form)
    assert status == 200 and read(body).by_id("field").startswith("value")
    refused = render(console, b"/_ruststack/fake/form", b"POST", {b"origin": b"http://evil.example"}, form)
    assert refused[0] == 403
