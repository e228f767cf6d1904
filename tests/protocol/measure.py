"""
What the layer costs per request, in microseconds: finding the operation,
parsing and validating its input, serializing its output (and the whole
L{Protocol.handle} exchange around a handler that does nothing), for small
S3, JSON, REST-JSON and query operations.

    python -m tests.protocol.measure
"""

from __future__ import annotations

import timeit
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from ruststack.protocol import Protocol, ProtocolRequest

TAGGING = (
    b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>'
    b"<Tag><Key>project</Key><Value>notes</Value></Tag><Tag><Key>stage</Key><Value>dev</Value></Tag>"
    b"</TagSet></Tagging>"
)

CASES = {
    "s3 PutObjectTagging": (
        "s3",
        ProtocolRequest.from_target(
            "PUT", "/bucket/notes/1.json?tagging", {"Content-Type": "application/xml"}, TAGGING
        ),
        {"VersionId": "null"},
    ),
    "s3 GetObjectTagging": (
        "s3",
        ProtocolRequest.from_target("GET", "/bucket/notes/1.json?tagging"),
        {"TagSet": [{"Key": "project", "Value": "notes"}, {"Key": "stage", "Value": "dev"}]},
    ),
    "ssm GetParameter (json)": (
        "ssm",
        ProtocolRequest(
            "POST",
            "/",
            "",
            {"X-Amz-Target": "AmazonSSM.GetParameter", "Content-Type": "application/x-amz-json-1.1"},
            b'{"Name":"/app/db-url","WithDecryption":true}',
        ),
        {
            "Parameter": {
                "Name": "/app/db-url",
                "Type": "SecureString",
                "Value": "postgres://db",
                "Version": 3,
                "LastModifiedDate": datetime(2026, 1, 2, tzinfo=UTC),
                "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db-url",
                "DataType": "text",
            }
        },
    ),
    "lambda GetFunctionConfiguration (rest-json)": (
        "lambda",
        ProtocolRequest.from_target("GET", "/2015-03-31/functions/notes/configuration"),
        {"FunctionName": "notes", "Runtime": "python3.12", "MemorySize": 128, "Timeout": 3, "Handler": "app.handler"},
    ),
    "sts GetCallerIdentity (query)": (
        "sts",
        ProtocolRequest("POST", "/", "", {}, b"Action=GetCallerIdentity&Version=2011-06-15"),
        {"UserId": "AIDA", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/bob"},
    ),
}


def microseconds(function: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1e6


def measure(service: str, request: ProtocolRequest, output: Any, number: int) -> list[float]:
    """
    Microseconds per lookup, parse, validate, serialize and whole exchange.
    """
    protocol = Protocol.for_service(service)
    match = protocol.match(request)
    operation = match.operation
    params = protocol.parse(match, request)
    protocol.validate(operation, params)
    handlers = {operation.name: lambda context, params: output}
    return [
        microseconds(lambda: protocol.match(request), number),
        microseconds(lambda: protocol.parse(match, request), number),
        microseconds(lambda: protocol.validate(operation, params), number),
        microseconds(lambda: protocol.serialize(operation, output, "rid"), number),
        microseconds(lambda: run(protocol.handle(request, handlers, None, "rid")), number),
    ]


def run(coroutine: Coroutine) -> object:
    """
    A coroutine that never waits, run to its end (no event loop's cost).
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the handler waited")


def main(number: int = 2000) -> None:
    print(f"{'operation':46}{'lookup':>9}{'parse':>9}{'validate':>9}{'serialize':>10}{'handle':>9}  (us)")
    for label, (service, request, output) in CASES.items():
        lookup, parse, validate, serialize, handle = measure(service, request, output, number)
        print(f"{label:46}{lookup:>9.1f}{parse:>9.1f}{validate:>9.1f}{serialize:>10.1f}{handle:>9.1f}")


if __name__ == "__main__":
    main()
