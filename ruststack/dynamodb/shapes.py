"""
Request documents checked against botocore's model of DynamoDB
(botocore/data/dynamodb/2012-08-10/service-2.json), for what the proxy must
refuse itself: members of the wrong JSON type, which AWS refuses with a
C{SerializationException} and DynamoDB Local fails with a 500
C{InternalFailure}; and required members missing or values outside their
enum, which AWS refuses with a C{ValidationException} (DynamoDB Local
checks most, fails on some).

The texts are those of AWS's JSON framework (coral), as AWS SDKs and
DynamoDB conformance suites record them.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from botocore.loaders import create_loader
from botocore.model import OperationNotFoundError, ServiceModel, Shape

from ruststack.aws.errors import AwsError

_NAMESPACE = "com.amazonaws.dynamodb.v20120810."
_MAP_WHERE_NOT_EXPECTED = "Start of structure or map found where not expected"
_NOT_NULL = "Member must not be null"
# The Java class a model type is read into, named in AWS's messages.
_JAVA = {"string": "String", "blob": "String", "boolean": "Boolean", "integer": "Integer", "long": "Long"}
_LIMITS = {"integer": 2**31, "long": 2**63}


@functools.cache
def _model() -> ServiceModel:
    # Read once per process (about 10 ms), on the first request that needs it.
    return ServiceModel(create_loader().load_service_model("dynamodb", "service-2"), "dynamodb")


def _input_shape(operation: str) -> Shape | None:
    try:
        return _model().operation_model(operation).input_shape
    except OperationNotFoundError:
        return None


def type_error(operation: str, params: Any) -> AwsError | None:
    """
    The C{SerializationException} AWS answers if a member of the request
    document C{params} has the wrong JSON type for C{operation}, else
    C{None} (also for an operation the model does not know).
    """
    shape = _input_shape(operation)
    if shape is None:
        return None
    message = _mismatch(shape, params)
    return None if message is None else AwsError("SerializationException", message)


def refusal(operation: str, params: Any) -> AwsError | None:
    """
    The error AWS answers to C{params} for C{operation}: a member of the
    wrong type, else required members missing; C{None} if neither.
    """
    error = type_error(operation, params)
    shape = _input_shape(operation)
    if error is not None or shape is None:
        return error
    violations: list[str] = []
    _constraints(shape, params, "", violations)
    if not violations:
        return None
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
    count = f"{len(violations)} validation error{'s' if len(violations) > 1 else ''} detected: "
    return AwsError("ValidationException", count + "; ".join(violations))


def check(operation: str, params: Any) -> None:
    """
    Raise L{refusal}'s error, if there is one.
    """
    error = refusal(operation, params)
    if error is not None:
        raise error


def _scalar_name(value: Any) -> str:
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    return "STRING_VALUE"


def _mismatch(shape: Shape, value: Any) -> str | None:
    """
    What AWS says of the first member of C{value} whose JSON type C{shape}
    does not allow (or, for a blob, that is no base64); C{None} if there is
    none. JSON null is an absent member.
    """
    if value is None:
        return None
    kind = shape.type_name
    if kind in ("structure", "map"):
        if isinstance(value, list):
            java = _NAMESPACE + shape.name if kind == "structure" else "java.util.Map"
            return f"Unrecognized collection type class {java}"
        if not isinstance(value, dict):
            return "Unexpected field type"
        if kind == "map":
            for item in value.values():
                found = _mismatch(shape.value, item)  # type: ignore[attr-defined]
                if found is not None:
                    return found
            return None
        members = shape.members  # type: ignore[attr-defined]
        for name, item in value.items():
            member = members.get(name)
            found = _mismatch(member, item) if member is not None else None
            if found is not None:
                return found
        return None
    if kind == "list":
        if isinstance(value, dict):
            return _MAP_WHERE_NOT_EXPECTED
        if not isinstance(value, list):
            return "Unexpected field type"
        for item in value:
            found = _mismatch(shape.member, item)  # type: ignore[attr-defined]
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        return _MAP_WHERE_NOT_EXPECTED
    java = _JAVA.get(kind)
    if java is None:  # timestamps and doubles: numbers or strings
        return "Unrecognized collection type class java.util.Date" if isinstance(value, list) else None
    if isinstance(value, list):
        return f"Unrecognized collection type class java.lang.{java}"
    if kind in ("string", "blob"):
        if not isinstance(value, str):
            return f"{_scalar_name(value)} cannot be converted to {java}"
        if kind == "blob":
            try:
                base64.b64decode(value, validate=True)
            except ValueError:  # binascii.Error, or not ASCII
                return ""  # AWS's text for it is not known: the bare type
        return None
    if kind == "boolean":
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            return "Unexpected token received from parser"
        return f"{_scalar_name(value)} cannot be converted to {java}"
    # integer, long: a JSON number that fits the Java type (DynamoDB Local
    # truncates a fraction)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and -_LIMITS[kind] <= value < _LIMITS[kind]:
        return None
    return f"{_scalar_name(value)} cannot be converted to {java}"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _constraints(shape: Shape, value: Any, path: str, found: list[str]) -> None:
    """
    Add to C{found} what AWS says of each required member missing from
    C{value} and each value outside its enum, with the member's path as AWS
    writes it (C{tags.1.member.key}). C{value} has the right types.
    """
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        required = set(shape.required_members)
        for name, member in members.items():
            item = value.get(name)
            if item is None:
                if name in required:
                    found.append(
                        f"Value null at '{path}{_camel(name)}' failed to satisfy constraint: Member must not be null"
                    )
                continue
            enum = member.metadata.get("enum")
            if enum and item not in enum:
                found.append(
                    f"Value '{item}' at '{path}{_camel(name)}' failed to satisfy constraint: "
                    f"Member must satisfy enum value set: [{', '.join(enum)}]"
                )
            _constraints(member, item, f"{path}{_camel(name)}.", found)
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value, 1):
            if item is None:
                found.append(f"Value null at '{path}{index}.member' failed to satisfy constraint: {_NOT_NULL}")
            else:
                _constraints(shape.member, item, f"{path}{index}.member.", found)  # type: ignore[attr-defined]
