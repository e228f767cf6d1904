"""
Evaluating a template's intrinsic functions (C{Ref}, C{Fn::GetAtt},
C{Fn::Sub}, C{Fn::Join}...), its conditions and the pseudo parameters, as
CloudFormation does, with its error texts ("Template error: ...").
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ruststack.aws.errors import AwsError

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::Region",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::NoValue",
    "AWS::NotificationARNs",
)
# ${Name}, ${Resource.Attribute}; ${!Literal} stays "${Literal}".
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SUB_NAME = re.compile(r"^[A-Za-z0-9_.:]+$")


class _NoValue:
    """
    C{Ref: AWS::NoValue}: the property it stands in is removed.
    """

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def template_error(message: str) -> AwsError:
    return AwsError("ValidationError", f"Template error: {message}", 400)


@attrs.define
class Scope:
    """
    What a template's functions are evaluated against.

    @ivar parameters: parameter name -> value (a string, or a list for the
        list types).
    @ivar conditions: condition name -> its value, once evaluated.
    @ivar ref: a resource's logical id -> its Ref value.
    @ivar get_att: (logical id, attribute) -> the value.
    @ivar import_value: an export's name -> its value.
    """

    account: str
    region: str
    stack_name: str
    stack_id: str
    parameters: Mapping[str, Any] = attrs.field(factory=dict)
    mappings: Mapping[str, Any] = attrs.field(factory=dict)
    conditions: dict[str, bool] = attrs.field(factory=dict)
    condition_definitions: Mapping[str, Any] = attrs.field(factory=dict)
    resources: Mapping[str, Any] = attrs.field(factory=dict)
    ref: Callable[[str], Any] = lambda name: name
    get_att: Callable[[str, str], Any] = lambda name, attribute: f"{name}.{attribute}"
    import_value: Callable[[str], Any] = lambda name: name
    notification_arns: list[str] = attrs.field(factory=list)

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com"

    def pseudo(self, name: str) -> Any:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": list(self.notification_arns),
        }[name]

    def condition(self, name: str) -> bool:
        """
        The value of the template's condition C{name}, evaluated once.
        """
        if name in self.conditions:
            return self.conditions[name]
        if name not in self.condition_definitions:
            raise template_error(f"unresolved condition dependency {name} in Fn::If")
        self.conditions[name] = False  # a condition that refers to itself reads false, not forever
        value = evaluate_condition(self.condition_definitions[name], self)
        self.conditions[name] = value
        return value


def evaluate_condition(value: Any, scope: Scope) -> bool:
    result = evaluate(value, scope)
    if isinstance(result, str) and result.lower() in ("true", "false"):
        return result.lower() == "true"
    if not isinstance(result, bool):
        raise template_error("Fn::If requires a list argument with the first element being a condition")
    return result


def _function(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        # {"Condition": "Name"} is a function; an IAM statement's Condition object is not.
        if name == "Condition" and not isinstance(argument, str):
            return None
        if name in ("Ref", "Condition") or (isinstance(name, str) and name.startswith("Fn::")):
            return name, argument
    return None


def evaluate(value: Any, scope: Scope) -> Any:
    """
    C{value} with every function in it evaluated; properties whose value is
    C{AWS::NoValue} are left out of objects and lists.
    """
    function = _function(value)
    if function is not None:
        name, argument = function
        handler = _FUNCTIONS.get(name)
        if handler is None:
            raise template_error(f"Unrecognized function {name}")  # pragma: no cover - checked in template
        return handler(argument, scope)
    if isinstance(value, dict):
        evaluated = {key: evaluate(item, scope) for key, item in value.items()}
        return {key: item for key, item in evaluated.items() if item is not NO_VALUE}
    if isinstance(value, list):
        return [item for item in (evaluate(item, scope) for item in value) if item is not NO_VALUE]
    return value


def _ref(name: Any, scope: Scope) -> Any:
    if not isinstance(name, str):
        raise template_error("Ref requires a string argument")
    if name in scope.parameters:
        return scope.parameters[name]
    if name in PSEUDO_PARAMETERS:
        return scope.pseudo(name)
    if name in scope.resources:
        return scope.ref(name)
    raise template_error(f"Unresolved resource dependencies [{name}] in the Resources block of the template")


def _get_att(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    if not isinstance(argument, list) or len(argument) != 2:
        raise template_error("Fn::GetAtt requires a list argument with two elements")
    name, attribute = argument[0], evaluate(argument[1], scope)
    if name not in scope.resources:
        raise template_error(f"instance of Fn::GetAtt references undefined resource {name}")
    return scope.get_att(name, str(attribute))


def _string(value: Any, function: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise template_error(f"every value of the list must be a string: {function}")
    return value


def _join(argument: Any, scope: Scope) -> str:
    if not isinstance(argument, list) or len(argument) != 2:
        raise template_error("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list")
    delimiter = evaluate(argument[0], scope)
    items = evaluate(argument[1], scope)
    if not isinstance(delimiter, str) or not isinstance(items, list):
        raise template_error("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list")
    return delimiter.join(_string(item, "Fn::Join") for item in items)


def _split(argument: Any, scope: Scope) -> list[str]:
    if not isinstance(argument, list) or len(argument) != 2:
        raise template_error("every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string")
    delimiter, text = evaluate(argument[0], scope), evaluate(argument[1], scope)
    if not isinstance(delimiter, str) or not delimiter or not isinstance(text, str):
        raise template_error("every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string")
    return text.split(delimiter)


def _select(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) != 2:
        raise template_error("Fn::Select requires a list argument with two elements: an integer index and a list")
    index, items = evaluate(argument[0], scope), evaluate(argument[1], scope)
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise template_error(
            "Fn::Select requires a list argument with two elements: an integer index and a list"
        ) from None
    if not isinstance(items, list):
        raise template_error("Fn::Select requires a list argument with two elements: an integer index and a list")
    if not 0 <= position < len(items):
        raise template_error(f"Fn::Select  cannot select nonexistent value at index {position}")
    return items[position]


def _sub(argument: Any, scope: Scope) -> str:
    variables: dict[str, Any] = {}
    if isinstance(argument, list):
        if len(argument) != 2 or not isinstance(argument[1], dict):
            raise template_error("One or more Fn::Sub intrinsic functions don't specify expected arguments.")
        text, given = argument
        variables = {key: evaluate(value, scope) for key, value in given.items()}
    else:
        text = argument
    if not isinstance(text, str):
        raise template_error("One or more Fn::Sub intrinsic functions don't specify expected arguments.")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        name = name.strip()
        if name in variables:
            return _string(variables[name], "Fn::Sub")
        if not _SUB_NAME.match(name):
            raise template_error(
                "variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods,"
                " and colons"
            )
        if "." in name and name not in scope.parameters:
            resource, _, attribute = name.partition(".")
            return _string(_get_att([resource, attribute], scope), "Fn::Sub")
        value = _ref(name, scope)
        if isinstance(value, list):
            return ",".join(_string(item, "Fn::Sub") for item in value)
        return _string(value, "Fn::Sub")

    return SUB_VARIABLE.sub(replace, text)


def sub_references(text: str) -> list[str]:
    """
    The names C{${...}} in a C{Fn::Sub} string refers to (not literals).
    """
    return [m.group(1).strip() for m in SUB_VARIABLE.finditer(text) if not m.group(1).startswith("!")]


def _base64(argument: Any, scope: Scope) -> str:
    text = evaluate(argument, scope)
    if not isinstance(text, str):
        raise template_error("Fn::Base64 requires a string argument")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _find_in_map(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) != 3:
        raise template_error("Fn::FindInMap requires a list argument with three elements")
    name, top, second = (evaluate(item, scope) for item in argument)
    try:
        return scope.mappings[name][top][second]
    except (KeyError, TypeError):
        raise template_error(f"Unable to get mapping for {name}::{top}::{second}") from None


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    region = evaluate(argument, scope) or scope.region
    return [f"{region}{letter}" for letter in "abc"]


def _import_value(argument: Any, scope: Scope) -> Any:
    name = evaluate(argument, scope)
    if not isinstance(name, str):
        raise template_error("Fn::ImportValue requires a string argument")
    return scope.import_value(name)


def _cidr(argument: Any, scope: Scope) -> list[str]:
    if not isinstance(argument, list) or len(argument) not in (2, 3):
        raise template_error("Fn::Cidr requires a list argument with three elements")
    block, count, bits = (evaluate(item, scope) for item in [*argument, 8][:3])
    try:
        network = ipaddress.ip_network(str(block), strict=False)
        prefix = network.max_prefixlen - int(bits)
        subnets = network.subnets(new_prefix=prefix)
        return [str(next(subnets)) for _ in range(int(count))]
    except (ValueError, StopIteration):
        raise template_error(f"Fn::Cidr cannot split {block} into {count} networks of {bits} bits") from None


def _if(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
        raise template_error("Fn::If requires a list argument with the first element being a condition")
    return evaluate(argument[1] if scope.condition(argument[0]) else argument[2], scope)


def _equals(argument: Any, scope: Scope) -> bool:
    if not isinstance(argument, list) or len(argument) != 2:
        raise template_error("Fn::Equals requires a list argument with two elements")
    left, right = (evaluate(item, scope) for item in argument)
    return _comparable(left) == _comparable(right)


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _conditions(argument: Any, scope: Scope, function: str) -> list[bool]:
    if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
        raise template_error(f"{function} requires a list argument with between 2 and 10 elements")
    return [evaluate_condition(item, scope) for item in argument]


def _not(argument: Any, scope: Scope) -> bool:
    if not isinstance(argument, list) or len(argument) != 1:
        raise template_error("Fn::Not requires a list argument with one element")
    return not evaluate_condition(argument[0], scope)


def _condition_ref(name: Any, scope: Scope) -> bool:
    if not isinstance(name, str):
        raise template_error("Condition requires a string argument")
    return scope.condition(name)


def _to_json_string(argument: Any, scope: Scope) -> str:
    return json.dumps(evaluate(argument, scope), separators=(",", ":"))


def _length(argument: Any, scope: Scope) -> int:
    items = evaluate(argument, scope)
    if not isinstance(items, list):
        raise template_error("Fn::Length requires a list argument")
    return len(items)


_FUNCTIONS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": _ref,
    "Condition": _condition_ref,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Split": _split,
    "Fn::Select": _select,
    "Fn::Sub": _sub,
    "Fn::Base64": _base64,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::ImportValue": _import_value,
    "Fn::Cidr": _cidr,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": lambda argument, scope: all(_conditions(argument, scope, "Fn::And")),
    "Fn::Or": lambda argument, scope: any(_conditions(argument, scope, "Fn::Or")),
    "Fn::Not": _not,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Length": _length,
}
