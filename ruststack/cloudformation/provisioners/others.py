"""
AWS::IAM::Role, Policy, ManagedPolicy; AWS::Logs::LogGroup; AWS::SSM::Parameter
through their services' APIs when RustStack runs them. Where it does not run
that service, the resource is recorded with a status reason saying so (and
its Ref and attributes as AWS would give them), so that a stack that needs
an execution role still deploys; and the types the tools' bootstrap stacks
use that RustStack does not emulate at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from ruststack.aws.identity import role_id
from ruststack.cloudformation.provisioners.base import (
    Made,
    Provisioner,
    ResourceContext,
    ResourceFailed,
    integer,
    pick,
    required,
)


def not_running(service: str) -> str:
    return f"Recorded only: RustStack does not run {service} (--services)"


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tags(props: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in props.get("Tags") or []]


async def _gone_if_missing(ctx: ResourceContext, service: str, operation: str, params: Mapping[str, Any]) -> None:
    try:
        await ctx.call(service, operation, params)
    except ResourceFailed as e:
        if "NoSuchEntity" not in str(e) and "NotFound" not in str(e):
            raise


class Role(Provisioner):
    type_name = "AWS::IAM::Role"
    replace_on = frozenset({"RoleName", "Path"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("RoleName") or ctx.physical_name(64)
        path = props.get("Path", "/")
        arn = f"arn:{ctx.partition}:iam::{ctx.account}:role{path}{name}"
        if "iam" not in ctx.running:
            return Made(name, {"Arn": arn, "RoleId": role_id(arn)}, not_running("IAM"))
        params = {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": _document(required(props, "AssumeRolePolicyDocument", self.type_name)),
            **pick(props, "Description", "PermissionsBoundary"),
        }
        if "MaxSessionDuration" in props:
            params["MaxSessionDuration"] = integer(props["MaxSessionDuration"], "MaxSessionDuration")
        if props.get("Tags"):
            params["Tags"] = _tags(props)
        made = (await ctx.call("iam", "CreateRole", params))["Role"]
        await self._policies(ctx, name, {}, props)
        return Made(name, {"Arn": made["Arn"], "RoleId": made["RoleId"]})

    async def _policies(self, ctx: ResourceContext, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old_inline = {p["PolicyName"]: p for p in old.get("Policies") or []}
        new_inline = {p["PolicyName"]: p for p in new.get("Policies") or []}
        for policy_name, policy in new_inline.items():
            if old_inline.get(policy_name) != policy:
                await ctx.call(
                    "iam",
                    "PutRolePolicy",
                    {
                        "RoleName": name,
                        "PolicyName": policy_name,
                        "PolicyDocument": _document(policy["PolicyDocument"]),
                    },
                )
        for policy_name in old_inline.keys() - new_inline.keys():
            await _gone_if_missing(ctx, "iam", "DeleteRolePolicy", {"RoleName": name, "PolicyName": policy_name})
        old_managed, new_managed = set(old.get("ManagedPolicyArns") or []), set(new.get("ManagedPolicyArns") or [])
        for arn in sorted(new_managed - old_managed):
            await ctx.call("iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})
        for arn in sorted(old_managed - new_managed):
            await _gone_if_missing(ctx, "iam", "DetachRolePolicy", {"RoleName": name, "PolicyArn": arn})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if "iam" not in ctx.running:
            return current
        name = current.physical_id
        if old.get("AssumeRolePolicyDocument") != new.get("AssumeRolePolicyDocument"):
            await ctx.call(
                "iam",
                "UpdateAssumeRolePolicy",
                {"RoleName": name, "PolicyDocument": _document(new["AssumeRolePolicyDocument"])},
            )
        await self._policies(ctx, name, old, new)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is not None:
            return
        await self._policies(ctx, current.physical_id, props, {})
        await _gone_if_missing(ctx, "iam", "DeleteRole", {"RoleName": current.physical_id})


class Policy(Provisioner):
    type_name = "AWS::IAM::Policy"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = required(props, "PolicyName", self.type_name)
        physical = ctx.physical_name(128)
        if "iam" not in ctx.running:
            return Made(physical, {"Id": physical}, not_running("IAM"))
        document = _document(required(props, "PolicyDocument", self.type_name))
        for kind, operation in (("Roles", "PutRolePolicy"), ("Users", "PutUserPolicy"), ("Groups", "PutGroupPolicy")):
            key = kind[:-1] + "Name"
            for target in props.get(kind) or []:
                await ctx.call("iam", operation, {key: target, "PolicyName": name, "PolicyDocument": document})
        return Made(physical, {"Id": physical})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is not None:
            return
        for kind, operation in (
            ("Roles", "DeleteRolePolicy"),
            ("Users", "DeleteUserPolicy"),
            ("Groups", "DeleteGroupPolicy"),
        ):
            key = kind[:-1] + "Name"
            for target in props.get(kind) or []:
                await _gone_if_missing(ctx, "iam", operation, {key: target, "PolicyName": props["PolicyName"]})


class ManagedPolicy(Provisioner):
    type_name = "AWS::IAM::ManagedPolicy"
    replace_on = frozenset({"ManagedPolicyName", "Path", "PolicyDocument", "Description"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("ManagedPolicyName") or ctx.physical_name(128)
        path = props.get("Path", "/")
        arn = f"arn:{ctx.partition}:iam::{ctx.account}:policy{path}{name}"
        if "iam" not in ctx.running:
            return Made(arn, {"PolicyArn": arn}, not_running("IAM"))
        params = {
            "PolicyName": name,
            "Path": path,
            "PolicyDocument": _document(required(props, "PolicyDocument", self.type_name)),
            **pick(props, "Description"),
        }
        made = (await ctx.call("iam", "CreatePolicy", params))["Policy"]
        for role in props.get("Roles") or []:
            await ctx.call("iam", "AttachRolePolicy", {"RoleName": role, "PolicyArn": made["Arn"]})
        return Made(made["Arn"], {"PolicyArn": made["Arn"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if "iam" not in ctx.running:
            return current
        old_roles, new_roles = set(old.get("Roles") or []), set(new.get("Roles") or [])
        for role in sorted(new_roles - old_roles):
            await ctx.call("iam", "AttachRolePolicy", {"RoleName": role, "PolicyArn": current.physical_id})
        for role in sorted(old_roles - new_roles):
            await _gone_if_missing(ctx, "iam", "DetachRolePolicy", {"RoleName": role, "PolicyArn": current.physical_id})
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is not None:
            return
        for role in props.get("Roles") or []:
            await _gone_if_missing(ctx, "iam", "DetachRolePolicy", {"RoleName": role, "PolicyArn": current.physical_id})
        await _gone_if_missing(ctx, "iam", "DeletePolicy", {"PolicyArn": current.physical_id})


class LogGroup(Provisioner):
    type_name = "AWS::Logs::LogGroup"
    replace_on = frozenset({"LogGroupName", "KmsKeyId", "LogGroupClass"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("LogGroupName") or ctx.physical_name(512)
        arn = f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account}:log-group:{name}:*"
        if "logs" not in ctx.running:
            return Made(name, {"Arn": arn}, not_running("CloudWatch Logs"))
        params: dict[str, Any] = {"logGroupName": name}
        if props.get("Tags"):
            params["tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        await ctx.call("logs", "CreateLogGroup", params)
        await self._retention(ctx, name, {}, props)
        return Made(name, {"Arn": arn})

    async def _retention(self, ctx: ResourceContext, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if old.get("RetentionInDays") == new.get("RetentionInDays"):
            return
        if "RetentionInDays" in new:
            days = integer(new["RetentionInDays"], "RetentionInDays")
            await ctx.call("logs", "PutRetentionPolicy", {"logGroupName": name, "retentionInDays": days})
        else:
            await ctx.call("logs", "DeleteRetentionPolicy", {"logGroupName": name})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is None:
            await self._retention(ctx, current.physical_id, old, new)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is None:
            await _gone_if_missing(ctx, "logs", "DeleteLogGroup", {"logGroupName": current.physical_id})


class Parameter(Provisioner):
    type_name = "AWS::SSM::Parameter"
    replace_on = frozenset({"Name"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("Name") or f"CFN-{ctx.physical_name(1011 - 4)}"
        kind = required(props, "Type", self.type_name)
        value = required(props, "Value", self.type_name)
        attributes = {"Type": kind, "Value": value}
        if "ssm" not in ctx.running:
            return Made(name, attributes, not_running("SSM"))
        await self._put(ctx, name, props, overwrite=False)
        return Made(name, attributes)

    async def _put(self, ctx: ResourceContext, name: str, props: Mapping[str, Any], overwrite: bool) -> None:
        params = {
            "Name": name,
            "Type": props["Type"],
            "Value": str(props["Value"]),
            "Overwrite": overwrite,
            **pick(props, "Description", "AllowedPattern", "Tier", "DataType", "Policies"),
        }
        if props.get("Tags") and not overwrite:
            params["Tags"] = [{"Key": k, "Value": str(v)} for k, v in props["Tags"].items()]
        await ctx.call("ssm", "PutParameter", params)

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is None:
            await self._put(ctx, current.physical_id, new, overwrite=True)
        return Made(current.physical_id, {"Type": new["Type"], "Value": new["Value"]}, current.note)

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is None:
            await _gone_if_missing(ctx, "ssm", "DeleteParameter", {"Name": current.physical_id})


_NOT_EMULATED = "Recorded only: RustStack does not emulate {type}"


class Recorded(Provisioner):
    """
    A type the tools' bootstrap stacks use that RustStack does not emulate:
    accepted and recorded, with a made-up identity in AWS's forms.
    """

    replace_on = frozenset()

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        note = _NOT_EMULATED.format(type=self.type_name)
        service = self.type_name.split("::")[1].lower()
        arn_base = f"arn:{ctx.partition}:{service}:{ctx.region}:{ctx.account}"
        if self.type_name == "AWS::KMS::Key":
            key = str(uuid.uuid4())
            return Made(key, {"Arn": f"{arn_base}:key/{key}", "KeyId": key}, note)
        if self.type_name == "AWS::KMS::Alias":
            name = props.get("AliasName") or f"alias/{ctx.physical_name(250)}"
            return Made(name, {}, note)
        if self.type_name == "AWS::IAM::InstanceProfile":
            name = props.get("InstanceProfileName") or ctx.physical_name(128)
            return Made(name, {"Arn": f"arn:{ctx.partition}:iam::{ctx.account}:instance-profile/{name}"}, note)
        physical = ctx.physical_name(128)
        return Made(physical, {}, note)

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        return None


RECORDED_TYPES = (
    "AWS::CDK::Metadata",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::IAM::InstanceProfile",
    "AWS::CloudFormation::WaitConditionHandle",
)
