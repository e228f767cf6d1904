"""
A streaming reader of the C{multipart/form-data} body (RFC 7578) of a POST
Object upload: the fields before the file, kept in memory (S3 bounds them),
and the file, streamed to a spool and hashed on the way, never held whole.

As S3 reads such a form, the file is the last field that counts: whatever
follows it is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import BinaryIO

import attrs

from ruststack.s3.records import Staged
from ruststack.s3.spool import HashedSpool

_CHUNK = 1024 * 1024
# What S3 takes before the file: its fields, their part headers, the preamble.
MAX_FIELDS = 20 * 1024
_BOUNDARY = re.compile(r';\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))', re.IGNORECASE)
_PARAMETER = re.compile(r';\s*(name|filename)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.IGNORECASE)


class MalformedForm(Exception):
    """
    The body is not well-formed C{multipart/form-data}.
    """


class FieldsTooLarge(Exception):
    """
    The fields before the file are larger than S3 takes.
    """


@attrs.frozen
class Form:
    """
    A form as read: its fields by name, in their order (names as sent), and
    the file (C{None} when the form has none).
    """

    fields: list[tuple[str, str]]
    filename: str | None = None
    file_type: str | None = None
    file: Staged | None = None


def boundary_of(content_type: str) -> bytes | None:
    """
    The boundary of a C{multipart/form-data} content type, or C{None} when
    it is another type or names none.
    """
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        return None
    found = _BOUNDARY.search(content_type)
    if found is None:
        return None
    return (found.group(1) or found.group(2)).encode("latin-1")


class _Reader:
    """
    The body read in chunks, searched for the markers between its parts.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._data = b""

    def _fill(self) -> None:
        chunk = self._source.read(_CHUNK)
        if not chunk:
            raise MalformedForm("the body ends inside a part")
        self._data += chunk

    def until(self, marker: bytes, limit: int) -> bytes:
        """
        Everything up to C{marker} (consumed), at most C{limit} bytes.
        """
        while True:
            found = self._data.find(marker)
            if found >= 0:
                if found > limit:
                    raise FieldsTooLarge()
                taken, self._data = self._data[:found], self._data[found + len(marker) :]
                return taken
            if len(self._data) > limit + len(marker):
                raise FieldsTooLarge()
            self._fill()

    def stream_until(self, marker: bytes, write: Callable[[bytes], None]) -> None:
        """
        Hand everything up to C{marker} (consumed) to C{write}, piece by
        piece: what could still begin the marker is held back.
        """
        keep = len(marker) - 1
        while True:
            found = self._data.find(marker)
            if found >= 0:
                write(self._data[:found])
                self._data = self._data[found + len(marker) :]
                return
            if len(self._data) > keep:
                write(self._data[:-keep])
                self._data = self._data[-keep:]
            self._fill()

    def take(self, count: int) -> bytes:
        while len(self._data) < count:
            self._fill()
        taken, self._data = self._data[:count], self._data[count:]
        return taken


def _part_headers(raw: bytes) -> tuple[str, str | None, str | None]:
    """
    A part's field name, file name and content type.
    """
    name = filename = content_type = None
    for line in raw.split(b"\r\n"):
        header, colon, value = line.decode("utf-8", "replace").partition(":")
        if not colon:
            raise MalformedForm("a part header without a colon")
        header = header.strip().lower()
        if header == "content-disposition":
            disposition, _, parameters = value.strip().partition(";")
            if disposition.strip().lower() != "form-data":
                raise MalformedForm("a part that is not form-data")
            for found in _PARAMETER.finditer(";" + parameters):
                given = found.group(2) if found.group(2) is not None else found.group(3)
                given = re.sub(r"\\(.)", r"\1", given)
                if found.group(1).lower() == "name":
                    name = given
                else:
                    filename = given
        elif header == "content-type":
            content_type = value.strip()
    if name is None:
        raise MalformedForm("a part without a field name")
    return name, filename, content_type


def read_form(source: BinaryIO, boundary: bytes, folder: str, algorithm: str | None = None) -> Form:
    """
    Read a form from C{source} (in a thread: it reads a file), its file
    spooled in C{folder} with its MD5 and the C{algorithm} checksum.
    Raise L{MalformedForm} or L{FieldsTooLarge}.
    """
    reader = _Reader(source)
    delimiter = b"--" + boundary
    budget = MAX_FIELDS
    budget -= len(reader.until(delimiter, budget))
    fields: list[tuple[str, str]] = []
    while True:
        ending = reader.take(2)
        if ending == b"--":
            return Form(fields)  # no file
        if ending != b"\r\n":
            raise MalformedForm("a boundary not followed by a line end")
        raw = reader.until(b"\r\n\r\n", budget)
        budget -= len(raw)
        name, filename, content_type = _part_headers(raw)
        if name.lower() == "file":
            return Form(fields, filename, content_type, _read_file(reader, b"\r\n" + delimiter, folder, algorithm))
        value = reader.until(b"\r\n" + delimiter, budget)
        budget -= len(value)
        try:
            fields.append((name, value.decode("utf-8")))
        except UnicodeDecodeError:
            raise MalformedForm("a field that is not UTF-8") from None


def _read_file(reader: _Reader, end: bytes, folder: str, algorithm: str | None) -> Staged:
    # (A spool whose block raises is discarded.)
    with HashedSpool(folder, algorithm) as spool:
        reader.stream_until(end, spool.write)
    return spool.staged()
