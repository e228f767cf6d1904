"""
SelectObjectContent (S3 Select): a SQL query (L{ruststack.s3.selectsql})
over one CSV or JSON object (L{ruststack.s3.selectinput}), answered as an
event stream (L{ruststack.s3.eventstream}): Records events of CSV or JSON
output, then Stats and End.

The request and its SQL are checked before the answer starts (errors are
S3's XML errors); the object is then read a chunk at a time in a thread of
the reactor's pool, each Records event written from there as it fills. An
error found in the records (a failed CAST, CSV that does not parse) ends
the stream with an error event, as S3 does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.session
from twisted.internet import threads
from twisted.logger import Logger
from twisted.web.server import NOT_DONE_YET

from ruststack.aws.errors import AwsError
from ruststack.protocol.parse import Malformed, xml_root, xml_structure
from ruststack.s3 import encryption, eventstream, objects, selectinput, selectsql, wire
from ruststack.s3.call import S3Call, S3Context
from ruststack.s3.selectsql import Evaluator, Query, Record

log = Logger()

READ = 256 * 1024
# A Records event is sent once this much output has built up.
BATCH = 64 * 1024


def _request_shape():
    return botocore.session.get_session().get_service_model("s3").operation_model("SelectObjectContent").input_shape


def missing_parameter() -> AwsError:
    return AwsError(
        "MissingRequiredParameter",
        "The SelectRequest entity is missing a required parameter. Check the service documentation and try again.",
        400,
    )


def _single(values: dict[str, Any], kinds: tuple[str, ...], side: str) -> str:
    chosen = [kind for kind in kinds if kind in values]
    if len(chosen) != 1:
        if not chosen:
            raise missing_parameter()
        raise AwsError(
            "ObjectSerializationConflict",
            f"{side} specifies more than one format (CSV, JSON, or Parquet), or OutputSerialization specifies"
            " more than one format (CSV or JSON). InputSerialization and OutputSerialization can only specify"
            " one format each.",
            400,
        )
    return chosen[0]


def _one_char(value: str | None, default: str, name: str, allow_two: bool = False) -> str:
    if value is None:
        return default
    if not value or len(value) > (2 if allow_two else 1):
        raise AwsError(
            "InvalidArgument" if name != "RecordDelimiter" else "InvalidRequestParameter",
            f"The {name} is not valid. It must be a single character.",
            400,
            {"ArgumentName": name, "ArgumentValue": value},
        )
    return value


class Plan:
    """
    What one SelectObjectContent request asks: the query, how to read the
    object and how to write its records.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        for name in ("Expression", "ExpressionType", "InputSerialization", "OutputSerialization"):
            if values.get(name) is None:
                raise missing_parameter()
        if values["ExpressionType"] != "SQL":
            raise AwsError(
                "InvalidExpressionType", "The ExpressionType is invalid. Only SQL expressions are supported.", 400
            )
        if "ScanRange" in values:
            raise AwsError("NotImplemented", "ScanRange is not implemented by RustStack's S3 Select.", 501)
        given = values["InputSerialization"]
        self.input = _single(given, ("CSV", "JSON", "Parquet"), "InputSerialization")
        if self.input == "Parquet":
            raise AwsError("NotImplemented", "Parquet input is not implemented by RustStack's S3 Select.", 501)
        self.compression = given.get("CompressionType", "NONE")
        csv_in = given.get("CSV", {})
        self.header = csv_in.get("FileHeaderInfo", "NONE")
        self.csv = selectinput.CsvFormat(
            field=_one_char(csv_in.get("FieldDelimiter"), ",", "FieldDelimiter"),
            record=_one_char(csv_in.get("RecordDelimiter"), "\n", "RecordDelimiter", allow_two=True),
            quote=_one_char(csv_in.get("QuoteCharacter"), '"', "QuoteCharacter"),
            escape=_one_char(csv_in.get("QuoteEscapeCharacter"), '"', "QuoteEscapeCharacter"),
            comments=csv_in.get("Comments", "#")[:1],
            allow_quoted_record_delimiter=bool(csv_in.get("AllowQuotedRecordDelimiter", False)),
        )
        self.json_type = given.get("JSON", {}).get("Type", "DOCUMENT")
        wanted = values["OutputSerialization"]
        self.output = _single(wanted, ("CSV", "JSON"), "OutputSerialization")
        csv_out = wanted.get("CSV", {})
        self.out_field = _one_char(csv_out.get("FieldDelimiter"), ",", "FieldDelimiter")
        self.out_quote = _one_char(csv_out.get("QuoteCharacter"), '"', "QuoteCharacter")
        self.out_escape = _one_char(csv_out.get("QuoteEscapeCharacter"), '"', "QuoteEscapeCharacter")
        self.quote_always = csv_out.get("QuoteFields", "ASNEEDED") == "ALWAYS"
        self.out_record = _one_char(
            (wanted.get("JSON") or csv_out).get("RecordDelimiter"), "\n", "RecordDelimiter", allow_two=True
        )
        self.progress = bool(values.get("RequestProgress", {}).get("Enabled", False))
        self.query: Query = selectsql.parse(values["Expression"])

    def records(self, texts: Iterator[str]) -> Iterator[Record]:
        if self.input == "CSV":
            rows = selectinput.csv_rows(texts, self.csv)
            header = None
            if self.header in ("USE", "IGNORE"):
                first = next(rows, None)
                if first is None:
                    return
                header = first if self.header == "USE" else None
            for row in rows:
                yield Record(fields=row, header=header)
            return
        values = selectinput.json_lines(texts) if self.json_type == "LINES" else selectinput.json_documents(texts)
        for value in values:
            if self.query.star_source and isinstance(value, list):
                for item in value:
                    yield Record(value=item)
            else:
                yield Record(value=value)

    def write(self, items: list[tuple[str, Any]]) -> str:
        if self.output == "JSON":
            return json.dumps(dict(items), separators=(",", ":"), ensure_ascii=False) + self.out_record
        return self.out_field.join(self._csv_field(value) for _, value in items) + self.out_record

    def _csv_field(self, value: Any) -> str:
        text = selectsql.format_value(value)
        quote = self.out_quote
        if self.quote_always or any(mark in text for mark in (self.out_field, quote, self.out_record, "\n", "\r")):
            escaped = text.replace(quote, self.out_escape + quote)
            return quote + escaped + quote
        return text


