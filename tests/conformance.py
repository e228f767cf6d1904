"""
What the conformance tests generated from botocore's models share: inputs
made of placeholders, and a client that sends what botocore would refuse.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config
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
