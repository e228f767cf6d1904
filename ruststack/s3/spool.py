"""
Where an upload's bytes wait until they are committed: in memory while
small, in a temporary file in the store's folder beyond a threshold, so a
large body is never held in memory.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from typing import BinaryIO, Self

from ruststack.s3 import checksums
from ruststack.s3.records import Staged

# Bodies up to this size stay in memory (and are kept inline in the index).
SPILL_THRESHOLD = 256 * 1024


class Spool:
    """
    An append-only buffer that moves to a file in C{folder} once it holds
    more than C{threshold} bytes.

    As a context manager: closed when the block ends, discarded if it
    raises (so a failed copy leaves no file behind).
    """

    def __init__(self, folder: str, threshold: int = SPILL_THRESHOLD) -> None:
        self._folder = folder
        self._threshold = threshold
        self._memory: bytearray | None = bytearray()
        self._file: BinaryIO | None = None
        self.path: str | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._memory is not None:
            self._memory += data
            if len(self._memory) <= self._threshold:
                return
            descriptor, self.path = tempfile.mkstemp(dir=self._folder, prefix="upload-")
            self._file = os.fdopen(descriptor, "wb", buffering=0)
            data, self._memory = bytes(self._memory), None
        assert self._file is not None
        self._file.write(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def in_memory(self) -> bytes | None:
        """
        The bytes, if they never left memory.
        """
        return bytes(self._memory) if self._memory is not None else None

    def read_all(self) -> bytes:
        """
        Everything written (for the small XML bodies of POST requests).
        """
        if self._memory is not None:
            return bytes(self._memory)
        assert self._file is not None and self.path is not None
        self._file.flush()
        with open(self.path, "rb") as f:
            return f.read()

    def discard(self) -> None:
        self.close()
        self._memory = None
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.path = None


class HashedSpool(Spool):
    """
    A spool that hashes what is written to it: MD5 (the ETag) and, when
    asked, one flexible checksum; it becomes a L{Staged} body.
    """

    def __init__(self, folder: str, algorithm: str | None = None) -> None:
        super().__init__(folder)
        self._md5 = hashlib.md5()
        self._algorithm = algorithm
        self._hasher = checksums.new_hasher(algorithm) if algorithm else None

    def write(self, data: bytes) -> None:
        self._md5.update(data)
        if self._hasher is not None:
            self._hasher.update(data)
        super().write(data)

    def staged(self) -> Staged:
        found = {}
        if self._hasher is not None and self._algorithm:
            found[self._algorithm] = base64.b64encode(self._hasher.digest()).decode()
        return Staged(self.size, self._md5.digest(), self.in_memory(), self.path, found)
