"""
The journey on an HTTP API: the example Flask app (examples/flask_app,
packaged by its deploy.py) behind apig-wsgi, and behind Mangum (ASGI-only:
Flask wrapped in asgiref's WsgiToAsgi, as people do), on a real RustStack (S3,
DynamoDB Local, Lambda with the real runtime interface client) behind an
HTTP API made by quick create (a $default route to a payload format 2.0
Lambda integration, a $default stage), driven over HTTP with requests; each
answer is compared with what the same app returns through Flask's own test
client (against its own table and bucket in the same RustStack).
"""

from __future__ import annotations

import io
import zipfile

import pytest
import requests

from ruststack.testing import RustStackProcess
from tests.apigateway import flask_app

SERVICES = ("s3", "dynamodb", "lambda", "apigateway", "apigatewayv2", "iam")
NAME = "flask-http"
# The Mangum variant: the same app, another handler module and its packages.
MANGUM_HANDLER = """
from asgiref.wsgi import WsgiToAsgi
from mangum import Mangum

from app import app

handler = Mangum(WsgiToAsgi(app), lifespan="off")
"""
# app.py imports apig_wsgi for its own handler.
MANGUM_REQUIREMENTS = "flask>=3.0\napig-wsgi>=2.18.0\nmangum>=0.17\nasgiref>=3.7\n"


@pytest.fixture(scope="module")
def stack():
    process = RustStackProcess.start("--services", ",".join(SERVICES))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def deploy_module():
    return flask_app.load("deploy", {})


def _mangum_package(deploy_module, tmp_path_factory) -> bytes:
    requirements = tmp_path_factory.mktemp("mangum") / "requirements.txt"
    requirements.write_text(MANGUM_REQUIREMENTS)
    buffer = io.BytesIO(deploy_module.package(str(requirements)))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("mangum_handler.py", MANGUM_HANDLER)
    return buffer.getvalue()


@pytest.fixture(scope="module", params=["apig-wsgi", "mangum"])
def adapter(request) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def url(stack, deploy_module, adapter, tmp_path_factory) -> str:
    """
    The app deployed behind an HTTP API; the $default stage's URL (path form).
    """
    name = NAME if adapter == "apig-wsgi" else f"{NAME}-mangum"
    clients = deploy_module._clients(stack.endpoint_url, stack.region)
    table, bucket = f"{name}-notes", f"{name}-files"
    deploy_module._ensure_bucket(clients["s3"], bucket, stack.region)
    deploy_module._ensure_table(clients["dynamodb"], table)
    code = deploy_module.package() if adapter == "apig-wsgi" else _mangum_package(deploy_module, tmp_path_factory)
    function_arn = deploy_module._deploy_function(
        clients["lambda"],
        name,
        code,
        {"TABLE_NAME": table, "BUCKET_NAME": bucket},
        role=deploy_module._ensure_role(clients["iam"], f"{NAME}-role"),
    )
    if adapter == "mangum":
        clients["lambda"].update_function_configuration(FunctionName=name, Handler="mangum_handler.handler")
        clients["lambda"].get_waiter("function_updated_v2").wait(FunctionName=name)
    api_id = stack.client("apigatewayv2").create_api(Name=name, ProtocolType="HTTP", Target=function_arn)["ApiId"]
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


def test_unhandled_exception_is_500(url, local, adapter):
    remote = requests.get(url + "boom", timeout=60)
    if adapter == "apig-wsgi":
        # The exception leaves the handler: a function error.
        assert (remote.status_code, remote.json()) == (500, {"message": "Internal Server Error"})
    else:
        # Mangum catches it and answers 500 itself.
        assert (remote.status_code, remote.text) == (500, "Internal Server Error")
    with pytest.raises(RuntimeError):
        local.get("/boom")
