"""
S3's bucket configuration documents (CORS, lifecycle, website...) read and
written by botocore's S3 model: each Put operation's payload shape says what
the document may hold, so a configuration is read into the model's values,
checked against the shape (required members, enums), and kept as the XML
the shape writes back -- what the matching Get returns, byte for byte.
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.model import Shape, StructureShape

from ruststack.protocol.parse import Malformed, xml_root, xml_structure
from ruststack.protocol.serialize import xml_element
from ruststack.s3 import wire

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@functools.cache
def payload_shape(operation: str) -> StructureShape:
    """
    The shape of the XML document a Put operation of the S3 model carries.
    """
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    shape = model.operation_model(operation).input_shape
    return shape.members[shape.serialization["payload"]]


def root_name(shape: StructureShape) -> str:
    return shape.serialization.get("name", shape.name)


def read(operation: str, body: bytes) -> dict[str, Any]:
    """
    The values of the document C{body} carries for C{operation}: MalformedXML
    when it is not XML, has another root, misses a required member or has a
    value its shape does not allow.
    """
    shape = payload_shape(operation)
    if not body.strip():
        raise wire.malformed()
    try:
        values = xml_structure(shape, xml_root(body, root_name(shape)))
    except Malformed:
        raise wire.malformed() from None
    check(shape, values)
    return values


def check(shape: Shape, value: Any) -> None:
    """
    MalformedXML unless C{value} has every required member of C{shape} and
    only the enum values it allows, all the way down.
    """
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        for name in shape.required_members:
            if value.get(name) is None:
                raise wire.malformed()
        for name, item in value.items():
            check(shape.members[name], item)
    elif kind == "list":
        for item in value:
            check(shape.member, item)
    elif getattr(shape, "enum", None) and value not in shape.enum:
        raise wire.malformed()


def write(operation: str, values: dict[str, Any]) -> str:
    """
    The document of C{values}, as the shape of C{operation}'s payload writes it.
    """
    shape = payload_shape(operation)
    parts = [_DECLARATION]
    xml_element(shape, values, root_name(shape), parts, "rest-xml")
    return "".join(parts)


@functools.lru_cache(maxsize=256)
def values_of(operation: str, document: str) -> dict[str, Any]:
    """
    The values of a kept document (cached: CORS reads its rules on every
    request from a browser). Do not mutate the answer.
    """
    shape = payload_shape(operation)
    return xml_structure(shape, xml_root(document.encode("utf-8"), root_name(shape)))
