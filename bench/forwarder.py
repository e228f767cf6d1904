"""
C{python -m bench.forwarder BACKEND_PORT LISTEN_PORT}: the cheapest proxy
Twisted can be, for reference. Each client connection gets its own
connection to the backend and bytes pass both ways as they come, with no
parsing; writes go straight to the sockets (as RustStack's do), TCP_NODELAY
on both sides. Its ratio to the backend reached directly is the price of the
second loopback hop and the reactor alone; RustStack's ratio to it is the
price of reading and rewriting the requests and answers.
"""

from __future__ import annotations

import socket
import sys

from twisted.internet import protocol, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.interfaces import ISystemHandle, ITCPTransport
from twisted.python.failure import Failure


class Pipe:
    """
    Writes to one side: straight to its socket until a write does not fit,
    then through its transport for good (so that nothing overtakes).
    """

    def __init__(self, transport: ITCPTransport) -> None:
        self.transport = transport
        handle = ISystemHandle(transport).getHandle()
        assert isinstance(handle, socket.socket)
        self.socket: socket.socket | None = handle

    def write(self, data: bytes) -> None:
        if self.socket is not None:
            try:
                sent = self.socket.send(data)
            except BlockingIOError:
                sent = 0
            if sent == len(data):
                return
            data, self.socket = data[sent:], None
        self.transport.write(data)


class Backend(protocol.Protocol):
    def __init__(self, front: Front, to_front: Pipe) -> None:
        self.front = front
        self.to_front = to_front

    def connectionMade(self) -> None:
        # Adapting checks what the TCP endpoints guarantee: a TCP transport.
        transport = ITCPTransport(self.transport)
        transport.setTcpNoDelay(True)
        self.front.backend_connected(Pipe(transport))

    def dataReceived(self, data: bytes) -> None:
        self.to_front.write(data)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.to_front.transport.loseConnection()


class Front(protocol.Protocol):
    backend_port = 0

    def __init__(self) -> None:
        self.backend: Pipe | None = None
        self.pending = b""

    def connectionMade(self) -> None:
        transport = ITCPTransport(self.transport)
        transport.setTcpNoDelay(True)
        to_front = Pipe(transport)
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.backend_port)
        endpoint.connect(protocol.Factory.forProtocol(lambda: Backend(self, to_front))).addErrback(
            lambda _: transport.loseConnection()
        )

    def backend_connected(self, backend: Pipe) -> None:
        self.backend = backend
        if self.pending:
            backend.write(self.pending)
            self.pending = b""

    def dataReceived(self, data: bytes) -> None:
        if self.backend is None:
            self.pending += data
        else:
            self.backend.write(data)

    def connectionLost(self, reason: Failure | None = None) -> None:
        if self.backend is not None:
            self.backend.transport.loseConnection()


def main() -> None:
    Front.backend_port = int(sys.argv[1])
    listen = TCP4ServerEndpoint(reactor, int(sys.argv[2]), interface="127.0.0.1")
    listen.listen(protocol.Factory.forProtocol(Front))
    reactor.run()


if __name__ == "__main__":
    main()
