"""
Function URLs: their configuration through boto3 (Create/Get/Update/Delete/
ListFunctionUrlConfigs, AWS's errors), and the URLs themselves over real
sockets in both forms -- C{<url-id>.lambda-url.<region>.localhost} (sent as
a Host header to 127.0.0.1: glibc does not resolve C{*.localhost} here) and
C{/lambda-url/<url-id>/...} -- with the payload format 2.0 event and
response rules, the resource policy AWS requires, CORS and AWS_IAM.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.awslambda import url_events
from ruststack.testing import RustStackProcess
from tests.awslambda.functions import create, create_from, package
from tests.roles import UNCHECKED_ROLE

ECHO_EVENT = """
import json

def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""

# A Flask-style app: routes by method and path, cookies, JSON and binary answers.
APP = """
import base64, json

ROUTES = {}

def route(method, path):
    def register(view):
        ROUTES[(method, path)] = view
        return view
    return register

@route("GET", "/hello")
def hello(event):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": f"hello {name}"}

@route("POST", "/notes")
def add_note(event):
    body = event.get("body") or ""
    if event["isBase64Encoded"]:
        body = base64.b64decode(body).decode()
    note = json.loads(body)
    return {"statusCode": 201, "cookies": ["session=abc; Path=/", "theme=dark"],
            "headers": {"Content-Type": "application/json", "Location": "/notes/1"},
            "body": json.dumps({"id": 1, **note})}

@route("GET", "/logo.png")
def logo(event):
    return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
            "body": base64.b64encode(bytes(range(256))).decode()}

@route("GET", "/plain")
def plain(event):
    return {"plain": True, "cookies": event.get("cookies", [])}

@route("GET", "/text")
def text(event):
    return "just text"

@route("GET", "/broken")
def broken(event):
    raise RuntimeError("boom")

@route("GET", "/malformed")
def malformed(event):
    return {"statusCode": "teapot"}

def handler(event, context):
    view = ROUTES.get((event["requestContext"]["http"]["method"], event["rawPath"]))
    if view is None:
        return {"statusCode": 404, "body": "not found"}
    return view(event)
"""


@pytest.fixture
def control(process_stack):
    process_stack.reset("lambda")
    return process_stack.client("lambda")


@pytest.fixture(params=["process", "docker"])
def any_stack(request):
    stack = request.getfixturevalue(f"{request.param}_stack")
    stack.reset("lambda")
    return stack


def error_of(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


def url_id_of(config: dict) -> str:
    found = re.fullmatch(r"https://([a-z0-9]{32})\.lambda-url\.us-east-1\.on\.aws/", config["FunctionUrl"])
    assert found, config["FunctionUrl"]
    return found.group(1)


def open_to_everyone(client, name: str, qualifier: str | None = None) -> None:
    # What AWS requires of a NONE URL (since October 2025, both statements).
    extra = {"Qualifier": qualifier} if qualifier else {}
    client.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
        **extra,
    )
    client.add_permission(
        FunctionName=name,
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
        **extra,
    )


def public_url(client, name: str, source: str, **settings) -> str:
    create(client, name, source)
    open_to_everyone(client, name)
    return url_id_of(client.create_function_url_config(FunctionName=name, AuthType="NONE", **settings))


def fetch(
    stack,
    url_id: str,
    path: str = "/",
    method: str = "GET",
    headers: dict | None = None,
    body: bytes | None = None,
    form: str = "host",
):
    """
    One request to a function URL: (status, headers (lower-case names, each
    name's values joined with "\\n"), body).
    """
    port = urlsplit(stack.endpoint_url).port
    sent = dict(headers or {})
    if form == "host":
        sent.setdefault("Host", f"{url_id}.lambda-url.us-east-1.localhost:{port}")
        target = path
    else:
        target = f"/lambda-url/{url_id}{path}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=sent)
        response = connection.getresponse()
        got: dict[str, str] = {}
        for name, value in response.getheaders():
            got[name.lower()] = f"{got[name.lower()]}\n{value}" if name.lower() in got else value
        return response.status, got, response.read()
    finally:
        connection.close()


def signed(stack, url_id: str, path: str, key: str, secret: str, method: str = "GET", body: bytes = b"") -> dict:
    port = urlsplit(stack.endpoint_url).port
    host = f"{url_id}.lambda-url.us-east-1.localhost:{port}"
    request = AWSRequest(method, f"http://{host}{path}", data=body, headers={"Host": host})
    SigV4Auth(Credentials(key, secret), "lambda", "us-east-1").add_auth(request)
    return dict(request.headers)


# Configuration


