"""
The journey on an HTTP API: the example Flask app (examples/flask_app,
packaged by its deploy.py, behind apig-wsgi) on a real RustStack (S3,
DynamoDB Local, Lambda with the real runtime interface client) behind an
HTTP API made by quick create (a $default route to a payload format 2.0
Lambda integration, a $default stage), driven over HTTP with requests; each
answer is compared with what the same app returns through Flask's own test
client (against its own table and bucket in the same RustStack).
"""

from __future__ import annotations

import pytest
import requests

from ruststack.testing import RustStackProcess
from tests.apigateway import flask_app

SERVICES = ("s3", "dynamodb", "lambda", "apigateway", "apigatewayv2", "iam")
NAME = "flask-http"


@pytest.fixture(scope="module")
def stack():
    process = RustStackProcess.start("--services", ",".join(SERVICES))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def deploy_module():
    return flask_app.load("deploy", {})


@pytest.fixture(scope="module")
def url(stack, deploy_module) -> str:
    """
    The app deployed behind an HTTP API; the $default stage's URL (path form).
    """
    clients = deploy_module._clients(stack.endpoint_url, stack.region)
    table, bucket = f"{NAME}-notes", f"{NAME}-files"
    deploy_module._ensure_bucket(clients["s3"], bucket, stack.region)
    deploy_module._ensure_table(clients["dynamodb"], table)
    function_arn = deploy_module._deploy_function(
        clients["lambda"],
        NAME,
        deploy_module.package(),
        {"TABLE_NAME": table, "BUCKET_NAME": bucket},
        role=deploy_module._ensure_role(clients["iam"], f"{NAME}-role"),
    )
    api_id = stack.client("apigatewayv2").create_api(Name=NAME, ProtocolType="HTTP", Target=function_arn)["ApiId"]
    account = function_arn.split(":")[4]
    clients["lambda"].add_permission(
        FunctionName=function_arn,
        StatementId=f"apigateway-{api_id}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{stack.region}:{account}:{api_id}/*",
    )
    return f"{stack.endpoint_url}/restapis/{api_id}/$default/_user_request_/"


@pytest.fixture(scope="module")
def local(stack, url, deploy_module):
    environment = {
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "AWS_DEFAULT_REGION": stack.region,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "TABLE_NAME": "local-http-notes",
        "BUCKET_NAME": "local-http-files",
    }
    deploy_module._ensure_table(stack.client("dynamodb"), "local-http-notes")
    deploy_module._ensure_bucket(stack.client("s3"), "local-http-files", stack.region)
    app = flask_app.load("app", environment).app
    return app.test_client(use_cookies=False)


def compare(url, local, method, path, headers=None, body=b""):
    """
    Send the same request through the HTTP API and to the test client; the
    status, the body and every header Flask sets must be the same.
    """
    headers = dict(headers or {})
    remote = requests.request(method, url + path.lstrip("/"), headers=headers, data=body, timeout=60)
    expected = local.open(path, method=method, headers=headers, data=body)
    assert remote.status_code == expected.status_code, remote.content
    assert remote.content == expected.data
    for name in set(expected.headers.keys()):
        assert remote.raw.headers.getlist(name) == expected.headers.getlist(name), name
    return remote


def test_index_and_json_crud(url, local):
    compare(url, local, "GET", "/")
    note = b'{"title": "groceries", "text": "milk", "tags": ["home", "todo"]}'
    json_type = {"Content-Type": "application/json"}
    assert compare(url, local, "PUT", "/notes/n1", json_type, note).status_code == 201
    assert compare(url, local, "GET", "/notes/n1").json()["text"] == "milk"
    compare(url, local, "GET", "/notes")
    assert compare(url, local, "PUT", "/notes/bad", json_type, b'{"text": "no title"}').status_code == 400
    assert compare(url, local, "DELETE", "/notes/n1").status_code == 204
    assert compare(url, local, "GET", "/notes/n1").status_code == 404


def test_repeated_query_keys(url, local):
    # Payload 2.0 joins them with commas; apig-wsgi rebuilds the query from rawQueryString.
    found = compare(url, local, "GET", "/search?q=a&q=b%20c&q=d%2Be&page=2")
    assert found.json() == {"q": ["a", "b c", "d+e"], "page": "2"}


def test_binary_upload_and_download(url, local):
    blob = bytes(range(256)) * 64
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    assert compare(url, local, "PUT", "/files/blob.bin", {"Content-Type": "application/octet-stream"}, blob).json() == {
        "name": "blob.bin",
        "size": len(blob),
    }
    compare(url, local, "PUT", "/files/logo.png", {"Content-Type": "image/png"}, png)
    assert compare(url, local, "GET", "/files/blob.bin").content == blob
    downloaded = compare(url, local, "GET", "/files/logo.png")
    assert (downloaded.content, downloaded.headers["Content-Type"]) == (png, "image/png")


def test_cookies(url, local):
    login = compare(url, local, "POST", "/session", {"Content-Type": "application/json"}, b'{"user": "ana"}')
    assert [c.split(";")[0] for c in login.raw.headers.getlist("Set-Cookie")] == ["session=s3cr3t", "theme=dark"]
    me = compare(url, local, "GET", "/session", {"Cookie": "session=s3cr3t; theme=dark"})
    assert me.json() == {"session": "s3cr3t", "theme": "dark"}


def test_unicode_path_and_flask_404(url, local):
    assert compare(url, local, "GET", "/hello/café").text == "Hello, café!\n"
    missing = compare(url, local, "GET", "/no/such/route")
    assert missing.status_code == 404


def test_unhandled_exception_is_500(url, local):
    remote = requests.get(url + "boom", timeout=60)
    assert (remote.status_code, remote.json()) == (500, {"message": "Internal Server Error"})
    with pytest.raises(RuntimeError):
        local.get("/boom")
