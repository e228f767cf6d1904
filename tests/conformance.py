"""
What the conformance tests generated from botocore's models share: inputs
made of placeholders, a client that sends what botocore would refuse, and
the calls that must be refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ServiceModel

# Client-side validation off: conformance requests are often meant to be wrong.
UNCHECKED = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})


def placeholder(shape) -> Any:
    """
    A value of C{shape}'s type with its required members (the content does
    not matter: these requests are answered before any lookup).
    """
    kind = shape.type_name
    if kind == "structure":
        return {name: placeholder(member) for name, member in shape.members.items() if name in shape.required_members}
    if kind == "list":
        return []
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return 1
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"{}"
    if kind == "timestamp":
        return 0
    return "x" if not shape.enum else shape.enum[0]


def required_input(model: ServiceModel, operation: str) -> dict[str, Any]:
    """
    The input of C{operation} with its required members only.
    """
    shape = model.operation_model(operation).input_shape
    return placeholder(shape) if shape is not None else {}


def required_members(model: ServiceModel, operations: list[str]) -> list[tuple[str, str]]:
    """
    Each (operation, member) where C{member} is a required input member of
    one of C{operations}, in their order.
    """
    return [
        (operation, member)
        for operation in operations
        if (shape := model.operation_model(operation).input_shape) is not None
        for member in shape.required_members
    ]


def null_member_message(member: str) -> str:
    """
    What AWS's validation (Coral) says of a required C{member} left out: its
    path in lower camel case ("Value null at 'roleName' ...").
    """
    return f"Value null at '{member[0].lower() + member[1:]}' failed to satisfy constraint: Member must not be null"


def refused(client, operation: str, params: dict[str, Any]) -> ClientError:
    """
    The error C{client} raises calling C{operation} with C{params} (the
    test fails if the call succeeds).
    """
    with pytest.raises(ClientError) as raised:
        getattr(client, xform_name(operation))(**params)
    return raised.value


def assert_not_implemented(client, model: ServiceModel, operation: str, service: str | None = None) -> ClientError:
    """
    C{operation}, called with its required input, is refused with 501
    NotImplemented (saying it is C{service}'s, when given); the error, for
    more checks.
    """
    error = refused(client, operation, required_input(model, operation))
    assert error.response["Error"]["Code"] == "NotImplemented", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    if service is not None:
        message = f"RustStack does not implement the operation {operation} of {service} yet."
        assert error.response["Error"]["Message"] == message
    return error


def assert_refused_without(client, model: ServiceModel, operation: str, member: str, code: str) -> ClientError:
    """
    C{operation}, called with its required input less C{member}, is refused
    with 400 and C{code}; the error, for more checks.
    """
    params = required_input(model, operation)
    del params[member]
    error = refused(client, operation, params)
    assert error.response["Error"]["Code"] == code, error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error
