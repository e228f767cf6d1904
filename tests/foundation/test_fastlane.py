"""
The edge's fast lane, over real sockets: routine requests are served from the
connection's bytes, anything else is handed to twisted.web on the same
connection, in order.
"""

from __future__ import annotations

import json
import socket
import time

import attrs
import pytest
import pytest_twisted
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from twisted.internet import defer, task, threads
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from zope.interface import implementer

from ruststack.aws import errors
from ruststack.exchange import WebExchange
from ruststack.interfaces import RUNNING, IAwsService, IExchanges
from ruststack.testing import start_stack


@implementer(IAwsService, IExchanges)
@attrs.define(eq=False)
class EchoExchanges:
    """
    A stand-in service that answers every exchange with who sent it, what it
    sent, and which path served it; C{size} pads the answer, C{hold} keeps
    exchanges unanswered.
    """

    name: str = "dynamodb"
    size: int = 0
    hold: bool = False
    held: list = attrs.field(factory=list)
    resource: Resource = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        service = self

        class Render(Resource):
            isLeaf = True

            def render(self, request):
                service.serve(WebExchange(request))
                return NOT_DONE_YET

        self.resource = Render()

    def serve(self, exchange) -> None:
        if self.hold:
            self.held.append((exchange, exchange.notify_gone()))
            return
        answer = {
            "lane": type(exchange).__name__ == "RawExchange",
            "account": exchange.caller.account,
            "region": exchange.caller.region,
            "body": exchange.body.decode(),
            "target": (exchange.header(b"x-amz-target") or b"").decode(),
        }
        body = json.dumps(answer).encode()
        if self.size:
            body += b" " * (self.size - len(body))
        exchange.respond(200, [(b"Content-Type", b"application/json")], body)

    def status(self):
        return RUNNING

    def reset(self):
        pass

    def render_error(self, request, error):
        return errors.write_json_error(request, error)

    def auth_error(self, failure):
        return errors.json_auth_error(failure, 400)


def signed_request(
    port: int, body: bytes, key: str = "111122223333", secret: str = "x", region: str = "eu-west-1", **extra: str
) -> bytes:
    headers = {"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": "application/x-amz-json-1.0", **extra}
    request = AWSRequest("POST", f"http://127.0.0.1:{port}/", data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "dynamodb", region).add_auth(request)
    head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    length = "" if "Transfer-Encoding" in extra else f"Content-Length: {len(body)}\r\n"
    return f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}{length}\r\n".encode() + body


def read_answers(connection: socket.socket, count: int, delay: float = 0.0) -> list[tuple[int, bytes]]:
    """
    Read C{count} Content-Length answers off C{connection} (after C{delay}).
    """
    time.sleep(delay)
    data = b""
    answers: list[tuple[int, bytes]] = []
    while len(answers) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            head = data[:end].decode("latin-1").split("\r\n")
            if head[0].split()[1].startswith("1"):
                data = data[end + 4 :]  # 100 Continue
                continue
            length = int(next(line.split(":", 1)[1] for line in head if line.lower().startswith("content-length")))
            if len(data) >= end + 4 + length:
                answers.append((int(head[0].split()[1]), data[end + 4 : end + 4 + length]))
                data = data[end + 4 + length :]
                continue
        chunk = connection.recv(1 << 20)
        if not chunk:
            raise AssertionError(f"connection closed after {len(answers)} answers")
        data += chunk
    return answers


def converse(port: int, pieces: list[bytes], count: int, pause: float = 0.0, read_delay: float = 0.0):
    """
    Send C{pieces} on one connection (C{pause} seconds apart), then read
    C{count} answers; in a thread, so that the reactor serves meanwhile.
    """

    def run():
        with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
            for piece in pieces:
                connection.sendall(piece)
                time.sleep(pause)
            return read_answers(connection, count, read_delay)

    return threads.deferToThread(run)


async def echo_stack(service: EchoExchanges, **options):
    stack = await start_stack(services=(), **options)
    stack.stack.edge.register(service)
    port = int(stack.endpoint_url.rsplit(":", 1)[1])
    return stack, port


