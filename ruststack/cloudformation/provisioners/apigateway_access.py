"""
AWS::ApiGateway::ApiKey, UsagePlan, UsagePlanKey, Model, RequestValidator,
GatewayResponse, DomainName, BasePathMapping and Authorizer: who may call a
REST API, what its requests must look like, what it answers when it refuses
them and where it is served; each made through API Gateway's own control
plane, its Ref and C{Fn::GetAtt} as the CloudFormation reference documents.
Updates in place are patch operations, as CloudFormation's handlers send.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.provisioners.apigateway import _not_found_is_gone
from ruststack.cloudformation.provisioners.base import (
    Made,
    Provisioner,
    ResourceContext,
    boolean,
    integer,
    required,
    tags_map,
)

_SERVICE = "apigateway"
_ID_CHARACTERS = string.ascii_lowercase + string.digits

Patch = list[dict[str, Any]]


def _replace(path: str, old: Any, new: Any) -> Patch:
    """
    A C{replace} of C{path} when the value changed (patch values are
    strings; a removed value becomes the empty string).
    """
    if old == new:
        return []
    if isinstance(new, bool):
        value = "true" if new else "false"
    else:
        value = "" if new is None else str(new)
    return [{"op": "replace", "path": path, "value": value}]


async def _patch(ctx: ResourceContext, operation: str, where: Mapping[str, Any], operations: Patch) -> None:
    if operations:
        await ctx.call(_SERVICE, operation, {**where, "patchOperations": operations})


def _flag(props: Mapping[str, Any], name: str, default: bool | None = None) -> bool | None:
    return boolean(props[name]) if name in props else default


class ApiKey(Provisioner):
    type_name = "AWS::ApiGateway::ApiKey"
    replace_on = frozenset({"Name", "Value", "GenerateDistinctId"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params: dict[str, Any] = {
            "name": props.get("Name") or ctx.physical_name(1024),
            "enabled": _flag(props, "Enabled", False),
        }
        for name, member in (("Description", "description"), ("Value", "value"), ("CustomerId", "customerId")):
            if name in props:
                params[member] = str(props[name])
        if "GenerateDistinctId" in props:
            params["generateDistinctId"] = boolean(props["GenerateDistinctId"])
        if props.get("StageKeys"):
            params["stageKeys"] = [
                {"restApiId": s.get("RestApiId"), "stageName": s.get("StageName")} for s in props["StageKeys"]
            ]
        if props.get("Tags"):
            params["tags"] = tags_map(props["Tags"])
        made = await ctx.call(_SERVICE, "CreateApiKey", params)
        return Made(made["id"], {"APIKeyId": made["id"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        operations = [
            *_replace("/description", old.get("Description"), new.get("Description")),
            *_replace("/enabled", _flag(old, "Enabled", False), _flag(new, "Enabled", False)),
            *_replace("/customerId", old.get("CustomerId"), new.get("CustomerId")),
        ]
        before, after = _stage_keys(old), _stage_keys(new)
        operations += [{"op": "remove", "path": "/stages", "value": key} for key in sorted(before - after)]
        operations += [{"op": "add", "path": "/stages", "value": key} for key in sorted(after - before)]
        await _patch(ctx, "UpdateApiKey", {"apiKey": current.physical_id}, operations)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(ctx.call(_SERVICE, "DeleteApiKey", {"apiKey": current.physical_id}))


def _stage_keys(props: Mapping[str, Any]) -> set[str]:
    return {f"{s.get('RestApiId')}/{s.get('StageName')}" for s in props.get("StageKeys") or []}


def _throttle(value: Mapping[str, Any]) -> dict[str, Any]:
    throttle: dict[str, Any] = {}
    if "BurstLimit" in value:
        throttle["burstLimit"] = integer(value["BurstLimit"], "Throttle/BurstLimit")
    if "RateLimit" in value:
        throttle["rateLimit"] = float(value["RateLimit"])
    return throttle


def _quota(value: Mapping[str, Any]) -> dict[str, Any]:
    quota: dict[str, Any] = {}
    if "Limit" in value:
        quota["limit"] = integer(value["Limit"], "Quota/Limit")
    if "Offset" in value:
        quota["offset"] = integer(value["Offset"], "Quota/Offset")
    if "Period" in value:
        quota["period"] = value["Period"]
    return quota


class UsagePlan(Provisioner):
    type_name = "AWS::ApiGateway::UsagePlan"
    replace_on = frozenset()

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params: dict[str, Any] = {"name": props.get("UsagePlanName") or ctx.physical_name(1024)}
        if "Description" in props:
            params["description"] = props["Description"]
        stages = []
        for stage in props.get("ApiStages") or []:
            api_stage: dict[str, Any] = {"apiId": stage.get("ApiId"), "stage": stage.get("Stage")}
            if stage.get("Throttle"):
                api_stage["throttle"] = {path: _throttle(t) for path, t in stage["Throttle"].items()}
            stages.append(api_stage)
        if stages:
            params["apiStages"] = stages
        if props.get("Throttle"):
            params["throttle"] = _throttle(props["Throttle"])
        if props.get("Quota"):
            params["quota"] = _quota(props["Quota"])
        if props.get("Tags"):
            params["tags"] = tags_map(props["Tags"])
        made = await ctx.call(_SERVICE, "CreateUsagePlan", params)
        return Made(made["id"], {"Id": made["id"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        operations = [*_replace("/description", old.get("Description"), new.get("Description"))]
        if new.get("UsagePlanName") and new.get("UsagePlanName") != old.get("UsagePlanName"):
            operations += _replace("/name", None, new["UsagePlanName"])
        before = {f"{s.get('ApiId')}:{s.get('Stage')}" for s in old.get("ApiStages") or []}
        after = {f"{s.get('ApiId')}:{s.get('Stage')}" for s in new.get("ApiStages") or []}
        operations += [{"op": "remove", "path": "/apiStages", "value": key} for key in sorted(before - after)]
        operations += [{"op": "add", "path": "/apiStages", "value": key} for key in sorted(after - before)]
        for member, convert in (("Throttle", _throttle), ("Quota", _quota)):
            was, now = convert(old.get(member) or {}), convert(new.get(member) or {})
            if was == now:
                continue
            path = f"/{member.lower()}"
            if not now:
                operations.append({"op": "remove", "path": path})
            else:
                operations += [{"op": "replace", "path": f"{path}/{k}", "value": str(v)} for k, v in now.items()]
        await _patch(ctx, "UpdateUsagePlan", {"usagePlanId": current.physical_id}, operations)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(ctx.call(_SERVICE, "DeleteUsagePlan", {"usagePlanId": current.physical_id}))


class UsagePlanKey(Provisioner):
    """
    Ref is C{<key id>:<usage plan id>}, C{Fn::GetAtt Id} that too (as the
    reference documents it); every property replaces.
    """

    type_name = "AWS::ApiGateway::UsagePlanKey"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        key_id = required(props, "KeyId", self.type_name)
        plan_id = required(props, "UsagePlanId", self.type_name)
        await ctx.call(
            _SERVICE,
            "CreateUsagePlanKey",
            {"usagePlanId": plan_id, "keyId": key_id, "keyType": required(props, "KeyType", self.type_name)},
        )
        physical = f"{key_id}:{plan_id}"
        return Made(physical, {"Id": physical})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call(_SERVICE, "DeleteUsagePlanKey", {"usagePlanId": props["UsagePlanId"], "keyId": props["KeyId"]})
        )


def _schema(value: Any) -> str:
    # The template gives the JSON schema as an object or as its text.
    return value if isinstance(value, str) else json.dumps(value)


class Model(Provisioner):
    """
    Ref is the model's name (made C{<logical id><random>} when not given: a
    model's name is alphanumeric).
    """

    type_name = "AWS::ApiGateway::Model"
    replace_on = frozenset({"RestApiId", "Name", "ContentType"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("Name") or _alphanumeric_name(ctx)
        params: dict[str, Any] = {
            "restApiId": required(props, "RestApiId", self.type_name),
            "name": name,
            "contentType": props.get("ContentType") or "application/json",
        }
        if "Description" in props:
            params["description"] = props["Description"]
        if "Schema" in props:
            params["schema"] = _schema(props["Schema"])
        await ctx.call(_SERVICE, "CreateModel", params)
        return Made(name)

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        old_schema = _schema(old["Schema"]) if "Schema" in old else None
        new_schema = _schema(new["Schema"]) if "Schema" in new else None
        operations = [
            *_replace("/description", old.get("Description"), new.get("Description")),
            *_replace("/schema", old_schema, new_schema),
        ]
        where = {"restApiId": new["RestApiId"], "modelName": current.physical_id}
        await _patch(ctx, "UpdateModel", where, operations)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call(_SERVICE, "DeleteModel", {"restApiId": props["RestApiId"], "modelName": current.physical_id})
        )


def _alphanumeric_name(ctx: ResourceContext) -> str:
    return "".join(c for c in ctx.logical_id if c.isalnum())[:100] + _short_id(12)


def _short_id(length: int = 6) -> str:
    return "".join(secrets.choice(_ID_CHARACTERS) for _ in range(length))


class RequestValidator(Provisioner):
    type_name = "AWS::ApiGateway::RequestValidator"
    replace_on = frozenset({"RestApiId"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params: dict[str, Any] = {
            "restApiId": required(props, "RestApiId", self.type_name),
            "validateRequestBody": _flag(props, "ValidateRequestBody", False),
            "validateRequestParameters": _flag(props, "ValidateRequestParameters", False),
        }
        if props.get("Name"):
            params["name"] = props["Name"]
        made = await ctx.call(_SERVICE, "CreateRequestValidator", params)
        return Made(made["id"], {"RequestValidatorId": made["id"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        operations = [*_replace("/name", old.get("Name"), new.get("Name"))]
        for name in ("ValidateRequestBody", "ValidateRequestParameters"):
            path = "/" + name[0].lower() + name[1:]
            operations += _replace(path, _flag(old, name, False), _flag(new, name, False))
        where = {"restApiId": new["RestApiId"], "requestValidatorId": current.physical_id}
        await _patch(ctx, "UpdateRequestValidator", where, operations)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call(
                _SERVICE,
                "DeleteRequestValidator",
                {"restApiId": props["RestApiId"], "requestValidatorId": current.physical_id},
            )
        )


class GatewayResponse(Provisioner):
    """
    A PutGatewayResponse (an update puts it again); deleting it resets the
    response type to its default. Ref and C{Fn::GetAtt Id}: an id of its
    own, as CloudFormation makes one (API Gateway has none for it).
    """

    type_name = "AWS::ApiGateway::GatewayResponse"
    replace_on = frozenset({"RestApiId", "ResponseType"})

    async def _put(self, ctx: ResourceContext, props: Mapping[str, Any]) -> None:
        params: dict[str, Any] = {
            "restApiId": required(props, "RestApiId", self.type_name),
            "responseType": required(props, "ResponseType", self.type_name),
        }
        if "StatusCode" in props:
            params["statusCode"] = str(props["StatusCode"])
        for name, member in (("ResponseParameters", "responseParameters"), ("ResponseTemplates", "responseTemplates")):
            if props.get(name):
                params[member] = {str(k): str(v) for k, v in props[name].items()}
        await ctx.call(_SERVICE, "PutGatewayResponse", params)

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        await self._put(ctx, props)
        physical = _short_id()
        return Made(physical, {"Id": physical})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        await self._put(ctx, new)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call(
                _SERVICE,
                "DeleteGatewayResponse",
                {"restApiId": props["RestApiId"], "responseType": props["ResponseType"]},
            )
        )


_DOMAIN_MEMBERS = {
    "CertificateArn": "certificateArn",
    "RegionalCertificateArn": "regionalCertificateArn",
    "SecurityPolicy": "securityPolicy",
}


class DomainName(Provisioner):
    type_name = "AWS::ApiGateway::DomainName"
    replace_on = frozenset({"DomainName", "EndpointConfiguration", "MutualTlsAuthentication"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params: dict[str, Any] = {"domainName": required(props, "DomainName", self.type_name)}
        params.update({member: props[name] for name, member in _DOMAIN_MEMBERS.items() if name in props})
        if props.get("EndpointConfiguration"):
            params["endpointConfiguration"] = {"types": props["EndpointConfiguration"].get("Types") or []}
        if props.get("OwnershipVerificationCertificateArn"):
            params["ownershipVerificationCertificateArn"] = props["OwnershipVerificationCertificateArn"]
        if props.get("Tags"):
            params["tags"] = tags_map(props["Tags"])
        made = await ctx.call(_SERVICE, "CreateDomainName", params)
        return Made(made["domainName"], _domain_attributes(made))

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        operations: Patch = []
        for name, member in _DOMAIN_MEMBERS.items():
            if name in new:
                operations += _replace(f"/{member}", old.get(name), new[name])
        await _patch(ctx, "UpdateDomainName", {"domainName": current.physical_id}, operations)
        made = await ctx.call(_SERVICE, "GetDomainName", {"domainName": current.physical_id})
        return Made(current.physical_id, _domain_attributes(made))

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(ctx.call(_SERVICE, "DeleteDomainName", {"domainName": current.physical_id}))


def _domain_attributes(made: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "DistributionDomainName": made.get("distributionDomainName", ""),
        "DistributionHostedZoneId": made.get("distributionHostedZoneId", ""),
        "RegionalDomainName": made.get("regionalDomainName", ""),
        "RegionalHostedZoneId": made.get("regionalHostedZoneId", ""),
        "DomainNameArn": made.get("domainNameArn", ""),
    }


class BasePathMapping(Provisioner):
    """
    The reference documents no Ref for it: the physical id is
    C{<domain name>/<base path>} (C{(none)} for the empty one).
    """

    type_name = "AWS::ApiGateway::BasePathMapping"
    replace_on = frozenset({"DomainName", "BasePath"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params: dict[str, Any] = {
            "domainName": required(props, "DomainName", self.type_name),
            "restApiId": required(props, "RestApiId", self.type_name),
        }
        if props.get("BasePath"):
            params["basePath"] = props["BasePath"]
        if props.get("Stage"):
            params["stage"] = props["Stage"]
        made = await ctx.call(_SERVICE, "CreateBasePathMapping", params)
        return Made(f"{params['domainName']}/{made.get('basePath') or '(none)'}")

    def _where(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {"domainName": props["DomainName"], "basePath": props.get("BasePath") or "(none)"}

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        operations = [
            *_replace("/restapiId", old.get("RestApiId"), new.get("RestApiId")),
            *_replace("/stage", old.get("Stage"), new.get("Stage")),
        ]
        await _patch(ctx, "UpdateBasePathMapping", self._where(new), operations)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(ctx.call(_SERVICE, "DeleteBasePathMapping", self._where(props)))


_AUTHORIZER_MEMBERS = {
    "Name": "name",
    "Type": "type",
    "AuthorizerUri": "authorizerUri",
    "AuthorizerCredentials": "authorizerCredentials",
    "IdentitySource": "identitySource",
    "IdentityValidationExpression": "identityValidationExpression",
    "AuthType": "authType",
}


class Authorizer(Provisioner):
    type_name = "AWS::ApiGateway::Authorizer"
    replace_on = frozenset({"RestApiId"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params: dict[str, Any] = {
            "restApiId": required(props, "RestApiId", self.type_name),
            "name": required(props, "Name", self.type_name),
            "type": required(props, "Type", self.type_name),
        }
        params.update({member: props[name] for name, member in _AUTHORIZER_MEMBERS.items() if name in props})
        if "ProviderARNs" in props:
            params["providerARNs"] = list(props["ProviderARNs"])
        if "AuthorizerResultTtlInSeconds" in props:
            params["authorizerResultTtlInSeconds"] = integer(
                props["AuthorizerResultTtlInSeconds"], "AuthorizerResultTtlInSeconds"
            )
        made = await ctx.call(_SERVICE, "CreateAuthorizer", params)
        return Made(made["id"], {"AuthorizerId": made["id"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        operations: Patch = []
        for name in ("Name", "Type", "AuthorizerUri", "AuthorizerCredentials", "IdentitySource"):
            operations += _replace(f"/{_AUTHORIZER_MEMBERS[name]}", old.get(name), new.get(name))
        operations += _replace(
            "/identityValidationExpression",
            old.get("IdentityValidationExpression"),
            new.get("IdentityValidationExpression"),
        )
        operations += _replace(
            "/authorizerResultTtlInSeconds",
            str(old.get("AuthorizerResultTtlInSeconds", 300)),
            str(new.get("AuthorizerResultTtlInSeconds", 300)),
        )
        where = {"restApiId": new["RestApiId"], "authorizerId": current.physical_id}
        await _patch(ctx, "UpdateAuthorizer", where, operations)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call(
                _SERVICE, "DeleteAuthorizer", {"restApiId": props["RestApiId"], "authorizerId": current.physical_id}
            )
        )
