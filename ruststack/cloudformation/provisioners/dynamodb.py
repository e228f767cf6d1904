"""
AWS::DynamoDB::Table through DynamoDB's API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.provisioners.base import (
    Made,
    Provisioner,
    ResourceContext,
    ResourceFailed,
    integer,
    required,
)

_WAIT_STEP = 0.1
_WAIT_STEPS = 600


def _throughput(value: Mapping[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": integer(value.get("ReadCapacityUnits"), "ProvisionedThroughput/ReadCapacityUnits"),
        "WriteCapacityUnits": integer(value.get("WriteCapacityUnits"), "ProvisionedThroughput/WriteCapacityUnits"),
    }


def _index(index: Mapping[str, Any], with_throughput: bool) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": index.get("Projection", {"ProjectionType": "ALL"}),
    }
    if with_throughput and "ProvisionedThroughput" in index:
        shaped["ProvisionedThroughput"] = _throughput(index["ProvisionedThroughput"])
    return shaped


def _stream(props: Mapping[str, Any]) -> dict[str, Any] | None:
    stream = props.get("StreamSpecification")
    if not stream:
        return None
    return {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}


class Table(Provisioner):
    type_name = "AWS::DynamoDB::Table"
    replace_on = frozenset({"TableName", "KeySchema", "LocalSecondaryIndexes"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("TableName") or ctx.physical_name(255)
        billing = props.get("BillingMode", "PROVISIONED")
        provisioned = billing == "PROVISIONED"
        params: dict[str, Any] = {
            "TableName": name,
            "KeySchema": required(props, "KeySchema", self.type_name),
            "AttributeDefinitions": required(props, "AttributeDefinitions", self.type_name),
            "BillingMode": billing,
        }
        if provisioned:
            params["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput") or {})
        if props.get("GlobalSecondaryIndexes"):
            params["GlobalSecondaryIndexes"] = [_index(i, provisioned) for i in props["GlobalSecondaryIndexes"]]
        if props.get("LocalSecondaryIndexes"):
            params["LocalSecondaryIndexes"] = [_index(i, False) for i in props["LocalSecondaryIndexes"]]
        stream = _stream(props)
        if stream:
            params["StreamSpecification"] = stream
        if props.get("Tags"):
            params["Tags"] = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in props["Tags"]]
        if props.get("TableClass"):
            params["TableClass"] = props["TableClass"]
        if "DeletionProtectionEnabled" in props:
            params["DeletionProtectionEnabled"] = bool(props["DeletionProtectionEnabled"])
        created = await ctx.call("dynamodb", "CreateTable", params)
        description = await self._active(ctx, name, created.get("TableDescription", {}))
        await self._time_to_live(ctx, name, {}, props)
        return Made(name, self._attributes(description))

    @staticmethod
    def _attributes(description: Mapping[str, Any]) -> dict[str, Any]:
        attributes = {"Arn": description.get("TableArn")}
        if description.get("LatestStreamArn"):
            attributes["StreamArn"] = description["LatestStreamArn"]
        return attributes

    async def _active(self, ctx: ResourceContext, name: str, description: Mapping[str, Any]) -> Mapping[str, Any]:
        for _ in range(_WAIT_STEPS):
            if description.get("TableStatus", "ACTIVE") == "ACTIVE":
                return description
            await ctx.sleep(_WAIT_STEP)
            description = (await ctx.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
        raise ResourceFailed(f"Table {name} did not become ACTIVE")

    async def _time_to_live(
        self, ctx: ResourceContext, name: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        before, after = old.get("TimeToLiveSpecification"), new.get("TimeToLiveSpecification")
        if before == after:
            return
        if after:
            spec = {"AttributeName": after["AttributeName"], "Enabled": bool(after.get("Enabled", False))}
        elif before:
            spec = {"AttributeName": before["AttributeName"], "Enabled": False}
        else:
            return
        if not spec["Enabled"] and not before:
            return
        await ctx.call("dynamodb", "UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": spec})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        name = current.physical_id
        params: dict[str, Any] = {"TableName": name}
        billing = new.get("BillingMode", "PROVISIONED")
        if billing != old.get("BillingMode", "PROVISIONED"):
            params["BillingMode"] = billing
        if billing == "PROVISIONED" and new.get("ProvisionedThroughput") != old.get("ProvisionedThroughput"):
            params["ProvisionedThroughput"] = _throughput(new.get("ProvisionedThroughput") or {})
        if _stream(new) != _stream(old):
            params["StreamSpecification"] = _stream(new) or {"StreamEnabled": False}
        old_indexes = {i["IndexName"]: i for i in old.get("GlobalSecondaryIndexes") or []}
        new_indexes = {i["IndexName"]: i for i in new.get("GlobalSecondaryIndexes") or []}
        index_updates: list[dict[str, Any]] = [
            {"Delete": {"IndexName": n}} for n in old_indexes if n not in new_indexes
        ]
        index_updates += [
            {"Create": _index(i, billing == "PROVISIONED")} for n, i in new_indexes.items() if n not in old_indexes
        ]
        if index_updates:
            params["AttributeDefinitions"] = new["AttributeDefinitions"]
        description: Mapping[str, Any] | None = None
        # DynamoDB takes one index change per UpdateTable.
        changes: list[dict[str, Any] | None] = [*index_updates] or [None]
        for position, change in enumerate(changes):
            step: dict[str, Any] = dict(params) if position == 0 else {"TableName": name}
            if change is not None:
                step["GlobalSecondaryIndexUpdates"] = [change]
                step.setdefault("AttributeDefinitions", new["AttributeDefinitions"])
            if len(step) > 1:
                updated = await ctx.call("dynamodb", "UpdateTable", step)
                description = await self._active(ctx, name, updated.get("TableDescription", {}))
        await self._time_to_live(ctx, name, old, new)
        if description is None:
            description = (await ctx.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
        return Made(name, self._attributes(description))

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        try:
            await ctx.call("dynamodb", "DeleteTable", {"TableName": current.physical_id})
        except ResourceFailed as e:
            if "ResourceNotFoundException" not in str(e):
                raise
