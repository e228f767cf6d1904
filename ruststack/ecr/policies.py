"""
The two policy documents a repository keeps, checked as ECR checks them
before storing them (and never applied: RustStack keeps no images to
expire, and does not evaluate repository policies).

A lifecycle policy is checked against its JSON schema: ECR's refusal
carries its schema validator's words ("object has missing required
properties ([\"rules\"])"). A repository policy must be an IAM policy
document of ECR actions, with principals: ECR says no more than "Invalid
repository policy provided".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.aws.schema_words import compact, json_type
from ruststack.ecr.validation import invalid_parameter

_RULE = {"required": ("action", "rulePriority", "selection"), "allowed": ("description",)}
_SELECTION = {
    "required": ("countNumber", "countType", "tagStatus"),
    "allowed": ("countUnit", "tagPrefixList", "tagPatternList", "storageClass"),
}
_ACTION = {"required": ("type",), "allowed": ("targetStorageClass",)}
_ENUMS = {
    ("action", "type"): ("expire", "transition"),
    ("selection", "tagStatus"): ("any", "tagged", "untagged"),
    ("selection", "countType"): (
        "imageCountMoreThan",
        "sinceImagePushed",
        "sinceImagePulled",
        "sinceImageTransitioned",
    ),
    ("selection", "countUnit"): ("days",),
}


class InvalidPolicy(Exception):
    """
    A policy document ECR refuses; C{reason} in its words.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _listed(names: Sequence[str]) -> str:
    return compact(sorted(names))


def _object(value: Any, schema: Mapping[str, Sequence[str]], where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidPolicy(
            f'instance type ({json_type(value)}) does not match any allowed primitive type (allowed: ["object"])'
        )
    missing = [name for name in schema["required"] if name not in value]
    if missing:
        raise InvalidPolicy(f"object has missing required properties ({_listed(missing)})")
    extra = [name for name in value if name not in schema["required"] and name not in schema["allowed"]]
    if extra:
        raise InvalidPolicy(f"object instance has properties which are not allowed by the schema: ({_listed(extra)})")
    for (part, member), allowed in _ENUMS.items():
        if part == where and member in value and value[member] not in allowed:
            raise InvalidPolicy(
                f"instance value ({json.dumps(value[member])}) not found in enum (possible values: {_listed(allowed)})"
            )
    return value


def _integer(value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPolicy(
            f'instance type ({json_type(value)}) does not match any allowed primitive type (allowed: ["integer"])'
        )
    if value < minimum:
        raise InvalidPolicy(f"numeric instance is lower than the required minimum (minimum: {minimum}, found: {value})")


def check_lifecycle(text: str) -> None:
    """
    Refuse a lifecycle policy ECR would refuse: L{InvalidPolicy}.
    """
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidPolicy("Could not map policyString into LifecyclePolicy.") from None
    if not isinstance(document, dict):
        raise InvalidPolicy("Could not map policyString into LifecyclePolicy.")
    rules = _object(document, {"required": ("rules",), "allowed": ()}, "policy")["rules"]
    if not isinstance(rules, list):
        raise InvalidPolicy(
            f'instance type ({json_type(rules)}) does not match any allowed primitive type (allowed: ["array"])'
        )
    if not rules:
        raise InvalidPolicy("array is too short: must have at least 1 elements but instance has 0 elements")
    priorities: set[int] = set()
    for rule in rules:
        rule = _object(rule, _RULE, "rule")
        _integer(rule["rulePriority"], 1)
        selection = _object(rule["selection"], _SELECTION, "selection")
        _object(rule["action"], _ACTION, "action")
        _integer(selection["countNumber"], 1)
        if rule["rulePriority"] in priorities:
            raise InvalidPolicy("The rule priority must be unique.")
        priorities.add(rule["rulePriority"])


def lifecycle_refusal(reason: str) -> AwsError:
    return invalid_parameter("LifecyclePolicyText", f"Lifecycle policy validation failure: {reason}")


_EFFECTS = ("Allow", "Deny")
_VERSIONS = ("2012-10-17", "2008-10-17")


def _strings(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statement_ok(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") not in _EFFECTS:
        return False
    if ("Principal" in statement) == ("NotPrincipal" in statement):
        return False
    if ("Action" in statement) == ("NotAction" in statement):
        return False
    actions = _strings(statement.get("Action", statement.get("NotAction")))
    return bool(actions) and all(
        isinstance(action, str) and (action == "*" or action.lower().startswith("ecr:")) for action in actions
    )


def check_repository_policy(text: str) -> None:
    """
    Refuse a repository policy ECR would refuse: L{InvalidPolicy}.
    """
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidPolicy("Invalid repository policy provided") from None
    if not isinstance(document, dict) or document.get("Version", _VERSIONS[0]) not in _VERSIONS:
        raise InvalidPolicy("Invalid repository policy provided")
    statements = _strings(document.get("Statement"))
    if not statements or not all(_statement_ok(statement) for statement in statements):
        raise InvalidPolicy("Invalid repository policy provided")


def repository_policy_refusal(reason: str) -> AwsError:
    return invalid_parameter("PolicyText", reason)