def test_create_get_update_list_delete(control):
    create(control, "site", ECHO_EVENT)
    arn = control.get_function(FunctionName="site")["Configuration"]["FunctionArn"]
    created = control.create_function_url_config(
        FunctionName="site", AuthType="NONE", Cors={"AllowOrigins": ["https://example.com"], "MaxAge": 60}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    url_id_of(created)
    assert created["FunctionArn"] == arn
    assert created["AuthType"] == "NONE"
    assert created["InvokeMode"] == "BUFFERED"
    assert created["Cors"] == {"AllowOrigins": ["https://example.com"], "MaxAge": 60}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", created["CreationTime"])
    assert "LastModifiedTime" not in created

    got = control.get_function_url_config(FunctionName=arn)
    assert got["FunctionUrl"] == created["FunctionUrl"]
    assert got["CreationTime"] == created["CreationTime"] == got["LastModifiedTime"]

    updated = control.update_function_url_config(
        FunctionName="site", AuthType="AWS_IAM", InvokeMode="RESPONSE_STREAM", Cors={"AllowMethods": ["GET"]}
    )
    assert updated["AuthType"] == "AWS_IAM"
    assert updated["InvokeMode"] == "RESPONSE_STREAM"
    assert updated["Cors"] == {"AllowMethods": ["GET"]}
    assert updated["FunctionUrl"] == created["FunctionUrl"]

    listed = control.list_function_url_configs(FunctionName="site")["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [created["FunctionUrl"]]

    deleted = control.delete_function_url_config(FunctionName="site")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert control.list_function_url_configs(FunctionName="site")["FunctionUrlConfigs"] == []


def test_errors_as_lambda_answers_them(control):
    create(control, "site", ECHO_EVENT)
    arn = control.get_function(FunctionName="site")["Configuration"]["FunctionArn"]
    control.create_function_url_config(FunctionName="site", AuthType="NONE")
    conflict = error_of(control.create_function_url_config, FunctionName="site", AuthType="AWS_IAM")
    assert conflict["Error"]["Code"] == "ResourceConflictException"
    assert conflict["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert conflict["Error"]["Message"] == (
        f"Failed to create function url config for [functionArn = {arn}]."
        " Error message:  FunctionUrlConfig exists for this Lambda function"
    )
    control.delete_function_url_config(FunctionName="site")
    for call in (control.get_function_url_config, control.delete_function_url_config):
        missing = error_of(call, FunctionName="site")
        assert (
            missing["Error"]
            == {
                "Code": "ResourceNotFoundException",
                "Message": "The resource you requested does not exist.",
            }
            or missing["Error"]["Message"] == "The resource you requested does not exist."
        )
        assert missing["ResponseMetadata"]["HTTPStatusCode"] == 404
    missing = error_of(control.update_function_url_config, FunctionName="site", AuthType="NONE")
    assert missing["Error"]["Message"] == "The resource you requested does not exist."
    for call, kwargs in (
        (control.create_function_url_config, {"AuthType": "NONE"}),
        (control.list_function_url_configs, {}),
    ):
        gone = error_of(call, FunctionName="nothing", **kwargs)
        assert (gone["Error"]["Code"], gone["Error"]["Message"]) == (
            "ResourceNotFoundException",
            "Function does not exist",
        )
    gone = error_of(control.get_function_url_config, FunctionName="nothing")
    assert gone["Error"]["Message"] == "The resource you requested does not exist."


def test_qualifiers_are_aliases_only(control):
    create(control, "site", ECHO_EVENT)
    arn = control.get_function(FunctionName="site")["Configuration"]["FunctionArn"]
    control.publish_version(FunctionName="site")
    control.create_alias(FunctionName="site", Name="live", FunctionVersion="1")
    version = error_of(control.create_function_url_config, FunctionName="site", Qualifier="1", AuthType="NONE")
    assert version["Error"]["Code"] == "ValidationException"
    assert version["Error"]["Message"] == (
        "1 validation error detected: Value '1' at 'qualifier' failed to satisfy constraint: Member must satisfy"
        " regular expression pattern: (^\\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))"
    )
    latest = error_of(control.get_function_url_config, FunctionName="site", Qualifier="$LATEST")
    assert latest["Error"]["Code"] == "ValidationException"
    unknown = error_of(control.create_function_url_config, FunctionName="site", Qualifier="nope", AuthType="NONE")
    assert unknown["Error"]["Message"] == "Function does not exist"

    on_alias = control.create_function_url_config(FunctionName="site", Qualifier="live", AuthType="NONE")
    assert on_alias["FunctionArn"] == f"{arn}:live"
    control.create_function_url_config(FunctionName="site", AuthType="NONE")
    listed = control.list_function_url_configs(FunctionName="site")["FunctionUrlConfigs"]
    assert [c["FunctionArn"] for c in listed] == [arn, f"{arn}:live"]
    page = control.list_function_url_configs(FunctionName="site", MaxItems=1)
    assert len(page["FunctionUrlConfigs"]) == 1 and page["NextMarker"]
    # An alias's URL goes with it.
    control.delete_alias(FunctionName="site", Name="live")
    listed = control.list_function_url_configs(FunctionName="site")["FunctionUrlConfigs"]
    assert [c["FunctionArn"] for c in listed] == [arn]


def test_another_account_is_denied(control, process_stack):
    create(control, "site", ECHO_EVENT)
    other = process_stack.client("lambda", aws_access_key_id="222222222222", aws_secret_access_key="x")
    arn = control.get_function(FunctionName="site")["Configuration"]["FunctionArn"]
    denied = error_of(other.create_function_url_config, FunctionName=arn, AuthType="NONE")
    assert denied["Error"]["Code"] == "AccessDeniedException"


# Serving


def test_public_url_in_both_forms(any_stack):
    client = any_stack.client("lambda")
    url_id = public_url(client, "site", ECHO_EVENT)
    for form in ("host", "path"):
        status, headers, body = fetch(
            any_stack,
            url_id,
            "/a%20b/c?x=1&x=2&y=%2F",
            method="POST",
            headers={"Content-Type": "application/json", "Cookie": "a=1; b=2", "X-Many": "one", "User-Agent": "t"},
            body=b'{"k": "v"}',
            form=form,
        )
        assert status == 200, body
        assert headers["content-type"] == "application/json"
        event = json.loads(body)
        assert event["version"] == "2.0"
        assert event["routeKey"] == "$default"
        assert event["rawPath"] == "/a%20b/c"
        assert event["rawQueryString"] == "x=1&x=2&y=%2F"
        assert event["queryStringParameters"] == {"x": "1,2", "y": "/"}
        assert event["cookies"] == ["a=1", "b=2"]
        assert event["headers"]["x-many"] == "one"
        assert "cookie" not in event["headers"]
        assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
        context = event["requestContext"]
        assert context["accountId"] == "anonymous"
        assert context["apiId"] == context["domainPrefix"] == url_id
        assert context["domainName"] == f"{url_id}.lambda-url.us-east-1.localhost"
        assert context["http"] == {
            "method": "POST",
            "path": "/a%20b/c",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "t",
        }
        assert context["requestId"] == headers["x-amzn-requestid"]
        assert isinstance(context["timeEpoch"], int)
        assert "authorizer" not in context


def test_a_none_url_needs_both_permissions(control, process_stack):
    create(control, "site", ECHO_EVENT)
    url_id = url_id_of(control.create_function_url_config(FunctionName="site", AuthType="NONE"))
    status, headers, body = fetch(process_stack, url_id)
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    control.add_permission(
        FunctionName="site",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert fetch(process_stack, url_id)[0] == 403
    control.add_permission(
        FunctionName="site",
        StatementId="invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    assert fetch(process_stack, url_id)[0] == 200
    statement = json.loads(control.get_policy(FunctionName="site")["Policy"])["Statement"][1]
    assert statement["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    # A permission for AWS_IAM URLs does not open a NONE one.
    control.remove_permission(FunctionName="site", StatementId="url")
    control.add_permission(
        FunctionName="site",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="AWS_IAM",
    )
    assert fetch(process_stack, url_id)[0] == 403
    # An unknown URL is refused the same way.
    assert fetch(process_stack, "0" * 32)[0] == 403
    assert fetch(process_stack, "0" * 32, form="path")[0] == 403


def test_an_alias_url_runs_the_alias(control, process_stack):
    create(control, "site", "def handler(event, context):\n    return context.invoked_function_arn\n")
    control.publish_version(FunctionName="site")
    control.create_alias(FunctionName="site", Name="live", FunctionVersion="1")
    open_to_everyone(control, "site", "live")
    config = control.create_function_url_config(FunctionName="site", Qualifier="live", AuthType="NONE")
    status, _, body = fetch(process_stack, url_id_of(config))
    assert (status, body.decode()) == (200, config["FunctionArn"])


def test_a_flask_style_app(control, process_stack):
    url_id = public_url(control, "app", APP)
    status, headers, body = fetch(process_stack, url_id, "/hello?name=ada")
    assert (status, headers["content-type"], body) == (200, "text/plain", b"hello ada")

    status, headers, body = fetch(
        process_stack,
        url_id,
        "/notes",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b'{"text": "hi"}',
        form="path",
    )
    assert status == 201
    assert json.loads(body) == {"id": 1, "text": "hi"}
    assert headers["location"] == "/notes/1"
    assert headers["set-cookie"].split("\n") == ["session=abc; Path=/", "theme=dark"]

    status, headers, body = fetch(process_stack, url_id, "/logo.png")
    assert (status, headers["content-type"], body) == (200, "image/png", bytes(range(256)))

    status, headers, body = fetch(process_stack, url_id, "/plain", headers={"Cookie": "c=3"})
    assert (status, headers["content-type"]) == (200, "application/json")
    assert json.loads(body) == {"plain": True, "cookies": ["c=3"]}
    assert fetch(process_stack, url_id, "/text")[2] == b"just text"

    for broken in ("/broken", "/malformed"):
        status, headers, body = fetch(process_stack, url_id, broken)
        assert (status, body) == (502, b"Internal Server Error")
    assert fetch(process_stack, url_id, "/nowhere")[0] == 404


def test_a_body_over_six_megabytes_is_refused(control, process_stack):
    url_id = public_url(control, "site", ECHO_EVENT)
    status, _, body = fetch(process_stack, url_id, method="POST", body=b"x" * (6 * 1024 * 1024 + 1))
    assert status == 413
    assert json.loads(body)["Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"


def test_cors(control, process_stack):
    cors = {
        "AllowOrigins": ["https://app.example"],
        "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["content-type", "x-api-key"],
        "ExposeHeaders": ["x-total"],
        "MaxAge": 300,
        "AllowCredentials": True,
    }
    source = (
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'headers': {'Access-Control-Allow-Origin': 'https://evil.example'},"
        " 'body': event['requestContext']['http']['method']}\n"
    )
    url_id = public_url(control, "site", source, Cors=cors)
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    status, headers, body = fetch(process_stack, url_id, "/x", method="OPTIONS", headers=preflight)
    assert (status, body) == (200, b"")
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-allow-methods"] == "GET,POST"
    assert headers["access-control-allow-headers"] == "content-type,x-api-key"
    assert headers["access-control-max-age"] == "300"
    assert headers["access-control-allow-credentials"] == "true"
    # Another origin or method gets no CORS headers (the browser refuses).
    for refused in (
        {**preflight, "Origin": "https://other.example"},
        {**preflight, "Access-Control-Request-Method": "PUT"},
    ):
        _, headers, _ = fetch(process_stack, url_id, "/x", method="OPTIONS", headers=refused)
        assert not [h for h in headers if h.startswith("access-control-")]
    status, headers, body = fetch(process_stack, url_id, "/x", headers={"Origin": "https://app.example"})
    assert (status, body) == (200, b"GET")
    assert headers["access-control-allow-origin"] == "https://app.example"  # the URL's, not the function's
    assert headers["access-control-expose-headers"] == "x-total"
    # Without a CORS configuration, OPTIONS reaches the function.
    control.update_function_url_config(FunctionName="site", Cors={})
    status, _, body = fetch(process_stack, url_id, "/x", method="OPTIONS", headers=preflight)
    assert (status, body) == (200, b"OPTIONS")


def test_aws_iam_urls(control, process_stack):
    create(control, "private", ECHO_EVENT)
    url_id = url_id_of(control.create_function_url_config(FunctionName="private", AuthType="AWS_IAM"))
    status, _, body = fetch(process_stack, url_id, "/p")
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    own = signed(process_stack, url_id, "/p?q=1", "000000000000", "secret")
    status, _, body = fetch(process_stack, url_id, "/p?q=1", headers=own)
    assert status == 200, body
    event = json.loads(body)
    assert event["requestContext"]["accountId"] == "000000000000"
    assert event["requestContext"]["authorizer"]["iam"]["accessKey"] == "000000000000"
    assert event["requestContext"]["authorizer"]["iam"]["accountId"] == "000000000000"
    # Another account needs the function's resource policy.
    other = signed(process_stack, url_id, "/p", "222222222222", "secret")
    assert fetch(process_stack, url_id, "/p", headers=other)[0] == 403
    for sid, action in (("url", "lambda:InvokeFunctionUrl"), ("invoke", "lambda:InvokeFunction")):
        control.add_permission(
            FunctionName="private",
            StatementId=sid,
            Action=action,
            Principal="222222222222",
            **({"FunctionUrlAuthType": "AWS_IAM"} if sid == "url" else {"InvokedViaFunctionUrl": True}),
        )
    other = signed(process_stack, url_id, "/p", "222222222222", "secret")
    assert fetch(process_stack, url_id, "/p", headers=other)[0] == 200


@pytest.fixture(scope="module")
def verifying_stack(tmp_path_factory):
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(
        "[dev]\naws_access_key_id = AKIDEV\naws_secret_access_key = dev-secret\naws_account_id = 111111111111\n"
    )
    process = RustStackProcess.start("--services", "lambda", "--auth", "verify", "--credentials-file", str(credentials))
    yield process
    process.stop()


def test_aws_iam_urls_under_auth_verify(verifying_stack):
    client = boto3.client(
        "lambda",
        endpoint_url=verifying_stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEV",
        aws_secret_access_key="dev-secret",
    )
    create_from(client, "private", {"ZipFile": package({"app.py": ECHO_EVENT})}, Role=UNCHECKED_ROLE)
    client.get_waiter("function_active_v2").wait(FunctionName="private", WaiterConfig={"Delay": 0.1})
    url_id = url_id_of(client.create_function_url_config(FunctionName="private", AuthType="AWS_IAM"))
    good = signed(verifying_stack, url_id, "/", "AKIDEV", "dev-secret")
    status, _, body = fetch(verifying_stack, url_id, "/", headers=good)
    assert status == 200, body
    assert json.loads(body)["requestContext"]["authorizer"]["iam"]["accountId"] == "111111111111"
    for headers in (signed(verifying_stack, url_id, "/", "AKIDEV", "wrong"), {}):
        status, _, body = fetch(verifying_stack, url_id, "/", headers=headers)
        assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})


# The event builder


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=8)
_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters="\x7f"), max_size=8)


def _request(**changes) -> url_events.UrlRequest:
    values = {
        "method": "GET",
        "raw_path": "/",
        "raw_query": "",
        "headers": [],
        "body": b"",
        "source_ip": "127.0.0.1",
        "protocol": "HTTP/1.1",
        "url_id": "a" * 32,
        "domain_name": "x",
        "request_id": "r",
        "received_at": 1.5,
        **changes,
    }
    return url_events.UrlRequest(**values)


@given(st.lists(st.tuples(_TOKEN, _VALUE), max_size=6))
def test_query_strings_decode_and_join(pairs):
    from urllib.parse import quote

    raw = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)
    event = url_events.build_event(_request(raw_query=raw), "anonymous")
    expected: dict[str, list[str]] = {}
    for name, value in pairs:
        expected.setdefault(name, []).append(value)
    assert event["rawQueryString"] == raw
    assert event.get("queryStringParameters", {}) == {k: ",".join(v) for k, v in expected.items()}


