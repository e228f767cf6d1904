"""
AWS::ApiGatewayV2::Api, Integration, Route, Stage and Deployment through the
HTTP API control plane. An Api with a C{Body} (the OpenAPI 3 document SAM's
C{HttpApi} events make) becomes the API and, for each path and method, a
route to its C{x-amazon-apigateway-integration}: what ImportApi would do,
read here (see L{routes_of_openapi}).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from typing import Any

import attrs

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
_ANY_METHOD = "x-amazon-apigateway-any-method"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
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


@attrs.frozen
class OpenApiRoute:
    """
    One route of an OpenAPI document and the integration it goes to (the
    CreateIntegration members).
    """

    route_key: str
    integration: dict[str, Any]


def routes_of_openapi(document: Mapping[str, Any]) -> list[OpenApiRoute]:
    """
    The routes of an HTTP API's OpenAPI 3 document: each path (or
    C{$default}) and method (C{x-amazon-apigateway-any-method}: C{ANY}) with
    an C{x-amazon-apigateway-integration}; an operation without one has no
    route. L{ResourceFailed} for a document that is not one.
    """
    paths = document.get("paths") or {}
    if not isinstance(paths, Mapping):
        raise ResourceFailed("Invalid OpenAPI input: paths must be an object")
    routes = []
    for path, operations in paths.items():
        if not isinstance(operations, Mapping):
            raise ResourceFailed(f"Invalid OpenAPI input: the path {path} must be an object")
        for method, operation in operations.items():
            if method != _ANY_METHOD and method not in _HTTP_METHODS:
                continue  # parameters, summary, x-... of the path
            if not isinstance(operation, Mapping) or "x-amazon-apigateway-integration" not in operation:
                continue
            verb = "ANY" if method == _ANY_METHOD else method.upper()
            key = "$default" if path == "$default" or operation.get("isDefaultRoute") else f"{verb} {path}"
            routes.append(OpenApiRoute(key, _integration_of(operation["x-amazon-apigateway-integration"])))
    return routes


def _integration_of(extension: Any) -> dict[str, Any]:
    if not isinstance(extension, Mapping):
        raise ResourceFailed("Invalid OpenAPI input: x-amazon-apigateway-integration must be an object")
    integration: dict[str, Any] = {
        "IntegrationType": str(extension.get("type", "")).upper(),
        "PayloadFormatVersion": str(extension.get("payloadFormatVersion", "1.0")),
    }
    for name, member in (
        ("uri", "IntegrationUri"),
        ("httpMethod", "IntegrationMethod"),
        ("credentials", "CredentialsArn"),
    ):
        if name in extension:
            integration[member] = str(extension[name])
    if "timeoutInMillis" in extension:
        integration["TimeoutInMillis"] = integer(extension["timeoutInMillis"], "timeoutInMillis")
    return integration


def _tags_of_openapi(document: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(tag["name"]): str(tag.get("x-amazon-apigateway-tag-value", ""))
        for tag in document.get("tags") or []
        if isinstance(tag, Mapping) and "name" in tag
    }


def _cors_of_openapi(document: Mapping[str, Any]) -> dict[str, Any] | None:
    cors = document.get("x-amazon-apigateway-cors")
    if not isinstance(cors, Mapping):
        return None
    return {key[0].upper() + key[1:]: value for key, value in cors.items()}


class Api(Provisioner):
    type_name = "AWS::ApiGatewayV2::Api"
    replace_on = frozenset({"Body", "BodyS3Location", "ProtocolType", "Target", "RouteKey", "CredentialsArn"})

    async def _document(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        body = props.get("Body")
        if body is None and "BodyS3Location" in props:
            location = props["BodyS3Location"]
            body = await read_s3_object(ctx, location["Bucket"], location["Key"], location.get("Version"))
        if body is None:
            return None
        if isinstance(body, (bytes, str)):
            try:
                body = json.loads(body)
            except ValueError:
                raise ResourceFailed("Invalid OpenAPI input: RustStack reads JSON documents only") from None
        if not isinstance(body, Mapping):
            raise ResourceFailed("Invalid OpenAPI input: the document must be an object")
        return body

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        document = await self._document(ctx, props)
        params: dict[str, Any] = {"ProtocolType": props.get("ProtocolType", "HTTP"), **pick(props, *_API_MEMBERS)}
        for flag in ("DisableExecuteApiEndpoint", "DisableSchemaValidation"):
            if flag in params:
                params[flag] = boolean(params[flag])
        tags = dict(props.get("Tags") or {})
        if document is not None:
            params.setdefault("Name", (document.get("info") or {}).get("title") or ctx.physical_name(128))
            tags = {**_tags_of_openapi(document), **tags}
            cors = _cors_of_openapi(document)
            if cors is not None:
                params.setdefault("CorsConfiguration", cors)
        else:
            required(props, "Name", self.type_name)
        if tags:
            params["Tags"] = tags
        if _SERVICE not in ctx.running:
            return Made(ctx.physical_name(10, lower=True), {"ApiId": "", "ApiEndpoint": ""}, not_running("HTTP APIs"))
        made = await ctx.call(_SERVICE, "CreateApi", params)
        api_id = made["ApiId"]
        if document is not None:
            await self._import_routes(ctx, api_id, routes_of_openapi(document))
        return Made(api_id, {"ApiId": api_id, "ApiEndpoint": made["ApiEndpoint"]})

    async def _import_routes(self, ctx: ResourceContext, api_id: str, routes: list[OpenApiRoute]) -> None:
        # One integration per distinct target, as ImportApi makes them.
        integrations: dict[str, str] = {}
        for route in routes:
            key = json.dumps(route.integration, sort_keys=True)
            if key not in integrations:
                made = await ctx.call(_SERVICE, "CreateIntegration", {"ApiId": api_id, **route.integration})
                integrations[key] = made["IntegrationId"]
            await ctx.call(
                _SERVICE,
                "CreateRoute",
                {"ApiId": api_id, "RouteKey": route.route_key, "Target": f"integrations/{integrations[key]}"},
            )

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is not None:
            return current
        params = {
            "ApiId": current.physical_id,
            **pick(new, "ApiKeySelectionExpression", "CorsConfiguration", "Description", "Name", "Version"),
            **pick(new, "RouteSelectionExpression"),
        }
        for flag in ("DisableExecuteApiEndpoint", "DisableSchemaValidation"):
            if flag in new:
                params[flag] = boolean(new[flag])
        made = await ctx.call(_SERVICE, "UpdateApi", params)
        return Made(current.physical_id, {"ApiId": current.physical_id, "ApiEndpoint": made["ApiEndpoint"]})

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
        return params

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        required(props, "IntegrationType", self.type_name)
        if _SERVICE not in ctx.running:
            return Made(ctx.physical_name(7, lower=True), {}, not_running("HTTP APIs"))
        made = await ctx.call(_SERVICE, "CreateIntegration", self._params(props))
        return Made(made["IntegrationId"], {"IntegrationId": made["IntegrationId"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is None:
            await ctx.call(_SERVICE, "UpdateIntegration", {**self._params(new), "IntegrationId": current.physical_id})
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