def read_plan(body: bytes) -> Plan:
    shape = _request_shape()
    if not body.strip():
        raise missing_parameter()
    try:
        values = xml_structure(shape, xml_root(body, "SelectObjectContentRequest"))
    except Malformed:
        raise wire.malformed() from None
    return Plan(values)


class _Counted:
    """
    The object's chunks, counting the bytes read (Stats' BytesScanned).
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.count += len(chunk)
            yield chunk


class _Processed:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.count += len(chunk)
            yield chunk


def run(plan: Plan, chunks: Iterator[bytes], emit) -> None:
    """
    Run C{plan} over the object's C{chunks}, handing each event's bytes to
    C{emit} (which answers C{False} once nobody listens).
    """
    scanned = _Counted(chunks)
    processed = _Processed(selectinput.decompressed(iter(scanned), plan.compression))
    evaluator = Evaluator(plan.query)
    query = plan.query
    returned = 0
    pending: list[str] = []
    size = 0
    written = 0
    try:
        for record in plan.records(selectinput.decoded(iter(processed))):
            if not evaluator.selects(record):
                continue
            if query.aggregates:
                evaluator.accumulate(record)
                continue
            if query.limit is not None and written >= query.limit:
                break
            line = plan.write(evaluator.project(record))
            written += 1
            pending.append(line)
            size += len(line)
            if size >= BATCH:
                payload = "".join(pending).encode("utf-8")
                returned += len(payload)
                if not emit(eventstream.records(payload)):
                    return
                pending, size = [], 0
        if query.aggregates and (query.limit is None or query.limit > 0):
            evaluator.finish()
            pending.append(plan.write(evaluator.project(None)))
    except AwsError as e:
        emit(eventstream.error(e.code, e.message))
        return
    if pending:
        payload = "".join(pending).encode("utf-8")
        returned += len(payload)
        if not emit(eventstream.records(payload)):
            return
    if plan.progress:
        emit(eventstream.progress(scanned.count, processed.count, returned))
    emit(eventstream.stats(scanned.count, processed.count, returned))
    emit(eventstream.end())


def _chunks(body) -> Iterator[bytes]:
    try:
        while chunk := body.read(READ):
            yield chunk
    finally:
        body.close()


def select_object_content(ctx: S3Context, call: S3Call) -> int:
    plan = read_plan(call.body())
    record = objects.existing_object(ctx, call)
    encryption.check_read(record.meta.sse, call.headers, call.secure)
    request = call.request
    call.set_headers({"Content-Type": "application/octet-stream"})
    request.setResponseCode(200)
    chunks: Iterator[bytes] = (
        iter([record.inline]) if record.inline is not None else _chunks(ctx.store.open_body(record))
    )
    gone: list[Any] = []
    request.notifyFinish().addBoth(gone.append)
    reactor = ctx.reactor

    def write(data: bytes) -> bool:
        if gone:
            return False
        request.write(data)
        return True

    def emit(data: bytes) -> bool:
        return bool(threads.blockingCallFromThread(reactor, write, data))

    def done(_: object) -> None:
        if not gone:
            request.finish()

    def failed(failure) -> None:
        log.failure("S3 Select failed", failure)
        if not gone:
            request.write(eventstream.error("InternalError", "We encountered an internal error. Please try again."))
            request.finish()

    threads.deferToThreadPool(reactor, reactor.getThreadPool(), run, plan, chunks, emit).addCallbacks(done, failed)
    return NOT_DONE_YET
