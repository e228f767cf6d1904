"""
EventBridge's rules on the service contract: one handler per operation of
botocore's C{events} model that RustStack has, C{async def op(call,
params) -> output}; an operation of the model without one answers 501
C{NotImplemented}.

Only the default event bus exists: a request naming another bus (by name
or ARN) is answered as AWS answers for a bus that does not exist. Every
handler reads and changes its caller's account in its caller's region only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.events import patterns, schedule
from ruststack.events.rules import DEFAULT_BUS, Rule, bus_arn
from ruststack.protocol import Handler, Protocol
from ruststack.service_resource import AccountCall

PROTOCOL = Protocol.for_service("events")

# Each rule can have up to five targets (PutTargets, AWS's API reference).
MAX_TARGETS = 5
_MAX_TAGS = 50
_PAGE = 100
_BUS_ARN = re.compile(r"arn:aws[\w-]*:events:([a-z0-9-]+):([0-9]{12}):event-bus/(.+)")
_RULE_ARN = re.compile(r"arn:aws[\w-]*:events:([a-z0-9-]+):([0-9]{12}):rule/(.+)")
# ARNs as AWS's format check reads them: arn:partition:service:...
_ARN = re.compile(r"arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:.+")


# The store keeps its resources by account and region.
Call = AccountCall
context_of = AccountCall.context_of


# Errors


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def rule_not_found(name: str, bus: str = DEFAULT_BUS) -> AwsError:
    return PROTOCOL.modeled_error("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus}.")


def bus_not_found(name: str) -> AwsError:
    return PROTOCOL.modeled_error("ResourceNotFoundException", f"Event bus {name} does not exist.")


# The event bus a request names


def _bus_name(call: Call, given: str | None) -> str:
    """
    The name of the bus C{given} (a name or an ARN) names; C{""} for an
    ARN of another account's or region's bus, which is none of the caller's.
    """
    if given is None:
        return DEFAULT_BUS
    arn = _BUS_ARN.fullmatch(given)
    if arn is None:
        return given
    region, account, name = arn.groups()
    return name if (region, account) == (call.region, call.account) else ""


def _default_bus(call: Call, params: dict[str, Any], key: str = "EventBusName") -> None:
    """
    Refuse a request for any bus but the caller's default bus.
    """
    name = _bus_name(call, params.get(key))
    if name != DEFAULT_BUS:
        raise bus_not_found(name or params[key])


def _rule(call: Call, params: dict[str, Any], key: str = "Name") -> Rule:
    _default_bus(call, params)
    rule = call.find(params[key])
    if rule is None:
        raise rule_not_found(params[key])
    return rule


# Paging: a token names the last item of the page it ends.


def _token(last: str) -> str:
    return base64.urlsafe_b64encode(last.encode("utf-8")).decode("ascii")


def _after(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise validation("The NextToken is not valid.") from None


def _page(names: Iterable[str], params: dict[str, Any]) -> tuple[list[str], str | None]:
    """
    The names after C{params}' token, at most C{Limit}, and the token of the rest.
    """
    after = _after(params.get("NextToken"))
    size = params.get("Limit", _PAGE)
    chosen = [name for name in sorted(names) if after is None or name > after]
    if len(chosen) > size:
        return chosen[:size], _token(chosen[size - 1])
    return chosen, None


def _paged(body: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        body["NextToken"] = token
    return body


# Rules


async def put_rule(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    expression = params.get("ScheduleExpression") or None
    pattern = params.get("EventPattern") or None
    if expression is None and pattern is None:
        raise validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    bus = _bus_name(call, params.get("EventBusName"))
    if expression is not None:
        if bus != DEFAULT_BUS:
            raise validation("ScheduleExpression is supported only on the default event bus.")
        try:
            schedule.parse(expression)
        except schedule.InvalidSchedule:
            raise validation("Parameter ScheduleExpression is not valid.") from None
    if pattern is not None:
        try:
            patterns.check(pattern)
        except patterns.InvalidPattern as e:
            raise PROTOCOL.modeled_error(
                "InvalidEventPatternException", f"Event pattern is not valid. Reason: {e.reason}"
            ) from None
    _default_bus(call, params)
    name = params["Name"]
    existing = call.find(name)
    # PutRule replaces the whole definition; the targets and tags stay, and
    # tags are only taken when the rule is made.
    rule = Rule(
        call.account,
        call.region,
        name,
        state=params.get("State", "ENABLED"),
        schedule=expression,
        pattern=pattern,
        description=params.get("Description"),
        role_arn=params.get("RoleArn"),
        tags=existing.tags if existing is not None else _tags(params.get("Tags") or ()),
        targets=existing.targets if existing is not None else {},
    )
    call.store.put(rule)
    return {"RuleArn": rule.arn}


async def describe_rule(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    rule = _rule(call, params)
    return {**rule.shape(), "CreatedBy": rule.account}


async def list_rules(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _default_bus(call, params)
    rules = call.store.rules(call.account, call.region)
    prefix = params.get("NamePrefix", "")
    names, token = _page((name for name in rules if name.startswith(prefix)), params)
    return _paged({"Rules": [rules[name].shape() for name in names]}, token)


async def delete_rule(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _default_bus(call, params)
    rule = call.find(params["Name"])
    if rule is None:
        return {}  # AWS answers a rule that is not there with success
    # Force is for the managed rules of AWS's services: ignored for others.
    if rule.targets:
        raise validation("Rule can't be deleted since it has targets.")
    call.store.remove(rule)
    return {}


async def _set_state(call: Call, params: dict[str, Any], state: str) -> dict[str, Any]:
    rule = _rule(call, params)
    rule.state = state
    call.store.put(rule)
    return {}


async def enable_rule(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return await _set_state(call, params, "ENABLED")


async def disable_rule(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return await _set_state(call, params, "DISABLED")


# Targets


async def put_targets(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    rule = _rule(call, params, "Rule")
    targets: dict[str, dict[str, Any]] = {}
    for target in params["Targets"]:
        if not _ARN.fullmatch(target["Arn"]):
            raise validation(f"Parameter {target['Arn']} is not valid. Reason: Provided Arn is not in correct format.")
        targets[target["Id"]] = target
    if len(rule.targets.keys() | targets.keys()) > MAX_TARGETS:
        raise PROTOCOL.modeled_error(
            "LimitExceededException", "The requested resource exceeds the maximum number allowed."
        )
    # A target of the same id is replaced, in its place.
    rule.targets.update(targets)
    call.store.put(rule)
    return {"FailedEntryCount": 0, "FailedEntries": []}


async def remove_targets(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    rule = _rule(call, params, "Rule")
    # Ids the rule does not have are not failures: they are gone already.
    for target_id in params["Ids"]:
        rule.targets.pop(target_id, None)
    call.store.put(rule)
    return {"FailedEntryCount": 0, "FailedEntries": []}


async def list_targets_by_rule(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    rule = _rule(call, params, "Rule")
    ids, token = _page(rule.targets, params)  # by id
    return _paged({"Targets": [rule.targets[target_id] for target_id in ids]}, token)


async def list_rule_names_by_target(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _default_bus(call, params)
    wanted = params["TargetArn"]
    rules = call.store.rules(call.account, call.region)
    matching = (name for name, rule in rules.items() if any(t["Arn"] == wanted for t in rule.targets.values()))
    names, token = _page(matching, params)
    return _paged({"RuleNames": names}, token)


# Tags


def _tags(tags: Iterable[dict[str, str]]) -> dict[str, str]:
    found = {tag["Key"]: tag["Value"] for tag in tags}
    if len(found) > _MAX_TAGS:
        raise validation(f"Tags cannot exceed {_MAX_TAGS} per resource.")
    return found


def _tagged(call: Call, arn: str) -> Rule:
    """
    The rule C{arn} names: one of the caller's default bus.
    """
    parsed = _RULE_ARN.fullmatch(arn)
    if parsed is None:
        raise validation(f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
    region, account, path = parsed.groups()
    bus, _, name = path.rpartition("/")
    bus = bus or DEFAULT_BUS
    mine = (region, account, bus) == (call.region, call.account, DEFAULT_BUS)
    rule = call.find(name) if mine else None
    if rule is None:
        raise rule_not_found(name, bus)
    return rule


async def tag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    rule = _tagged(call, params["ResourceARN"])
    rule.tags = _tags([*({"Key": k, "Value": v} for k, v in rule.tags.items()), *params["Tags"]])
    call.store.put(rule)
    return {}


async def untag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    rule = _tagged(call, params["ResourceARN"])
    rule.tags = {key: value for key, value in rule.tags.items() if key not in params["TagKeys"]}
    call.store.put(rule)
    return {}


async def list_tags_for_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    rule = _tagged(call, params["ResourceARN"])
    return {"Tags": [{"Key": key, "Value": value} for key, value in rule.tags.items()]}


# The default event bus


async def describe_event_bus(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _default_bus(call, params, "Name")
    return {"Name": DEFAULT_BUS, "Arn": bus_arn(call.account, call.region)}


HANDLERS: dict[str, Handler] = {
    "PutRule": put_rule,
    "DescribeRule": describe_rule,
    "ListRules": list_rules,
    "DeleteRule": delete_rule,
    "EnableRule": enable_rule,
    "DisableRule": disable_rule,
    "PutTargets": put_targets,
    "RemoveTargets": remove_targets,
    "ListTargetsByRule": list_targets_by_rule,
    "ListRuleNamesByTarget": list_rule_names_by_target,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "DescribeEventBus": describe_event_bus,
}
