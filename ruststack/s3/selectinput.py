"""
S3 Select's input, read as it streams: an object's bytes (decompressed
when GZIP or BZIP2) decoded as UTF-8 and cut into CSV rows or JSON values a
chunk at a time, never whole.

CSV, as S3 Select reads it: C{FieldDelimiter} (default C{,}) and
C{RecordDelimiter} (default C{\\n}; one or two characters), fields quoted by
C{QuoteCharacter} (default C{"}) when they start with it, a quote inside a
quoted field escaped by C{QuoteEscapeCharacter} (default C{"}: doubled),
rows starting with C{Comments} (default C{#}) skipped. A record delimiter
inside quotes ends the record unless C{AllowQuotedRecordDelimiter}.
"""

from __future__ import annotations

import bz2
import codecs
import json
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from ruststack.s3.selectsql import SelectError


def csv_parsing_error() -> SelectError:
    return SelectError("CSVParsingError", "Encountered an error parsing the CSV file. Check the file and try again.")


def json_parsing_error() -> SelectError:
    return SelectError("JSONParsingError", "Encountered an error parsing the JSON file. Check the file and try again.")


def invalid_text_encoding() -> SelectError:
    return SelectError("InvalidTextEncoding", "Invalid encoding type. Only UTF-8 encoding is supported.")


@attrs.frozen
class CsvFormat:
    field: str = ","
    record: str = "\n"
    quote: str = '"'
    escape: str = '"'
    comments: str = "#"
    allow_quoted_record_delimiter: bool = False


class CsvReader:
    """
    Rows of CSV text fed a piece at a time: L{feed} answers the rows its
    text completes, L{close} the last one.
    """

    def __init__(self, fmt: CsvFormat) -> None:
        self.fmt = fmt
        self.buffer = ""
        self.fields: list[str] = []
        self.field: list[str] = []
        self.quoted = False  # inside a quoted field
        self.started = False  # the row has begun (a comment is only at its start)
        self.field_start = True
        self.skipping = False  # in a comment row

    def feed(self, text: str) -> list[list[str]]:
        self.buffer += text
        return self._run(final=False)

    def close(self) -> list[list[str]]:
        rows = self._run(final=True)
        if self.started or self.field or self.fields:
            if self.quoted:
                raise csv_parsing_error()
            rows.append(self._end_row())
        return rows

    def _end_row(self) -> list[str]:
        self.fields.append("".join(self.field))
        row, self.fields, self.field = self.fields, [], []
        self.started, self.field_start, self.quoted = False, True, False
        return row

    def _run(self, final: bool) -> list[list[str]]:
        fmt, buffer = self.fmt, self.buffer
        rows: list[list[str]] = []
        # Leave enough unread for a two-character delimiter or an escaped quote.
        limit = len(buffer) if final else len(buffer) - max(len(fmt.record), len(fmt.field), 2)
        at = 0
        record, field, quote, escape = fmt.record, fmt.field, fmt.quote, fmt.escape
        while at < limit:
            if self.skipping:
                end = buffer.find(record, at)
                if end < 0 or end >= limit:
                    at = max(at, limit)
                    break
                at = end + len(record)
                self.skipping = False
                continue
            char = buffer[at]
            if not self.started and fmt.comments and char == fmt.comments:
                self.skipping = True
                at += 1
                continue
            if self.quoted:
                if escape != quote and char == escape and at + 1 < len(buffer):
                    self.field.append(buffer[at + 1])
                    at += 2
                    continue
                if char == quote:
                    if escape == quote and buffer.startswith(quote, at + 1):
                        self.field.append(quote)
                        at += 2
                        continue
                    self.quoted = False
                    at += 1
                    continue
                if not fmt.allow_quoted_record_delimiter and buffer.startswith(record, at):
                    rows.append(self._end_row())
                    at += len(record)
                    continue
                self.field.append(char)
                at += 1
                continue
            if buffer.startswith(record, at):
                rows.append(self._end_row())
                at += len(record)
                continue
            self.started = True
            if buffer.startswith(field, at):
                self.fields.append("".join(self.field))
                self.field = []
                self.field_start = True
                at += len(field)
                continue
            if char == quote and self.field_start:
                self.quoted = True
                self.field_start = False
                at += 1
                continue
            self.field_start = False
            self.field.append(char)
            at += 1
        self.buffer = buffer[at:]
        return rows


def csv_rows(texts: Iterable[str], fmt: CsvFormat) -> Iterator[list[str]]:
    reader = CsvReader(fmt)
    for text in texts:
        yield from reader.feed(text)
    yield from reader.close()


def json_lines(texts: Iterable[str]) -> Iterator[Any]:
    """
    One JSON value per line (LINES).
    """
    rest = ""
    for text in texts:
        rest += text
        *lines, rest = rest.split("\n")
        for line in lines:
            yield from _line(line)
    yield from _line(rest)


def _line(line: str) -> Iterator[Any]:
    if line.strip():
        try:
            yield json.loads(line)
        except ValueError:
            raise json_parsing_error() from None


_DECODER = json.JSONDecoder()


def json_documents(texts: Iterable[str]) -> Iterator[Any]:
    """
    The JSON values of a DOCUMENT input, one after another (whitespace
    between them); a value is held whole only once it is complete.
    """
    rest = ""
    for text in texts:
        rest += text
        rest = yield from _documents(rest, final=False)
    rest = yield from _documents(rest, final=True)
    if rest.strip():
        raise json_parsing_error()


def _documents(text: str, final: bool):
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at >= len(text):
            return ""
        try:
            value, end = _DECODER.raw_decode(text, at)
        except ValueError:
            if final:
                raise json_parsing_error() from None
            return text[at:]
        if end == len(text) and not final and isinstance(value, (int, float)):
            return text[at:]  # a number may go on in the next chunk
        yield value
        at = end


def decompressed(chunks: Iterable[bytes], compression: str) -> Iterator[bytes]:
    if compression == "GZIP":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            for chunk in chunks:
                yield inflater.decompress(chunk)
            yield inflater.flush()
        except zlib.error:
            raise _compression_error("GZIP") from None
    elif compression == "BZIP2":
        unpacker = bz2.BZ2Decompressor()
        try:
            for chunk in chunks:
                yield unpacker.decompress(chunk)
        except (OSError, EOFError):
            raise _compression_error("BZIP2") from None
    else:
        yield from chunks


def _compression_error(kind: str) -> SelectError:
    return SelectError(
        "InvalidCompressionFormat",
        f"The file is not in a supported compression format. Only GZIP and BZIP2 are supported. ({kind})",
    )


def decoded(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise invalid_text_encoding() from None
