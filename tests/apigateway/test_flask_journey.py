"""
The journey RustStack exists for: the example Flask app, packaged and
deployed by examples/flask_app/deploy.py to a real RustStack (S3, DynamoDB
Local, Lambda with the real runtime interface client, API Gateway), driven
over HTTP with requests; each answer is compared with what the same app
returns through Flask's own test client (against its own table and bucket
in the same RustStack).
"""

from __future__ import annotations

import pytest
import requests

from tests.stacks import ruststack_fixture

from . import flask_app

SERVICES = ("s3", "dynamodb", "lambda", "apigateway", "iam")
stack = ruststack_fixture("--services", ",".join(SERVICES))


@pytest.fixture(scope="module")
def deploy_module():
    return flask_app.load("deploy", {})


@pytest.fixture(scope="module")
def code(deploy_module):
    return deploy_module.package()


@pytest.fixture(scope="module")
def deployed(stack, deploy_module, code):
    return deploy_module.deploy(stack.endpoint_url, stack.region, code=code)


@pytest.fixture(scope="module")
def local(stack, deployed, deploy_module):
    """
    The same app under Flask's test client, with its own table and bucket
    (created by deploy.py's helpers) in the same RustStack.
    """
    environment = {
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "AWS_DEFAULT_REGION": stack.region,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "TABLE_NAME": "local-notes",
        "BUCKET_NAME": "local-files",
    }
    deploy_module._ensure_table(stack.client("dynamodb"), "local-notes")
    deploy_module._ensure_bucket(stack.client("s3"), "local-files", stack.region)
    app = flask_app.load("app", environment).app
    return app.test_client(use_cookies=False)


def compare(deployed, local, method, path, headers=None, body=b""):
    """
    Send the same request through API Gateway and to the test client; the
    status, the body and every header Flask sets must be the same.
    """
    headers = dict(headers or {})
    remote = requests.request(method, deployed.url + path.lstrip("/"), headers=headers, data=body, timeout=60)
    expected = local.open(path, method=method, headers=headers, data=body)
    assert remote.status_code == expected.status_code, remote.content
    assert remote.content == expected.data
    for name in set(expected.headers.keys()):
        assert remote.raw.headers.getlist(name) == expected.headers.getlist(name), name
    return remote


def test_index_and_json_crud(deployed, local):
    compare(deployed, local, "GET", "/")
    note = b'{"title": "groceries", "text": "milk", "tags": ["home", "todo"]}'
    json_type = {"Content-Type": "application/json"}
    created = compare(deployed, local, "PUT", "/notes/n1", json_type, note)
    assert created.status_code == 201
    compare(deployed, local, "PUT", "/notes/n2", json_type, b'{"title": "work", "tags": ["todo"]}')
    assert compare(deployed, local, "GET", "/notes/n1").json()["text"] == "milk"
    compare(deployed, local, "GET", "/notes")
    assert compare(deployed, local, "PUT", "/notes/bad", json_type, b'{"text": "no title"}').status_code == 400
    assert compare(deployed, local, "DELETE", "/notes/n2").status_code == 204
    assert compare(deployed, local, "GET", "/notes/n2").status_code == 404


def test_repeated_query_keys(deployed, local):
    found = compare(deployed, local, "GET", "/search?q=a&q=b%20c&q=d%2Be&page=2")
    assert found.json() == {"q": ["a", "b c", "d+e"], "page": "2"}
    compare(
        deployed, local, "PUT", "/notes/t1", {"Content-Type": "application/json"}, b'{"title": "x", "tags": ["a", "b"]}'
    )
    assert [n["id"] for n in compare(deployed, local, "GET", "/notes?tag=a&tag=b").json()["notes"]] == ["t1"]


def test_binary_upload_and_download(deployed, local):
    blob = bytes(range(256)) * 64
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    assert compare(
        deployed, local, "PUT", "/files/blob.bin", {"Content-Type": "application/octet-stream"}, blob
    ).json() == {"name": "blob.bin", "size": len(blob)}
    compare(deployed, local, "PUT", "/files/logo.png", {"Content-Type": "image/png"}, png)
    assert compare(deployed, local, "GET", "/files/blob.bin").content == blob
    downloaded = compare(deployed, local, "GET", "/files/logo.png")
    assert (downloaded.content, downloaded.headers["Content-Type"]) == (png, "image/png")
    assert compare(deployed, local, "GET", "/files/missing.bin").status_code == 404


def test_multipart_form_upload(deployed, local):
    boundary = "ruststackboundary"
    content = bytes(range(256))
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhéllo\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="form.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    uploaded = compare(deployed, local, "POST", "/files", headers, body)
    assert uploaded.json() == {"name": "form.bin", "size": 256, "note": "héllo"}
    assert compare(deployed, local, "GET", "/files/form.bin").content == content


def test_flask_404(deployed, local):
    missing = compare(deployed, local, "GET", "/no/such/route")
    assert missing.status_code == 404 and b"Not Found" in missing.content


def test_unhandled_exception_is_502(deployed, local):
    remote = requests.get(deployed.url + "boom", timeout=60)
    assert remote.status_code == 502
    assert remote.json() == {"message": "Internal server error"}
    assert remote.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    with pytest.raises(RuntimeError):
        local.get("/boom")


def test_cookies(deployed, local):
    login = compare(deployed, local, "POST", "/session", {"Content-Type": "application/json"}, b'{"user": "ana"}')
    assert [c.split(";")[0] for c in login.raw.headers.getlist("Set-Cookie")] == ["session=s3cr3t", "theme=dark"]
    me = compare(deployed, local, "GET", "/session", {"Cookie": "session=s3cr3t; theme=dark"})
    assert me.json() == {"session": "s3cr3t", "theme": "dark"}


def test_unicode_path(deployed, local):
    hello = compare(deployed, local, "GET", "/hello/café")
    assert hello.text == "Hello, café!\n"
    compare(deployed, local, "GET", "/hello/%E2%9C%93%20ok")


def test_host_form_and_gateway_headers(stack, deployed):
    port = stack.endpoint_url.rpartition(":")[2]
    response = requests.get(
        f"http://127.0.0.1:{port}/{deployed.stage}/hello/host",
        headers={"Host": f"{deployed.api_id}.execute-api.localhost:{port}"},
        timeout=60,
    )
    assert response.text == "Hello, host!\n"
    assert len(response.headers["x-amzn-RequestId"]) == 36
    assert len(response.headers["x-amz-apigw-id"]) == 16


def test_unknown_stage_is_missing_authentication_token(deployed):
    response = requests.get(deployed.url.replace(f"/{deployed.stage}/", "/nostage/") + "notes", timeout=60)
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})


def test_redeploy_keeps_the_url(stack, deployed, deploy_module, code):
    again = deploy_module.deploy(stack.endpoint_url, stack.region, code=code)
    assert (again.api_id, again.url) == (deployed.api_id, deployed.url)
    assert requests.get(again.url + "hello/again", timeout=60).text == "Hello, again!\n"
