"""
AWS::ApiGatewayV2::Api, Integration, Route, Stage, Deployment and Authorizer
through the HTTP API control plane. An Api with a C{Body} (the OpenAPI 3
document SAM's C{HttpApi} makes) is imported by ImportApi, read by the
service's own reader (L{ruststack.apigatewayv2.openapi}).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from typing import Any

from ruststack.apigatewayv2 import mapping, openapi
from ruststack.cloudformation.provisioners.apigateway import read_s3_object
from ruststack.cloudformation.provisioners.base import (
    Made,
    Provisioner,
    ResourceContext,
    ResourceFailed,
    boolean,
    integer,
    pick,
    required,
)
from ruststack.cloudformation.provisioners.others import not_running

_SERVICE = "apigatewayv2"
_API_MEMBERS = (
    "ApiKeySelectionExpression",
    "CorsConfiguration",
    "CredentialsArn",
    "Description",
    "DisableExecuteApiEndpoint",
    "DisableSchemaValidation",
    "Name",
    "RouteKey",
    "RouteSelectionExpression",
    "Target",
    "Version",
)
_INTEGRATION_MEMBERS = (
    "ConnectionId",
    "ConnectionType",
    "ContentHandlingStrategy",
    "CredentialsArn",
    "Description",
    "IntegrationMethod",
    "IntegrationSubtype",
    "IntegrationType",
    "IntegrationUri",
    "PassthroughBehavior",
    "PayloadFormatVersion",
    "RequestParameters",
    "RequestTemplates",
    "ResponseParameters",
    "TemplateSelectionExpression",
    "TlsConfig",
)
_ROUTE_MEMBERS = (
    "AuthorizationScopes",
    "AuthorizationType",
    "AuthorizerId",
    "ModelSelectionExpression",
    "OperationName",
    "RequestModels",
    "RequestParameters",
    "RouteKey",
    "RouteResponseSelectionExpression",
    "Target",
)
_STAGE_MEMBERS = (
    "AccessLogSettings",
    "ClientCertificateId",
    "DefaultRouteSettings",
    "DeploymentId",
    "Description",
    "RouteSettings",
    "StageVariables",
)


async def _not_found_is_gone(call: Awaitable[Any]) -> None:
    try:
        await call
    except ResourceFailed as e:
        if "NotFoundException" not in str(e):
            raise


def _tags_of_openapi(document: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(tag["name"]): str(tag.get("x-amazon-apigateway-tag-value", ""))
        for tag in document.get("tags") or []
        if isinstance(tag, Mapping) and "name" in tag
    }


def _text_of(body: Any) -> str:
    # Body is the document itself in a template, or its JSON/YAML text.
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return body if isinstance(body, str) else json.dumps(body)


def _tags_in(text: str) -> dict[str, str]:
    try:
        document = openapi.parse(text)
    except openapi.InvalidDefinition:
        return {}
    return _tags_of_openapi(document)


class Api(Provisioner):
    """
    An HTTP API; with a C{Body} or C{BodyS3Location} (the OpenAPI 3 document
    SAM's C{HttpApi} makes, JSON or YAML) it is imported as ImportApi
    imports one -- routes, integrations, authorizers and CORS -- and a
    changed document reimported, the template's own members applied over
    the document's.
    """

    type_name = "AWS::ApiGatewayV2::Api"
    replace_on = frozenset({"ProtocolType", "Target", "RouteKey", "CredentialsArn"})

    async def _definition(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        body = props.get("Body")
        if body is None and "BodyS3Location" in props:
            location = props["BodyS3Location"]
            body = await read_s3_object(ctx, location["Bucket"], location["Key"], location.get("Version"))
        return None if body is None else _text_of(body)

    def _import_params(self, props: Mapping[str, Any], text: str) -> dict[str, Any]:
        params: dict[str, Any] = {"Body": text}
        if "BasePath" in props:
            params["Basepath"] = props["BasePath"]
        if "FailOnWarnings" in props:
            params["FailOnWarnings"] = boolean(props["FailOnWarnings"])
        return params

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        text = await self._definition(ctx, props)
        if text is None:
            required(props, "Name", self.type_name)
        if _SERVICE not in ctx.running:
            return Made(ctx.physical_name(10, lower=True), {"ApiId": "", "ApiEndpoint": ""}, not_running("HTTP APIs"))
        if text is None:
            params: dict[str, Any] = {"ProtocolType": props.get("ProtocolType", "HTTP"), **pick(props, *_API_MEMBERS)}
            for flag in ("DisableExecuteApiEndpoint", "DisableSchemaValidation"):
                if flag in params:
                    params[flag] = boolean(params[flag])
            if props.get("Tags"):
                params["Tags"] = dict(props["Tags"])
            made = await ctx.call(_SERVICE, "CreateApi", params)
            return Made(made["ApiId"], {"ApiId": made["ApiId"], "ApiEndpoint": made["ApiEndpoint"]})
        made = await ctx.call(_SERVICE, "ImportApi", self._import_params(props, text))
        api_id = made["ApiId"]
        try:
            made = await self._apply_members(ctx, api_id, props, {**_tags_in(text), **(props.get("Tags") or {})})
        except ResourceFailed:
            await _not_found_is_gone(ctx.call(_SERVICE, "DeleteApi", {"ApiId": api_id}))
            raise
        return Made(api_id, {"ApiId": api_id, "ApiEndpoint": made["ApiEndpoint"]})

    async def _apply_members(
        self, ctx: ResourceContext, api_id: str, props: Mapping[str, Any], tags: Mapping[str, Any]
    ) -> dict[str, Any]:
        params = {
            "ApiId": api_id,
            **pick(props, "ApiKeySelectionExpression", "CorsConfiguration", "Description", "Name", "Version"),
            **pick(props, "RouteSelectionExpression"),
        }
        for flag in ("DisableExecuteApiEndpoint", "DisableSchemaValidation"):
            if flag in props:
                params[flag] = boolean(props[flag])
        made = await ctx.call(_SERVICE, "UpdateApi", params)
        if tags:
            arn = f"arn:{ctx.partition}:apigateway:{ctx.region}::/apis/{api_id}"
            await ctx.call(
                _SERVICE, "TagResource", {"ResourceArn": arn, "Tags": {str(k): str(v) for k, v in tags.items()}}
            )
        return made

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is not None:
            return current
        api_id = current.physical_id
        text = await self._definition(ctx, new)
        if text is not None and (new.get("Body"), new.get("BodyS3Location")) != (
            old.get("Body"),
            old.get("BodyS3Location"),
        ):
            await ctx.call(_SERVICE, "ReimportApi", {"ApiId": api_id, **self._import_params(new, text)})
        made = await self._apply_members(ctx, api_id, new, dict(new.get("Tags") or {}))
        return Made(api_id, {"ApiId": api_id, "ApiEndpoint": made["ApiEndpoint"]})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is None:
            await _not_found_is_gone(ctx.call(_SERVICE, "DeleteApi", {"ApiId": current.physical_id}))


class Integration(Provisioner):
    type_name = "AWS::ApiGatewayV2::Integration"
    replace_on = frozenset({"ApiId"})

    def _params(self, props: Mapping[str, Any]) -> dict[str, Any]:
        params = {"ApiId": required(props, "ApiId", self.type_name), **pick(props, *_INTEGRATION_MEMBERS)}
        if "TimeoutInMillis" in props:
            params["TimeoutInMillis"] = integer(props["TimeoutInMillis"], "TimeoutInMillis")
        if isinstance(params.get("ResponseParameters"), Mapping):
            params["ResponseParameters"] = mapping.of_template(params["ResponseParameters"])
        return params

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        required(props, "IntegrationType", self.type_name)
        if _SERVICE not in ctx.running:
            return Made(ctx.physical_name(7, lower=True), {}, not_running("HTTP APIs"))
        made = await ctx.call(_SERVICE, "CreateIntegration", self._params(props))
        return Made(made["IntegrationId"], {"IntegrationId": made["IntegrationId"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is None:
            params, before = self._params(new), self._params(old)
            for member in ("RequestParameters", "ResponseParameters"):
                # UpdateIntegration keeps the mappings it is not given: the template's replace them.
                if before.get(member) or params.get(member):
                    params[member] = mapping.replacing(before.get(member), params.get(member) or {})
            await ctx.call(_SERVICE, "UpdateIntegration", {**params, "IntegrationId": current.physical_id})
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is None:
            await _not_found_is_gone(
                ctx.call(_SERVICE, "DeleteIntegration", {"ApiId": props["ApiId"], "IntegrationId": current.physical_id})
            )


class Route(Provisioner):
    type_name = "AWS::ApiGatewayV2::Route"
    replace_on = frozenset({"ApiId"})

    def _params(self, props: Mapping[str, Any]) -> dict[str, Any]:
        params = {"ApiId": required(props, "ApiId", self.type_name), **pick(props, *_ROUTE_MEMBERS)}
        if "ApiKeyRequired" in props:
            params["ApiKeyRequired"] = boolean(props["ApiKeyRequired"])
        return params

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        required(props, "RouteKey", self.type_name)
        if _SERVICE not in ctx.running:
            return Made(ctx.physical_name(7, lower=True), {}, not_running("HTTP APIs"))
        made = await ctx.call(_SERVICE, "CreateRoute", self._params(props))
        return Made(made["RouteId"], {"RouteId": made["RouteId"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is None:
            await ctx.call(_SERVICE, "UpdateRoute", {**self._params(new), "RouteId": current.physical_id})
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is None:
            await _not_found_is_gone(
                ctx.call(_SERVICE, "DeleteRoute", {"ApiId": props["ApiId"], "RouteId": current.physical_id})
            )


class Stage(Provisioner):
    type_name = "AWS::ApiGatewayV2::Stage"
    replace_on = frozenset({"ApiId", "StageName"})

    def _params(self, props: Mapping[str, Any]) -> dict[str, Any]:
        params = {
            "ApiId": required(props, "ApiId", self.type_name),
            "StageName": required(props, "StageName", self.type_name),
            **pick(props, *_STAGE_MEMBERS),
        }
        if "AutoDeploy" in props:
            params["AutoDeploy"] = boolean(props["AutoDeploy"])
        if "StageVariables" in params:
            params["StageVariables"] = {str(k): str(v) for k, v in params["StageVariables"].items()}
        return params

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = self._params(props)
        if _SERVICE not in ctx.running:
            return Made(params["StageName"], {}, not_running("HTTP APIs"))
        if props.get("Tags"):
            params["Tags"] = {str(k): str(v) for k, v in props["Tags"].items()}
        await ctx.call(_SERVICE, "CreateStage", params)
        return Made(params["StageName"])

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is None:
            await ctx.call(_SERVICE, "UpdateStage", self._params(new))
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is None:
            await _not_found_is_gone(
                ctx.call(_SERVICE, "DeleteStage", {"ApiId": props["ApiId"], "StageName": current.physical_id})
            )


class Deployment(Provisioner):
    """
    A deployment, of the stage C{StageName} when given; any change makes a
    new one.
    """

    type_name = "AWS::ApiGatewayV2::Deployment"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = {"ApiId": required(props, "ApiId", self.type_name), **pick(props, "Description", "StageName")}
        if _SERVICE not in ctx.running:
            return Made(ctx.physical_name(6, lower=True), {}, not_running("HTTP APIs"))
        made = await ctx.call(_SERVICE, "CreateDeployment", params)
        return Made(made["DeploymentId"], {"DeploymentId": made["DeploymentId"]})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is not None:
            return
        try:
            await ctx.call(_SERVICE, "DeleteDeployment", {"ApiId": props["ApiId"], "DeploymentId": current.physical_id})
        except ResourceFailed as e:
            # Gone, or still a stage's (the stage, or the API, goes with the stack).
            if "NotFoundException" not in str(e) and "BadRequestException" not in str(e):
                raise


_AUTHORIZER_MEMBERS = (
    "AuthorizerCredentialsArn",
    "AuthorizerPayloadFormatVersion",
    "AuthorizerType",
    "AuthorizerUri",
    "IdentitySource",
    "IdentityValidationExpression",
    "JwtConfiguration",
    "Name",
)


class Authorizer(Provisioner):
    type_name = "AWS::ApiGatewayV2::Authorizer"
    replace_on = frozenset({"ApiId"})

    def _params(self, props: Mapping[str, Any]) -> dict[str, Any]:
        params = {"ApiId": required(props, "ApiId", self.type_name), **pick(props, *_AUTHORIZER_MEMBERS)}
        if "AuthorizerResultTtlInSeconds" in props:
            params["AuthorizerResultTtlInSeconds"] = integer(
                props["AuthorizerResultTtlInSeconds"], "AuthorizerResultTtlInSeconds"
            )
        if "EnableSimpleResponses" in props:
            params["EnableSimpleResponses"] = boolean(props["EnableSimpleResponses"])
        return params

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        required(props, "AuthorizerType", self.type_name)
        required(props, "Name", self.type_name)
        if _SERVICE not in ctx.running:
            return Made(ctx.physical_name(6, lower=True), {}, not_running("HTTP APIs"))
        made = await ctx.call(_SERVICE, "CreateAuthorizer", self._params(props))
        return Made(made["AuthorizerId"], {"AuthorizerId": made["AuthorizerId"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is None:
            await ctx.call(_SERVICE, "UpdateAuthorizer", {**self._params(new), "AuthorizerId": current.physical_id})
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is None:
            await _not_found_is_gone(
                ctx.call(_SERVICE, "DeleteAuthorizer", {"ApiId": props["ApiId"], "AuthorizerId": current.physical_id})
            )
