"""
How a runtime's output reaches RustStack: a FIFO per environment, which the
runtime (a forked process or a container, through a bind mount) opens for
writing and the reactor reads.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from twisted.internet import abstract, fdesc


class _Reader(abstract.FileDescriptor):
    def __init__(self, reactor: Any, fd: int, output: Callable[[bytes], None]) -> None:
        super().__init__(reactor)
        self.fd = fd
        self.output = output

    def fileno(self) -> int:
        return self.fd

    def doRead(self) -> Any:
        return fdesc.readFromFD(self.fd, self.output)


class OutputFifo:
    """
    A FIFO in C{folder} whose content goes to C{output} as it arrives.
    """

    def __init__(self, reactor: Any, folder: str, output: Callable[[bytes], None]) -> None:
        self.path = os.path.join(folder, uuid.uuid4().hex)
        os.mkfifo(self.path, 0o600)
        self._reader: _Reader | None = _Reader(reactor, os.open(self.path, os.O_RDONLY | os.O_NONBLOCK), output)
        self._reader.startReading()
        # Our own write end keeps the FIFO from reporting end-of-file before
        # the runtime has opened it.
        self._keep_open = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)

    def flush(self) -> None:
        """
        Read what is there now: the runtime writes its output before it
        posts its response, but the reactor may see the socket first.
        """
        if self._reader is not None:
            self._reader.doRead()

    def close(self) -> None:
        if self._reader is None:
            return
        self.flush()
        self._reader.stopReading()
        os.close(self._reader.fd)
        self._reader = None
        os.close(self._keep_open)
        os.unlink(self.path)
