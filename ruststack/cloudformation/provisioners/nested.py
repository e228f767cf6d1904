"""
AWS::CloudFormation::Stack (nested stacks) through CloudFormation's own API,
as any other resource: CreateStack, UpdateStack and DeleteStack over the
edge as the parent's account, then DescribeStacks until the child settles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.provisioners.base import Made, Provisioner, ResourceContext, ResourceFailed, required

_WAIT_STEP = 0.05
_WAIT_STEPS = 36_000  # half an hour


def _parameters(props: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"ParameterKey": str(k), "ParameterValue": ",".join(map(str, v)) if isinstance(v, list) else str(v)}
        for k, v in (props.get("Parameters") or {}).items()
    ]


def _tags(props: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in props.get("Tags") or []]


class NestedStack(Provisioner):
    type_name = "AWS::CloudFormation::Stack"
    replace_on = frozenset()

    async def _settled(self, ctx: ResourceContext, stack_id: str, done: str) -> dict[str, Any]:
        for _ in range(_WAIT_STEPS):
            stack = (await ctx.call("cloudformation", "DescribeStacks", {"StackName": stack_id}))["Stacks"][0]
            status = stack["StackStatus"]
            if status == done:
                return stack
            if not status.endswith("_IN_PROGRESS"):
                raise ResourceFailed(
                    f"Embedded stack {stack_id} was not successfully {'created' if 'CREATE' in done else 'updated'}:"
                    f" {stack.get('StackStatusReason') or status}"
                )
            await ctx.sleep(_WAIT_STEP)
        raise ResourceFailed(f"Embedded stack {stack_id} did not settle")

    @staticmethod
    def _made(stack: Mapping[str, Any]) -> Made:
        outputs = {f"Outputs.{o['OutputKey']}": o["OutputValue"] for o in stack.get("Outputs") or []}
        return Made(stack["StackId"], outputs)

    def _capabilities(self) -> list[str]:
        return ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = ctx.physical_name(128).replace("_", "-")
        params: dict[str, Any] = {
            "StackName": name,
            "TemplateURL": required(props, "TemplateURL", self.type_name),
            "Parameters": _parameters(props),
            "Capabilities": self._capabilities(),
            "Tags": _tags(props),
        }
        if props.get("NotificationARNs"):
            params["NotificationARNs"] = props["NotificationARNs"]
        created = await ctx.call("cloudformation", "CreateStack", params)
        return self._made(await self._settled(ctx, created["StackId"], "CREATE_COMPLETE"))

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        try:
            await ctx.call(
                "cloudformation",
                "UpdateStack",
                {
                    "StackName": current.physical_id,
                    "TemplateURL": required(new, "TemplateURL", self.type_name),
                    "Parameters": _parameters(new),
                    "Capabilities": self._capabilities(),
                    "Tags": _tags(new),
                },
            )
        except ResourceFailed as e:
            if "No updates are to be performed." not in str(e):
                raise
            stack = (await ctx.call("cloudformation", "DescribeStacks", {"StackName": current.physical_id}))["Stacks"]
            return self._made(stack[0])
        return self._made(await self._settled(ctx, current.physical_id, "UPDATE_COMPLETE"))

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await ctx.call("cloudformation", "DeleteStack", {"StackName": current.physical_id})
        for _ in range(_WAIT_STEPS):
            stack = (await ctx.call("cloudformation", "DescribeStacks", {"StackName": current.physical_id}))["Stacks"][
                0
            ]
            if stack["StackStatus"] == "DELETE_COMPLETE":
                return
            if stack["StackStatus"] == "DELETE_FAILED":
                raise ResourceFailed(
                    f"Embedded stack {current.physical_id} was not deleted: {stack.get('StackStatusReason')}"
                )
            await ctx.sleep(_WAIT_STEP)
        raise ResourceFailed(f"Embedded stack {current.physical_id} was not deleted in time")