@given(st.lists(st.tuples(st.sampled_from(["Accept", "accept", "X-A", "x-a", "Cookie", "cookie"]), _TOKEN), max_size=8))
def test_headers_lower_case_and_join_cookies_apart(headers):
    event = url_events.build_event(_request(headers=headers), "anonymous")
    expected: dict[str, list[str]] = {}
    cookies = []
    for name, value in headers:
        if name.lower() == "cookie":
            cookies.append(value)
        else:
            expected.setdefault(name.lower(), []).append(value)
    assert event["headers"] == {k: ",".join(v) for k, v in expected.items()}
    assert event.get("cookies", []) == cookies


@given(st.lists(st.tuples(_TOKEN, _TOKEN), min_size=1, max_size=5))
def test_cookie_header_splits_at_semicolons(cookies):
    header = "; ".join(f"{name}={value}" for name, value in cookies)
    event = url_events.build_event(_request(headers=[("Cookie", header)]), "anonymous")
    assert event["cookies"] == [f"{name}={value}" for name, value in cookies]


@given(st.binary(max_size=64), st.sampled_from([None, "application/json", "text/html; charset=utf-8", "image/png"]))
def test_bodies_are_text_or_base64(body, content_type):
    headers = [("Content-Type", content_type)] if content_type else []
    event = url_events.build_event(_request(body=body, headers=headers), "anonymous")
    if not body:
        assert "body" not in event and event["isBase64Encoded"] is False
    elif event["isBase64Encoded"]:
        assert base64.b64decode(event["body"]) == body
    else:
        assert event["body"].encode() == body
        assert content_type in ("application/json", "text/html; charset=utf-8")


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5), lambda c: st.lists(c, max_size=3)))
def test_any_json_without_status_code_is_a_200(value):
    response = url_events.parse_response(json.dumps(value).encode())
    assert response.status == 200
    assert response.headers == [("Content-Type", "application/json")]
    assert response.body == (value if isinstance(value, str) else json.dumps(value)).encode()
