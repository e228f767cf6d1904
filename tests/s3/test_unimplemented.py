"""
Every operation of botocore's S3 model that RustStack does not implement
answers 501 NotImplemented and changes nothing: sent raw (method and URI
built from the model) and through boto3, against an existing bucket and
object. Before the model drove routing, C{DELETE /b/k?annotation} deleted
the object, C{DELETE /b?metadataConfiguration} the bucket, and
C{PUT /b/k?renameObject} overwrote the object.
"""

from __future__ import annotations

import datetime
import http.client
import itertools
from urllib.parse import quote, urlencode

import botocore.session
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.s3.operations import HANDLERS

_MODEL = botocore.session.get_session().get_service_model("s3")
_names = itertools.count()
_KEY = "dir/object.txt"
_BODY = b"must survive"


def _query_members(operation) -> dict[str, bool]:
    """
    The operation's querystring members: wire name -> required.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    return {
        member.serialization.get("name", name): name in shape.required_members
        for name, member in shape.members.items()
        if member.serialization.get("location") == "querystring"
    }


def _required_headers(operation) -> list[str]:
    shape = operation.input_shape
    if shape is None:
        return []
    return [
        shape.members[name].serialization["name"]
        for name in shape.required_members
        if shape.members[name].serialization.get("location") == "header"
    ]


def _raw_request(name: str) -> tuple[str, str, str, list[str]] | None:
    """
    (method, URI template, query, required headers) of a model operation:
    its C{requestUri}, its required query members, and the query members
    that tell it from an implemented operation at the same URI (ListDirectoryBuckets'
    C{max-directory-buckets}); C{None} when nothing on the wire does
    (GetBucketLifecycle is GetBucketLifecycleConfiguration's old name, and so on).
    """
    operation = _MODEL.operation_model(name)
    method, uri = operation.http["method"], operation.http["requestUri"]
    path, _, fixed = uri.partition("?")
    shared: set[str] = set()
    twins = [
        _MODEL.operation_model(other)
        for other in HANDLERS
        if _MODEL.operation_model(other).http["method"] == method
        and _MODEL.operation_model(other).http["requestUri"] == uri
    ]
    for twin in twins:
        shared |= set(_query_members(twin))
    members = _query_members(operation)
    wanted = [wire for wire, required in members.items() if required or wire not in shared]
    if (
        twins
        and not (set(wanted) - shared)
        and set(_required_headers(operation)) <= {h for twin in twins for h in _required_headers(twin)}
    ):
        return None
    query = "&".join(filter(None, [fixed, urlencode({wire: "1" for wire in wanted})]))
    return method, path, query, _required_headers(operation)


UNIMPLEMENTED = [name for name in _MODEL.operation_names if name not in HANDLERS]
_ALIASES = [name for name in UNIMPLEMENTED if _raw_request(name) is None]


def test_the_model_is_what_routing_was_derived_from():
    # Every implemented operation is one of the model's, and only true
    # aliases are left out of the tests below.
    assert set(HANDLERS) <= set(_MODEL.operation_names)
    # The deprecated lifecycle and notification operations are requests
    # their successors' handlers answer.
    assert _ALIASES == ["GetBucketLifecycle", "GetBucketNotification", "PutBucketLifecycle", "PutBucketNotification"]
    assert len(HANDLERS) == 102
    assert len(UNIMPLEMENTED) == 116 - 102


@pytest.fixture
def target(s3):
    """
    An empty bucket (for bucket operations: a DeleteBucket would succeed)
    and a bucket holding a tagged object.
    """
    empty = f"unimplemented-{next(_names)}"
    full = f"unimplemented-{next(_names)}"
    s3.create_bucket(Bucket=empty)
    s3.create_bucket(Bucket=full)
    s3.put_object(Bucket=full, Key=_KEY, Body=_BODY, Tagging="t=1")
    return empty, full


def _state(s3, empty: str, full: str) -> dict:
    return {
        "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"] in (empty, full)),
        "empty": s3.list_objects_v2(Bucket=empty).get("KeyCount"),
        "full": [(o["Key"], o["ETag"]) for o in s3.list_objects_v2(Bucket=full)["Contents"]],
        "body": s3.get_object(Bucket=full, Key=_KEY)["Body"].read(),
        "tags": s3.get_object_tagging(Bucket=full, Key=_KEY)["TagSet"],
        "uploads": s3.list_multipart_uploads(Bucket=full).get("Uploads", []),
    }


@pytest.mark.parametrize("name", [n for n in UNIMPLEMENTED if n not in _ALIASES])
def test_raw_request_is_not_implemented_and_changes_nothing(stack, s3, target, name):
    empty, full = target
    made = _raw_request(name)
    assert made is not None
    method, path, query, header_names = made
    bucket = full if "{Key+}" in path else empty
    uri = path.replace("{Bucket}", bucket).replace("{Key+}", quote(_KEY))
    if query:
        uri += "?" + query
    headers = {header: f"/{full}/{quote(_KEY)}" if "source" in header else "x" for header in header_names}
    body = b"<Anything/>" if method in ("PUT", "POST") else None
    before = _state(s3, empty, full)
    connection = http.client.HTTPConnection(stack.endpoint_url.split("//")[1], timeout=10)
    try:
        connection.request(method, uri, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    assert (response.status, method, uri) == (501, method, uri)
    assert b"<Code>NotImplemented</Code>" in answer
    assert _state(s3, empty, full) == before


def _value(shape, name: str, bucket: str):
    kind = shape.type_name
    if kind == "structure" and shape.is_tagged_union:
        member = next(iter(shape.members))
        return {member: _value(shape.members[member], member, bucket)}
    if kind == "structure":
        return {member: _value(shape.members[member], member, bucket) for member in shape.required_members}
    if kind == "list":
        return [_value(shape.member, name, bucket)]
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.datetime.now(datetime.UTC)
    if kind == "blob":
        return b"x"
    if shape.enum:
        return shape.enum[0]
    if name == "Bucket":
        return bucket
    if name == "Key":
        return _KEY
    return "x" * max(shape.metadata.get("min", 1), 1)


@pytest.mark.parametrize("name", [n for n in UNIMPLEMENTED if n not in _ALIASES])
def test_boto3_call_is_not_implemented_and_changes_nothing(stack, s3, target, name):
    empty, full = target
    operation = _MODEL.operation_model(name)
    bucket = full if "{Key+}" in operation.http["requestUri"] else empty
    params = _value(operation.input_shape, name, bucket) if operation.input_shape is not None else {}
    if name == "ListDirectoryBuckets":
        params["MaxDirectoryBuckets"] = 1  # without it, the request is ListBuckets'
    client = stack.client("s3", config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    before = _state(s3, empty, full)
    with pytest.raises(ClientError) as raised:
        getattr(client, xform_name(name))(**params)
    error = raised.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (501, "NotImplemented")
    assert _state(s3, empty, full) == before


def test_unknown_query_parameters_are_ignored(stack, target):
    _, full = target
    connection = http.client.HTTPConnection(stack.endpoint_url.split("//")[1], timeout=10)
    try:
        connection.request("GET", f"/{full}/{quote(_KEY)}?color=blue&x-id=GetObject")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, _BODY)
    finally:
        connection.close()
