"""
An input checked against its shape's constraints, as AWS checks it before
an operation runs: required members, enums, lengths (strings, blobs, lists,
maps), value ranges, patterns (whole-value matches of the model's Java
patterns, see L{ruststack.protocol.patterns}).

Coral services (all but S3) report every violation in one message:

  2 validation errors detected: Value 'a:b' at 'logGroupName' failed to
  satisfy constraint: Member must satisfy regular expression pattern:
  [\\.\\-_/#A-Za-z0-9]+; Value null at 'logStreamName' failed to satisfy
  constraint: Member must not be null

A path names members in lower camel case, list items as C{items.1.member}
and map values as C{tags.key.member}; the scalar items of a list are judged
together ("Member must satisfy constraint: [...]"), as are a map's keys and
values ("Map keys must satisfy constraint: [...]"). A sensitive member's
value is left out ("Value at 'password' ..."), as AWS leaves it out.

S3 is not Coral: its violations become its own errors (see
L{ruststack.protocol.protocol}).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
from botocore.model import Shape, StructureShape

from ruststack.protocol import patterns

_SCALARS = ("string", "integer", "long", "float", "double", "blob", "boolean", "timestamp")


@attrs.frozen
class Violation:
    """
    One broken constraint.

    @ivar path: where, in Coral's form (C{keySchema.1.member.attributeName}).
    @ivar value: the value that broke it (C{None}: a required member missing).
    @ivar constraint: what it had to satisfy ("Member must not be null").
    @ivar kind: C{required}, C{enum}, C{pattern}, C{length}, C{range}, or
        C{elements} for a list's or map's items.
    @ivar member: the name of the top-level input member it is in.
    @ivar top: whether it is that member itself (not a value inside it).
    @ivar sensitive: whether the value must not be echoed.
    @ivar shape: the name of the shape whose constraint it is.
    """

    path: str
    value: Any
    constraint: str
    kind: str
    member: str
    top: bool
    sensitive: bool = False
    shape: str = ""

    def describe(self) -> str:
        """
        The violation as Coral words it.
        """
        if self.value is None:
            shown = "Value null"
        elif self.sensitive:
            shown = "Value"
        else:
            shown = f"Value '{render(self.value)}'"
        return f"{shown} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def coral_message(violations: list[Violation]) -> str:
    """
    All violations in one message, as Coral services send it.
    """
    count = len(violations)
    plural = "error" if count == 1 else "errors"
    return f"{count} validation {plural} detected: " + "; ".join(violation.describe() for violation in violations)


def render(value: Any) -> str:
    """
    A value as Coral (Java) prints it in a violation.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{render(key)}={render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, datetime):
        return value.strftime("%a %b %d %H:%M:%S UTC %Y")
    return str(value)


def violations(shape: StructureShape | None, params: Mapping[str, Any]) -> list[Violation]:
    """
    Every constraint C{params} breaks, in the model's member order.
    """
    found: list[Violation] = []
    if shape is not None:
        _structure(shape, params, "", found, None)
    return found


def _coral(name: str) -> str:
    return name[:1].lower() + name[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _structure(
    shape: StructureShape, values: Mapping[str, Any], path: str, found: list[Violation], top: str | None
) -> None:
    required = shape.required_members
    for name, member in shape.members.items():
        member_path = _join(path, _coral(name))
        owner = top if top is not None else name
        value = values.get(name) if isinstance(values, Mapping) else None
        if value is None:
            if name in required:
                found.append(Violation(member_path, None, "Member must not be null", "required", owner, top is None))
            continue
        _value(member, value, member_path, found, owner, top is None)


def _value(shape: Shape, value: Any, path: str, found: list[Violation], member: str, top: bool) -> None:
    sensitive = bool(shape.metadata.get("sensitive"))
    for kind, constraint in constraints_broken(shape, value):
        found.append(Violation(path, value, constraint, kind, member, top, sensitive, shape.name))
    type_name = shape.type_name
    if type_name == "structure" and not shape.metadata.get("document"):
        if isinstance(value, Mapping):
            _structure(shape, value, path, found, member)
    elif type_name == "list" and isinstance(value, list):
        item_shape = shape.member
        if item_shape.type_name in _SCALARS:
            broken = _scalars_broken(item_shape, value)
            if broken:
                constraint = "Member must satisfy constraint: [" + ", ".join(broken) + "]"
                found.append(Violation(path, value, constraint, "elements", member, top, sensitive, item_shape.name))
        else:
            for index, item in enumerate(value, 1):
                if item is not None:
                    _value(item_shape, item, f"{path}.{index}.member", found, member, False)
    elif type_name == "map" and isinstance(value, Mapping):
        keys_broken = _scalars_broken(shape.key, list(value))
        if keys_broken:
            constraint = "Map keys must satisfy constraint: [" + ", ".join(keys_broken) + "]"
            found.append(Violation(path, value, constraint, "elements", member, top, sensitive, shape.key.name))
        value_shape = shape.value
        if value_shape.type_name in _SCALARS:
            values_broken = _scalars_broken(value_shape, [item for item in value.values() if item is not None])
            if values_broken:
                constraint = "Map value must satisfy constraint: [" + ", ".join(values_broken) + "]"
                found.append(Violation(path, value, constraint, "elements", member, top, sensitive, value_shape.name))
        else:
            for key, item in value.items():
                if item is not None:
                    _value(value_shape, item, f"{path}.{key}.member", found, member, False)


def _scalars_broken(shape: Shape, items: list[Any]) -> list[str]:
    broken: list[str] = []
    for item in items:
        for _, constraint in constraints_broken(shape, item):
            if constraint not in broken:
                broken.append(constraint)
    return broken


def _number(bound: Any) -> str:
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return str(bound)


def _length(shape: Shape, value: Any) -> int | None:
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        # Java counts UTF-16 code units.
        return len(value.encode("utf-16-le")) // 2
    if kind == "blob" and isinstance(value, bytes | bytearray):
        return len(value)
    if kind in ("list", "map") and isinstance(value, list | Mapping):
        return len(value)
    return None


def constraints_broken(shape: Shape, value: Any) -> list[tuple[str, str]]:
    """
    The (kind, constraint) pairs a value breaks of its own shape's
    constraints (not those of its members or items).
    """
    metadata = shape.metadata
    broken: list[tuple[str, str]] = []
    enum = metadata.get("enum")
    if enum and isinstance(value, str) and value not in enum:
        broken.append(("enum", "Member must satisfy enum value set: [" + ", ".join(enum) + "]"))
    pattern = metadata.get("pattern")
    if pattern and isinstance(value, str) and not patterns.matches(pattern, value):
        broken.append(("pattern", f"Member must satisfy regular expression pattern: {pattern}"))
    low, high = metadata.get("min"), metadata.get("max")
    if low is None and high is None:
        return broken
    length = _length(shape, value)
    if length is not None:
        if low is not None and length < low:
            broken.append(("length", f"Member must have length greater than or equal to {_number(low)}"))
        if high is not None and length > high:
            broken.append(("length", f"Member must have length less than or equal to {_number(high)}"))
    elif shape.type_name in ("integer", "long", "float", "double") and isinstance(value, int | float):
        if low is not None and value < low:
            broken.append(("range", f"Member must have value greater than or equal to {_number(low)}"))
        if high is not None and value > high:
            broken.append(("range", f"Member must have value less than or equal to {_number(high)}"))
    return broken
