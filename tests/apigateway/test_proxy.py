"""
The v1 proxy event and the proxy response mapping, as pure functions.
"""

import base64
import gzip
import json

import attrs
import pytest

from ruststack.apigateway.model import ApiResource, Method
from ruststack.apigateway.proxy import (
    EventContext,
    HttpRequest,
    HttpResponse,
    MalformedProxyResponse,
    build_event,
    compressed,
    media_type_matches,
    parse_response,
)
from ruststack.apigateway.routing import Route

ROUTE = Route(ApiResource(id="abc123", path="/notes/{id}"), Method("GET"), {"id": "a b"})


def context(binary=()):
    return EventContext(
        account="123456789012",
        api_id="a1b2c3d4e5",
        stage="dev",
        stage_variables={"table": "notes"},
        binary_media_types=list(binary),
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        extended_request_id="LhBfcEz5IAMEVjg=",
        received_at=1764019392.5,
    )


def request(body=b"", headers=(), query="", method="GET"):
    return HttpRequest(
        method=method,
        raw_path="/notes/a%20b",
        query=query,
        headers=[("Host", "a1b2c3d4e5.execute-api.localhost:4566"), *headers],
        body=body,
        source_ip="127.0.0.1",
        protocol="HTTP/1.1",
        domain_name="a1b2c3d4e5.execute-api.localhost",
    )


def test_event_has_every_v1_field():
    event = build_event(
        request(headers=[("User-Agent", "curl/8"), ("Accept", "a"), ("Accept", "b")], query="x=1&x=2&y=caf%C3%A9&z"),
        ROUTE,
        context(),
    )
    assert event["resource"] == "/notes/{id}"
    assert event["path"] == "/notes/a%20b"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["Accept"] == "b"
    assert event["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert event["queryStringParameters"] == {"x": "2", "y": "café", "z": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["café"], "z": [""]}
    assert event["pathParameters"] == {"id": "a b"}
    assert event["stageVariables"] == {"table": "notes"}
    assert event["body"] is None and event["isBase64Encoded"] is False
    rc = event["requestContext"]
    assert rc["accountId"] == "123456789012"
    assert rc["apiId"] == "a1b2c3d4e5"
    assert rc["resourceId"] == "abc123"
    assert rc["resourcePath"] == "/notes/{id}"
    assert rc["stage"] == "dev"
    assert rc["path"] == "/dev/notes/a%20b"
    assert rc["requestId"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert rc["extendedRequestId"] == "LhBfcEz5IAMEVjg="
    assert rc["requestTime"] == "24/Nov/2025:21:23:12 +0000"
    assert rc["requestTimeEpoch"] == 1764019392500
    assert rc["httpMethod"] == "GET"
    assert rc["protocol"] == "HTTP/1.1"
    assert rc["domainName"] == "a1b2c3d4e5.execute-api.localhost"
    assert rc["domainPrefix"] == "a1b2c3d4e5"
    assert rc["identity"]["sourceIp"] == "127.0.0.1"
    assert rc["identity"]["userAgent"] == "curl/8"
    json.dumps(event)


def test_empty_collections_are_null():
    event = build_event(request(), Route(ROUTE.resource, ROUTE.method, {}), attrs.evolve(context(), stage_variables={}))
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None


def test_text_body_stays_text_binary_media_types_make_it_base64():
    text = build_event(request(b'{"a": 1}', [("Content-Type", "application/json")]), ROUTE, context(["image/*"]))
    assert text["body"] == '{"a": 1}' and text["isBase64Encoded"] is False
    binary = build_event(request(b"\x89PNG\x00", [("Content-Type", "image/png")]), ROUTE, context(["image/*"]))
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG\x00"


def test_media_type_wildcards():
    assert media_type_matches("image/png; q=1", ["image/*"])
    assert media_type_matches("application/json", ["*/*"])
    assert not media_type_matches("application/json", ["image/*", "application/octet-stream"])


def test_response_numeric_string_status_and_multi_value_headers():
    response = parse_response(
        json.dumps(
            {
                "statusCode": "201",
                "headers": {"Content-Type": "text/plain", "Set-Cookie": "ignored=1", "X-Count": 3},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": "héllo",
            }
        ).encode(),
        decode_binary=False,
    )
    assert response.status == 201
    assert [v for n, v in response.headers if n == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("Content-Type", "text/plain") in response.headers
    assert ("X-Count", "3") in response.headers
    assert response.body == "héllo".encode()


def test_base64_body_is_decoded_only_when_binary_is_accepted():
    payload = json.dumps({"statusCode": 200, "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True})
    assert parse_response(payload.encode(), decode_binary=True).body == b"\x00\xff"
    assert parse_response(payload.encode(), decode_binary=False).body == base64.b64encode(b"\x00\xff")


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1]",
        b'{"body": "no status"}',
        b'{"statusCode": true}',
        b'{"statusCode": "abc"}',
        b'{"statusCode": 200, "body": {"an": "object"}}',
        b'{"statusCode": 200, "headers": {"a": ["list"]}}',
        b'{"statusCode": 200, "multiValueHeaders": {"a": "not a list"}}',
    ],
)
def test_malformed_responses(payload):
    with pytest.raises(MalformedProxyResponse):
        parse_response(payload, decode_binary=False)


def test_semicolons_split_the_query_string():
    event = build_event(request(query="a=1;b=2"), ROUTE, context())
    assert event["queryStringParameters"] == {"a": "1", "b": "2"}


def test_integral_float_status_is_taken():
    assert parse_response(b'{"statusCode": 204.0}', decode_binary=False).status == 204


def test_compression_follows_minimum_size_and_accept_encoding():
    big = HttpResponse(200, [("Content-Type", "text/plain")], b"x" * 200)
    done = compressed(big, "br, gzip;q=0.8", 100)
    assert ("Content-Encoding", "gzip") in done.headers and gzip.decompress(done.body) == big.body
    assert compressed(big, "gzip", None) is big  # compression not enabled
    assert compressed(big, "br", 100) is big  # gzip not accepted
    assert compressed(big, "gzip", 1000) is big  # too small
    encoded = HttpResponse(200, [("Content-Encoding", "br")], b"x" * 200)
    assert compressed(encoded, "gzip", 100) is encoded  # the function encoded it itself
