"""
Event patterns as EventBridge checks them when a rule is put: JSON objects
whose leaves are non-empty arrays of values to match -- strings, numbers,
booleans, null -- or of one-key match expressions (C{prefix}, C{suffix},
C{equals-ignore-case}, C{wildcard}, C{anything-but}, C{exists}, C{numeric},
C{cidr}), with C{$or} arrays of such objects at any level.

The reasons are event-ruler's (AWS's pattern engine) as EventBridge reports
them after "Event pattern is not valid. Reason: ", without the JSON parser's
" at [Source: ...; line: 1, column: n]" suffix AWS adds to some of them.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

_NUMERIC_OPERATORS = ("<", "<=", "=", ">", ">=")
_ANYTHING_BUT_INNER = ("prefix", "suffix", "equals-ignore-case", "wildcard")
_MAX_WILDCARDS = 5


class InvalidPattern(ValueError):
    """
    A pattern EventBridge refuses; the argument is the reason it gives.
    """

    @property
    def reason(self) -> str:
        return str(self.args[0])


def check(text: str) -> dict[str, Any]:
    """
    The pattern C{text} holds; L{InvalidPattern} if EventBridge would
    refuse it.
    """
    try:
        pattern = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidPattern("Filter is not valid JSON") from None
    if not isinstance(pattern, dict):
        raise InvalidPattern("Filter is not an object")
    _object(pattern)
    return pattern


def _object(pattern: dict[str, Any]) -> None:
    for key, value in pattern.items():
        if key == "$or":
            # An array of objects, each a pattern of its own.
            if not isinstance(value, list) or not all(isinstance(branch, dict) for branch in value):
                raise InvalidPattern(f'"{key}" must be an object or an array')
            if not value:
                raise InvalidPattern("Empty arrays are not allowed")
            for branch in value:
                _object(branch)
        elif isinstance(value, dict):
            _object(value)
        elif isinstance(value, list):
            _matchers(value)
        else:
            raise InvalidPattern(f'"{key}" must be an object or an array')


def _matchers(values: list[Any]) -> None:
    if not values:
        raise InvalidPattern("Empty arrays are not allowed")
    for value in values:
        if isinstance(value, dict):
            _expression(value)
        elif isinstance(value, list):
            raise InvalidPattern("Match value must be String, number, true, false, or null")


def _expression(expression: dict[str, Any]) -> None:
    if len(expression) != 1:
        raise InvalidPattern("Only one key allowed in match expression")
    ((operator, operand),) = expression.items()
    if operator in ("prefix", "suffix"):
        if isinstance(operand, dict) and set(operand) == {"equals-ignore-case"}:
            operand = operand["equals-ignore-case"]
        if not isinstance(operand, str):
            raise InvalidPattern(f"{operator} match pattern must be a string")
    elif operator == "equals-ignore-case":
        if not isinstance(operand, str):
            raise InvalidPattern("equals-ignore-case match pattern must be a string")
    elif operator == "wildcard":
        _wildcard(operand)
    elif operator == "exists":
        if not isinstance(operand, bool):
            raise InvalidPattern("exists match pattern must be either true or false.")
    elif operator == "numeric":
        _numeric(operand)
    elif operator == "cidr":
        _cidr(operand)
    elif operator == "anything-but":
        _anything_but(operand)
    else:
        raise InvalidPattern(f"Unrecognized match type {operator}")


def _wildcard(operand: Any) -> None:
    if not isinstance(operand, str):
        raise InvalidPattern("wildcard match pattern must be a string")
    if "**" in operand:
        raise InvalidPattern(f"Consecutive wildcard characters at pos {operand.index('**') + 1}")
    if operand.count("*") > _MAX_WILDCARDS:
        raise InvalidPattern(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after"
            " a wildcard character"
        )


def _anything_but(operand: Any) -> None:
    if isinstance(operand, list):
        if not operand:
            raise InvalidPattern("Empty arrays are not allowed")
        if any(isinstance(value, (list, dict)) for value in operand):
            raise InvalidPattern("Inside anything but list, start|null|boolean is not supported.")
        return
    if isinstance(operand, dict):
        if len(operand) != 1:
            raise InvalidPattern("Only one key allowed in match expression")
        ((inner, value),) = operand.items()
        if inner not in _ANYTHING_BUT_INNER:
            raise InvalidPattern(f"Unsupported anything-but pattern: {inner}")
        if inner == "wildcard" and isinstance(value, list):
            for item in value:
                _wildcard(item)
            return
        if isinstance(value, list):
            if not value or not all(isinstance(item, str) for item in value):
                raise InvalidPattern(f"Inside anything-but/{inner} list, number|start|null|boolean is not supported.")
            return
        if not isinstance(value, str):
            raise InvalidPattern(f"{inner} match pattern must be a string")
        if inner == "wildcard":
            _wildcard(value)
        return
    if operand is None or isinstance(operand, bool):
        raise InvalidPattern("Inside anything but list, start|null|boolean is not supported.")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(operand: Any) -> None:
    if not isinstance(operand, list):
        raise InvalidPattern("Value of numeric must be an array.")
    if not operand:
        raise InvalidPattern("Invalid member in numeric match: ]")
    terms = list(operand)
    operator = terms.pop(0)
    if not isinstance(operator, str):
        raise InvalidPattern(f"Invalid member in numeric match: {json.dumps(operator)}")
    if operator not in _NUMERIC_OPERATORS:
        raise InvalidPattern(f"Unrecognized numeric range operator: {operator}")
    bottom = terms.pop(0) if terms else None
    if not _is_number(bottom):
        raise InvalidPattern(f"Value of {'equals' if operator == '=' else operator} must be numeric")
    if not terms:
        return
    if operator not in (">", ">="):
        raise InvalidPattern("Too many elements in numeric expression")
    second = terms.pop(0)
    if not isinstance(second, str):
        raise InvalidPattern(f"Bad value in numeric range: {json.dumps(second)}")
    if second not in ("<", "<="):
        raise InvalidPattern(f"Bad numeric range operator: {second}")
    top = terms.pop(0) if terms else None
    if not _is_number(top):
        raise InvalidPattern(f"Value of {second} must be numeric")
    if top <= bottom:  # type: ignore[operator]
        raise InvalidPattern("Bottom must be less than top")
    if terms:
        raise InvalidPattern("Too many terms in numeric range expression")


def _cidr(operand: Any) -> None:
    if not isinstance(operand, str):
        raise InvalidPattern("prefix match pattern must be a string")
    address, slash, bits = operand.partition("/")
    if not slash or "/" in bits:
        raise InvalidPattern("Malformed CIDR, one '/' required")
    if not bits.isdigit():
        raise InvalidPattern("Malformed CIDR, mask bits must be an integer")
    try:
        ipaddress.ip_network(operand, strict=False)
    except ValueError:
        raise InvalidPattern(f"Nonstandard IP address: {address}") from None
