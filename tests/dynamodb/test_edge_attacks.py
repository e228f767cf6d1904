"""
Attacks on the edge through DynamoDB, over real sockets, with --auth verify
and two accounts: a request verified as one tenant's must never reach
DynamoDB Local as another's, nor smuggle a request of its own.
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, client_as, requires_dynamodb_local, wait_running

pytestmark = requires_dynamodb_local

MALLORY = ("AKIAMALLORY", "mallory-secret", "111111111111")
VICTIM = ("AKIAVICTIM", "victim-secret", "222222222222")
REGION = "us-east-1"
# twisted.web's refusal of a head it cannot read; the connection then closes.
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\n\r\n"


@pytest.fixture(scope="module")
def two_tenants(tmp_path_factory):
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(
        "".join(
            f"[{key}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_account_id = {account}\n"
            for key, secret, account in (MALLORY, VICTIM)
        )
    )
    stack = RustStackProcess.start(
        "--services", "dynamodb", "--dynamodb-local-jar", JAR, "--auth", "verify", "--credentials-file",
        str(credentials),
    )  # fmt: skip
    try:
        wait_running(stack)
        victim = client_as(stack, VICTIM[0], secret_key=VICTIM[1])
        victim.create_table(
            TableName="victim-secrets",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        victim.put_item(TableName="victim-secrets", Item={"pk": {"S": "the-secret"}})
        yield stack
    finally:
        stack.stop()


def signed(stack, tenant, target: str, body: bytes, **extra: str) -> bytes:
    """
    A request signed correctly by C{tenant}, whatever its field values hold
    (botocore signs a value with its whitespace folded, as the edge checks it).
    """
    key, secret, _ = tenant
    url = stack.endpoint_url + "/"
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0", **extra}
    request = AWSRequest("POST", url, data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "dynamodb", REGION).add_auth(request)
    head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    host = urlsplit(url).netloc
    return f"POST / HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def exchange(stack, data: bytes) -> bytes:
    """
    Send C{data} on a fresh connection; everything the server answers until
    it closes or goes quiet.
    """
    address = urlsplit(stack.endpoint_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(data)
        connection.settimeout(2)
        return received(connection, TimeoutError)


def received(connection: socket.socket, ended_by: type[OSError]) -> bytes:
    """
    What C{connection} receives until the server closes it or an error of
    type C{ended_by} (such as a timeout) ends the wait.
    """
    answer = b""
    try:
        while chunk := connection.recv(65536):
            answer += chunk
    except ended_by:
        pass
    return answer


def victims_authorization() -> str:
    # What a backend request of the victim's carries: RustStack's own form.
    return f"AWS4-HMAC-SHA256 Credential={VICTIM[2]}/20120810/{REGION}/dynamodb/aws4_request, SignedHeaders=host"


def test_a_field_cannot_inject_another_tenants_authorization(two_tenants):
    target = f"DynamoDB_20120810.ListTables\nAuthorization: {victims_authorization()}, Signature=0"
    answer = exchange(two_tenants, signed(two_tenants, MALLORY, target, b"{}"))
    assert answer == BAD_REQUEST


def test_a_field_cannot_smuggle_a_second_request(two_tenants):
    smuggled = (
        "DynamoDB_20120810.ListTables\n\nPOST / HTTP/1.1\nHost: x\nX-Amz-Target: DynamoDB_20120810.Scan\n"
        f"Authorization: {victims_authorization()}, Signature=0\nContent-Length: 30\n\n"
        '{"TableName":"victim-secrets"}'
    )
    victim = client_as(two_tenants, VICTIM[0], secret_key=VICTIM[1])
    answers: list[bytes] = []
    stop = threading.Event()

    def attack() -> None:
        while not stop.is_set():
            answers.append(exchange(two_tenants, signed(two_tenants, MALLORY, smuggled, b"{}")))

    attacker = threading.Thread(target=attack)
    attacker.start()
    try:
        # The victim's own answers stay the victim's own.
        for _ in range(20):
            item = victim.get_item(TableName="victim-secrets", Key={"pk": {"S": "the-secret"}})
            assert item["Item"] == {"pk": {"S": "the-secret"}}
    finally:
        stop.set()
        attacker.join(30)
    assert answers
    assert set(answers) == {BAD_REQUEST}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw.replace(b"Content-Length: 2\r\n", b"Content-Length: \xc2\xb2\r\n"),
        lambda raw: raw.replace(b"Content-Length: 2\r\n", b"Content-Length: \xb2\r\n"),
        # A field no signature covers, so that only the grammar can refuse it.
        lambda raw: raw.replace(b"Content-Length:", b"X-Note\x00d: 1\r\nContent-Length:"),
    ],
    ids=["superscript-two-utf8", "superscript-two-latin1", "nul-in-name"],
)
def test_malformed_heads_are_answered_400(two_tenants, mutate):
    answer = exchange(two_tenants, mutate(signed(two_tenants, MALLORY, "DynamoDB_20120810.ListTables", b"{}")))
    assert answer == BAD_REQUEST


def test_a_malformed_target_never_reaches_dynamodb_local(two_tenants):
    answer = exchange(two_tenants, signed(two_tenants, MALLORY, "DynamoDB_20120810.ListTables;x", b"{}"))
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"com.amazon.coral.service#UnknownOperationException" in answer


def _head(answer: bytes) -> list[tuple[bytes, bytes]]:
    lines = answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    return [(lines[0], b"")] + [tuple(line.split(b": ", 1)) for line in lines[1:]]  # type: ignore[misc]


def test_the_same_answer_leaves_both_paths_alike(two_tenants):
    """
    ListTables through the lane, then through twisted.web (a chunked body
    takes that path): the same head, but for the date and the request id.
    """
    lane = exchange(two_tenants, signed(two_tenants, VICTIM, "DynamoDB_20120810.ListTables", b"{}"))
    raw = signed(two_tenants, VICTIM, "DynamoDB_20120810.ListTables", b"{}")
    chunked = raw.replace(b"Content-Length: 2\r\n", b"Transfer-Encoding: chunked\r\n").replace(
        b"\r\n\r\n{}", b"\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    )
    web = exchange(two_tenants, chunked)
    varying = {b"Date", b"x-amzn-RequestId"}
    assert [field for field in _head(lane) if field[0] not in varying] == [
        field for field in _head(web) if field[0] not in varying
    ]
    assert [name for name, _ in _head(lane)] == [name for name, _ in _head(web)]
    assert b"\r\nx-amzn-RequestId: " in lane


def test_a_body_over_dynamodbs_limit_is_refused_from_its_length(two_tenants):
    """
    A 100 MB PutItem announced but never sent: refused at once from the
    head, and the connection closed (nothing of the body is read).
    """
    head = signed(two_tenants, MALLORY, "DynamoDB_20120810.PutItem", b"{}").replace(
        b"Content-Length: 2\r\n", b"Content-Length: 100000000\r\n"
    )[:-2]
    started = time.monotonic()
    answer = exchange(two_tenants, head)
    assert time.monotonic() - started < 5
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"\r\nConnection: close\r\n" in answer
    assert b"RequestEntityTooLarge" in answer


def test_a_chunked_body_is_cut_off_at_dynamodbs_limit(two_tenants):
    raw = signed(two_tenants, MALLORY, "DynamoDB_20120810.PutItem", b"{}")
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"Content-Length: 2", b"Transfer-Encoding: chunked") + b"\r\n\r\n"
    address = urlsplit(two_tenants.endpoint_url)
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
    sent = 0
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(head)
        try:
            for _ in range(64):  # up to 64 MiB; refused past 16
                connection.sendall(chunk)
                sent += 1
        except OSError:
            pass
        answer = received(connection, OSError)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
    assert sent < 64
