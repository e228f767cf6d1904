"""
An event source mapping's C{FilterCriteria}: up to five patterns in AWS's
filter grammar (EventBridge's, checked by L{ruststack.events.patterns}), and
the matcher that decides which stream records reach the function: a record
goes through when any one pattern matches it.

A pattern matches a record when every key it names matches: an object
recurses into the record's object of that key, an array of match values
matches when any of them matches the record's value (or any element, when
the record's value is an array); C{$or} matches when any branch does.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.events import patterns

# "Filters" of a FilterCriteria (Lambda's default quota).
MAX_FILTERS = 5
_MISSING = object()


def invalid_pattern() -> AwsError:
    return AwsError("InvalidParameterValueException", "Invalid filter pattern definition.", 400)


def read(criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """
    The patterns of a C{FilterCriteria} member, checked;
    C{InvalidParameterValueException} as Lambda answers a bad one.
    """
    if not criteria:
        return []
    filters = criteria.get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise AwsError(
            "InvalidParameterValueException",
            f"The maximum number of filters per event source mapping is {MAX_FILTERS}.",
            400,
        )
    checked = []
    for item in filters:
        text = item.get("Pattern")
        if text is None:
            raise invalid_pattern()
        try:
            checked.append(patterns.check(text))
        except patterns.InvalidPattern:
            raise invalid_pattern() from None
    return checked


def accepts(filters: list[dict[str, Any]], record: Mapping[str, Any]) -> bool:
    """
    Whether C{record} (as the function would see it) passes: no filters, or
    one that matches.
    """
    return not filters or any(matches(pattern, record) for pattern in filters)


def matches(pattern: Mapping[str, Any], value: Any) -> bool:
    """
    Whether the checked C{pattern} matches the JSON object C{value}.
    """
    if not isinstance(value, Mapping):
        return False
    for key, wanted in pattern.items():
        if key == "$or":
            if not any(matches(branch, value) for branch in wanted):
                return False
        elif isinstance(wanted, Mapping):
            if not matches(wanted, value.get(key, _MISSING)):
                return False
        elif not _leaf(wanted, value.get(key, _MISSING)):
            return False
    return True


def _leaf(matchers: list[Any], actual: Any) -> bool:
    # An array in the record matches when any of its elements does.
    values = actual if isinstance(actual, list) else [actual]
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            present = actual is not _MISSING and not isinstance(actual, dict)
            if matcher["exists"] == present:
                return True
            continue
        if actual is _MISSING:
            continue
        if any(_one(matcher, item) for item in values):
            return True
    return False


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        # An exact value: numbers compare as numbers, the rest exactly.
        if _is_number(matcher) and _is_number(value):
            return float(matcher) == float(value)
        return type(matcher) is type(value) and matcher == value
    ((operator, operand),) = matcher.items()
    if operator == "prefix":
        return _text_test(operand, value, str.startswith)
    if operator == "suffix":
        return _text_test(operand, value, str.endswith)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == operand.casefold()
    if operator == "wildcard":
        return isinstance(value, str) and _wildcard(operand, value)
    if operator == "numeric":
        return _numeric(operand, value)
    if operator == "cidr":
        return _cidr(operand, value)
    if operator == "anything-but":
        return _anything_but(operand, value)
    return False


def _text_test(operand: Any, value: Any, test: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(operand, dict):  # {"prefix": {"equals-ignore-case": "x"}}
        return bool(test(value.casefold(), operand["equals-ignore-case"].casefold()))
    return bool(test(value, operand))


def _wildcard(pattern: str, value: str) -> bool:
    # Only * is special (\* is a literal star).
    parts = re.split(r"(?<!\\)\*", pattern)
    expression = ".*".join(re.escape(part.replace("\\*", "*")) for part in parts)
    return re.fullmatch(expression, value, re.DOTALL) is not None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric(terms: list[Any], value: Any) -> bool:
    if not _is_number(value):
        return False
    for index in range(0, len(terms), 2):
        if not _COMPARE[terms[index]](value, terms[index + 1]):
            return False
    return True


def _cidr(network: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _anything_but(operand: Any, value: Any) -> bool:
    if isinstance(operand, dict):
        ((inner, wanted),) = operand.items()
        options = wanted if isinstance(wanted, list) else [wanted]
        if not isinstance(value, str):
            return True
        return not any(_one({inner: option}, value) for option in options)
    options = operand if isinstance(operand, list) else [operand]
    return not any(_one(option, value) for option in options)
