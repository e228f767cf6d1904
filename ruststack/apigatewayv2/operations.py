"""
The HTTP API control plane (botocore's C{apigatewayv2} model, REST-JSON
under C{/v2}) on the service contract: one handler per operation RustStack
has, C{async def op(call, params) -> output}; every other operation of the
model answers 501 C{NotImplemented}.

Every handler reads and changes its caller's APIs in its caller's region
only; an API of another account or region is answered as one that does not
exist. A change of routes or integrations redeploys every stage with
C{AutoDeploy}, as AWS does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from ruststack.apigatewayv2 import mapping
from ruststack.apigatewayv2.model import Deployment, Document, HttpApi, new_id
from ruststack.apigatewayv2.route_authorization import route_authorization_error
from ruststack.apigatewayv2.routes import DEFAULT_ROUTE, InvalidRouteKey, parse_route_key
from ruststack.apigatewayv2.store import HttpApiStore
from ruststack.aws.errors import AwsError
from ruststack.protocol import Handler, Protocol

PROTOCOL = Protocol.for_service("apigatewayv2")

DEFAULT_STAGE = "$default"
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
_STAGE_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_STAGE_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]{0,512}$")
_TARGET = re.compile(r"^integrations/([a-z0-9]+)$")
_API_ARN = re.compile(r"^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::/apis/([a-z0-9]+)(?:/stages/([^/]+))?$")
_FUNCTION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$")
_INTEGRATION_TYPES = ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK")
_PAYLOAD_VERSIONS = ("1.0", "2.0")
# HTTP APIs: between 50 and 30,000 ms, 30,000 by default
# (AWS::ApiGatewayV2::Integration, TimeoutInMillis).
_TIMEOUT_RANGE = (50, 30000)
_MAX_PAGE = 500


# Errors, as API Gateway words them


def not_found(message: str) -> AwsError:
    return PROTOCOL.modeled_error("NotFoundException", message)


def bad_request(message: str) -> AwsError:
    return PROTOCOL.modeled_error("BadRequestException", message)


def conflict(message: str) -> AwsError:
    return PROTOCOL.modeled_error("ConflictException", message)


@attrs.frozen
class Call:
    """
    One control-plane request: the store, who calls, the time, and where the
    data plane listens (for C{ApiEndpoint}).
    """

    store: HttpApiStore
    account: str
    region: str
    now: float
    endpoint: str

    def api(self, api_id: str) -> HttpApi:
        api = self.store.find(self.account, self.region, api_id)
        if api is None:
            raise not_found(f"Invalid API identifier specified {self.account}:{api_id}")
        return api


def context_of(store: HttpApiStore, clock: Any, edge_url: Callable[[], str]) -> Callable[[Any], Call]:
    """
    The handlers' context of a twisted.web request (for L{ServiceResource}).
    """

    def context(request: Any) -> Call:
        caller = request.caller
        return Call(store, caller.account, caller.region, clock.seconds(), edge_url())

    return context


def _api_endpoint(call: Call, api: HttpApi) -> str:
    # The host form of the data plane, on the edge's port.
    scheme, _, rest = call.endpoint.partition("://")
    port = rest.rpartition(":")[2] if ":" in rest else ""
    return f"{scheme}://{api.id}.execute-api.localhost" + (f":{port}" if port else "")


def _page(items: list[Document], params: dict[str, Any]) -> dict[str, Any]:
    # NextToken is opaque in AWS; here the index of the next item.
    try:
        start = int(params.get("NextToken") or 0)
        size = min(int(params.get("MaxResults") or _MAX_PAGE), _MAX_PAGE)
    except ValueError:
        raise bad_request("Invalid pagination token or MaxResults") from None
    output: dict[str, Any] = {"Items": items[start : start + size]}
    if start + size < len(items):
        output["NextToken"] = str(start + size)
    return output


def _set(document: Document, params: dict[str, Any], members: tuple[str, ...]) -> None:
    for member in members:
        if member in params:
            document[member] = params[member]


# APIs

_API_MEMBERS = (
    "ApiKeySelectionExpression",
    "CorsConfiguration",
    "Description",
    "DisableSchemaValidation",
    "DisableExecuteApiEndpoint",
    "IpAddressType",
    "Name",
    "RouteSelectionExpression",
    "Version",
)


def _api_output(call: Call, api: HttpApi) -> dict[str, Any]:
    return {**api.document, "ApiEndpoint": _api_endpoint(call, api), "ApiId": api.id, "Tags": dict(api.tags)}


def _quick_create(call: Call, api: HttpApi, target: str, route_key: str | None, credentials: str | None) -> None:
    """
    What C{Target} makes: a Lambda proxy (2.0) or HTTP proxy integration,
    the route C{RouteKey} (C{$default} unless given) to it, and the
    C{$default} stage deploying itself ("Quick create", CreateApi).
    """
    lambda_target = _FUNCTION_ARN.match(target)
    integration: Document = {
        "ApiGatewayManaged": True,
        "ConnectionType": "INTERNET",
        "IntegrationId": new_id(7),
        "IntegrationMethod": "POST" if lambda_target else "ANY",
        "IntegrationType": "AWS_PROXY" if lambda_target else "HTTP_PROXY",
        "IntegrationUri": target,
        "PayloadFormatVersion": "2.0" if lambda_target else "1.0",
        "TimeoutInMillis": _TIMEOUT_RANGE[1],
    }
    if credentials:
        integration["CredentialsArn"] = credentials
    api.integrations[integration["IntegrationId"]] = integration
    route = _new_route(route_key or DEFAULT_ROUTE, {"Target": f"integrations/{integration['IntegrationId']}"})
    route["ApiGatewayManaged"] = True
    api.routes[route["RouteId"]] = route
    stage = _new_stage(call, DEFAULT_STAGE, {"AutoDeploy": True})
    stage["ApiGatewayManaged"] = True
    api.stages[DEFAULT_STAGE] = stage


async def create_api(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params["ProtocolType"] != "HTTP":
        raise bad_request(f"Invalid protocol type {params['ProtocolType']}: RustStack serves HTTP APIs only")
    if not params["Name"] or len(params["Name"]) > 128:
        raise bad_request("Invalid API name specified")
    if "RouteKey" in params and "Target" not in params:
        raise bad_request("RouteKey can only be specified together with Target")
    if "CredentialsArn" in params and "Target" not in params:
        raise bad_request("CredentialsArn can only be specified together with Target")
    if "RouteKey" in params:
        _route_key(params["RouteKey"])
    document: Document = {
        "ApiKeySelectionExpression": "$request.header.x-api-key",
        "CreatedDate": call.now,
        "DisableExecuteApiEndpoint": False,
        "IpAddressType": "ipv4",
        "ProtocolType": "HTTP",
        "RouteSelectionExpression": "$request.method $request.path",
    }
    _set(document, params, _API_MEMBERS)
    api = HttpApi(call.store.new_api_id(), call.account, call.region, document, dict(params.get("Tags") or {}))
    if "Target" in params:
        _quick_create(call, api, params["Target"], params.get("RouteKey"), params.get("CredentialsArn"))
        _auto_deploy(call, api)
    call.store.apis[api.id] = api
    call.store.save()
    return _api_output(call, api)


async def get_api(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _api_output(call, call.api(params["ApiId"]))


async def get_apis(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    apis = sorted(call.store.in_region(call.account, call.region), key=lambda api: api.document["CreatedDate"])
    return _page([_api_output(call, api) for api in apis], params)


async def update_api(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    api = call.api(params["ApiId"])
    if "Name" in params and (not params["Name"] or len(params["Name"]) > 128):
        raise bad_request("Invalid API name specified")
    _set(api.document, params, _API_MEMBERS)
    if "Target" in params:
        # Quick update: the managed integration points at the new target.
        managed = [i for i in api.integrations.values() if i.get("ApiGatewayManaged")]
        if not managed:
            raise bad_request("Target can only be updated on an API created with quick create")
        managed[0]["IntegrationUri"] = params["Target"]
        _auto_deploy(call, api)
    call.store.save()
    return _api_output(call, api)


async def delete_api(call: Call, params: dict[str, Any]) -> None:
    api = call.api(params["ApiId"])
    del call.store.apis[api.id]
    call.store.save()


# Routes

_ROUTE_MEMBERS = (
    "ApiKeyRequired",
    "AuthorizationScopes",
    "AuthorizationType",
    "AuthorizerId",
    "ModelSelectionExpression",
    "OperationName",
    "RequestModels",
    "RequestParameters",
    "RouteResponseSelectionExpression",
    "Target",
)


def _route_key(key: str) -> str:
    try:
        parse_route_key(key)
    except InvalidRouteKey:
        raise bad_request(f"Unable to create route. Invalid route key: {key}") from None
    return key


def _new_route(key: str, params: dict[str, Any]) -> Document:
    route: Document = {
        "ApiKeyRequired": False,
        "AuthorizationType": "NONE",
        "RouteId": new_id(7),
        "RouteKey": _route_key(key),
    }
    _set(route, params, _ROUTE_MEMBERS)
    return route


def _check_route(api: HttpApi, route: Document, route_id: str | None = None) -> None:
    target = route.get("Target")
    if target is not None:
        match = _TARGET.match(target)
        if match is None or match.group(1) not in api.integrations:
            raise bad_request(f"Invalid target specified: {target}")
    error = route_authorization_error(api.authorizers, route)
    if error is not None:
        raise bad_request(error)
    for other in api.routes.values():
        if other["RouteKey"] == route["RouteKey"] and other["RouteId"] != route_id:
            raise conflict(f"Unable to create route. A route with key '{route['RouteKey']}' already exists")


async def create_route(call: Call, params: dict[str, Any]) -> Document:
    api = call.api(params["ApiId"])
    route = _new_route(params["RouteKey"], params)
    _check_route(api, route)
    api.routes[route["RouteId"]] = route
    _changed(call, api)
    return route


def _find_route(call: Call, params: dict[str, Any]) -> tuple[HttpApi, Document]:
    api = call.api(params["ApiId"])
    route = api.routes.get(params["RouteId"])
    if route is None:
        raise not_found(f"Invalid Route identifier specified {params['RouteId']}")
    return api, route


async def get_route(call: Call, params: dict[str, Any]) -> Document:
    return _find_route(call, params)[1]


async def get_routes(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    api = call.api(params["ApiId"])
    return _page(list(api.routes.values()), params)


async def update_route(call: Call, params: dict[str, Any]) -> Document:
    api, route = _find_route(call, params)
    updated = dict(route)
    if "RouteKey" in params:
        updated["RouteKey"] = _route_key(params["RouteKey"])
    _set(updated, params, _ROUTE_MEMBERS)
    if updated.get("AuthorizationType") in ("NONE", "AWS_IAM") and "AuthorizerId" not in params:
        # A route that no longer uses an authorizer forgets it.
        updated.pop("AuthorizerId", None)
        updated.pop("AuthorizationScopes", None)
    _check_route(api, updated, route["RouteId"])
    api.routes[route["RouteId"]] = updated
    _changed(call, api)
    return updated


async def delete_route(call: Call, params: dict[str, Any]) -> None:
    api, route = _find_route(call, params)
    del api.routes[route["RouteId"]]
    _changed(call, api)


# Integrations

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
    "TimeoutInMillis",
    "TlsConfig",
)


def _check_integration(integration: Document) -> None:
    kind = integration.get("IntegrationType")
    if kind not in _INTEGRATION_TYPES:
        raise bad_request(f"Invalid integration type specified: {kind}")
    if kind in ("AWS", "HTTP", "MOCK"):
        # WebSocket APIs' integration types.
        raise bad_request(f"Integration type {kind} is not supported for HTTP APIs")
    version = integration.get("PayloadFormatVersion")
    if version is None:
        raise bad_request("PayloadFormatVersion is required for HTTP API integrations")
    if version not in _PAYLOAD_VERSIONS or (version == "2.0" and kind != "AWS_PROXY"):
        raise bad_request(f"Invalid PayloadFormatVersion specified: {version}")
    if kind in ("AWS_PROXY", "HTTP_PROXY") and not integration.get("IntegrationUri"):
        raise bad_request(f"IntegrationUri is required for {kind} integrations")
    try:
        if "RequestParameters" in integration and not integration.get("IntegrationSubtype"):
            mapping.check_request_parameters(integration["RequestParameters"])
        if "ResponseParameters" in integration:
            mapping.check_response_parameters(integration["ResponseParameters"])
    except mapping.InvalidMapping as e:
        raise bad_request(str(e)) from None
    timeout = integration["TimeoutInMillis"]
    if not _TIMEOUT_RANGE[0] <= timeout <= _TIMEOUT_RANGE[1]:
        raise bad_request(
            f"Invalid timeout value specified: {timeout}."
            f" Timeout must be between {_TIMEOUT_RANGE[0]} and {_TIMEOUT_RANGE[1]} ms"
        )


async def create_integration(call: Call, params: dict[str, Any]) -> Document:
    api = call.api(params["ApiId"])
    integration: Document = {
        "ConnectionType": "INTERNET",
        "IntegrationId": new_id(7),
        "TimeoutInMillis": _TIMEOUT_RANGE[1],
    }
    _set(integration, params, _INTEGRATION_MEMBERS)
    if integration.get("IntegrationType") == "AWS_PROXY":
        integration.setdefault("IntegrationMethod", "POST")
    _check_integration(integration)
    api.integrations[integration["IntegrationId"]] = integration
    _changed(call, api)
    return integration


def _find_integration(call: Call, params: dict[str, Any]) -> tuple[HttpApi, Document]:
    api = call.api(params["ApiId"])
    integration = api.integrations.get(params["IntegrationId"])
    if integration is None:
        raise not_found(f"Invalid Integration identifier specified {params['IntegrationId']}")
    return api, integration


async def get_integration(call: Call, params: dict[str, Any]) -> Document:
    return _find_integration(call, params)[1]


async def get_integrations(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _page(list(call.api(params["ApiId"]).integrations.values()), params)


async def update_integration(call: Call, params: dict[str, Any]) -> Document:
    api, integration = _find_integration(call, params)
    updated = dict(integration)
    _set(updated, params, _INTEGRATION_MEMBERS)
    for member in ("RequestParameters", "ResponseParameters"):
        # A mapping given an empty value is removed; the others stay.
        if isinstance(params.get(member), dict):
            updated[member] = mapping.merged(integration.get(member), params[member])
    _check_integration(updated)
    api.integrations[integration["IntegrationId"]] = updated
    _changed(call, api)
    return updated


async def delete_integration(call: Call, params: dict[str, Any]) -> None:
    api, integration = _find_integration(call, params)
    target = f"integrations/{integration['IntegrationId']}"
    users = [route["RouteKey"] for route in api.routes.values() if route.get("Target") == target]
    if users:
        raise conflict(f"Cannot delete an integration that is the target of a route ({', '.join(users)})")
    del api.integrations[integration["IntegrationId"]]
    _changed(call, api)


# Stages

_STAGE_MEMBERS = (
    "AccessLogSettings",
    "AutoDeploy",
    "ClientCertificateId",
    "DefaultRouteSettings",
    "DeploymentId",
    "Description",
    "RouteSettings",
    "StageVariables",
)


def _check_stage_variables(variables: dict[str, str]) -> None:
    for name, value in variables.items():
        if not _STAGE_VARIABLE_NAME.match(name):
            raise bad_request(f"Invalid stage variable name specified: {name}")
        if not _STAGE_VARIABLE_VALUE.match(value):
            raise bad_request(f"Invalid stage variable value specified: {value}")


def _new_stage(call: Call, name: str, params: dict[str, Any]) -> Document:
    if name != DEFAULT_STAGE and not _STAGE_NAME.match(name):
        raise bad_request(f"Invalid stage name specified: {name}")
    stage: Document = {
        "AutoDeploy": False,
        "CreatedDate": call.now,
        "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
        "LastUpdatedDate": call.now,
        "RouteSettings": {},
        "StageName": name,
        "StageVariables": {},
        "Tags": dict(params.get("Tags") or {}),
    }
    _set(stage, params, _STAGE_MEMBERS)
    _check_stage_variables(stage["StageVariables"])
    return stage


def _check_deployment(api: HttpApi, stage: Document) -> None:
    deployment_id = stage.get("DeploymentId")
    if deployment_id is not None and deployment_id not in api.deployments:
        raise bad_request(f"Invalid deployment identifier specified: {deployment_id}")


async def create_stage(call: Call, params: dict[str, Any]) -> Document:
    api = call.api(params["ApiId"])
    name = params["StageName"]
    if name in api.stages:
        raise conflict(f"Stage {name} already exists")
    stage = _new_stage(call, name, params)
    _check_deployment(api, stage)
    api.stages[name] = stage
    if stage["AutoDeploy"]:
        _auto_deploy(call, api)
    call.store.save()
    return stage


def _find_stage(call: Call, params: dict[str, Any]) -> tuple[HttpApi, Document]:
    api = call.api(params["ApiId"])
    stage = api.stages.get(params["StageName"])
    if stage is None:
        raise not_found(f"Invalid stage identifier specified {params['StageName']}")
    return api, stage


async def get_stage(call: Call, params: dict[str, Any]) -> Document:
    return _find_stage(call, params)[1]


async def get_stages(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _page(list(call.api(params["ApiId"]).stages.values()), params)


async def update_stage(call: Call, params: dict[str, Any]) -> Document:
    api, stage = _find_stage(call, params)
    updated = dict(stage)
    _set(updated, params, _STAGE_MEMBERS)
    _check_stage_variables(updated["StageVariables"])
    _check_deployment(api, updated)
    updated["LastUpdatedDate"] = call.now
    api.stages[stage["StageName"]] = updated
    if updated["AutoDeploy"] and not stage["AutoDeploy"]:
        _auto_deploy(call, api)
    call.store.save()
    return updated


async def delete_stage(call: Call, params: dict[str, Any]) -> None:
    api, stage = _find_stage(call, params)
    del api.stages[stage["StageName"]]
    call.store.save()


# Deployments


def _deploy(call: Call, api: HttpApi, description: str | None, automatic: bool) -> Deployment:
    document: Document = {
        "AutoDeployed": automatic,
        "CreatedDate": call.now,
        "DeploymentId": new_id(6),
        "DeploymentStatus": "DEPLOYED",
    }
    if description is not None:
        document["Description"] = description
    deployment = Deployment(document, api.snapshot())
    api.deployments[deployment.id] = deployment
    return deployment


def _auto_deploy(call: Call, api: HttpApi) -> None:
    """
    Deploy the API's current routes to every stage with C{AutoDeploy}.
    """
    stages = [stage for stage in api.stages.values() if stage["AutoDeploy"]]
    if not stages:
        return
    deployment = _deploy(call, api, "Automatic deployment triggered by changes to the Api configuration", True)
    for stage in stages:
        stage["DeploymentId"] = deployment.id
        stage["LastDeploymentStatusMessage"] = f"Successfully deployed stage with deployment ID '{deployment.id}'"
        stage["LastUpdatedDate"] = call.now


def _changed(call: Call, api: HttpApi) -> None:
    _auto_deploy(call, api)
    call.store.save()


async def create_deployment(call: Call, params: dict[str, Any]) -> Document:
    api = call.api(params["ApiId"])
    stage = None
    if "StageName" in params:
        _, stage = _find_stage(call, params)
        if stage["AutoDeploy"]:
            raise bad_request(
                f"Stage {stage['StageName']} has AutoDeploy enabled: it is deployed by changes to the API"
            )
    deployment = _deploy(call, api, params.get("Description"), False)
    if stage is not None:
        stage["DeploymentId"] = deployment.id
        stage["LastUpdatedDate"] = call.now
    call.store.save()
    return deployment.document


def _find_deployment(call: Call, params: dict[str, Any]) -> tuple[HttpApi, Deployment]:
    api = call.api(params["ApiId"])
    deployment = api.deployments.get(params["DeploymentId"])
    if deployment is None:
        raise not_found(f"Invalid Deployment identifier specified {params['DeploymentId']}")
    return api, deployment


async def get_deployment(call: Call, params: dict[str, Any]) -> Document:
    return _find_deployment(call, params)[1].document


async def get_deployments(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    api = call.api(params["ApiId"])
    return _page([d.document for d in api.deployments.values()], params)


async def delete_deployment(call: Call, params: dict[str, Any]) -> None:
    api, deployment = _find_deployment(call, params)
    if any(stage.get("DeploymentId") == deployment.id for stage in api.stages.values()):
        raise bad_request("Active stages pointing to this deployment must be moved or deleted")
    del api.deployments[deployment.id]
    call.store.save()


# Tags (of APIs and stages, by ARN)


def _tags_of(call: Call, arn: str) -> dict[str, str]:
    """
    The tags of the API or stage C{arn} names (the dict itself, to change).
    """
    match = _API_ARN.match(arn)
    if match is None:
        raise bad_request(f"Invalid resource ARN specified: {arn}")
    region, api_id, stage_name = match.groups()
    api = call.store.find(call.account, call.region, api_id) if region == call.region else None
    if api is None:
        raise not_found(f"Invalid API identifier specified {call.account}:{api_id}")
    if stage_name is None:
        return api.tags
    stage = api.stages.get(stage_name)
    if stage is None:
        raise not_found(f"Invalid stage identifier specified {stage_name}")
    tags: dict[str, str] = stage.setdefault("Tags", {})
    return tags


async def tag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _tags_of(call, params["ResourceArn"]).update(params.get("Tags") or {})
    call.store.save()
    return {}


async def untag_resource(call: Call, params: dict[str, Any]) -> None:
    tags = _tags_of(call, params["ResourceArn"])
    for key in params["TagKeys"]:
        tags.pop(key, None)
    call.store.save()


async def get_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": dict(_tags_of(call, params["ResourceArn"]))}


HANDLERS: dict[str, Handler] = {
    "CreateApi": create_api,
    "GetApi": get_api,
    "GetApis": get_apis,
    "UpdateApi": update_api,
    "DeleteApi": delete_api,
    "CreateRoute": create_route,
    "GetRoute": get_route,
    "GetRoutes": get_routes,
    "UpdateRoute": update_route,
    "DeleteRoute": delete_route,
    "CreateIntegration": create_integration,
    "GetIntegration": get_integration,
    "GetIntegrations": get_integrations,
    "UpdateIntegration": update_integration,
    "DeleteIntegration": delete_integration,
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "GetStages": get_stages,
    "UpdateStage": update_stage,
    "DeleteStage": delete_stage,
    "CreateDeployment": create_deployment,
    "GetDeployment": get_deployment,
    "GetDeployments": get_deployments,
    "DeleteDeployment": delete_deployment,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "GetTags": get_tags,
}
