"""
AWS::Lambda::Function, Permission, Version, Alias, LayerVersion,
EventSourceMapping and Url through Lambda's API. Where RustStack's Lambda
lacks an API (it answers 501 NotImplemented), the resource fails with that
answer.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.provisioners.base import (
    Made,
    Provisioner,
    ResourceContext,
    ResourceFailed,
    integer,
    pick,
    required,
    tags_map,
)

# The module CloudFormation puts beside inline Python code (ZipFile), for
# custom resources: cfnresponse.send(event, context, status, data, ...).
_CFNRESPONSE = """\
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False, reason=None):
    body = json.dumps({
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: " + context.log_stream_name,
        "PhysicalResourceId": physicalResourceId or context.log_stream_name,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"content-type": "", "content-length": str(len(body))})
    with urllib.request.urlopen(request) as response:
        response.read()
"""
_WAIT_STEP = 0.1
_WAIT_STEPS = 600


def inline_zip(source: str, runtime: str) -> bytes:
    """
    The package CloudFormation makes of inline code: C{index.py} (or
    C{index.js}) holding it, and for Python the cfnresponse module.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        if runtime.startswith("nodejs"):
            package.writestr("index.js", source)
        else:
            package.writestr("index.py", source)
            package.writestr("cfnresponse.py", _CFNRESPONSE)
    return buffer.getvalue()


def _code(props: Mapping[str, Any]) -> dict[str, Any]:
    code = required(props, "Code", "AWS::Lambda::Function")
    if "ZipFile" in code:
        return {"ZipFile": inline_zip(str(code["ZipFile"]), str(props.get("Runtime", "")))}
    if "ImageUri" in code:
        return {"ImageUri": code["ImageUri"]}
    return pick(code, "S3Bucket", "S3Key", "S3ObjectVersion")


