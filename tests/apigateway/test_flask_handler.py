"""
The design notes' test: the Flask app behind its Lambda handler (apig-wsgi),
invoked with the API Gateway v1 event RustStack builds, answers as the Flask
route does through Flask's own test client. In process, no stack: these
routes touch neither DynamoDB nor S3.
"""

import json

import pytest

from ruststack.apigateway.model import ApiResource, Method
from ruststack.apigateway.proxy import EventContext, HttpRequest, build_event, parse_response
from ruststack.apigateway.routing import Router

from . import flask_app

ENVIRONMENT = {
    "TABLE_NAME": "unused",
    "BUCKET_NAME": "unused",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
}
ROUTER = Router(
    [
        ApiResource(id="rootid0000", path="/", methods={"ANY": Method("ANY")}),
        ApiResource(id="prx123", path="/{proxy+}", parent_id="rootid0000", methods={"ANY": Method("ANY")}),
    ]
)


@pytest.fixture(scope="module")
def example():
    return flask_app.load("app", ENVIRONMENT)


def invoke(handler, method, raw_path, query="", headers=(), body=b""):
    route = ROUTER.match(method, raw_path)
    assert route is not None
    request = HttpRequest(
        method,
        raw_path,
        query,
        [("Host", "abc.execute-api.localhost"), *headers],
        body,
        "127.0.0.1",
        "HTTP/1.1",
        "abc.execute-api.localhost",
    )
    context = EventContext("000000000000", "abc", "dev", {}, ["*/*"], "id", "ext=", 0.0)
    # Through JSON and back, as the event and answer travel.
    event = json.loads(json.dumps(build_event(request, route, context)))
    return parse_response(json.dumps(handler(event, None)).encode(), decode_binary=True)


@pytest.mark.parametrize(
    "method, raw_path, query, flask_path, headers, body",
    [
        ("GET", "/", "", "/", (), b""),
        ("GET", "/search", "q=a&q=b%20c&page=2", "/search?q=a&q=b%20c&page=2", (), b""),
        ("GET", "/hello/caf%C3%A9", "", "/hello/café", (), b""),
        ("GET", "/does-not-exist", "", "/does-not-exist", (), b""),
        ("POST", "/session", "", "/session", (("Content-Type", "application/json"),), b'{"user": "ana"}'),
        ("GET", "/session", "", "/session", (("Cookie", "session=abc; theme=light"),), b""),
    ],
)
def test_handler_answers_as_the_flask_route(example, method, raw_path, query, flask_path, headers, body):
    answer = invoke(example.handler, method, raw_path, query, headers, body)
    client = example.app.test_client(use_cookies=False)
    expected = client.open(flask_path, method=method, headers=list(headers), data=body)
    assert answer.status == expected.status_code
    assert answer.body == expected.data
    for name in set(expected.headers.keys()):
        assert [v for n, v in answer.headers if n.lower() == name.lower()] == expected.headers.getlist(name), name


def test_two_cookies_stay_two(example):
    answer = invoke(example.handler, "POST", "/session", headers=[("Content-Type", "application/json")], body=b"{}")
    cookies = [v for n, v in answer.headers if n.lower() == "set-cookie"]
    assert [c.split(";")[0] for c in cookies] == ["session=s3cr3t", "theme=dark"]


def test_unhandled_exception_leaves_the_handler(example):
    # The Lambda runtime turns this into a function error; API Gateway, a 502.
    with pytest.raises(RuntimeError):
        invoke(example.handler, "GET", "/boom")
