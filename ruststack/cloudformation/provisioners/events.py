"""
AWS::Events::Rule through EventBridge's API: the rule (PutRule), then its
Targets (PutTargets); an update puts the rule again and changes only the
targets that changed; a delete removes the targets, then the rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.provisioners.base import Made, Provisioner, ResourceContext, pick
from ruststack.cloudformation.provisioners.others import not_running

_DEFAULT_BUS = "default"


def _targets(props: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(target["Id"]): dict(target) for target in props.get("Targets") or []}


class Rule(Provisioner):
    type_name = "AWS::Events::Rule"
    replace_on = frozenset({"Name", "EventBusName"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("Name") or ctx.physical_name(64)
        bus = props.get("EventBusName", _DEFAULT_BUS)
        arn = f"arn:{ctx.partition}:events:{ctx.region}:{ctx.account}:rule/{name}"
        # Ref: the rule's name on the default bus, "bus|name" on another.
        physical = name if bus == _DEFAULT_BUS else f"{bus}|{name}"
        if "events" not in ctx.running:
            return Made(physical, {"Arn": arn}, not_running("EventBridge"))
        made = await self._put(ctx, name, props)
        await self._sync_targets(ctx, name, {}, _targets(props))
        return Made(physical, {"Arn": made["RuleArn"]})

    async def _put(self, ctx: ResourceContext, name: str, props: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "Name": name,
            **pick(props, "ScheduleExpression", "State", "Description", "RoleArn", "EventBusName"),
        }
        pattern = props.get("EventPattern")
        if pattern is not None:
            params["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        return await ctx.call("events", "PutRule", params)

    async def _sync_targets(
        self, ctx: ResourceContext, name: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
    ) -> None:
        gone = sorted(old.keys() - new.keys())
        if gone:
            await ctx.call("events", "RemoveTargets", {"Rule": name, "Ids": gone})
        changed = [target for target_id, target in new.items() if old.get(target_id) != target]
        if changed:
            await ctx.call("events", "PutTargets", {"Rule": name, "Targets": changed})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is not None:
            return current
        name = current.physical_id.rpartition("|")[2]
        await self._put(ctx, name, new)
        await self._sync_targets(ctx, name, _targets(old), _targets(new))
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is not None:
            return
        name = current.physical_id.rpartition("|")[2]
        if not await self._exists(ctx, name):
            return  # deleted outside the stack
        listed = await ctx.call("events", "ListTargetsByRule", {"Rule": name})
        ids = [target["Id"] for target in listed.get("Targets") or []]
        if ids:
            await ctx.call("events", "RemoveTargets", {"Rule": name, "Ids": ids})
        await ctx.call("events", "DeleteRule", {"Name": name})

    async def _exists(self, ctx: ResourceContext, name: str) -> bool:
        rules = await ctx.call("events", "ListRules", {"NamePrefix": name})
        return any(rule["Name"] == name for rule in rules.get("Rules") or [])