def _configuration(props: Mapping[str, Any]) -> dict[str, Any]:
    params = pick(props, "Role", "Handler", "Runtime", "Description", "Layers", "KMSKeyArn")
    for name in ("Timeout", "MemorySize"):
        if name in props:
            params[name] = integer(props[name], name)
    if "Environment" in props:
        variables = props["Environment"].get("Variables") or {}
        params["Environment"] = {"Variables": {str(k): _text(v) for k, v in variables.items()}}
    if "TracingConfig" in props:
        params["TracingConfig"] = props["TracingConfig"]
    if "EphemeralStorage" in props:
        params["EphemeralStorage"] = {"Size": integer(props["EphemeralStorage"].get("Size"), "EphemeralStorage/Size")}
    if "DeadLetterConfig" in props:
        params["DeadLetterConfig"] = props["DeadLetterConfig"]
    if "VpcConfig" in props:
        params["VpcConfig"] = pick(props["VpcConfig"], "SubnetIds", "SecurityGroupIds")
    return params


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Function(Provisioner):
    type_name = "AWS::Lambda::Function"
    replace_on = frozenset({"FunctionName", "PackageType"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("FunctionName") or ctx.physical_name(64)
        params = {"FunctionName": name, "Code": _code(props), **_configuration(props)}
        required(props, "Role", self.type_name)
        for name_ in ("PackageType", "Architectures"):
            if name_ in props:
                params[name_] = props[name_]
        if props.get("Tags"):
            params["Tags"] = tags_map(props["Tags"])
        created = await ctx.call("lambda", "CreateFunction", params)
        await self._settled(ctx, name, created)
        if "ReservedConcurrentExecutions" in props:
            await ctx.call(
                "lambda",
                "PutFunctionConcurrency",
                {
                    "FunctionName": name,
                    "ReservedConcurrentExecutions": integer(
                        props["ReservedConcurrentExecutions"], "ReservedConcurrentExecutions"
                    ),
                },
            )
        return Made(name, {"Arn": created["FunctionArn"]})

    async def _settled(self, ctx: ResourceContext, name: str, configuration: Mapping[str, Any]) -> None:
        # CloudFormation reports the function made once it is Active.
        for _ in range(_WAIT_STEPS):
            state = configuration.get("State", "Active")
            if state == "Failed":
                raise ResourceFailed(configuration.get("StateReason", f"Function {name} failed"))
            if state == "Active" and configuration.get("LastUpdateStatus", "Successful") != "InProgress":
                return
            await ctx.sleep(_WAIT_STEP)
            configuration = await ctx.call("lambda", "GetFunctionConfiguration", {"FunctionName": name})
        raise ResourceFailed(f"Function {name} did not become Active")

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        name = current.physical_id
        if (
            old.get("Code") != new.get("Code")
            or old.get("Runtime") != new.get("Runtime")
            and "ZipFile" in (new.get("Code") or {})
        ):
            code = _code(new)
            updated = await ctx.call("lambda", "UpdateFunctionCode", {"FunctionName": name, **code})
            await self._settled(ctx, name, updated)
        configuration = _configuration(new)
        for key in ("Environment", "Description", "Layers"):
            if key in old and key not in new:
                configuration[key] = {"Variables": {}} if key == "Environment" else ([] if key == "Layers" else "")
        if {k: v for k, v in old.items() if k not in ("Code", "Tags")} != {
            k: v for k, v in new.items() if k not in ("Code", "Tags")
        }:
            updated = await ctx.call("lambda", "UpdateFunctionConfiguration", {"FunctionName": name, **configuration})
            await self._settled(ctx, name, updated)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        try:
            await ctx.call("lambda", "DeleteFunction", {"FunctionName": current.physical_id})
        except ResourceFailed as e:
            if "ResourceNotFoundException" not in str(e):
                raise


class Permission(Provisioner):
    type_name = "AWS::Lambda::Permission"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        statement = ctx.physical_name(100)
        params = {
            "FunctionName": required(props, "FunctionName", self.type_name),
            "Action": required(props, "Action", self.type_name),
            "Principal": required(props, "Principal", self.type_name),
            "StatementId": statement,
            **pick(
                props,
                "SourceArn",
                "SourceAccount",
                "EventSourceToken",
                "FunctionUrlAuthType",
                "InvokedViaFunctionUrl",
                "PrincipalOrgID",
            ),
        }
        await ctx.call("lambda", "AddPermission", params)
        return Made(statement, {"FunctionName": params["FunctionName"]})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        try:
            await ctx.call(
                "lambda",
                "RemovePermission",
                {"FunctionName": props["FunctionName"], "StatementId": current.physical_id},
            )
        except ResourceFailed as e:
            if "ResourceNotFoundException" not in str(e):
                raise


class Version(Provisioner):
    """
    A published version: its Ref is the version's ARN, C{Fn::GetAtt Version}
    its number. Every change replaces it (a version cannot change).
    """

    type_name = "AWS::Lambda::Version"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = {
            "FunctionName": required(props, "FunctionName", self.type_name),
            **pick(props, "Description", "CodeSha256"),
        }
        published = await ctx.call("lambda", "PublishVersion", params)
        arn = published["FunctionArn"]
        return Made(arn, {"Version": published["Version"], "FunctionArn": arn})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        function, _, version = current.physical_id.rpartition(":")
        await _gone_already_fine(ctx.call("lambda", "DeleteFunction", {"FunctionName": function, "Qualifier": version}))


class Alias(Provisioner):
    """
    An alias: its Ref is the alias ARN (as C{Fn::GetAtt AliasArn}).
    """

    type_name = "AWS::Lambda::Alias"
    replace_on = frozenset({"FunctionName", "Name"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = {
            "FunctionName": required(props, "FunctionName", self.type_name),
            "Name": required(props, "Name", self.type_name),
            "FunctionVersion": _text(required(props, "FunctionVersion", self.type_name)),
            **pick(props, "Description"),
            **_routing(props),
        }
        made = await ctx.call("lambda", "CreateAlias", params)
        return Made(made["AliasArn"], {"AliasArn": made["AliasArn"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        params = {
            "FunctionName": new["FunctionName"],
            "Name": new["Name"],
            "FunctionVersion": _text(required(new, "FunctionVersion", self.type_name)),
            "Description": new.get("Description", ""),
            # A routing configuration taken out of the template goes.
            "RoutingConfig": _routing(new).get("RoutingConfig", {"AdditionalVersionWeights": {}}),
        }
        await ctx.call("lambda", "UpdateAlias", params)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _gone_already_fine(
            ctx.call("lambda", "DeleteAlias", {"FunctionName": props["FunctionName"], "Name": props["Name"]})
        )


def _routing(props: Mapping[str, Any]) -> dict[str, Any]:
    # CloudFormation's RoutingConfig is a list of {FunctionVersion, FunctionWeight}.
    weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    if weights is None:
        return {}
    routed: dict[str, float] = {}
    for entry in weights if isinstance(weights, list) else [weights]:
        if not isinstance(entry, Mapping) or "FunctionVersion" not in entry or "FunctionWeight" not in entry:
            raise ResourceFailed(
                "Property validation failure: [Value of property {/RoutingConfig/AdditionalVersionWeights}"
                " does not match type {Array of VersionWeight}]"
            )
        try:
            routed[_text(entry["FunctionVersion"])] = float(entry["FunctionWeight"])
        except (TypeError, ValueError):
            raise ResourceFailed(
                "Property validation failure: [Value of property"
                " {/RoutingConfig/AdditionalVersionWeights/FunctionWeight} does not match type {Number}]"
            ) from None
    return {"RoutingConfig": {"AdditionalVersionWeights": routed}}


async def _gone_already_fine(deleting: Any) -> None:
    # Deleting what is already gone (with its function, say) succeeds.
    try:
        await deleting
    except ResourceFailed as e:
        if "ResourceNotFoundException" not in str(e):
            raise


class LayerVersion(Provisioner):
    """
    A layer version is immutable: any change publishes a new one (Ref and
    C{LayerVersionArn}: its ARN) and deletes the old one, unless the
    template retains it (C{DeletionPolicy} / C{UpdateReplacePolicy}, which
    SAM's C{RetentionPolicy} becomes).
    """

    type_name = "AWS::Lambda::LayerVersion"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        content = required(props, "Content", self.type_name)
        params = {
            "LayerName": props.get("LayerName") or ctx.physical_name(140),
            "Content": pick(content, "S3Bucket", "S3Key", "S3ObjectVersion"),
            **pick(props, "Description", "CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures"),
        }
        made = await ctx.call("lambda", "PublishLayerVersion", params)
        return Made(made["LayerVersionArn"], {"LayerVersionArn": made["LayerVersionArn"]})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        layer, _, version = current.physical_id.rpartition(":")
        await ctx.call("lambda", "DeleteLayerVersion", {"LayerName": layer, "VersionNumber": int(version)})


class LayerVersionPermission(Provisioner):
    """
    One statement of a layer version's policy; any change replaces it. Its
    Ref (CloudFormation's primary identifier) is C{<layer version ARN>#<statement id>}.
    """

    type_name = "AWS::Lambda::LayerVersionPermission"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        arn = str(required(props, "LayerVersionArn", self.type_name))
        layer, _, version = arn.rpartition(":")
        sid = statement_id()
        params = {
            "LayerName": layer,
            "VersionNumber": integer(version, "LayerVersionArn"),
            "StatementId": sid,
            "Action": required(props, "Action", self.type_name),
            "Principal": str(required(props, "Principal", self.type_name)),
            **pick(props, "OrganizationId"),
        }
        await ctx.call("lambda", "AddLayerVersionPermission", params)
        return Made(f"{arn}#{sid}")

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        arn, _, sid = current.physical_id.partition("#")
        layer, _, version = arn.rpartition(":")
        params = {"LayerName": layer, "VersionNumber": int(version), "StatementId": sid}
        # Gone with its layer version already: fine.
        await _gone_already_fine(ctx.call("lambda", "RemoveLayerVersionPermission", params))


class EventSourceMapping(Provisioner):
    type_name = "AWS::Lambda::EventSourceMapping"
    replace_on = frozenset({"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"})
    # Settings passed on as they are (the integers are checked).
    _SETTINGS = (
        "Enabled",
        "FilterCriteria",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "FunctionResponseTypes",
    )
    _INTEGERS = (
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "ParallelizationFactor",
        "TumblingWindowInSeconds",
    )

    def _settings(self, props: Mapping[str, Any]) -> dict[str, Any]:
        params = dict(pick(props, *self._SETTINGS))
        for name in self._INTEGERS:
            if name in props:
                params[name] = integer(props[name], name)
        return params

    @staticmethod
    def _made(answer: Mapping[str, Any]) -> Made:
        # Ref is the UUID; GetAtt Id is too, and EventSourceMappingArn.
        return Made(answer["UUID"], {"Id": answer["UUID"], "EventSourceMappingArn": answer["EventSourceMappingArn"]})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = {
            "FunctionName": required(props, "FunctionName", self.type_name),
            **pick(props, "EventSourceArn", "StartingPosition", "StartingPositionTimestamp", "Tags"),
            **self._settings(props),
        }
        if isinstance(params.get("Tags"), list):
            params["Tags"] = tags_map(params["Tags"])
        return self._made(await ctx.call("lambda", "CreateEventSourceMapping", params))

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        params = {"UUID": current.physical_id, **pick(new, "FunctionName"), **self._settings(new)}
        # A setting taken out of the template goes back to its default.
        defaults = {
            "Enabled": True,
            "FilterCriteria": {"Filters": []},
            "BisectBatchOnFunctionError": False,
            "DestinationConfig": {"OnFailure": {}},
            "FunctionResponseTypes": [],
            "MaximumBatchingWindowInSeconds": 0,
            "MaximumRecordAgeInSeconds": -1,
            "MaximumRetryAttempts": -1,
        }
        for name, value in defaults.items():
            if name in old and name not in new:
                params[name] = value
        await _settled(ctx, current.physical_id)
        return self._made(await ctx.call("lambda", "UpdateEventSourceMapping", params))

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _settled(ctx, current.physical_id)
        await ctx.call("lambda", "DeleteEventSourceMapping", {"UUID": current.physical_id})


async def _settled(ctx: ResourceContext, mapping: str) -> None:
    # Lambda refuses to change a mapping in transition (Creating, Updating...).
    for _ in range(200):
        answer = await ctx.call("lambda", "GetEventSourceMapping", {"UUID": mapping})
        if answer["State"] in ("Enabled", "Disabled"):
            return
        await ctx.sleep(0.05)


class Url(Provisioner):
    type_name = "AWS::Lambda::Url"
    replace_on = frozenset({"TargetFunctionArn", "Qualifier"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = {
            "FunctionName": required(props, "TargetFunctionArn", self.type_name),
            "AuthType": required(props, "AuthType", self.type_name),
            **pick(props, "Qualifier", "Cors", "InvokeMode"),
        }
        made = await ctx.call("lambda", "CreateFunctionUrlConfig", params)
        return Made(made["FunctionArn"], {"FunctionArn": made["FunctionArn"], "FunctionUrl": made["FunctionUrl"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        params = {"FunctionName": new["TargetFunctionArn"], **pick(new, "AuthType", "Qualifier", "Cors", "InvokeMode")}
        # What the template no longer says goes back to Lambda's default.
        params.setdefault("Cors", {})
        params.setdefault("InvokeMode", "BUFFERED")
        await ctx.call("lambda", "UpdateFunctionUrlConfig", params)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        try:
            await ctx.call(
                "lambda",
                "DeleteFunctionUrlConfig",
                {"FunctionName": props["TargetFunctionArn"], **pick(props, "Qualifier")},
            )
        except ResourceFailed as e:
            if "ResourceNotFoundException" not in str(e):
                raise


def statement_id() -> str:
    return secrets.token_hex(8)
