"""
A request as its operation's input: the dict botocore's serializer was
given, read back from the wire the way AWS reads it.

- C{json}: the body's JSON object; blobs base64, timestamps epoch seconds.
- C{rest-json} and C{rest-xml}: URI labels, query parameters (a list is the
  name repeated; a map takes the parameters no other member names), headers
  (a prefix map such as S3's C{x-amz-meta-} by lower-case suffix), and the
  body: a raw payload member (an S3 object: handed through as a file, never
  read; a bucket policy: its text), a payload structure, or the other
  members, as JSON or XML.
- C{query}: C{Name.Sub}, C{List.member.N} (or C{List.N} flattened),
  C{Map.entry.N.key}/C{.value} from the form body and query string.

Values are typed as the shape says: strings, ints, floats, bools, aware UTC
datetimes, bytes for blobs. A value that is not what its shape says raises
L{Malformed}, which the protocol turns into its own error. Members absent
from the wire are absent from the dict; unknown ones are ignored, as AWS
ignores them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element

from botocore.model import OperationModel, Shape, StructureShape
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ruststack.protocol import timestamps
from ruststack.protocol.model import is_raw_payload, is_streaming, payload_member, static_query_names, wire_name
from ruststack.protocol.request import ProtocolRequest, decode_label, query_pairs


class Malformed(ValueError):
    """
    A request the protocol cannot read: bad JSON or XML, a value of the
    wrong type.

    @ivar path: the member path (C{tags.1.member.key}) where it happened, if
        known.
    @ivar argument: for a header, query parameter or URI label, its name on
        the wire (S3 names it in C{InvalidArgument}).
    @ivar value: the text that could not be read, with C{argument}.
    @ivar kind: the type the value should have had.
    """

    def __init__(self, message: str, path: str = "", argument: str = "", value: str = "", kind: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.argument = argument
        self.value = value
        self.kind = kind


_SCALAR_NAMES = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "float": "Float",
    "double": "Double",
    "boolean": "Boolean",
    "timestamp": "Date",
    "blob": "ByteBuffer",
}
_JSON_TOKENS = {str: "STRING_VALUE", int: "NUMBER_VALUE", float: "NUMBER_VALUE", bool: "BOOLEAN_VALUE"}
_BOOLEANS = {"true": True, "false": False}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# -- scalars from text (headers, query strings, URI labels, XML, query protocol)


def scalar_from_text(
    shape: Shape, text: str, protocol: str, location: str | None, path: str, argument: str = ""
) -> Any:
    """
    A scalar of C{shape} from its text on the wire (C{argument}: the name
    of the header, query parameter or label it came in).
    """
    kind = shape.type_name
    try:
        if kind == "string":
            if location == "header" and shape.serialization.get("jsonvalue"):
                return json.loads(base64.b64decode(text, validate=True))
            return text
        if kind in ("integer", "long"):
            return _integer(text)
        if kind == "boolean":
            return _BOOLEANS[text]
        if kind in ("float", "double"):
            return float(text)
        if kind == "timestamp":
            return timestamps.parse(text, timestamps.member_format(shape, protocol, location))
        if kind == "blob":
            return base64.b64decode(text, validate=True)
    except (ValueError, KeyError, binascii.Error, TypeError):
        raise Malformed(
            f"Value '{text}' at '{path}' is not a valid {_SCALAR_NAMES.get(kind, kind)}", path, argument, text, kind
        ) from None
    raise Malformed(f"A {kind} cannot be read from text", path)


def _integer(text: str) -> int:
    stripped = text.strip()
    # int() would take '1_000' and 4,000 digits of work.
    if not stripped or len(stripped) > 20 or not stripped.lstrip("+-").isdigit():
        raise ValueError(text)
    return int(stripped)


# -- JSON bodies (json, rest-json)


def json_body(body: bytes) -> Any:
    """
    A JSON body; L{Malformed} if it is not JSON.
    """
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise Malformed("The request body is not valid JSON.") from None


def json_value(shape: Shape, value: Any, protocol: str, path: str) -> Any:
    """
    A value of C{shape} from JSON data.
    """
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, dict):
            raise _json_mismatch(value, "structure", path)
        return json_members(shape, value, protocol, path)
    if kind == "list":
        if not isinstance(value, list):
            raise _json_mismatch(value, "list", path)
        member = shape.member
        return [
            None if item is None else json_value(member, item, protocol, f"{path}.{index}.member")
            for index, item in enumerate(value, 1)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            raise _json_mismatch(value, "map", path)
        value_shape = shape.value
        return {
            key: None if item is None else json_value(value_shape, item, protocol, f"{path}.{key}.member")
            for key, item in value.items()
        }
    if kind == "string":
        if isinstance(value, str):
            return value
    elif kind in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        # Coral takes 5.0 for 5 (Jackson truncates); a fraction is not one.
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif kind in ("float", "double"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if value in ("NaN", "Infinity", "-Infinity"):
            return float(value)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind == "blob":
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise Malformed(f"Base64 encoded value at '{path}' is not valid.", path) from None
    elif kind == "timestamp":
        timestamp_format = timestamps.member_format(shape, protocol, None)
        if isinstance(value, str) and timestamp_format != timestamps.EPOCH:
            return scalar_from_text(shape, value, protocol, None, path)
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return timestamps.from_epoch(value)
            except ValueError:
                raise Malformed(f"Timestamp at '{path}' is out of range.", path) from None
    raise _json_mismatch(value, kind, path)


def json_members(shape: StructureShape, document: Mapping[str, Any], protocol: str, path: str = "") -> dict[str, Any]:
    """
    The members of C{shape} a JSON object holds (those without an HTTP
    binding: a rest-json body never carries a header's member).
    """
    found: dict[str, Any] = {}
    for name, member in shape.members.items():
        if "location" in member.serialization:
            continue
        value = document.get(wire_name(name, member))
        if value is not None:
            found[name] = json_value(member, value, protocol, _join(path, _coral_name(name)))
    return found


def _coral_name(name: str) -> str:
    return name[:1].lower() + name[1:]


def _json_mismatch(value: Any, kind: str, path: str) -> Malformed:
    # Coral's words (com.amazon.coral.service#SerializationException).
    if isinstance(value, dict):
        return Malformed("Start of structure or map found where not expected.", path)
    if isinstance(value, list):
        return Malformed("Start of list found where not expected", path)
    token = _JSON_TOKENS.get(type(value), "NULL_VALUE")
    target = {"structure": "Structure", "list": "List", "map": "Map"}.get(kind) or _SCALAR_NAMES.get(kind, kind)
    article = "an" if target[:1] in "AEIOU" else "a"
    return Malformed(f"{token} can not be converted to {article} {target}", path)


# -- XML bodies (rest-xml)


def xml_root(body: bytes, expected: str) -> Element:
    """
    The root of an XML body, which must be C{expected}; L{Malformed} if the
    body is not XML (entities and external references refused: the body is
    untrusted) or has another root.
    """
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise Malformed("The XML you provided was not well-formed") from None
    if _local(root.tag) != expected:
        raise Malformed(f"The root element is not {expected}")
    return root


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _children(node: Element) -> dict[str, list[Element]]:
    children: dict[str, list[Element]] = {}
    for child in node:
        children.setdefault(_local(child.tag), []).append(child)
    return children


def _item_name(name: str, member: Shape) -> str:
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return item_name
    return wire_name(name, member)


def xml_structure(shape: StructureShape, node: Element, path: str = "") -> dict[str, Any]:
    """
    The members of C{shape} an element holds (those without an HTTP binding).
    """
    children = _children(node)
    found: dict[str, Any] = {}
    for name, member in shape.members.items():
        serialization = member.serialization
        if "location" in serialization:
            continue
        member_path = _join(path, name)
        if serialization.get("xmlAttribute"):
            value = _attribute(node, serialization["name"])
            if value is not None:
                found[name] = value
            continue
        elements = children.get(_item_name(name, member))
        if not elements:
            continue
        if serialization.get("flattened") and member.type_name in ("list", "map"):
            found[name] = _xml_flattened(member, elements, member_path)
        else:
            found[name] = xml_value(member, elements[0], member_path)
    return found


def _attribute(node: Element, qualified: str) -> str | None:
    local = qualified.rpartition(":")[2]
    for key, value in node.attrib.items():
        if _local(key) == local:
            return value
    return None


def _xml_flattened(shape: Shape, elements: list[Element], path: str) -> Any:
    if shape.type_name == "list":
        return [xml_value(shape.member, element, f"{path}.{index}") for index, element in enumerate(elements, 1)]
    return dict(_xml_entry(shape, element, path) for element in elements)


def _xml_entry(shape: Shape, entry: Element, path: str) -> tuple[Any, Any]:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    parts = _children(entry)
    if key_name not in parts:
        raise Malformed("A map entry has no key", path)
    key = xml_value(shape.key, parts[key_name][0], path)
    value = xml_value(shape.value, parts[value_name][0], f"{path}.{key}") if value_name in parts else None
    return key, value


def xml_value(shape: Shape, node: Element, path: str) -> Any:
    """
    A value of C{shape} from its element.
    """
    kind = shape.type_name
    if kind == "structure":
        return xml_structure(shape, node, path)
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        items = [child for child in node if _local(child.tag) == item_name]
        return [xml_value(shape.member, item, f"{path}.{index}") for index, item in enumerate(items, 1)]
    if kind == "map":
        return dict(_xml_entry(shape, entry, path) for entry in node if _local(entry.tag) == "entry")
    return scalar_from_text(shape, node.text or "", "rest-xml", None, path)


# -- query protocol parameters

_VALUE = ""  # the key of a node's own value in the parameter tree


def query_tree(params: Mapping[str, str]) -> dict[str, Any]:
    """
    Flat query parameters (C{Tags.member.1.Key=k}) as a tree of dicts, each
    node's own value under C{""}.
    """
    root: dict[str, Any] = {}
    for key, value in params.items():
        node = root
        for part in key.split("."):
            if not part:
                break
            node = node.setdefault(part, {})
        else:
            node[_VALUE] = value
    return root


def _indexed(node: Mapping[str, Any]) -> list[Any]:
    # Positions, in order; never a list as long as the largest index.
    numbered = [(int(key), child) for key, child in node.items() if key.isdigit() and 0 < len(key) <= 9]
    return [child for _, child in sorted(numbered, key=lambda pair: pair[0])]


def query_structure(shape: StructureShape, node: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """
    The members of C{shape} a parameter tree holds.
    """
    found: dict[str, Any] = {}
    for name, member in shape.members.items():
        child = node.get(_item_name(name, member))
        if child is not None:
            found[name] = query_value(member, child, _join(path, _coral_name(name)))
    return found


def query_value(shape: Shape, node: Mapping[str, Any], path: str) -> Any:
    """
    A value of C{shape} from its node of the parameter tree.
    """
    kind = shape.type_name
    if kind == "structure":
        return query_structure(shape, node, path)
    if kind == "list":
        items = (
            node
            if shape.serialization.get("flattened")
            else node.get(shape.member.serialization.get("name", "member"), {})
        )
        return [
            query_value(shape.member, item, f"{path}.{index}.member") for index, item in enumerate(_indexed(items), 1)
        ]
    if kind == "map":
        entries = node if shape.serialization.get("flattened") else node.get("entry", {})
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        found = {}
        for entry in _indexed(entries):
            if key_name in entry and value_name in entry:
                key = query_value(shape.key, entry[key_name], path)
                found[key] = query_value(shape.value, entry[value_name], f"{path}.{key}.member")
        return found
    if _VALUE not in node:
        raise Malformed(f"Value at '{path}' is not a {kind}", path)
    return scalar_from_text(shape, node[_VALUE], "query", None, path)


# -- REST requests (rest-json, rest-xml)


def rest_input(
    operation: OperationModel, request: ProtocolRequest, labels: Mapping[str, str], protocol: str
) -> dict[str, Any]:
    """
    A REST request's input: its URI labels (as matched, still encoded),
    query, headers and body.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    found: dict[str, Any] = {}
    query: dict[str, list[str]] | None = None
    claimed: set[str] = set()
    query_map: tuple[str, Shape] | None = None
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location is None:
            continue
        wire = wire_name(name, member)
        if location == "uri":
            raw = labels.get(wire)
            if raw is not None:
                try:
                    text = decode_label(raw)
                except UnicodeDecodeError:
                    raise Malformed("The request URI is not valid UTF-8.", name, kind="uri") from None
                found[name] = scalar_from_text(member, text, protocol, "uri", name, wire)
        elif location == "querystring":
            if query is None:
                query = _query_lists(request.query)
            if member.type_name == "map":
                query_map = (name, member)
                continue
            claimed.add(wire)
            values = query.get(wire)
            if values:
                if member.type_name == "list":
                    found[name] = [
                        scalar_from_text(member.member, value, protocol, "querystring", name, wire) for value in values
                    ]
                else:
                    found[name] = scalar_from_text(member, values[0], protocol, "querystring", name, wire)
        elif location == "header":
            header = request.headers.get(wire.lower())
            if header is not None:
                try:
                    found[name] = _header(member, header, protocol, name, wire)
                except Malformed:
                    # RFC 9110 13.1.3: a conditional's invalid date is ignored (S3 ignores it).
                    if member.type_name != "timestamp" or not wire.lower().startswith("if-"):
                        raise
        elif location == "headers":
            prefix = wire.lower()
            matching = {
                header[len(prefix) :]: value for header, value in request.headers.items() if header.startswith(prefix)
            }
            if matching:
                found[name] = matching
    if query_map is not None and query is not None:
        name, member = query_map
        values_shape = member.value
        fixed = static_query_names(operation)
        entries = {key: values for key, values in query.items() if key not in claimed and key not in fixed}
        if values_shape.type_name == "list":
            found[name] = entries
        elif entries:
            found[name] = {key: values[0] for key, values in entries.items()}
    found.update(_rest_body(operation, shape, request, protocol))
    return found


def _query_lists(raw: str) -> dict[str, list[str]]:
    try:
        pairs = query_pairs(raw)
    except UnicodeDecodeError:
        raise Malformed("The query string is not valid UTF-8.", kind="uri") from None
    lists: dict[str, list[str]] = {}
    for name, value in pairs:
        lists.setdefault(name, []).append(value)
    return lists


def _header(member: Shape, text: str, protocol: str, path: str, wire: str) -> Any:
    if member.type_name == "list":
        return [
            scalar_from_text(member.member, item, protocol, "header", path, wire) for item in split_header_list(text)
        ]
    return scalar_from_text(member, text, protocol, "header", path, wire)


def split_header_list(text: str) -> list[str]:
    """
    A header list (RFC 9110 5.6.1): items split at commas, a quoted item
    unquoted (botocore quotes those holding a comma or a quote).
    """
    items: list[str] = []
    i = 0
    length = len(text)
    while i < length:
        while i < length and text[i] in " \t":
            i += 1
        if i < length and text[i] == '"':
            i += 1
            item = []
            while i < length and text[i] != '"':
                if text[i] == "\\" and i + 1 < length:
                    i += 1
                item.append(text[i])
                i += 1
            i += 1
            items.append("".join(item))
            while i < length and text[i] != ",":
                i += 1
        else:
            end = text.find(",", i)
            end = length if end < 0 else end
            items.append(text[i:end].strip())
            i = end
        i += 1
    return items


def _rest_body(operation: OperationModel, shape: StructureShape, request: ProtocolRequest, protocol: str) -> dict:
    payload = payload_member(shape)
    if payload is not None:
        member = shape.members[payload]
        if is_streaming(shape):
            return {payload: request.body_stream()}
        if is_raw_payload(shape):
            body = request.body_bytes()
            if not body:
                return {}
            if member.type_name == "string":
                try:
                    return {payload: body.decode("utf-8")}
                except UnicodeDecodeError:
                    raise Malformed("The body is not valid UTF-8.", payload) from None
            return {payload: body}
        body = request.body_bytes()
        if not body.strip():
            return {}
        if protocol == "rest-json":
            return {payload: json_value(member, json_body(body), protocol, _coral_name(payload))}
        return {payload: xml_value(member, xml_root(body, wire_name(payload, member)), payload)}
    if not any("location" not in member.serialization for member in shape.members.values()):
        return {}
    body = request.body_bytes()
    if not body.strip():
        return {}
    if protocol == "rest-json":
        document = json_body(body)
        if not isinstance(document, dict):
            raise _json_mismatch(document, "structure", "")
        return json_members(shape, document, protocol)
    return xml_structure(shape, xml_root(body, shape.serialization.get("name", shape.name)))


def json_input(operation: OperationModel, request: ProtocolRequest) -> dict[str, Any]:
    """
    A json protocol request's input: its body, which must be a JSON object.
    """
    body = request.body_bytes()
    try:
        document = json_body(body) if body.strip() else None
    except Malformed:
        document = None
    if not isinstance(document, dict):
        # As DynamoDB answers a body that is not a JSON object: a type, no message.
        raise Malformed("")
    shape = operation.input_shape
    return json_members(shape, document, "json") if shape is not None else {}


def query_input(operation: OperationModel, params: Mapping[str, str]) -> dict[str, Any]:
    """
    A query protocol request's input from its parameters.
    """
    shape = operation.input_shape
    if shape is None:
        return {}
    return query_structure(shape, query_tree(params))