@pytest_twisted.ensureDeferred
async def test_pipelined_routine_requests_are_answered_in_order():
    stack, port = await echo_stack(EchoExchanges())
    try:
        both = signed_request(port, b'{"n":1}') + signed_request(port, b'{"n":2}', key="444455556666")
        answers = await converse(port, [both], 2)
        first, second = (json.loads(body) for _, body in answers)
        assert [status for status, _ in answers] == [200, 200]
        assert first == {
            "lane": True,
            "account": "111122223333",
            "region": "eu-west-1",
            "body": '{"n":1}',
            "target": "DynamoDB_20120810.GetItem",
        }
        assert (second["account"], second["body"], second["lane"]) == ("444455556666", '{"n":2}', True)
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_a_request_arriving_in_pieces():
    stack, port = await echo_stack(EchoExchanges())
    try:
        data = signed_request(port, b'{"key":"' + b"k" * 3000 + b'"}')
        pieces = [data[:7], data[7:60], data[60:-2000], data[-2000:-1], data[-1:]]
        [(status, body)] = await converse(port, pieces, 1, pause=0.02)
        assert status == 200
        assert json.loads(body)["body"] == '{"key":"' + "k" * 3000 + '"}'
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_the_connection_is_handed_to_twisted_web_in_order():
    """
    A routine request, then one the lane does not serve (a GET), then a
    routine one again: all three are answered, in order, on one connection;
    after the hand-off twisted.web serves the rest.
    """
    stack, port = await echo_stack(EchoExchanges())
    try:
        health = f"GET /_ruststack/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        data = signed_request(port, b"{}") + health + signed_request(port, b'{"again":1}')
        answers = await converse(port, [data], 3)
        assert [status for status, _ in answers] == [200, 200, 200]
        assert json.loads(answers[0][1])["lane"] is True
        assert "services" in json.loads(answers[1][1])
        last = json.loads(answers[2][1])
        assert (last["lane"], last["body"], last["account"]) == (False, '{"again":1}', "111122223333")
    finally:
        await stack.stop()


