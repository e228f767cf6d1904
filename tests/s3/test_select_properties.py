"""
Properties of S3 Select's SQL parser and CSV reader (no server).
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from ruststack.s3 import selectinput, selectsql
from ruststack.s3.selectinput import CsvFormat
from ruststack.s3.selectsql import Evaluator, Record, SelectError

# -- CSV

_FORMATS = st.builds(
    CsvFormat,
    field=st.sampled_from([",", ";", "|", "\t"]),
    record=st.sampled_from(["\n", "\r\n", "#"]),
    quote=st.sampled_from(['"', "'"]),
    escape=st.just(""),  # filled in below
    comments=st.just(""),
    allow_quoted_record_delimiter=st.just(True),
)
_FIELD = st.text(alphabet=string.ascii_letters + " ,;|\t\"'\n\r#", max_size=8)


def _encode(rows: list[list[str]], fmt: CsvFormat) -> str:
    specials = (fmt.field, fmt.quote, fmt.record, "\n", "\r")

    def field(text: str) -> str:
        if any(mark in text for mark in specials) or text.startswith(fmt.quote):
            return fmt.quote + text.replace(fmt.quote, fmt.escape + fmt.quote) + fmt.quote
        return text

    return "".join(fmt.field.join(field(f) for f in row) + fmt.record for row in rows)


def _chunked(text: str, cuts: list[int]) -> list[str]:
    pieces, at = [], 0
    for cut in cuts:
        pieces.append(text[at : at + cut])
        at += cut
    pieces.append(text[at:])
    return pieces


@given(
    _FORMATS,
    st.booleans(),
    st.lists(st.lists(_FIELD, min_size=1, max_size=4), max_size=6),
    st.lists(st.integers(min_value=0, max_value=9), max_size=12),
)
def test_csv_reader_reads_what_was_written_however_it_is_cut(fmt, backslash, rows, cuts):
    fmt = CsvFormat(
        fmt.field, fmt.record, fmt.quote, "\\" if backslash else fmt.quote, "", fmt.allow_quoted_record_delimiter
    )
    if backslash:
        # An escape character escapes itself too.
        rows = [[f.replace("\\", "") for f in row] for row in rows]
    text = _encode(rows, fmt)
    assert list(selectinput.csv_rows(_chunked(text, cuts), fmt)) == rows


@given(st.text(max_size=60), st.lists(st.integers(min_value=0, max_value=9), max_size=8))
def test_csv_reader_never_fails_but_as_s3_does(text, cuts):
    try:
        rows = list(selectinput.csv_rows(_chunked(text, cuts), CsvFormat()))
    except SelectError as e:
        assert e.code == "CSVParsingError"
    else:
        assert all(isinstance(f, str) for row in rows for f in row)


# -- SQL

_VOCABULARY = st.sampled_from(
    [
        "SELECT", "FROM", "WHERE", "S3Object", "s", "s._1", "*", ",", "(", ")", "AND", "OR", "NOT", "=", "<", "<>",
        "LIKE", "'a%'", "IS", "NULL", "CAST", "AS", "INT", "COUNT", "SUM", "LIMIT", "3", "1.5", "-", "+", "[", "]",
        ".", "name", '"Name"', "BETWEEN", "IN", "ESCAPE", "TRUE", "||", "~", "'",
    ]
)  # fmt: skip


@given(st.lists(_VOCABULARY, max_size=14))
def test_parser_answers_a_query_or_an_s3_error(words):
    try:
        query = selectsql.parse(" ".join(words))
    except SelectError as e:
        assert e.status == 400 and e.code
    else:
        assert isinstance(query, selectsql.Query)


@given(st.text(max_size=40))
def test_parser_on_any_text(text):
    try:
        selectsql.parse("SELECT " + text)
    except SelectError as e:
        assert e.status == 400


_COMPARE = {"=": int.__eq__, "<>": int.__ne__, "<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__}


@given(
    st.lists(st.integers(min_value=-50, max_value=50), min_size=1, max_size=20),
    st.sampled_from(sorted(_COMPARE)),
    st.integers(min_value=-50, max_value=50),
    st.sampled_from(["AND", "OR"]),
    st.integers(min_value=-50, max_value=50),
)
def test_where_selects_what_python_would(values, op, bound, joiner, other):
    query = selectsql.parse(f"SELECT s._1 FROM S3Object s WHERE s._1 {op} {bound} {joiner} NOT s._1 = {other}")
    evaluator = Evaluator(query)
    chosen = [v for v in values if evaluator.selects(Record(fields=[str(v)]))]
    combine = (lambda a, b: a and b) if joiner == "AND" else (lambda a, b: a or b)
    assert chosen == [v for v in values if combine(_COMPARE[op](v, bound), v != other)]


@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=30))
def test_aggregates_match_python(values):
    query = selectsql.parse("SELECT COUNT(*), SUM(s._1), MIN(s._1), MAX(s._1) FROM S3Object s")
    evaluator = Evaluator(query)
    for value in values:
        evaluator.accumulate(Record(fields=[str(value)]))
    evaluator.finish()
    found = [value for _, value in evaluator.project(None)]
    expected = [len(values), sum(values) if values else None, min(values, default=None), max(values, default=None)]
    assert found == expected
