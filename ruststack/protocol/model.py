"""
botocore's service models, the specification the protocol layer reads: loaded
once per process (they are read-only) and asked the few questions every
protocol asks of a shape.
"""

from __future__ import annotations

import functools

from botocore.loaders import Loader, create_loader
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

# The services RustStack speaks, or will: the protocol tests cover each.
SERVICES = (
    "s3",
    "lambda",
    "apigateway",
    "dynamodb",
    "sts",
    "iam",
    "logs",
    "ssm",
    "cloudformation",
    "apigatewayv2",
    "events",
    "ecr",
)
PROTOCOLS = ("rest-xml", "rest-json", "json", "query")


@functools.cache
def _loader() -> Loader:
    return create_loader()


# Bounded: a name comes from a request's credential scope, and botocore knows
# hundreds of services; the ones in use stay loaded.
@functools.lru_cache(maxsize=32)
def service_model(name: str) -> ServiceModel:
    """
    botocore's model of the service C{name} (its endpoint prefix, as
    C{boto3.client(name)} takes it); L{botocore.exceptions.UnknownServiceError}
    if botocore has none.
    """
    return ServiceModel(_loader().load_service_model(name, "service-2"), service_name=name)


def wire_name(name: str, shape: Shape) -> str:
    """
    The name a member travels under: its C{locationName}, else its own.
    """
    return shape.serialization.get("name", name)


def payload_member(shape: StructureShape) -> str | None:
    """
    The member an input or output shape names as the whole body, if any.
    """
    return shape.serialization.get("payload")


def is_raw_payload(shape: StructureShape) -> bool:
    """
    Whether the body is one blob or string member's bytes, as they are (an
    S3 object, a bucket policy, a Lambda invocation's payload), rather than a
    document of members.
    """
    payload = payload_member(shape)
    return payload is not None and shape.members[payload].type_name in ("blob", "string")


def is_streaming(operation_shape: StructureShape | None) -> bool:
    """
    Whether the payload is a stream the layer hands through without reading:
    a C{streaming} blob or an event stream.
    """
    if operation_shape is None:
        return False
    payload = payload_member(operation_shape)
    if payload is None:
        return False
    member = operation_shape.members[payload]
    return bool(member.serialization.get("streaming") or member.serialization.get("eventstream"))


def error_status(shape: Shape) -> int:
    """
    The HTTP status of a modeled error: the model's C{httpStatusCode}, else
    400 for a client's fault and 500 for the service's (the json services'
    models leave it out: AWS sends those).
    """
    status = shape.metadata.get("error", {}).get("httpStatusCode")
    if status is not None:
        return int(status)
    # botocore keeps C{fault} only in the raw shape, not in C{metadata}.
    return 500 if shape._shape_model.get("fault") else 400


def error_code(shape: Shape) -> str:
    """
    The code a modeled error travels under: the model's C{error.code}
    (IAM's C{NoSuchEntityException} is C{NoSuchEntity}), else its name.
    """
    return shape.metadata.get("error", {}).get("code", shape.name)


# A marker some models append for code generators (S3's C{?x-id=GetObject}).
QUERY_MARKER = "x-id"


def parse_request_uri(uri: str) -> tuple[str, frozenset[str], tuple[tuple[str, str], ...]]:
    """
    A model C{requestUri} as (path template, subresources, pinned values):
    C{/{Bucket}?list-type=2} -> C{("/{Bucket}", frozenset(), (("list-type", "2"),))}.
    The code generators' marker (C{x-id}) is left out: AWS ignores it.
    """
    path, _, query = uri.partition("?")
    subresources: set[str] = set()
    pinned: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            subresources.add(name)
        elif name != QUERY_MARKER:
            pinned.append((name, value))
    return path, frozenset(subresources), tuple(pinned)


def static_query_names(operation: OperationModel) -> frozenset[str]:
    """
    The query names an operation's C{requestUri} fixes (C{tagging},
    C{list-type}, C{x-id}): no member's.
    """
    _, subresources, pinned = parse_request_uri(operation.http.get("requestUri", "/"))
    return subresources | {name for name, _ in pinned} | {QUERY_MARKER}


__all__ = [
    "OperationModel",
    "SERVICES",
    "PROTOCOLS",
    "ServiceModel",
    "Shape",
    "error_code",
    "error_status",
    "is_raw_payload",
    "is_streaming",
    "parse_request_uri",
    "payload_member",
    "service_model",
    "static_query_names",
    "wire_name",
]