@pytest.mark.parametrize(
    "extra",
    [{"Transfer-Encoding": "chunked"}, {"Connection": "close"}, {"Expect": "100-continue"}],
    ids=["chunked", "connection-close", "expect"],
)
@pytest_twisted.ensureDeferred
async def test_unusual_requests_take_twisted_web(extra):
    stack, port = await echo_stack(EchoExchanges())
    try:
        body = b'{"unusual":true}'
        sent = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if "Transfer-Encoding" in extra else body
        data = signed_request(port, body, **extra)
        data = data[: len(data) - len(body)] + sent
        [(status, answer)] = await converse(port, [data], 1)
        assert status == 200
        assert json.loads(answer)["lane"] is False
        assert json.loads(answer)["body"] == body.decode()
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_a_large_answer_to_a_slow_reader_keeps_its_order():
    """
    An answer larger than the socket takes at once is queued behind
    Twisted's buffer; the next answer on the connection follows it intact.
    """
    size = 16 << 20
    stack, port = await echo_stack(EchoExchanges(size=size))
    try:
        data = signed_request(port, b'{"n":1}') + signed_request(port, b'{"n":2}')
        answers = await converse(port, [data], 2, read_delay=0.5)
        assert [len(body) for _, body in answers] == [size, size]
        assert [json.loads(body)["body"] for _, body in answers] == ['{"n":1}', '{"n":2}']
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_verified_signatures_in_the_lane(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\n")
    stack, port = await echo_stack(EchoExchanges(), auth="verify", credentials_file=str(credentials))
    try:
        good = signed_request(port, b"{}", key="AKIADEV", secret="devsecret")
        bad = signed_request(port, b"{}", key="AKIADEV", secret="wrong")
        answers = await converse(port, [good + bad], 2)
        assert answers[0][0] == 200 and json.loads(answers[0][1])["lane"] is True
        assert answers[1][0] == 400
        assert json.loads(answers[1][1])["__type"] == "InvalidSignatureException"
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_a_client_that_leaves_is_noticed_and_stop_closes_kept_connections():
    service = EchoExchanges(hold=True)
    stack, port = await echo_stack(service)
    try:

        def leave():
            with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                connection.sendall(signed_request(port, b"{}"))
                time.sleep(0.3)

        await threads.deferToThread(leave)
        [(exchange, gone)] = service.held
        await gone
        assert exchange.done

        kept = socket.create_connection(("127.0.0.1", port), timeout=5)
        kept.sendall(signed_request(port, b"{}"))
        while len(service.held) < 2:
            await deferLater(0.01)
    finally:
        await stack.stop()
    # Stopping aborts connections: the client is reset, not waited for.
    with pytest.raises(ConnectionResetError):
        await threads.deferToThread(kept.recv, 10)
    kept.close()


def deferLater(seconds: float) -> defer.Deferred:
    from twisted.internet import reactor

    return task.deferLater(reactor, seconds, lambda: None)


class SmallSocket:
    """
    A socket whose buffer takes C{room} bytes, then nothing (EAGAIN).
    """

    def __init__(self, room: int) -> None:
        self.room = room
        self.sent = b""

    def send(self, data: bytes) -> int:
        if not self.room:
            raise BlockingIOError()
        taken = data[: self.room]
        self.room -= len(taken)
        self.sent += taken
        return len(taken)

    def sendmsg(self, buffers: list[bytes]) -> int:
        return self.send(b"".join(buffers))


def test_answers_queue_behind_twisted_until_it_has_written_all():
    """
    Once an answer overflows the socket, later ones go through Twisted's
    buffer behind it, until the transport reports it empty.
    """
    from twisted.internet.testing import StringTransport

    from ruststack.aws.identity import Authenticator
    from ruststack.edge import EdgeResource, EdgeSite

    edge = EdgeResource(Authenticator("000000000000", "us-east-1"), Resource())
    edge.register(EchoExchanges(size=1000))
    lane = EdgeSite(edge, reactor=task.Clock()).buildProtocol(None)
    transport = StringTransport()
    lane.makeConnection(transport)
    lane._socket = socket_ = SmallSocket(room=100)

    lane.dataReceived(signed_request(4566, b'{"n":1}') + signed_request(4566, b'{"n":2}'))
    assert len(socket_.sent) == 100
    assert socket_.sent.startswith(b"HTTP/1.1 200 OK")
    answers = (socket_.sent + transport.value()).split(b"HTTP/1.1 200 OK")[1:]
    assert [json.loads(answer.split(b"\r\n\r\n", 1)[1])["body"] for answer in answers] == ['{"n":1}', '{"n":2}']
    assert transport.producer is lane

    # Twisted has written everything: the socket is used directly again.
    transport.clear()
    lane.resumeProducing()
    assert transport.producer is None
    socket_.room = 1 << 20
    lane.dataReceived(signed_request(4566, b'{"n":3}'))
    assert transport.value() == b""
    assert socket_.sent[100:].startswith(b"HTTP/1.1 200 OK")
    assert b'\\"n\\":3' in socket_.sent[100:]


def test_a_client_pipelining_faster_than_it_is_answered_is_paused():
    from twisted.internet.testing import StringTransport

    from ruststack.aws.identity import Authenticator
    from ruststack.edge import EdgeResource, EdgeSite
    from ruststack.fastlane import MAX_BODY, MAX_HEAD

    service = EchoExchanges(hold=True)
    edge = EdgeResource(Authenticator("000000000000", "us-east-1"), Resource())
    edge.register(service)
    lane = EdgeSite(edge, reactor=task.Clock()).buildProtocol(None)
    transport = StringTransport()
    lane.makeConnection(transport)
    request = signed_request(4566, b"{}")
    lane.dataReceived(request)
    assert len(service.held) == 1 and transport.producerState == "producing"
    pipelined = (MAX_BODY + MAX_HEAD) // len(request) + 2
    for _ in range(pipelined):
        lane.dataReceived(request)
    assert transport.producerState == "paused"
    assert len(service.held) == 1

    service.hold = False
    exchange, _ = service.held[0]
    exchange.respond(200, [], b"{}")
    assert transport.producerState == "producing"
    assert transport.value().count(b"HTTP/1.1 200 OK") == pipelined + 1


@pytest_twisted.ensureDeferred
async def test_unsigned_requests_are_served_as_the_default_account():
    stack, port = await echo_stack(EchoExchanges(), account="210987654321", region="ap-south-1")
    try:
        body = b'{"unsigned":1}'
        data = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        [(status, answer)] = await converse(port, [data], 1)
        assert status == 200
        echoed = json.loads(answer)
        assert (echoed["lane"], echoed["account"], echoed["region"]) == (True, "210987654321", "ap-south-1")
    finally:
        await stack.stop()
