"""
Which operation of a service's model a request is.

- C{json}: C{X-Amz-Target: <targetPrefix>.<Operation>}.
- C{query}: C{Action} (and C{Version}, which must be the model's) in the
  form body or the query string.
- C{rest-json}, C{rest-xml}: the model's HTTP bindings. Each operation's
  C{requestUri} is a path template (C{{Label}} one segment, C{{Key+}} greedy)
  and static query parts: a bare name (C{?tagging}, a subresource) must be
  there, a pinned value (C{?list-type=2}) must be equal. A request that names a
  subresource is only an operation that names it. Operations the wire cannot
  otherwise tell apart (S3's PutObject, UploadPart, CopyObject and
  UploadPartCopy share C{PUT /{Bucket}/{Key+}}) are told apart by their
  required query members and headers, as S3 does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping, Sequence

import attrs
from botocore.model import OperationModel, ServiceModel

from ruststack.aws.errors import AwsError
from ruststack.protocol import errors
from ruststack.protocol.model import parse_request_uri
from ruststack.protocol.request import ProtocolRequest, query_pairs

_LABEL = re.compile(r"\{([^}]+)\}")


@attrs.frozen
class Route:
    """
    How one REST operation is addressed.

    @ivar template: the path part of its C{requestUri}.
    @ivar regex: the template as a pattern over the raw (percent-encoded) path.
    @ivar labels: the label names in the order of the pattern's groups.
    @ivar subresources: the bare names of its static query.
    @ivar pinned: the (name, value) pairs its static query fixes.
    @ivar literal: how many literal characters the template has (the more,
        the more specific: S3's C{/WriteGetObjectResponse} over C{/{Bucket}}).
    """

    name: str
    method: str
    template: str
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    subresources: frozenset[str]
    pinned: tuple[tuple[str, str], ...]
    literal: int
    greedy: int
    required_query: frozenset[str]
    required_headers: frozenset[str]
    query_members: frozenset[str]
    shared: bool = False
    prefix: str = ""

    def labels_of(self, match: re.Match[str]) -> dict[str, str]:
        return {label: match.group(index) for index, label in enumerate(self.labels, 1)}

    def admits(self, query: Mapping[str, str], subresources: frozenset[str]) -> bool:
        if self.subresources != subresources:
            return False
        if any(query.get(name) != value for name, value in self.pinned):
            return False
        # Where several operations share a URI, one that requires query
        # members is only meant when one of them is there (S3's ListParts
        # is GetObject's URI with uploadId).
        return not (self.shared and self.required_query) or any(name in query for name in self.required_query)

    def score(self, query: Collection[str], headers: Collection[str]) -> tuple[int, ...]:
        query_present = sum(1 for name in self.required_query if name in query)
        headers_present = sum(1 for name in self.required_headers if name in headers)
        missing = len(self.required_query) - query_present + len(self.required_headers) - headers_present
        return (
            len(self.pinned),
            self.literal,
            -self.greedy,
            query_present,
            headers_present,
            sum(1 for name in self.query_members if name in query),
            -missing,
        )


def _path_regex(template: str) -> tuple[re.Pattern[str], tuple[str, ...], int, int]:
    parts: list[str] = []
    labels: list[str] = []
    literal = greedy = 0
    position = 0
    for match in _LABEL.finditer(template):
        text = template[position : match.start()]
        parts.append(re.escape(text))
        literal += len(text)
        label = match.group(1)
        if label.endswith("+"):
            parts.append("(.+)")
            labels.append(label[:-1])
            greedy += 1
        else:
            parts.append("([^/]+)")
            labels.append(label)
        position = match.end()
    tail = template[position:]
    literal += len(tail)
    # A trailing slash is optional either way: S3's /bucket/ is the bucket.
    tail = tail.rstrip("/")
    parts.append(re.escape(tail) + "/?")
    return re.compile("".join(parts)), tuple(labels), literal, greedy


def _route(operation: OperationModel) -> Route:
    template, subresources, pinned = parse_request_uri(operation.http["requestUri"])
    regex, labels, literal, greedy = _path_regex(template)
    query: set[str] = set()
    required_query: set[str] = set()
    required_headers: set[str] = set()
    shape = operation.input_shape
    if shape is not None:
        required = set(shape.required_members)
        for member_name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", member_name)
            if location == "querystring":
                query.add(wire)
                if member_name in required:
                    required_query.add(wire)
            elif location == "header" and member_name in required:
                required_headers.add(wire.lower())
    # The literal text every matching path starts with (a cheap test first).
    prefix = template.split("{", 1)[0] if "{" in template else template.rstrip("/")
    return Route(
        operation.name,
        operation.http["method"],
        template,
        regex,
        labels,
        subresources,
        pinned,
        literal,
        greedy,
        frozenset(required_query),
        frozenset(required_headers),
        frozenset(query),
        prefix=prefix,
    )


@attrs.frozen
class Match:
    """
    A request's operation: its model and what finding it read: for REST, the
    raw URI labels; for query, the request's parameters.
    """

    operation: OperationModel
    labels: Mapping[str, str] = attrs.field(factory=dict)
    params: Mapping[str, str] | None = None


class OperationIndex:
    """
    A service model's operations, indexed for finding a request's.
    """

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.protocol = model.protocol
        self._by_name = {name: model.operation_model(name) for name in model.operation_names}
        self._routes: dict[str, list[Route]] = {}
        self._by_target: dict[tuple[str, frozenset[str]], list[tuple[int, Route]]] = {}
        self._subresources: frozenset[str] = frozenset()
        if self.protocol in ("rest-json", "rest-xml"):
            self._index_routes()

    def _index_routes(self) -> None:
        routes = [_route(operation) for operation in self._by_name.values()]
        groups: dict[tuple, int] = {}
        for route in routes:
            key = (route.method, route.template, route.subresources, route.pinned)
            groups[key] = groups.get(key, 0) + 1
        for route in routes:
            shared = groups[(route.method, route.template, route.subresources, route.pinned)] > 1
            self._routes.setdefault(route.method, []).append(attrs.evolve(route, shared=shared))
        # By method and subresources: a request names its subresources, so
        # only the routes that name the same ones need their pattern tried.
        for method, method_routes in self._routes.items():
            for order, route in enumerate(method_routes):
                self._by_target.setdefault((method, route.subresources), []).append((order, route))
        self._subresources = frozenset(name for route in routes for name in route.subresources)

    def by_name(self, name: str) -> OperationModel | None:
        return self._by_name.get(name)

    def shares_uri(self, name: str) -> bool:
        """
        Whether another REST operation has the same method and URI (so that
        its required query members and headers tell them apart).
        """
        return any(route.shared for routes in self._routes.values() for route in routes if route.name == name)

    def find(self, request: ProtocolRequest) -> Sequence[Match]:
        """
        The operations C{request} may be, best first (several only where the
        model has operations the wire cannot tell apart, as S3's
        GetBucketLifecycle and GetBucketLifecycleConfiguration); an
        L{AwsError} in the service's protocol when it is none.
        """
        if self.protocol == "json":
            return (Match(self._json(request)),)
        if self.protocol == "query":
            params = query_params(request)
            return (Match(self._query(params), params=params),)
        return self._rest(request)

    def _json(self, request: ProtocolRequest) -> OperationModel:
        target = request.header("x-amz-target") or ""
        prefix, _, name = target.rpartition(".")
        operation = self._by_name.get(name)
        if operation is None or prefix != self.model.metadata.get("targetPrefix"):
            raise errors.unknown_operation(self.model, request)
        return operation

    def _query(self, params: Mapping[str, str]) -> OperationModel:
        action = params.get("Action")
        if not action:
            raise errors.missing_action(self.model)
        version = params.get("Version")
        operation = self._by_name.get(action)
        # Coral finds an operation by action and version together.
        if operation is None or (version is not None and version != self.model.api_version):
            raise errors.invalid_action(self.model, action, version)
        return operation

    def _rest(self, request: ProtocolRequest) -> Sequence[Match]:
        try:
            pairs = query_pairs(request.query)
        except UnicodeDecodeError:
            raise errors.malformed_uri(self.model) from None
        query: dict[str, str] = {}
        for name, value in pairs:
            query.setdefault(name, value)
        named = frozenset(name for name in query if name in self._subresources)
        candidates: list[tuple[tuple[int, ...], int, Route, re.Match[str]]] = []
        path = request.path
        for order, route in self._by_target.get((request.method, named), ()):
            if not path.startswith(route.prefix):
                continue
            found = route.regex.fullmatch(path)
            if found is not None and route.admits(query, named):
                candidates.append((route.score(query, request.headers), -order, route, found))
        if not candidates:
            raise self._no_route(request, named)
        candidates.sort(key=lambda candidate: candidate[:2], reverse=True)
        best = candidates[0][0]
        return tuple(
            Match(self._by_name[route.name], route.labels_of(found))
            for score, _, route, found in candidates
            if score == best
        )

    def _no_route(self, request: ProtocolRequest, named: frozenset[str]) -> AwsError:
        elsewhere = [
            route
            for method, routes in self._routes.items()
            if method != request.method
            for route in routes
            if route.regex.fullmatch(request.path)
        ]
        return errors.no_route(self.model, request, bool(named), elsewhere[0].template if elsewhere else None)


def query_params(request: ProtocolRequest) -> dict[str, str]:
    """
    A query protocol request's parameters: the query string's, then the
    form body's (a POST's), the first of each name; an L{AwsError} if they
    are not UTF-8.
    """
    params: dict[str, str] = {}
    try:
        sources = [query_pairs(request.query)]
        if request.method == "POST":
            sources.append(query_pairs(request.body_bytes().decode("utf-8")))
    except UnicodeDecodeError:
        raise AwsError("MalformedQueryString", "The query string contains a syntax error.", 404) from None
    for pairs in sources:
        for name, value in pairs:
            params.setdefault(name, value)
    return params


@functools.lru_cache(maxsize=32)
def index_for(model: ServiceModel) -> OperationIndex:
    """
    The index of a service model (built once per model).
    """
    return OperationIndex(model)
