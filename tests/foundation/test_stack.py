"""
A stack started in the reactor, driven over real sockets: introspection,
refusal of disabled services, SigV4 verification at the edge, the TLS edge.
"""

import json
import re
import socket
import ssl
import time
from urllib.parse import urlsplit

import attrs
import pytest
import pytest_twisted
import treq
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from twisted.internet import error
from twisted.web.http_headers import Headers
from twisted.web.resource import Resource
from zope.interface import implementer

from ruststack.aws import errors
from ruststack.config import ALL_SERVICES
from ruststack.interfaces import RUNNING, IAwsService
from ruststack.testing import start_stack


class CallerEcho(Resource):
    isLeaf = True

    def render(self, request):
        caller = request.caller
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(
            {"account": caller.account, "region": caller.region, "body": request.content.read().decode()}
        ).encode()


@implementer(IAwsService)
@attrs.define
class EchoService:
    """
    A stand-in service (not an AWS one) that shows what the edge hands over.
    """

    name: str = "dynamodb"
    resource: Resource = attrs.field(factory=CallerEcho)
    resets: int = 0

    def status(self):
        return RUNNING

    def reset(self):
        self.resets += 1

    def render_error(self, request, error):
        return errors.write_json_error(request, error)

    def auth_error(self, failure):
        return errors.json_auth_error(failure, 400)


@pytest.fixture
def credentials_file(tmp_path):
    path = tmp_path / "credentials"
    path.write_text(
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\naws_account_id = 123456789012\n"
    )
    return str(path)


