"""
An operation's output as AWS sends it, per protocol.

- C{json}: the members as one JSON object, no spaces, C{application/x-amz-json-1.0}
  or C{1.1} as the model's C{jsonVersion} says; timestamps in epoch seconds.
- C{rest-json}: header, status and payload bindings; the other members as a
  JSON object; header timestamps RFC 822, body ones epoch seconds.
- C{query}: C{<OpResponse xmlns=...><OpResult>members</OpResult>
  <ResponseMetadata><RequestId>...}, members in the model's order, lists
  as C{<member>} elements unless flattened; timestamps ISO 8601.
- C{rest-xml}: header and status bindings; a payload structure, or the
  other members, as one XML document in the model's order (S3's root names
  from L{ruststack.protocol.dialects}); timestamps ISO 8601 with
  milliseconds, as S3 writes them.

A raw payload (a blob or string member that is the whole body: an S3
object, a Lambda invocation's answer) is handed back as the handler gave it
(bytes, or a file or producer for a streaming one), never read here.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from botocore.model import OperationModel, ServiceModel, Shape

from ruststack.aws import ids
from ruststack.protocol import timestamps
from ruststack.protocol.dialects import Dialect
from ruststack.protocol.model import is_raw_payload, payload_member, wire_name
from ruststack.protocol.request import Response

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def json_dumps(document: object) -> bytes:
    """
    JSON as AWS sends it: no spaces, UTF-8.
    """
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _blob_text(value: bytes | str) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def json_value(shape: Shape, value: Any, protocol: str) -> Any:
    """
    A value of C{shape} as JSON data.
    """
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        return json_members(shape, value, protocol, located=True)
    if kind == "list":
        member = shape.member
        return [None if item is None else json_value(member, item, protocol) for item in value]
    if kind == "map":
        value_shape = shape.value
        return {
            str(key): None if item is None else json_value(value_shape, item, protocol) for key, item in value.items()
        }
    if kind == "blob":
        return _blob_text(value)
    if kind == "timestamp":
        return timestamps.format(value, timestamps.member_format(shape, protocol, None))
    if kind in ("float", "double"):
        return _float(float(value))
    if kind in ("integer", "long"):
        return int(value)
    return value


def json_members(shape: Shape, values: Mapping[str, Any], protocol: str, located: bool = False) -> dict[str, Any]:
    """
    The members of a structure as a JSON object; with C{located} false, those
    bound to headers or the status are left to the caller.
    """
    document: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = values.get(name)
        if value is None or (not located and "location" in member.serialization):
            continue
        document[wire_name(name, member)] = json_value(member, value, protocol)
    return document


def _scalar_text(shape: Shape, value: Any, protocol: str) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        return _blob_text(value)
    if kind == "timestamp":
        text = timestamps.format(
            value, timestamps.member_format(shape, protocol, None), milliseconds=protocol == "rest-xml"
        )
        return str(text)
    if kind in ("float", "double"):
        return str(_float(float(value)))
    if kind in ("integer", "long"):
        return str(int(value))
    return str(value)


def _xml_text(text: str) -> str:
    # A carriage return would reach the reader as a line feed.
    return escape(text).replace("\r", "&#13;")


def _namespace_attribute(shape: Shape) -> str:
    namespace = shape.serialization.get("xmlNamespace")
    if not namespace:
        return ""
    if isinstance(namespace, str):
        return f" xmlns={quoteattr(namespace)}"
    name = "xmlns:" + namespace["prefix"] if namespace.get("prefix") else "xmlns"
    return f" {name}={quoteattr(namespace['uri'])}"


def xml_element(shape: Shape, value: Any, name: str, parts: list[str], protocol: str, attributes: str = "") -> None:
    """
    Append the XML of a value of C{shape} as the element C{name}.
    """
    kind = shape.type_name
    if kind == "structure":
        attributes += _namespace_attribute(shape)
        children: list[str] = []
        for member_name, member in shape.members.items():
            item = value.get(member_name)
            if item is None or "location" in member.serialization:
                continue
            if member.serialization.get("xmlAttribute"):
                attributes += f" {member.serialization['name']}={quoteattr(str(item))}"
                continue
            xml_element(member, item, element_name(member_name, member), children, protocol)
        parts.append(f"<{name}{attributes}>")
        parts.extend(children)
        parts.append(f"</{name}>")
    elif kind == "list":
        member = shape.member
        if shape.serialization.get("flattened"):
            for item in value:
                xml_element(member, item, name, parts, protocol)
            return
        item_name = member.serialization.get("name", "member")
        parts.append(f"<{name}{attributes}>")
        for item in value:
            xml_element(member, item, item_name, parts, protocol)
        parts.append(f"</{name}>")
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        if not flattened:
            parts.append(f"<{name}{attributes}>")
        for key, item in value.items():
            parts.append(f"<{name}>" if flattened else "<entry>")
            xml_element(shape.key, key, key_name, parts, protocol)
            xml_element(shape.value, item, value_name, parts, protocol)
            parts.append(f"</{name}>" if flattened else "</entry>")
        if not flattened:
            parts.append(f"</{name}>")
    else:
        parts.append(f"<{name}{attributes}>{_xml_text(_scalar_text(shape, value, protocol))}</{name}>")


def element_name(name: str, member: Shape) -> str:
    """
    The element a structure member is written as: a flattened list whose
    items are named takes their name (S3's C{Errors} -> C{<Error>}).
    """
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return item_name
    return wire_name(name, member)


def header_value(shape: Shape, value: Any, protocol: str) -> str:
    """
    A value bound to a header, as text.
    """
    kind = shape.type_name
    if kind == "timestamp":
        return str(timestamps.format(value, timestamps.member_format(shape, protocol, "header")))
    if kind == "list":
        return ",".join(_header_list_item(shape.member, item, protocol) for item in value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json_dumps(value)).decode("ascii")
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("float", "double"):
        return str(_float(float(value)))
    if kind == "blob":
        return _blob_text(value)
    return str(value)


def _header_list_item(shape: Shape, value: Any, protocol: str) -> str:
    text = header_value(shape, value, protocol)
    if shape.type_name == "string" and ('"' in text or "," in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def request_id_headers(protocol: str, request_id: str | None = None) -> list[tuple[str, str]]:
    """
    The request id headers of an answer: S3's C{x-amz-request-id} and
    C{x-amz-id-2}, everyone else's C{x-amzn-RequestId}.
    """
    if protocol == "rest-xml":
        return [("x-amz-request-id", request_id or ids.s3_request_id()), ("x-amz-id-2", ids.s3_host_id())]
    return [("x-amzn-RequestId", request_id or ids.request_id())]


def json_content_type(model: ServiceModel) -> str:
    return f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"


def serialize(
    operation: OperationModel,
    output: Mapping[str, Any] | None,
    dialect: Dialect,
    request_id: str | None = None,
) -> Response:
    """
    The answer carrying C{output} (the output shape's members by name; a
    timestamp as an aware or UTC datetime or epoch seconds, a blob as bytes).
    """
    output = output or {}
    protocol = operation.service_model.protocol
    shape = operation.output_shape
    if protocol == "json":
        stream = shape.event_stream_name if shape is not None else None
        if stream:
            # The handler writes the events, its initial-response first.
            headers = [("Content-Type", "application/vnd.amazon.eventstream")]
            return Response(200, headers + request_id_headers(protocol, request_id), output.get(stream, b""))
        document = json_members(shape, output, protocol) if shape is not None else {}
        headers = [("Content-Type", json_content_type(operation.service_model))]
        return Response(200, headers + request_id_headers(protocol, request_id), json_dumps(document))
    if protocol == "query":
        return _serialize_query(operation, output, request_id)
    return _serialize_rest(operation, output, protocol, dialect, request_id)


def _serialize_query(operation: OperationModel, output: Mapping[str, Any], request_id: str | None) -> Response:
    request_id = request_id or ids.request_id()
    name = operation.name
    namespace = operation.metadata.get("xmlNamespace", "")
    parts = [f"<{name}Response xmlns={quoteattr(namespace)}>"]
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
        xml_element(shape, output, wrapper, parts, "query")
    parts.append(f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata></{name}Response>")
    headers = [("x-amzn-RequestId", request_id), ("Content-Type", "text/xml")]
    return Response(200, headers, "".join(parts).encode("utf-8"))


def _serialize_rest(
    operation: OperationModel, output: Mapping[str, Any], protocol: str, dialect: Dialect, request_id: str | None
) -> Response:
    status = int(operation.http.get("responseCode", 200))
    headers = request_id_headers(protocol, request_id)
    shape = operation.output_shape
    if shape is None:
        return Response(status, headers, b"")
    body_members = False
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location is None:
            body_members = True
            continue
        value = output.get(name)
        if value is None:
            continue
        if location == "header":
            headers.append((wire_name(name, member), header_value(member, value, protocol)))
        elif location == "headers":
            prefix = member.serialization.get("name", "")
            headers.extend((prefix + key, str(item)) for key, item in value.items())
        elif location == "statusCode":
            status = int(value)
    payload = payload_member(shape)
    if payload is not None:
        member = shape.members[payload]
        value = output.get(payload)
        if member.serialization.get("eventstream"):
            # The handler writes its events: the body is what it gave.
            return Response(status, headers, b"" if value is None else value)
        if is_raw_payload(shape):
            body = value.encode("utf-8") if isinstance(value, str) else value
            return Response(status, headers, b"" if body is None else body)
        if value is None:
            return Response(status, headers, b"")
        if protocol == "rest-json":
            headers.append(("Content-Type", "application/json"))
            return Response(status, headers, json_dumps(json_value(member, value, protocol)))
        headers.append(("Content-Type", "application/xml"))
        return Response(status, headers, _xml_document(member, value, wire_name(payload, member), dialect))
    if not body_members:
        return Response(status, headers, b"")
    if protocol == "rest-json":
        headers.append(("Content-Type", "application/json"))
        return Response(status, headers, json_dumps(json_members(shape, output, protocol)))
    headers.append(("Content-Type", "application/xml"))
    root = dialect.root_name(operation.name, shape.name)
    return Response(status, headers, _xml_document(shape, output, root, dialect))


def _xml_document(shape: Shape, value: Mapping[str, Any], root: str, dialect: Dialect) -> bytes:
    parts = [_XML_DECLARATION]
    attributes = ""
    if dialect.xml_namespace and not shape.serialization.get("xmlNamespace"):
        attributes = f" xmlns={quoteattr(dialect.xml_namespace)}"
    # S3's GetBucketLocation: the root is the one member, its text the value.
    body = [(name, member) for name, member in shape.members.items() if "location" not in member.serialization]
    if len(body) == 1 and body[0][0] == root and body[0][1].type_name not in ("structure", "list", "map"):
        name, member = body[0]
        item = value.get(name)
        text = "" if item is None else _xml_text(_scalar_text(member, item, "rest-xml"))
        parts.append(f"<{root}{attributes}>{text}</{root}>")
    else:
        xml_element(shape, value, root, parts, "rest-xml", attributes)
    return "".join(parts).encode("utf-8")


def xml_members(shape: Shape, values: Mapping[str, Any], protocol: str, names: Iterable[str] | None = None) -> str:
    """
    The XML of some members of a structure (an error's extra members), in
    the model's order.
    """
    parts: list[str] = []
    wanted = None if names is None else set(names)
    for name, member in shape.members.items():
        value = values.get(name)
        if value is None or (wanted is not None and name not in wanted) or "location" in member.serialization:
            continue
        xml_element(member, value, element_name(name, member), parts, protocol)
    return "".join(parts)
