"""
Whether a function's resource-based policy allows a request, matched as
IAM matches a policy: principal, action, resource and conditions
("Policy evaluation logic" and "IAM JSON policy elements: Condition
operators" in the IAM user guide).

Only what Lambda's AddPermission writes can be in a function's policy; an
element or a condition this module does not know (C{NotPrincipal}, an
operator such as C{IpAddress}, a key the request does not carry such as
C{aws:PrincipalOrgID}) never allows anything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs


@attrs.frozen
class Requester:
    """
    Who asks: an account (its own credentials, named by AWS as its root
    user), or an AWS service acting for one of its resources.

    @ivar account: the caller's account; for a service, the account of the
        resource it acts for (C{aws:SourceAccount}).
    @ivar service: the service principal (C{apigateway.amazonaws.com}), or
        C{None} for an account.
    @ivar source_arn: the resource a service acts for (C{aws:SourceArn}).
    """

    account: str
    service: str | None = None
    source_arn: str | None = None

    @property
    def name(self) -> str:
        """
        The principal as AWS names it in an access denied message.
        """
        return self.service or f"arn:aws:iam::{self.account}:root"

    def condition_keys(self) -> dict[str, str]:
        """
        The global condition keys the request carries (lower-case names:
        condition key names are case-insensitive).
        """
        if self.service is None:
            # aws:SourceArn and aws:SourceAccount are only set by a service
            # calling on behalf of a resource.
            return {}
        keys = {"aws:sourceaccount": self.account}
        if self.source_arn is not None:
            keys["aws:sourcearn"] = self.source_arn
        return keys


def like(pattern: str, value: str) -> bool:
    """
    IAM's wildcard match (C{StringLike}, and each part of C{ArnLike}): C{*}
    stands for any run of characters (none included), C{?} for exactly one;
    everything else matches itself, case-sensitively.

    Linear in practice whatever the pattern: its literal pieces are found
    leftmost in turn, with no backtracking regular expression.
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return len(value) == len(pattern) and _matches_at(pattern, value, 0)
    first, *middle, last = pieces
    end = len(value) - len(last)
    if end < len(first) or not _matches_at(first, value, 0) or not _matches_at(last, value, end):
        return False
    position = len(first)
    for piece in middle:
        found = _find(piece, value, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def arn_like(pattern: str, value: str) -> bool:
    """
    C{ArnLike} / C{ArnEquals}: each of the six colon-separated parts of the
    ARN is matched on its own, with L{like}'s wildcards; a pattern or a
    value that is not a six-part ARN matches nothing.
    """
    expected = pattern.split(":", 5)
    actual = value.split(":", 5)
    if len(expected) != 6 or len(actual) != 6:
        return False
    return all(like(p, v) for p, v in zip(expected, actual, strict=True))


def allows(statements: Iterable[Mapping[str, Any]], requester: Requester, action: str, resource: str) -> bool:
    """
    Whether C{statements} allow C{requester} to perform C{action}
    (C{lambda:GetFunction}) on C{resource} (an ARN): a matching C{Allow} and
    no matching C{Deny}.
    """
    allowed = False
    for statement in statements:
        if not _applies(statement, requester, action, resource):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _applies(statement: Mapping[str, Any], requester: Requester, action: str, resource: str) -> bool:
    if any(name in statement for name in ("NotPrincipal", "NotAction", "NotResource")):
        return False
    return (
        _principal_matches(statement.get("Principal"), requester)
        and any(like(pattern.lower(), action.lower()) for pattern in _strings(statement.get("Action")))
        and any(arn_like(pattern, resource) for pattern in _strings(statement.get("Resource")))
        and _conditions_hold(statement.get("Condition", {}), requester.condition_keys())
    )


def _principal_matches(principal: Any, requester: Requester) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for kind, values in principal.items():
        for value in _strings(values):
            if kind == "AWS" and value == "*":
                return True
            if kind == "AWS" and requester.service is None and value in (requester.account, requester.name):
                return True
            if kind == "Service" and requester.service is not None and value == requester.service:
                return True
    return False


# Condition operators AddPermission writes (and their relatives), by
# lower-case name: operator names are case-insensitive.
_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda expected, actual: expected == actual,
    "stringlike": like,
    "arnequals": arn_like,
    "arnlike": arn_like,
    "bool": lambda expected, actual: expected.lower() == actual.lower(),
}


def _conditions_hold(conditions: Any, keys: Mapping[str, str]) -> bool:
    if not isinstance(conditions, Mapping):
        return False
    for operator, tests in conditions.items():
        compare = _OPERATORS.get(operator.lower()) if isinstance(operator, str) else None
        if compare is None or not isinstance(tests, Mapping):
            return False
        for key, expected in tests.items():
            actual = keys.get(key.lower()) if isinstance(key, str) else None
            # A key the request does not carry fails the condition.
            if actual is None or not any(compare(value, actual) for value in _strings(expected)):
                return False
    return True


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _matches_at(piece: str, value: str, at: int) -> bool:
    if at < 0 or at + len(piece) > len(value):
        return False
    if "?" not in piece:
        return value.startswith(piece, at)
    return all(p == "?" or p == v for p, v in zip(piece, value[at : at + len(piece)], strict=True))


def _find(piece: str, value: str, start: int, end: int) -> int:
    # The leftmost place in value[start:end] where piece matches.
    if "?" not in piece:
        return value.find(piece, start, end)
    found = _piece_pattern(piece).search(value, start, end)
    return found.start() if found else -1


@functools.lru_cache(maxsize=256)
def _piece_pattern(piece: str) -> re.Pattern[str]:
    # A literal with single-character holes: no repetition, so no backtracking.
    return re.compile("".join("." if c == "?" else re.escape(c) for c in piece), re.DOTALL)
