"""
SelectObjectContent through boto3 over a real socket: botocore reads the
event stream (prelude, headers, CRCs) into Records, Stats and End events.
"""

from __future__ import annotations

import bz2
import gzip
import json

import pytest
from botocore.exceptions import ClientError, EventStreamError

_PEOPLE = b'name,age,city\nalice,30,Paris\nbob,25,\n"carol, jr",41,"New ""York"""\n# a comment\ndave,,Oslo\n'


def _select(s3, bucket, key, expression, given, wanted=None) -> tuple[bytes, dict]:
    answer = s3.select_object_content(
        Bucket=bucket,
        Key=key,
        Expression=expression,
        ExpressionType="SQL",
        InputSerialization=given,
        OutputSerialization=wanted or {"CSV": {}},
    )
    records, stats, ended = [], {}, False
    for event in answer["Payload"]:
        if "Records" in event:
            records.append(event["Records"]["Payload"])
        elif "Stats" in event:
            stats = event["Stats"]["Details"]
        elif "End" in event:
            ended = True
    assert ended
    return b"".join(records), stats


@pytest.fixture
def people(s3, bucket):
    s3.put_object(Bucket=bucket, Key="people.csv", Body=_PEOPLE)
    return bucket


_USE = {"CSV": {"FileHeaderInfo": "USE"}}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "SELECT * FROM S3Object",
            b'name,age,city\nalice,30,Paris\nbob,25,\n"carol, jr",41,"New ""York"""\ndave,,Oslo\n',
        ),
        ("SELECT s._1 FROM S3Object s WHERE s._2 = '25'", b"bob\n"),
        ("SELECT s.name FROM S3Object s WHERE s.age <> '' AND CAST(s.age AS INT) >= 30", b'alice\n"carol, jr"\n'),
        ("SELECT name FROM S3Object WHERE age > 26 AND NOT city LIKE 'P%'", b'"carol, jr"\n'),
        ("SELECT s.name FROM S3Object AS s WHERE s.city = '' OR s.age = ''", b"bob\ndave\n"),
        ("SELECT s.name FROM S3Object s WHERE s.nothing IS NULL LIMIT 2", b"alice\nbob\n"),
        ("SELECT UPPER(s.name) AS n, s.age + 1 FROM S3Object s WHERE s.name LIKE '_ob'", b"BOB,26\n"),
        (
            "select count(*), sum(cast(s.age as int)), min(s.age), max(s.age) from s3object s where s.age <> ''",
            b"3,96,25,41\n",
        ),
    ],
)
def test_csv_queries(s3, people, expression, expected):
    given = _USE if "*" not in expression.split("FROM")[0] or "count" in expression else {"CSV": {}}
    records, stats = _select(s3, people, "people.csv", expression, given)
    assert records == expected
    assert stats == {"BytesScanned": len(_PEOPLE), "BytesProcessed": len(_PEOPLE), "BytesReturned": len(expected)}


def test_csv_header_ignored_and_json_output(s3, people):
    records, _ = _select(
        s3,
        people,
        "people.csv",
        "SELECT s._1, s._3 AS town FROM S3Object s WHERE s._2 BETWEEN 26 AND 50",
        {"CSV": {"FileHeaderInfo": "IGNORE"}},
        {"JSON": {}},
    )
    assert [json.loads(line) for line in records.decode().splitlines()] == [
        {"_1": "alice", "town": "Paris"},
        {"_1": "carol, jr", "town": 'New "York"'},
    ]