def signed_post(url: str, body: bytes, key: str, secret: str, region: str = "eu-west-1"):
    request = AWSRequest("POST", url + "/", data=body, headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    SigV4Auth(Credentials(key, secret), "dynamodb", region).add_auth(request)
    return treq.post(url + "/", data=body, headers={k: [v] for k, v in request.headers.items()})


@pytest_twisted.ensureDeferred
async def test_health_and_reset():
    stack = await start_stack(services=())
    try:
        response = await treq.get(stack.endpoint_url + "/_ruststack/health")
        assert response.code == 200
        health = await response.json()
        assert health["services"] == {name: {"state": "disabled"} for name in ALL_SERVICES}
        echo = EchoService()
        stack.stack.aws_services["dynamodb"] = echo
        stack.stack.edge.register(echo)
        health = await (await treq.get(stack.endpoint_url + "/_ruststack/health")).json()
        assert health["services"]["dynamodb"] == {"state": "running"}
        response = await treq.post(stack.endpoint_url + "/_ruststack/reset?service=dynamodb")
        assert (response.code, await response.json()) == (200, {"reset": ["dynamodb"]})
        assert echo.resets == 1
        response = await treq.post(stack.endpoint_url + "/_ruststack/reset?service=s3")
        assert response.code == 400
        await response.content()
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_disabled_service_is_named():
    stack = await start_stack(services=())
    try:
        response = await treq.get(stack.endpoint_url + "/bucket/key")
        body = (await response.content()).decode()
        assert response.code == 501
        assert "<Code>NotImplemented</Code>" in body and "'s3' is not enabled" in body
        response = await treq.post(
            stack.endpoint_url + "/", headers=Headers({b"X-Amz-Target": [b"AmazonSQS.SendMessage"]}), data=b"{}"
        )
        assert response.code == 501
        assert (await response.json())["message"].startswith("The service 'AmazonSQS' is not provided")
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_caller_identity_reaches_the_service():
    stack = await start_stack(services=())
    stack.stack.edge.register(EchoService())
    try:
        response = await signed_post(stack.endpoint_url, b"{}", "210987654321", "anything", region="ap-northeast-2")
        assert response.code == 200
        assert await response.json() == {"account": "210987654321", "region": "ap-northeast-2", "body": "{}"}
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_verify_mode(credentials_file):
    stack = await start_stack(services=(), auth="verify", credentials_file=credentials_file)
    stack.stack.edge.register(EchoService())
    try:
        good = await signed_post(stack.endpoint_url, b"{}", "AKIADEV", "devsecret")
        assert good.code == 200
        assert (await good.json())["account"] == "123456789012"

        wrong_secret = await signed_post(stack.endpoint_url, b"{}", "AKIADEV", "wrongsecret")
        assert wrong_secret.code == 400
        assert (await wrong_secret.json())["__type"] == "InvalidSignatureException"

        unknown = await signed_post(stack.endpoint_url, b"{}", "AKIANOBODY", "x")
        assert unknown.code == 400
        assert (await unknown.json())["__type"] == "UnrecognizedClientException"
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_boto3_with_wrong_secret_is_refused(credentials_file):
    """
    A request signed by boto3 itself with a wrong secret.
    """
    from botocore.exceptions import ClientError

    stack = await start_stack(services=(), auth="verify", credentials_file=credentials_file)
    stack.stack.edge.register(EchoService())
    try:
        client = stack.deferred_client("dynamodb", aws_access_key_id="AKIADEV", aws_secret_access_key="nope")
        with pytest.raises(ClientError) as raised:
            await client.list_tables()
        assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_tls_edge(tmp_path):
    stack = await start_stack(services=(), tls_port=0, cache_dir=str(tmp_path))
    try:
        assert stack.tls_endpoint_url.startswith("https://localhost:")
        import requests
        from twisted.internet import threads

        response = await threads.deferToThread(
            requests.get, stack.tls_endpoint_url + "/_ruststack/health", verify=stack.tls_cert_path, timeout=10
        )
        assert response.status_code == 200
        assert response.json()["version"]
    finally:
        await stack.stop()
    # The certificate is generated once and kept.
    assert (tmp_path / "tls" / "localhost.crt").exists()


def kept_alive(url: str, cafile: str | None) -> socket.socket:
    """
    A client connection (TLS for an https URL) that has had one answer and
    stays open, as an SDK's connection pool keeps it.
    """
    parts = urlsplit(url)
    connection = socket.create_connection((parts.hostname, parts.port), timeout=10)
    if parts.scheme == "https":
        connection = ssl.create_default_context(cafile=cafile).wrap_socket(connection, server_hostname=parts.hostname)
    connection.sendall(b"GET /_ruststack/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    assert found is not None
    length = int(found.group(1))
    while len(body) < length:
        body += connection.recv(65536)
    assert head.startswith(b"HTTP/1.1 200 ")
    return connection


def closed_by_server(connection: socket.socket) -> bool:
    try:
        return connection.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest_twisted.ensureDeferred
async def test_stop_aborts_kept_alive_connections(tmp_path, tls):
    """
    Stopping does not wait on clients: a kept-alive connection is cut at
    once, a TLS one too (a graceful TLS close would wait for the client's
    close_notify, and for twisted.web's idle timeout while its channel is
    registered as the transport's producer: 75 s).
    """
    from twisted.internet import reactor, threads

    stack = await start_stack(services=(), tls_port=0, cache_dir=str(tmp_path))
    url = stack.tls_endpoint_url if tls else stack.endpoint_url
    connection = await threads.deferToThread(kept_alive, url, stack.tls_cert_path)
    try:
        started = time.monotonic()
        await stack.stop().addTimeout(10, reactor)
        assert time.monotonic() - started < 2
        connection.settimeout(5)
        assert await threads.deferToThread(closed_by_server, connection)
    finally:
        connection.close()


@pytest_twisted.ensureDeferred
async def test_stop_does_not_wait_for_a_client_that_stopped_reading():
    """
    A client that stops reading a large download cannot hold a stop up
    (a graceful close would first send what is queued and produced).
    """
    from twisted.internet import reactor, threads

    stack = await start_stack(services=("s3",))
    s3 = stack.deferred_client("s3")
    await s3.create_bucket(Bucket="big")
    await s3.put_object(Bucket="big", Key="object", Body=b"x" * (32 << 20))

    def start_download() -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", urlsplit(stack.endpoint_url).port), timeout=10)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        connection.sendall(b"GET /big/object HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert connection.recv(100).startswith(b"HTTP/1.1 200 ")
        return connection

    connection = await threads.deferToThread(start_download)
    try:
        started = time.monotonic()
        await stack.stop().addTimeout(10, reactor)
        assert time.monotonic() - started < 2
    finally:
        connection.close()


@pytest_twisted.ensureDeferred
async def test_stop_closes_the_port():
    stack = await start_stack(services=())
    url = stack.endpoint_url
    await stack.stop()
    with pytest.raises(error.ConnectionRefusedError):
        await treq.get(url + "/_ruststack/health")
