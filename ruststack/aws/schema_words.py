"""
The words of the JSON Schema validator AWS's Java services answer with
(java-json-tools' json-schema-validator): API Gateway's request validation
and ECR's policy checks quote values and name types as it does.
"""

from __future__ import annotations

import json
from typing import Any


def json_type(value: Any) -> str:
    """
    The JSON Schema type of C{value} as the validator names it.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def compact(value: Any) -> str:
    """
    C{value} as the validator prints JSON: without spaces.
    """
    return json.dumps(value, separators=(",", ":"))
