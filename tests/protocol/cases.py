"""
The generated conformance cases: every operation of the models of the
services RustStack speaks, its input, its output and each modeled error,
and invalid inputs; the strategies that make them and how many run.

`python -m tests.protocol.cases` prints the counts per service and protocol.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from typing import Any

import attrs
from botocore.model import OperationModel, Shape
from hypothesis import strategies as st

from ruststack.protocol.model import SERVICES, is_raw_payload, payload_member, service_model
from ruststack.protocol.operations import index_for
from ruststack.protocol.serialize import element_name
from ruststack.protocol.validate import constraints_broken
from tests.protocol import shapes
from tests.protocol.shapes import Context

# Examples per operation: each direction, each error, each kind of invalid input.
EXAMPLES = 2


@attrs.frozen
class Case:
    service: str
    operation: str

    @property
    def id(self) -> str:
        return f"{self.service}-{self.operation}"

    def model(self) -> OperationModel:
        return service_model(self.service).operation_model(self.operation)


def operations(services: tuple[str, ...] = SERVICES) -> list[Case]:
    return [Case(name, operation) for name in services for operation in service_model(name).operation_names]


def has_event_stream(operation: OperationModel) -> bool:
    return operation.has_event_stream_input or operation.has_event_stream_output


def shared_element(shape: Shape | None, protocol: str) -> str | None:
    """
    A structure reachable from C{shape} with two members written as one XML
    element (S3's deprecated notification shapes: C{Event} and the flattened
    C{Events} are both C{<Event>}), if the protocol is XML: neither botocore
    nor anyone can tell them apart on the wire.
    """
    if shape is None or protocol not in ("rest-xml", "query"):
        return None
    seen: set[str] = set()
    pending = [shape]
    while pending:
        current = pending.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        if current.type_name == "structure":
            names = [
                element_name(name, member)
                for name, member in current.members.items()
                if "location" not in member.serialization
            ]
            for name in names:
                if names.count(name) > 1:
                    return f"{current.name}: two members are written as <{name}>"
            pending.extend(current.members.values())
        elif current.type_name == "list":
            pending.append(current.member)
        elif current.type_name == "map":
            pending.extend((current.key, current.value))
    return None


# -- inputs, outputs and errors


def _payload_strategy(member: Shape, streaming: bool) -> st.SearchStrategy:
    # An empty raw payload is the same as none on the wire.
    if member.type_name == "string":
        return st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=16)
    return st.binary(min_size=0 if streaming else 1, max_size=32)


def _member_strategy(shape: Shape, name: str, member: Shape, context: Context) -> st.SearchStrategy:
    """
    Values of C{shape}'s member C{name}: the raw payload's bytes or text, or
    a value of the member's shape where it is written (C{context}).
    """
    if name == payload_member(shape) and is_raw_payload(shape):
        return _payload_strategy(member, bool(member.serialization.get("streaming")))
    return shapes.value(member, context.at(member.serialization.get("location")))


def input_strategy(operation: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    return _members_strategy(operation.service_model.service_name, operation.name, output=False)


def output_strategy(operation: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    return _members_strategy(operation.service_model.service_name, operation.name, output=True)


@functools.cache
def _members_strategy(service: str, name: str, output: bool) -> st.SearchStrategy[dict[str, Any]]:
    """
    Values of the operation's input (its required members always, the
    others maybe) or output (any of its members); an event stream is none
    (the handler writes it).
    """
    operation = service_model(service).operation_model(name)
    shape = operation.output_shape if output else operation.input_shape
    if shape is None:
        return st.just({})
    context = Context(operation.service_model.protocol, output=output)
    required = set() if output else set(shape.required_members)
    strategies = {
        name: _member_strategy(shape, name, member, context)
        for name, member in shape.members.items()
        if not member.serialization.get("eventstream")
    }
    return st.fixed_dictionaries(
        {name: strategy for name, strategy in strategies.items() if name in required},
        optional={name: strategy for name, strategy in strategies.items() if name not in required},
    )


def error_strategy(service: str, shape: Shape) -> st.SearchStrategy[dict[str, Any]]:
    """
    An error's members (its message apart).
    """
    return _error_strategy(service, shape.name)


@functools.cache
def _error_strategy(service: str, name: str) -> st.SearchStrategy[dict[str, Any]]:
    model = service_model(service)
    shape = model.shape_for(name)
    protocol = model.protocol
    context = Context(protocol, output=True)
    strategies = {
        name: shapes.value(member, context.at(member.serialization.get("location")))
        for name, member in shape.members.items()
        if name not in ("message", "Message")
    }
    return st.fixed_dictionaries({}, optional=strategies)


def error_shapes(operation: OperationModel) -> list[Shape]:
    return list(operation.error_shapes)


# -- comparing what went in with what came out


def read(value: Any) -> Any:
    if isinstance(value, io.IOBase) or hasattr(value, "read"):
        return value.read()
    return value


def prune(value: Any) -> Any:
    """
    A value with empty structures and maps left out, as the query protocol
    writes nothing for them.
    """
    if isinstance(value, dict):
        pruned = {key: prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item != {}}
    if isinstance(value, list):
        return [prune(item) for item in value]
    return value


def normalized_input(operation: OperationModel, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[dict, dict]:
    """
    (sent, read) in comparable form: streams read; a payload structure sent
    as none and read as C{{}} (botocore sends C{{}} for it in rest-json)
    dropped; for the query protocol, empty structures and maps (which it
    cannot write) dropped.
    """
    shape = operation.input_shape
    sent = dict(params)
    got = {name: read(value) for name, value in parsed.items()}
    if shape is not None:
        payload = payload_member(shape)
        if payload is not None and payload not in sent and got.get(payload) in ({}, b""):
            got.pop(payload)
        if payload is not None and is_raw_payload(shape) and sent.get(payload) in (b"", ""):
            sent.pop(payload)
            if got.get(payload) in (b"", ""):
                got.pop(payload)
        for name, member in shape.members.items():
            # The HTTP layer sets Content-Length whether or not it was given.
            if member.serialization.get("name", "").lower() == "content-length" and name not in sent:
                got.pop(name, None)
    if operation.service_model.protocol == "query":
        sent, got = prune(sent), prune(got)
    return sent, got


def normalized_output(
    operation: OperationModel, output: dict[str, Any], parsed: dict[str, Any], status: int
) -> tuple[dict, dict]:
    """
    (sent, read) in comparable form: streams read, text payloads as bytes; a
    payload structure sent as none is read as C{{}} by botocore, a header
    map as C{{}}, a status member as the answer's status.
    """
    shape = operation.output_shape
    sent = dict(output)
    got = {name: read(value) for name, value in parsed.items()}
    if shape is not None:
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if name in sent:
                continue
            if (location == "headers" and got.get(name) == {}) or (
                location == "statusCode" and got.get(name) == status
            ):
                got.pop(name, None)
        payload = payload_member(shape)
        if payload is not None:
            if payload not in sent and got.get(payload) in ({}, "", b""):
                got.pop(payload, None)
            if is_raw_payload(shape) and sent.get(payload) in (b"", ""):
                sent.pop(payload)
                got.pop(payload, None)
    return sent, got


def difference(sent: dict[str, Any], got: dict[str, Any]) -> str:
    """
    The members that differ, for a failure's message.
    """
    names = sorted(set(sent) | set(got))
    return "; ".join(
        f"{name}: sent {sent.get(name)!r}, got {got.get(name)!r}" for name in names if sent.get(name) != got.get(name)
    )


# -- invalid inputs


@attrs.frozen
class Breakage:
    """
    One way to make an input invalid: C{member} (top-level) set to C{value}
    or, with C{value} None, left out.
    """

    kind: str
    member: str
    value: Any


def breakages(operation: OperationModel) -> list[Breakage]:
    """
    The invalid values the model's constraints allow to build for an
    operation's top-level members: each required member left out (unless the
    wire cannot leave it out: a URI label, a query protocol's...), an enum
    outside its set, a string too long or too short, a number out of range,
    a string off its pattern.
    """
    shape = operation.input_shape
    if shape is None:
        return []
    found: list[Breakage] = []
    required = set(shape.required_members)
    # Where operations share a URI, their required query members and headers
    # say which one a request is: without them it is another operation.
    discriminating = ("querystring", "header") if index_for(operation.service_model).shares_uri(operation.name) else ()
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        # A URI label or host label cannot be left out of a request at all.
        fixed = location == "uri" or member.serialization.get("hostLabel") or location in discriminating
        if name in required and not fixed:
            if payload_member(shape) != name or not member.serialization.get("streaming"):
                found.append(Breakage("required", name, None))
        if location == "uri" or member.serialization.get("streaming"):
            continue
        found.extend(_bad_values(member, name, location))
    return found


def _bad_values(member: Shape, name: str, location: str | None) -> Iterator[Breakage]:
    metadata = member.metadata
    kind = member.type_name
    if kind == "string":
        if metadata.get("enum"):
            yield Breakage("enum", name, "not-a-valid-value")
        low, high = metadata.get("min"), metadata.get("max")
        filler = "a"
        if high is not None and high < 2000:
            yield Breakage("length", name, filler * (int(high) + 1))
        if low is not None and low > 1:
            yield Breakage("length", name, filler * (int(low) - 1))
        pattern = metadata.get("pattern")
        if pattern:
            for candidate in ("%", "a b", "\u00e9", "a:b", "-", "a"):
                if location == "header" and not (candidate.isascii() and " " not in candidate):
                    continue
                if any(broken == "pattern" for broken, _ in constraints_broken(member, candidate)):
                    yield Breakage("pattern", name, candidate)
                    break
    elif kind in ("integer", "long"):
        low, high = metadata.get("min"), metadata.get("max")
        if low is not None and low > -(2**31):
            yield Breakage("range", name, int(low) - 1)
        if high is not None and high < 2**31 - 1:
            yield Breakage("range", name, int(high) + 1)
    elif kind == "list":
        low, high = metadata.get("min"), metadata.get("max")
        item = _any_item(member.member)
        if item is not None:
            if high is not None and high < 200:
                yield Breakage("length", name, [item] * (int(high) + 1))
            if low is not None and low > 1:
                yield Breakage("length", name, [item] * (int(low) - 1))


def _any_item(shape: Shape) -> Any:
    # A simple valid item, to make a list of the wrong length.
    if shape.type_name == "string" and not shape.metadata.get("pattern"):
        enum = shape.metadata.get("enum")
        low = int(shape.metadata.get("min", 1) or 1)
        return enum[0] if enum else "a" * max(low, 1)
    return None


# -- counts


@attrs.define
class Counts:
    operations: int = 0
    inputs: int = 0
    outputs: int = 0
    errors: int = 0
    invalid: int = 0

    @property
    def total(self) -> int:
        return self.inputs + self.outputs + self.errors + self.invalid


def counts() -> dict[tuple[str, str], Counts]:
    """
    The generated cases per (service, protocol), as the tests run them: per
    operation, EXAMPLES inputs and outputs, EXAMPLES per modeled error, and
    one per way to break its input.
    """
    table: dict[tuple[str, str], Counts] = {}
    for case in operations():
        operation = case.model()
        row = table.setdefault((case.service, operation.service_model.protocol), Counts())
        row.operations += 1
        if has_event_stream(operation):
            continue
        protocol = operation.service_model.protocol
        row.inputs += 0 if shared_element(operation.input_shape, protocol) else EXAMPLES
        row.outputs += 0 if shared_element(operation.output_shape, protocol) else EXAMPLES
        row.errors += EXAMPLES * len(error_shapes(operation))
        row.invalid += len(breakages(operation))
    return table


def main() -> None:
    table = counts()
    print(
        f"{'service':16}{'protocol':11}{'operations':>11}{'inputs':>8}{'outputs':>8}{'errors':>8}{'invalid':>8}{'total':>8}"
    )
    grand = Counts()
    for (service, protocol), row in table.items():
        print(
            f"{service:16}{protocol:11}{row.operations:>11}{row.inputs:>8}{row.outputs:>8}"
            f"{row.errors:>8}{row.invalid:>8}{row.total:>8}"
        )
        for field in ("operations", "inputs", "outputs", "errors", "invalid"):
            setattr(grand, field, getattr(grand, field) + getattr(row, field))
    print(
        f"{'all':27}{grand.operations:>11}{grand.inputs:>8}{grand.outputs:>8}"
        f"{grand.errors:>8}{grand.invalid:>8}{grand.total:>8}"
    )


if __name__ == "__main__":
    main()
