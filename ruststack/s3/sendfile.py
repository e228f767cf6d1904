"""
GetObject's body from a file straight to a plain TCP socket with
C{os.sendfile}: the bytes go from the page cache to the socket without
entering Python, as nginx serves files.

Twisted's transports have no sendfile, so this writer watches its own
duplicate of the connection's socket for writability, and starts only once
the transport has flushed the response headers; while it runs the transport
has nothing to write. TLS connections (and platforms without sendfile) use
L{ruststack.s3.producer.BodyProducer} instead.
"""

from __future__ import annotations

import errno
import os
from typing import BinaryIO

from twisted.internet import tcp
from twisted.internet.interfaces import IWriteDescriptor
from twisted.logger import Logger
from zope.interface import implementer

from ruststack.twisted_private import unsent

log = Logger()

# At most this much per call, so that one large response does not keep the
# reactor from its other connections.
SLICE = 8 * 1024 * 1024


def usable(request) -> bool:
    """
    Whether C{request}'s connection is a plain TCP socket sendfile can write to.
    """
    transport = getattr(request.channel, "transport", None)
    return hasattr(os, "sendfile") and isinstance(transport, tcp.Connection) and not transport.TLS


@implementer(IWriteDescriptor)
class SendfileWriter:
    """
    Sends C{length} bytes of C{body} from C{offset}, then finishes
    C{request}; closes C{body} in every case.
    """

    def __init__(self, reactor, request, body: BinaryIO, offset: int, length: int) -> None:
        self._reactor = reactor
        self._request = request
        self._transport = request.channel.transport
        self._body = body
        self._offset = offset
        self._remaining = length
        self._fd = -1

    def start(self) -> None:
        # Queue the status line and headers on the transport; sending the
        # body waits until they are out.
        self._request.write(b"")
        self._fd = os.dup(self._transport.fileno())
        self._request.notifyFinish().addErrback(lambda _: self._stop())
        self._reactor.addWriter(self)

    def fileno(self) -> int:
        return self._fd

    def logPrefix(self) -> str:
        return "S3 sendfile"

    def doWrite(self) -> None:
        transport = self._transport
        if unsent(transport):
            return  # the headers are still going out
        source = self._body.fileno()
        while self._remaining:
            try:
                sent = os.sendfile(self._fd, source, self._offset, min(self._remaining, SLICE))
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                # The client went away; the transport sees it and ends the request.
                self._stop()
                return
            if sent == 0:
                log.warn("object body ended {n} bytes early", n=self._remaining)
                self._stop()
                self._request.loseConnection()
                return
            self._offset += sent
            self._remaining -= sent
            if sent < SLICE:
                return  # the socket is full; wait until it is writable
        self._stop()
        self._request.finish()

    def connectionLost(self, reason) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._fd >= 0:
            self._reactor.removeWriter(self)
            os.close(self._fd)
            self._fd = -1
        if not self._body.closed:
            self._body.close()
