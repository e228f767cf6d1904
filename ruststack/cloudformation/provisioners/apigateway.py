"""
AWS::ApiGateway::RestApi, Resource, Method, Deployment, Stage and Account
through API Gateway's control plane.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

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

# What RestApi's BodyS3Location is read with: (bucket, key, version) -> bytes.
ObjectReader = Callable[[ResourceContext, str, str, str | None], Awaitable[bytes]]


async def read_s3_object(ctx: ResourceContext, bucket: str, key: str, version: str | None) -> bytes:
    params = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
    answer = await ctx.call("s3", "GetObject", params)
    body = answer.get("Body", b"")
    return body if isinstance(body, bytes) else body.read()


async def _not_found_is_gone(call: Awaitable[Any]) -> None:
    try:
        await call
    except ResourceFailed as e:
        if "NotFoundException" not in str(e):
            raise


class RestApi(Provisioner):
    type_name = "AWS::ApiGateway::RestApi"

    async def _definition(self, ctx: ResourceContext, props: Mapping[str, Any]) -> bytes | None:
        if "Body" in props:
            body = props["Body"]
            return body.encode() if isinstance(body, str) else json.dumps(body).encode()
        if "BodyS3Location" in props:
            location = props["BodyS3Location"]
            return await read_s3_object(ctx, location["Bucket"], location["Key"], location.get("Version"))
        return None

    async def _root(self, ctx: ResourceContext, api: str) -> str:
        resources = await ctx.call("apigateway", "GetResources", {"restApiId": api, "limit": 500})
        return next((r["id"] for r in resources.get("items", []) if r.get("path") == "/"), "")

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        definition = await self._definition(ctx, props)
        if definition is not None:
            params: dict[str, Any] = {"body": definition}
            if "FailOnWarnings" in props:
                params["failOnWarnings"] = boolean(props["FailOnWarnings"])
            made = await ctx.call("apigateway", "ImportRestApi", params)
            api = made["id"]
            await self._rename(ctx, api, made, props)
        else:
            params = {"name": required(props, "Name", self.type_name), **pick(props, "Description")}
            if "BinaryMediaTypes" in props:
                params["binaryMediaTypes"] = props["BinaryMediaTypes"]
            if "EndpointConfiguration" in props:
                params["endpointConfiguration"] = {"types": props["EndpointConfiguration"].get("Types", [])}
            params = {k[0].lower() + k[1:]: v for k, v in params.items()}
            made = await ctx.call("apigateway", "CreateRestApi", params)
            api = made["id"]
        return Made(api, {"RestApiId": api, "RootResourceId": await self._root(ctx, api)})

    async def _rename(
        self, ctx: ResourceContext, api: str, current: Mapping[str, Any], props: Mapping[str, Any]
    ) -> None:
        operations = []
        if props.get("Name") and props["Name"] != current.get("name"):
            operations.append({"op": "replace", "path": "/name", "value": props["Name"]})
        if props.get("Description") and props["Description"] != current.get("description"):
            operations.append({"op": "replace", "path": "/description", "value": props["Description"]})
        if operations:
            await ctx.call("apigateway", "UpdateRestApi", {"restApiId": api, "patchOperations": operations})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        api = current.physical_id
        definition = await self._definition(ctx, new)
        if definition is not None:
            made = await ctx.call(
                "apigateway", "PutRestApi", {"restApiId": api, "mode": "overwrite", "body": definition}
            )
        else:
            made = await ctx.call("apigateway", "GetRestApi", {"restApiId": api})
        await self._rename(ctx, api, made, new)
        return Made(api, {"RestApiId": api, "RootResourceId": await self._root(ctx, api)})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(ctx.call("apigateway", "DeleteRestApi", {"restApiId": current.physical_id}))


class Resource(Provisioner):
    type_name = "AWS::ApiGateway::Resource"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        made = await ctx.call(
            "apigateway",
            "CreateResource",
            {
                "restApiId": required(props, "RestApiId", self.type_name),
                "parentId": required(props, "ParentId", self.type_name),
                "pathPart": required(props, "PathPart", self.type_name),
            },
        )
        return Made(made["id"], {"ResourceId": made["id"]})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call(
                "apigateway", "DeleteResource", {"restApiId": props["RestApiId"], "resourceId": current.physical_id}
            )
        )


def _lower_keys(value: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names[k]: v for k, v in value.items() if k in names}


_INTEGRATION = {
    "Type": "type",
    "IntegrationHttpMethod": "integrationHttpMethod",
    "Uri": "uri",
    "Credentials": "credentials",
    "RequestParameters": "requestParameters",
    "RequestTemplates": "requestTemplates",
    "PassthroughBehavior": "passthroughBehavior",
    "ContentHandling": "contentHandling",
    "CacheKeyParameters": "cacheKeyParameters",
    "CacheNamespace": "cacheNamespace",
    "ConnectionType": "connectionType",
    "ConnectionId": "connectionId",
}
_INTEGRATION_RESPONSE = {
    "SelectionPattern": "selectionPattern",
    "ResponseParameters": "responseParameters",
    "ResponseTemplates": "responseTemplates",
    "ContentHandling": "contentHandling",
}


class Method(Provisioner):
    type_name = "AWS::ApiGateway::Method"
    replace_on = frozenset({"RestApiId", "ResourceId", "HttpMethod"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        where = {
            "restApiId": required(props, "RestApiId", self.type_name),
            "resourceId": required(props, "ResourceId", self.type_name),
            "httpMethod": required(props, "HttpMethod", self.type_name),
        }
        params = {**where, "authorizationType": props.get("AuthorizationType", "NONE")}
        params.update(
            _lower_keys(
                props,
                {
                    "AuthorizerId": "authorizerId",
                    "OperationName": "operationName",
                    "RequestParameters": "requestParameters",
                    "RequestModels": "requestModels",
                    "AuthorizationScopes": "authorizationScopes",
                    "RequestValidatorId": "requestValidatorId",
                },
            )
        )
        if "ApiKeyRequired" in props:
            params["apiKeyRequired"] = boolean(props["ApiKeyRequired"])
        await ctx.call("apigateway", "PutMethod", params)
        for response in props.get("MethodResponses") or []:
            await ctx.call(
                "apigateway",
                "PutMethodResponse",
                {
                    **where,
                    "statusCode": str(response["StatusCode"]),
                    **_lower_keys(
                        response, {"ResponseParameters": "responseParameters", "ResponseModels": "responseModels"}
                    ),
                },
            )
        integration = props.get("Integration")
        if integration:
            params = {**where, **_lower_keys(integration, _INTEGRATION)}
            if "TimeoutInMillis" in integration:
                params["timeoutInMillis"] = integer(integration["TimeoutInMillis"], "Integration/TimeoutInMillis")
            await ctx.call("apigateway", "PutIntegration", params)
            for response in integration.get("IntegrationResponses") or []:
                await ctx.call(
                    "apigateway",
                    "PutIntegrationResponse",
                    {
                        **where,
                        "statusCode": str(response["StatusCode"]),
                        **_lower_keys(response, _INTEGRATION_RESPONSE),
                    },
                )
        return Made(ctx.physical_name(100))

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        await self.delete(ctx, current, old)
        await self.create(ctx, new)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call(
                "apigateway",
                "DeleteMethod",
                {"restApiId": props["RestApiId"], "resourceId": props["ResourceId"], "httpMethod": props["HttpMethod"]},
            )
        )


class Deployment(Provisioner):
    type_name = "AWS::ApiGateway::Deployment"
    replace_on = frozenset({"RestApiId", "DeploymentCanarySettings"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = {"restApiId": required(props, "RestApiId", self.type_name)}
        params.update(_lower_keys(props, {"StageName": "stageName", "Description": "description"}))
        if "StageDescription" in props and "Description" in props["StageDescription"]:
            params["stageDescription"] = props["StageDescription"]["Description"]
        made = await ctx.call("apigateway", "CreateDeployment", params)
        return Made(made["id"], {"DeploymentId": made["id"]})

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if new.get("Description") != old.get("Description"):
            await ctx.call(
                "apigateway",
                "UpdateDeployment",
                {
                    "restApiId": new["RestApiId"],
                    "deploymentId": current.physical_id,
                    "patchOperations": [{"op": "replace", "path": "/description", "value": new.get("Description", "")}],
                },
            )
        if new.get("StageName") and new.get("StageName") != old.get("StageName"):
            await ctx.call(
                "apigateway",
                "CreateStage",
                {"restApiId": new["RestApiId"], "stageName": new["StageName"], "deploymentId": current.physical_id},
            )
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        api = props["RestApiId"]
        if props.get("StageName"):
            # The stage this deployment made goes with it (when it still points here).
            try:
                stage = await ctx.call("apigateway", "GetStage", {"restApiId": api, "stageName": props["StageName"]})
            except ResourceFailed:
                stage = {}
            if stage.get("deploymentId") == current.physical_id:
                await _not_found_is_gone(
                    ctx.call("apigateway", "DeleteStage", {"restApiId": api, "stageName": props["StageName"]})
                )
        await _not_found_is_gone(
            ctx.call("apigateway", "DeleteDeployment", {"restApiId": api, "deploymentId": current.physical_id})
        )


class Stage(Provisioner):
    type_name = "AWS::ApiGateway::Stage"
    replace_on = frozenset({"RestApiId", "StageName"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        params = {
            "restApiId": required(props, "RestApiId", self.type_name),
            "stageName": required(props, "StageName", self.type_name),
            "deploymentId": required(props, "DeploymentId", self.type_name),
        }
        params.update(_lower_keys(props, {"Description": "description", "Variables": "variables"}))
        if props.get("Tags"):
            params["tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        await ctx.call("apigateway", "CreateStage", params)
        return Made(params["stageName"])

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        operations = []
        if new.get("DeploymentId") != old.get("DeploymentId"):
            operations.append({"op": "replace", "path": "/deploymentId", "value": new["DeploymentId"]})
        if new.get("Description") != old.get("Description"):
            operations.append({"op": "replace", "path": "/description", "value": new.get("Description", "")})
        old_variables, new_variables = old.get("Variables") or {}, new.get("Variables") or {}
        for name, value in new_variables.items():
            if old_variables.get(name) != value:
                operations.append({"op": "replace", "path": f"/variables/{name}", "value": str(value)})
        for name in old_variables:
            if name not in new_variables:
                operations.append({"op": "remove", "path": f"/variables/{name}"})
        if operations:
            await ctx.call(
                "apigateway",
                "UpdateStage",
                {"restApiId": new["RestApiId"], "stageName": current.physical_id, "patchOperations": operations},
            )
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await _not_found_is_gone(
            ctx.call("apigateway", "DeleteStage", {"restApiId": props["RestApiId"], "stageName": current.physical_id})
        )


class Account(Provisioner):
    type_name = "AWS::ApiGateway::Account"

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        if "CloudWatchRoleArn" in props:
            await ctx.call(
                "apigateway",
                "UpdateAccount",
                {
                    "patchOperations": [
                        {"op": "replace", "path": "/cloudwatchRoleArn", "value": props["CloudWatchRoleArn"]}
                    ]
                },
            )
        return Made(ctx.physical_name(100))

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        await self.create(ctx, new)
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        return None
