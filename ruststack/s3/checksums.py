"""
S3's integrity checks: MD5 (ETag, Content-MD5) and the flexible checksums
(CRC32, CRC32C, CRC64NVME, SHA1, SHA256), computed incrementally and
rendered base64 as the C{x-amz-checksum-*} headers carry them.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Protocol

from awscrt import checksums as _crt

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


class Hasher(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, function: Callable[[bytes, int], int], width: int) -> None:
        self._function = function
        self._width = width
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._function(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._width, "big")


def new_hasher(algorithm: str) -> Hasher:
    """
    An incremental hasher for one of L{ALGORITHMS} (upper case).
    """
    if algorithm == "CRC32":
        return _Crc(_crt.crc32, 4)
    if algorithm == "CRC32C":
        return _Crc(_crt.crc32c, 4)
    if algorithm == "CRC64NVME":
        return _Crc(_crt.crc64nvme, 8)
    if algorithm == "SHA1":
        return hashlib.sha1()
    if algorithm == "SHA256":
        return hashlib.sha256()
    raise ValueError(algorithm)


def header_name(algorithm: str) -> str:
    return "x-amz-checksum-" + algorithm.lower()


def algorithm_of_header(name: str) -> str | None:
    """
    C{x-amz-checksum-crc32} -> C{CRC32}; C{None} for other headers.
    """
    if not name.startswith("x-amz-checksum-"):
        return None
    algorithm = name[len("x-amz-checksum-") :].upper()
    return algorithm if algorithm in ALGORITHMS else None


def composite(algorithm: str, part_checksums: list[str]) -> str:
    """
    A multipart object's COMPOSITE checksum: the checksum of the parts' raw
    checksums, suffixed with the part count.
    """
    hasher = new_hasher(algorithm)
    for text in part_checksums:
        hasher.update(base64.b64decode(text))
    return f"{base64.b64encode(hasher.digest()).decode()}-{len(part_checksums)}"


def multipart_etag(part_md5s: list[bytes]) -> str:
    """
    The ETag S3 gives a multipart object: C{"<md5 of the parts' md5s>-<n>"}.
    """
    return f'"{hashlib.md5(b"".join(part_md5s)).hexdigest()}-{len(part_md5s)}"'
