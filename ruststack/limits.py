"""
Bounds on what a client can make RustStack hold: the body of a request to a
service with a limit (L{ruststack.interfaces.IBodyLimit}), and connections
that stay idle or send too slowly.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

# A connection on which nothing arrives for this long, while no answer is
# being prepared for it, is closed (--idle-timeout).
IDLE_TIMEOUT = 60.0
# Bodies up to this size are kept in memory, larger ones in a temporary file.
_IN_MEMORY = 1 << 20


class BoundedBody:
    """
    A request body kept up to C{limit} bytes; past it, C{exceeded} is called
    once and the rest is dropped as it arrives.

    @ivar over: whether the body went past its limit.
    """

    def __init__(self, limit: int, exceeded: Callable[[], None]) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)
        self._size = 0
        self._limit = limit
        self._exceeded = exceeded
        self.over = False

    def write(self, data: bytes) -> None:
        if self.over:
            return
        self._size += len(data)
        if self._size > self._limit:
            self.over = True
            self._file.close()
            self._exceeded()
            return
        self._file.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()
