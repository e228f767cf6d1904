"""
Which S3 operation a request is, with botocore's S3 model as the reference.

Each operation of the model has a method, a scope (the service C{/}, a
bucket C{/{Bucket}}, an object C{/{Bucket}/{Key+}}) and the subresources its
C{requestUri} names (C{/{Bucket}/{Key+}?tagging}). A request names the
subresources among its query parameters; the operations with its method,
scope and exactly those subresources are its candidates, and their required
query members (C{uploadId}), required headers (C{x-amz-copy-source}) and
known query members tell apart those that share a URI (PutObject,
UploadPart, CopyObject, UploadPartCopy). Any other query parameter is
ignored, as S3 ignores it.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping

import attrs

# Model URIs are read by the protocol layer's parse_request_uri, which leaves
# out the code generators' marker (?x-id=GetObject): S3 ignores it.
from ruststack.protocol.model import parse_request_uri


@attrs.frozen
class ModelOperation:
    """
    What the S3 model says of how one operation is addressed.

    @ivar scope: C{"service"}, C{"bucket"} or C{"object"}.
    @ivar literal: for an operation at a fixed path (WriteGetObjectResponse
        at C{/WriteGetObjectResponse}), that path's first segment, which a
        request's bucket must equal.
    @ivar subresources: the value-less query names of its C{requestUri}.
    @ivar pinned: query values its C{requestUri} fixes (C{list-type=2}).
    @ivar required_query: its required querystring members' names.
    @ivar required_headers: its required header members' names, lower case.
    @ivar query_members: all its querystring members' names.
    """

    name: str
    method: str
    scope: str
    literal: str | None
    subresources: frozenset[str]
    pinned: tuple[tuple[str, str], ...]
    required_query: frozenset[str]
    required_headers: frozenset[str]
    query_members: frozenset[str]

    def admits(self, bucket: str | None, query: Mapping[str, str]) -> bool:
        """
        Whether a request to C{bucket} with C{query} may be this operation:
        its pinned values are there, and when it requires query members, at
        least one of them is (a request naming C{uploadId} is a multipart
        operation even if it lacks C{partNumber}: its handler then says so,
        rather than another operation running).
        """
        if self.literal is not None and bucket != self.literal:
            return False
        if any(query.get(name) != value for name, value in self.pinned):
            return False
        return not self.required_query or any(name in query for name in self.required_query)

    def evidence(self, query: Collection[str], headers: Collection[str]) -> tuple[int, int, int, int, int]:
        """
        How much of C{query} and C{headers} speaks for this operation, the
        most specific match winning: pinned values, then required query
        members and headers present, then known query members present, and
        last the fewest required members missing (PutObject over CopyObject
        when no copy source is named).
        """
        query_present = sum(1 for name in self.required_query if name in query)
        headers_present = sum(1 for name in self.required_headers if name in headers)
        missing = len(self.required_query) - query_present + len(self.required_headers) - headers_present
        return (
            len(self.pinned),
            query_present,
            headers_present,
            sum(1 for name in self.query_members if name in query),
            -missing,
        )


def _scope(path: str) -> tuple[str, str | None]:
    if path == "/":
        return "service", None
    if path == "/{Bucket}":
        return "bucket", None
    if path == "/{Bucket}/{Key+}":
        return "object", None
    return "bucket", path.strip("/").split("/", 1)[0]


@functools.cache
def model_operations() -> tuple[ModelOperation, ...]:
    """
    Every operation of botocore's S3 model, in the model's order.
    """
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    found = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        path, subresources, pinned = parse_request_uri(operation.http["requestUri"])
        scope, literal = _scope(path)
        query: set[str] = set()
        required_query: set[str] = set()
        required_headers: set[str] = set()
        shape = operation.input_shape
        if shape is not None:
            for member_name, member in shape.members.items():
                location = member.serialization.get("location")
                wire_name = member.serialization.get("name", member_name)
                if location == "querystring":
                    query.add(wire_name)
                    if member_name in shape.required_members:
                        required_query.add(wire_name)
                elif location == "header" and member_name in shape.required_members:
                    required_headers.add(wire_name.lower())
        found.append(
            ModelOperation(
                name,
                operation.http["method"],
                scope,
                literal,
                subresources,
                pinned,
                frozenset(required_query),
                frozenset(required_headers),
                frozenset(query),
            )
        )
    return tuple(found)


@functools.cache
def subresource_names() -> frozenset[str]:
    """
    The query names that make a request another operation (C{tagging},
    C{uploads}, C{renameObject}...): those of the model's C{requestUri}s.
    """
    return frozenset(name for operation in model_operations() for name in operation.subresources)


@functools.cache
def _by_target() -> dict[tuple[str, str, frozenset[str]], tuple[ModelOperation, ...]]:
    table: dict[tuple[str, str, frozenset[str]], list[ModelOperation]] = {}
    for operation in model_operations():
        table.setdefault((operation.method, operation.scope, operation.subresources), []).append(operation)
    return {target: tuple(operations) for target, operations in table.items()}


def named_subresources(query: Collection[str]) -> frozenset[str]:
    """
    The subresources a request's query parameters name.
    """
    names = subresource_names()
    return frozenset(name for name in query if name in names)


def route(
    method: str, scope: str, bucket: str | None, query: Mapping[str, str], headers: Collection[str]
) -> tuple[ModelOperation, ...]:
    """
    The model operations a request is, best first: several only when the
    model has operations the wire cannot tell apart (GetBucketLifecycle and
    GetBucketLifecycleConfiguration); empty when it is none.
    """
    known = _known()
    # Only what the model names can matter: the answer is cached by that.
    return _route(
        method,
        scope,
        bucket if bucket in known.literals else None,
        frozenset(
            (name, value if name in known.pinned else "") for name, value in query.items() if name in known.query
        ),
        frozenset(name for name in headers if name in known.headers),
    )


@attrs.frozen
class _Known:
    query: frozenset[str]
    pinned: frozenset[str]
    headers: frozenset[str]
    literals: frozenset[str]


@functools.cache
def _known() -> _Known:
    operations = model_operations()
    return _Known(
        frozenset(
            name
            for operation in operations
            for name in operation.subresources | operation.query_members | {pin for pin, _ in operation.pinned}
        ),
        frozenset(pin for operation in operations for pin, _ in operation.pinned),
        frozenset(name for operation in operations for name in operation.required_headers),
        frozenset(operation.literal for operation in operations if operation.literal is not None),
    )


@functools.lru_cache(maxsize=4096)
def _route(
    method: str, scope: str, bucket: str | None, query_items: frozenset[tuple[str, str]], headers: frozenset[str]
) -> tuple[ModelOperation, ...]:
    query = dict(query_items)
    candidates = [
        operation
        for operation in _by_target().get((method, scope, named_subresources(query)), ())
        if operation.admits(bucket, query)
    ]
    if not candidates:
        return ()
    scores = [operation.evidence(query, headers) for operation in candidates]
    best = max(scores)
    return tuple(operation for operation, score in zip(candidates, scores, strict=True) if score == best)


def scopes_of(method: str) -> frozenset[str]:
    """
    The scopes where the model has operations of C{method}.
    """
    return frozenset(operation.scope for operation in model_operations() if operation.method == method)
