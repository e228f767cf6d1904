"""
A template's parameters: the values a stack is given (or their defaults),
checked against each parameter's type and constraints with CloudFormation's
messages. C{AWS::SSM::Parameter::Value<...>} types are read from SSM.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs

from ruststack.cloudformation.template import validation_error

_SSM_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")
_LIST_TYPE = re.compile(r"^List<(.+)>$")
_PLAIN_TYPES = frozenset({"String", "Number", "CommaDelimitedList", "AWS::SSM::Parameter::Name"})
# AWS-specific types (AWS::EC2::VPC::Id...) are strings CloudFormation checks
# against the account; RustStack takes them as strings.
_AWS_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+$")


@attrs.frozen
class Resolved:
    """
    The parameters of a stack: what the template sees (C{values}), what
    DescribeStacks reports (C{reported}: NoEcho values masked), and the
    values as given or defaulted (C{given}: for an SSM parameter type, the
    parameter's name, not its value), which UsePreviousValue reuses.
    """

    values: dict[str, Any]
    reported: list[dict[str, Any]]
    given: dict[str, str] = attrs.field(factory=dict)


def declared(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    parameters = template.get("Parameters") or {}
    return {name: spec if isinstance(spec, dict) else {} for name, spec in parameters.items()}


def check_declarations(template: Mapping[str, Any]) -> None:
    """
    The format errors of a Parameters section.
    """
    for name, spec in declared(template).items():
        kind = spec.get("Type")
        if kind is None:
            raise validation_error("Template format error: Every Parameters object must contain a Type member.")
        if not is_known_type(str(kind)):
            raise validation_error(f"Template format error: Unrecognized parameter type: {kind}")
        if "Default" in spec:
            try:
                _check(name, spec, _text(spec["Default"]))
            except Exception:
                raise validation_error(
                    f"Template format error: Parameter '{name}' has an invalid default value"
                ) from None


def is_known_type(kind: str) -> bool:
    if kind in _PLAIN_TYPES or _SSM_TYPE.match(kind):
        return True
    inner = _LIST_TYPE.match(kind)
    if inner:
        return inner.group(1) in ("Number", "String") or bool(_AWS_TYPE.match(inner.group(1)))
    return bool(_AWS_TYPE.match(kind))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


async def resolve(
    template: Mapping[str, Any],
    given: Sequence[Mapping[str, Any]],
    previous: Mapping[str, str] | None,
    ssm: Callable[[str], Awaitable[str]],
) -> Resolved:
    """
    The values of C{template}'s parameters from C{given} (ParameterKey /
    ParameterValue / UsePreviousValue), C{previous} (the stack's values
    before an update) and the defaults.

    @param ssm: a parameter's name in SSM -> its value.
    """
    specs = declared(template)
    supplied: dict[str, str] = {}
    unknown = []
    for item in given:
        key = item.get("ParameterKey")
        if key is None:
            continue
        if key not in specs:
            unknown.append(key)
            continue
        if item.get("UsePreviousValue"):
            if previous is None or key not in previous:
                raise validation_error(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true for a"
                    " parameter key not in the previous template"
                )
            supplied[key] = previous[key]
        elif "ParameterValue" in item:
            supplied[key] = item["ParameterValue"]
    if unknown:
        raise validation_error(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing = [name for name, spec in specs.items() if name not in supplied and "Default" not in spec]
    if missing:
        raise validation_error(f"Parameters: [{', '.join(missing)}] must have values")
    values: dict[str, Any] = {}
    reported = []
    given_values: dict[str, str] = {}
    for name, spec in specs.items():
        raw = supplied[name] if name in supplied else _text(spec["Default"])
        given_values[name] = raw
        values[name] = _check(name, spec, raw)
        kind = str(spec.get("Type"))
        ssm_type = _SSM_TYPE.match(kind)
        entry: dict[str, Any] = {"ParameterKey": name, "ParameterValue": "****" if _no_echo(spec) else raw}
        if ssm_type:
            resolved = await ssm(raw)
            values[name] = resolved.split(",") if ssm_type.group(1).startswith("List<") else resolved
            entry["ResolvedValue"] = resolved
        reported.append(entry)
    return Resolved(values, reported, given_values)


def _no_echo(spec: Mapping[str, Any]) -> bool:
    return str(spec.get("NoEcho", "false")).lower() == "true"


def _check(name: str, spec: Mapping[str, Any], raw: str) -> Any:
    try:
        return _checked(name, spec, raw)
    except (re.error, TypeError, ValueError):
        # A constraint the template states wrongly (a bad pattern, a length that is not a number).
        raise validation_error(f"Template format error: Parameter '{name}' has an invalid constraint") from None


def _checked(name: str, spec: Mapping[str, Any], raw: str) -> Any:
    """
    The value of parameter C{name} given C{raw}, or CloudFormation's
    ValidationError for a value its type or constraints refuse.
    """
    kind = str(spec.get("Type"))
    description = spec.get("ConstraintDescription")

    def refuse(reason: str) -> Exception:
        return validation_error(f"Parameter '{name}' {description or reason}")

    is_list = kind == "CommaDelimitedList" or bool(_LIST_TYPE.match(kind))
    items = [item.strip() if kind != "CommaDelimitedList" else item for item in raw.split(",")] if is_list else [raw]
    if is_list and raw == "":
        items = []
    numeric = kind == "Number" or kind == "List<Number>"
    for item in items:
        if numeric:
            try:
                number = float(item)
            except ValueError:
                raise validation_error(f"Parameter '{name}' must be a number.") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise refuse(f"must be a number not less than {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise refuse(f"must be a number not greater than {spec['MaxValue']}")
        else:
            if "MinLength" in spec and len(item) < int(spec["MinLength"]):
                raise refuse(f"must contain at least {spec['MinLength']} characters")
            if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
                raise refuse(f"must contain at most {spec['MaxLength']} characters")
            pattern = spec.get("AllowedPattern")
            if pattern is not None and not re.fullmatch(str(pattern), item):
                raise refuse(f"must match pattern {pattern}")
        allowed = spec.get("AllowedValues")
        if allowed is not None and item not in [_text(v) for v in allowed]:
            raise refuse("must be one of AllowedValues")
    return items if is_list else raw
