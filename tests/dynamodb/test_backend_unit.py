"""
The keep-alive client's HTTP/1.1 answer parsing, over an in-memory transport.
"""

from __future__ import annotations

from twisted.internet import defer, error
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from ruststack.dynamodb.backend import BackendConnection, BackendError


def connected() -> tuple[BackendConnection, StringTransport]:
    connection = BackendConnection()
    transport = StringTransport()
    connection.makeConnection(transport)
    return connection, transport


def results(d) -> list:
    out: list = []
    d.addBoth(out.append)
    return out


def test_content_length_answer_in_pieces_then_reuse():
    connection, transport = connected()
    answer = results(connection.request(b"POST / HTTP/1.1\r\n\r\n{}"))
    assert transport.value() == b"POST / HTTP/1.1\r\n\r\n{}"
    for piece in (b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 5\r\nx-amz-crc32: 7\r\n\r\nab", b"cde"):
        connection.dataReceived(piece)
    (response,) = answer
    assert (response.status, response.body, response.headers[b"x-amz-crc32"]) == (200, b"abcde", b"7")
    assert connection.reusable
    again = results(connection.request(b"next"))
    connection.dataReceived(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    assert again[0].status == 400 and again[0].body == b""


def test_chunked_answer():
    connection, _ = connected()
    answer = results(connection.request(b"x"))
    connection.dataReceived(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
    assert answer == []
    connection.dataReceived(b"A;ext=1\r\n0123456789\r\n0\r\n\r\n")
    assert answer[0].body == b"abc0123456789"


def test_connection_close_is_not_reused():
    connection, _ = connected()
    results(connection.request(b"x"))
    connection.dataReceived(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert not connection.reusable


def test_lost_connection_fails_the_request():
    connection, _ = connected()
    answer = results(connection.request(b"x"))
    connection.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    connection.connectionLost(Failure(error.ConnectionDone()))
    assert answer[0].check(BackendError)
    assert not connection.reusable


def test_garbage_fails_the_request_and_aborts():
    connection, transport = connected()
    answer = results(connection.request(b"x"))
    connection.dataReceived(b"HTTP/1.1 abc OK\r\n\r\n")
    assert answer[0].check(BackendError)
    assert transport.disconnecting or transport.disconnected


def test_cancel_aborts_the_connection():
    connection, transport = connected()
    d = connection.request(b"x")
    answer = results(d)
    d.cancel()
    assert answer[0].check(defer.CancelledError)
    assert not connection.reusable
    connection.connectionLost(Failure(error.ConnectionDone()))


def test_a_body_passed_on_as_it_arrives():
    connection, _ = connected()
    pieces: list[bytes] = []
    heads: list[int] = []

    class Sink:
        def write(self, data: bytes) -> None:
            pieces.append(data)

    def on_head(status: int, headers: dict) -> Sink:
        heads.append(status)
        return Sink()

    answer = results(connection.request(b"x", on_head))
    connection.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab")
    assert (heads, pieces, answer) == ([200], [b"ab"], [])
    connection.dataReceived(b"cdef")
    assert pieces == [b"ab", b"cdef"]
    assert (answer[0].status, answer[0].body, answer[0].streamed) == (200, b"", True)
    # The next answer on the connection is read whole again.
    again = results(connection.request(b"y"))
    connection.dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    assert (again[0].body, again[0].streamed) == (b"{}", False)


def test_a_head_handler_may_decline():
    connection, _ = connected()
    answer = results(connection.request(b"x", lambda status, headers: None))
    connection.dataReceived(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}")
    assert (answer[0].body, answer[0].streamed) == (b"{}", False)