def test_csv_delimiters_and_quote_always(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t.txt", Body=b"a|'x;y'|3\r\nb|z|4\r\n")
    given = {"CSV": {"FieldDelimiter": "|", "RecordDelimiter": "\r\n", "QuoteCharacter": "'", "FileHeaderInfo": "NONE"}}
    wanted = {"CSV": {"FieldDelimiter": ";", "RecordDelimiter": "\n", "QuoteFields": "ALWAYS"}}
    records, _ = _select(s3, bucket, "t.txt", "SELECT s._1, s._2 FROM S3Object s WHERE s._3 IN (3, 5)", given, wanted)
    assert records == b'"a";"x;y"\n'


def test_json_lines_and_document(s3, bucket):
    lines = b'{"id": 1, "tags": ["a", "b"], "who": {"name": "x"}}\n{"id": 2, "who": null}\n\n{"id": 3.5}\n'
    s3.put_object(Bucket=bucket, Key="l.json", Body=lines)
    records, _ = _select(
        s3,
        bucket,
        "l.json",
        "SELECT s.id, s.who.name, s.tags[1] FROM S3Object s WHERE s.id < 3",
        {"JSON": {"Type": "LINES"}},
        {"JSON": {}},
    )
    assert records == b'{"id":1,"name":"x","_3":"b"}\n{"id":2,"name":null,"_3":null}\n'
    document = b'[{"v": 1}, {"v": 2}, {"v": 3}]'
    s3.put_object(Bucket=bucket, Key="d.json", Body=document)
    records, _ = _select(
        s3, bucket, "d.json", "SELECT AVG(s.v) AS mean FROM S3Object[*] s", {"JSON": {"Type": "DOCUMENT"}}, {"JSON": {}}
    )
    assert records == b'{"mean":2.0}\n'
    s3.put_object(Bucket=bucket, Key="many.json", Body=b'{"a": 1}\n  {"a": 2} {"a": "x"}')
    records, _ = _select(s3, bucket, "many.json", "SELECT * FROM S3Object", {"JSON": {}}, {"CSV": {}})
    assert records == b"1\n2\nx\n"


def test_compressed_input_and_many_record_events(s3, bucket):
    rows = "".join(f"{i},{'x' * 50}\n" for i in range(20000)).encode()
    s3.put_object(Bucket=bucket, Key="big.csv.gz", Body=gzip.compress(rows))
    s3.put_object(Bucket=bucket, Key="big.csv.bz2", Body=bz2.compress(rows))
    for key, compression in (("big.csv.gz", "GZIP"), ("big.csv.bz2", "BZIP2")):
        answer = s3.select_object_content(
            Bucket=bucket,
            Key=key,
            Expression="SELECT s._1 FROM S3Object s WHERE CAST(s._1 AS INT) % 2 = 0",
            ExpressionType="SQL",
            InputSerialization={"CSV": {}, "CompressionType": compression},
            OutputSerialization={"CSV": {}},
        )
        events = list(answer["Payload"])
        payload = b"".join(e["Records"]["Payload"] for e in events if "Records" in e)
        assert payload == "".join(f"{i}\n" for i in range(0, 20000, 2)).encode()
        assert events[-2]["Stats"]["Details"]["BytesProcessed"] == len(rows)
    answer = s3.select_object_content(
        Bucket=bucket,
        Key="big.csv.gz",
        Expression="SELECT * FROM S3Object",
        ExpressionType="SQL",
        InputSerialization={"CSV": {}, "CompressionType": "GZIP"},
        OutputSerialization={"CSV": {}},
    )
    assert sum(1 for e in answer["Payload"] if "Records" in e) > 1


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("SELECT FROM S3Object", "ParseExpectedExpression"),
        ("SELECT * S3Object", "ParseSelectMissingFrom"),
        ("SELECT * FROM S3Object WHERE", "ParseExpectedExpression"),
        ("SELECT * FROM S3Object s WHERE s._1 = 1 1", "ParseUnexpectedToken"),
        ("SELECT * FROM S3Object s WHERE s._1 ~ 1", "LexerInvalidChar"),
        ("SELECT CAST(s._1 AS BLOB) FROM S3Object s", "ParseExpectedTypeName"),
        ("SELECT * FROM S3Object LIMIT x", "ParseExpectedNumber"),
        ("SELECT NOSUCH(s._1) FROM S3Object s", "UnsupportedFunction"),
        ("SELECT s._1, COUNT(*) FROM S3Object s", "ParseUnsupportedSyntax"),
    ],
)
def test_bad_sql(s3, people, expression, code):
    with pytest.raises(ClientError) as raised:
        _select(s3, people, "people.csv", expression, {"CSV": {}})
    error = raised.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (400, code)


def test_cast_failure_ends_the_stream_with_an_error(s3, people):
    with pytest.raises(EventStreamError) as raised:
        _select(s3, people, "people.csv", "SELECT CAST(s.name AS INT) FROM S3Object s", _USE)
    assert raised.value.response["Error"]["Code"] == "CastFailed"


def test_request_errors(s3, people):
    with pytest.raises(ClientError) as raised:
        _select(s3, people, "people.csv", "SELECT * FROM S3Object", {"CSV": {}, "JSON": {}})
    assert raised.value.response["Error"]["Code"] == "ObjectSerializationConflict"
    with pytest.raises(ClientError) as raised:
        _select(s3, people, "missing.csv", "SELECT * FROM S3Object", {"CSV": {}})
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
    s3.put_object(Bucket=people, Key="bad.json", Body=b'{"a": 1}\n{"a": ')
    with pytest.raises(EventStreamError) as raised:
        _select(s3, people, "bad.json", "SELECT * FROM S3Object", {"JSON": {"Type": "LINES"}})
    assert raised.value.response["Error"]["Code"] == "JSONParsingError"
