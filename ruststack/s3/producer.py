"""
GetObject's body on the wire: a push producer reading the object in large
chunks while the transport wants more, pausing when it is full.
"""

from __future__ import annotations

from typing import BinaryIO

from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from zope.interface import implementer

log = Logger()

CHUNK = 1024 * 1024


@implementer(IPushProducer)
class BodyProducer:
    """
    Writes C{length} bytes of C{body} (positioned at the first byte to send)
    to C{request}, then finishes it; closes C{body} in every case.
    """

    def __init__(self, request, body: BinaryIO, length: int, chunk: int = CHUNK) -> None:
        self._request = request
        self._body = body
        self._remaining = length
        self._chunk = chunk
        self._paused = False
        self._producing = False
        self._done = False

    def start(self) -> None:
        self._request.registerProducer(self, True)
        self._request.notifyFinish().addBoth(self._closed)
        self.resumeProducing()

    def resumeProducing(self) -> None:
        self._paused = False
        if self._producing or self._done:
            return  # request.write re-entered us; the outer loop goes on.
        self._producing = True
        try:
            while not self._paused and self._remaining > 0 and not self._done:
                data = self._body.read(min(self._chunk, self._remaining))
                if not data:
                    log.warn("object body ended {n} bytes early", n=self._remaining)
                    self._request.loseConnection()
                    self._finish_reading()
                    return
                self._remaining -= len(data)
                self._request.write(data)
        finally:
            self._producing = False
        if self._remaining == 0 and not self._done:
            self._finish_reading()
            self._request.unregisterProducer()
            self._request.finish()

    def pauseProducing(self) -> None:
        self._paused = True

    def stopProducing(self) -> None:
        self._finish_reading()

    def _finish_reading(self) -> None:
        if not self._done:
            self._done = True
            self._body.close()

    def _closed(self, result) -> None:
        # The connection went away (or the response ended): stop reading.
        self._finish_reading()
