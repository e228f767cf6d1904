"""
The REST API v1 control plane (REST-JSON): a table of operations by HTTP
method and path, each a function from a parsed L{Call} to a status and a
body in the shapes of botocore's apigateway model.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

import attrs

from ruststack.apigateway import openapi
from ruststack.apigateway.model import ApiResource, Deployment, Integration, Method, RestApi, Stage, new_id
from ruststack.apigateway.store import ApiStore, bad_request, conflict, not_found
from ruststack.aws.errors import AwsError

_HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
_INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")
_PATH_PART = re.compile(r"^(?:[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\})$")
_STAGE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_PROXY_URI_REFUSED = (
    "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."
)
_LAMBDA_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:[^:]+:lambda:path/2015-03-31/functions/.+/invocations$")


@attrs.frozen
class Call:
    """
    One control-plane request: who calls, the path parameters, the query and
    the JSON body.
    """

    store: ApiStore
    account: str
    region: str
    now: float
    params: dict[str, str]
    query: dict[str, list[str]]
    body: dict[str, Any]
    raw: bytes = b""

    def api(self) -> RestApi:
        return self.store.api(self.account, self.region, self.params["api"])

    def resource(self) -> tuple[RestApi, ApiResource]:
        api = self.api()
        resource = api.resources.get(self.params["resource"])
        if resource is None:
            raise not_found("Invalid Resource identifier specified")
        return api, resource

    def method(self) -> tuple[RestApi, ApiResource, Method]:
        api, resource = self.resource()
        method = resource.methods.get(self.params["method"])
        if method is None:
            raise not_found("Invalid Method identifier specified")
        return api, resource, method


Reply = tuple[int, Any]
Operation = Callable[[Call], Reply]


def _page(call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
    # position is an opaque token in AWS; here the index of the next item.
    start = int((call.query.get("position") or ["0"])[0] or 0)
    limit = min(int((call.query.get("limit") or ["25"])[0]), 500)
    body: dict[str, Any] = {"item": items[start : start + limit]}
    if start + limit < len(items):
        body["position"] = str(start + limit)
    return body


def _unescape_patch_path(part: str) -> str:
    # JSON Pointer escaping, as patch paths use it: "image~1png" is "image/png".
    return part.replace("~1", "/").replace("~0", "~")


def _patch_operations(call: Call) -> list[tuple[str, str, Any]]:
    operations = []
    for patch in call.body.get("patchOperations") or []:
        op, path = patch.get("op"), patch.get("path")
        if op not in ("add", "remove", "replace", "move", "copy", "test") or not path:
            raise bad_request(f"Invalid patch operation specified: {op}")
        operations.append((op, path, patch.get("value")))
    return operations


# Rest APIs


def create_rest_api(call: Call) -> Reply:
    name = call.body.get("name")
    if not name:
        raise bad_request("Invalid REST API name specified")
    endpoint = call.body.get("endpointConfiguration") or {}
    api = RestApi(
        id=new_id(),
        account=call.account,
        region=call.region,
        name=name,
        created=call.now,
        root_id=new_id(),
        description=call.body.get("description"),
        version=call.body.get("version"),
        binary_media_types=list(call.body.get("binaryMediaTypes") or []),
        minimum_compression_size=call.body.get("minimumCompressionSize"),
        api_key_source=call.body.get("apiKeySource") or "HEADER",
        endpoint_types=list(endpoint.get("types") or ["EDGE"]),
        policy=call.body.get("policy"),
        tags=dict(call.body.get("tags") or {}),
        disable_execute_api_endpoint=bool(call.body.get("disableExecuteApiEndpoint", False)),
    )
    api.resources[api.root_id] = ApiResource(id=api.root_id, path="/")
    call.store.apis[api.id] = api
    call.store.save()
    return 201, api.to_json()


def import_rest_api(call: Call) -> Reply:
    definition = openapi.read(openapi.parse(call.raw))
    if not definition.title:
        raise bad_request("Invalid OpenAPI input: the API needs a title (info.title)")
    root = ApiResource(id=new_id(), path="/")
    api = RestApi(
        id=new_id(),
        account=call.account,
        region=call.region,
        name=definition.title,
        created=call.now,
        root_id=root.id,
        description=definition.description,
        resources={root.id: root},
    )
    _apply_definition(api, definition, overwrite=True)
    call.store.apis[api.id] = api
    call.store.save()
    return 201, api.to_json()


def put_rest_api(call: Call) -> Reply:
    api = call.api()
    mode = (call.query.get("mode") or ["merge"])[0]
    if mode not in ("merge", "overwrite"):
        raise bad_request(f"Invalid mode {mode!r}: merge or overwrite")
    _apply_definition(api, openapi.read(openapi.parse(call.raw)), overwrite=mode == "overwrite")
    call.store.save()
    return 200, api.to_json()


def _apply_definition(api: RestApi, definition: openapi.Definition, overwrite: bool) -> None:
    if overwrite:
        api.resources = {api.root_id: ApiResource(id=api.root_id, path="/")}
        api.binary_media_types = list(definition.binary_media_types)
    else:
        api.binary_media_types += [t for t in definition.binary_media_types if t not in api.binary_media_types]
    for path, method in definition.methods:
        resource = _resource_at(api, path)
        integration = method.integration
        if integration is not None:
            if integration.type not in _INTEGRATION_TYPES:
                raise bad_request(f"Invalid integration type {integration.type!r} for {method.http_method} {path}")
            if integration.type == "AWS_PROXY" and not _LAMBDA_URI.match(integration.uri or ""):
                raise bad_request(_PROXY_URI_REFUSED)
            integration.cache_namespace = integration.cache_namespace or resource.id
        resource.methods[method.http_method] = method


def _resource_at(api: RestApi, path: str) -> ApiResource:
    """
    The resource at C{path}, created with its missing ancestors.
    """
    resource = api.resources[api.root_id]
    for part in [p for p in path.split("/") if p]:
        child = next((r for r in api.resources.values() if r.parent_id == resource.id and r.path_part == part), None)
        if child is None:
            _check_path_part(api, resource, part)
            child = ApiResource(
                id=new_id(6), path=f"{resource.path.rstrip('/')}/{part}", parent_id=resource.id, path_part=part
            )
            api.resources[child.id] = child
        resource = child
    return resource


def get_rest_api(call: Call) -> Reply:
    return 200, call.api().to_json()


def get_rest_apis(call: Call) -> Reply:
    mine = [a for a in call.store.apis.values() if a.account == call.account and a.region == call.region]
    return 200, _page(call, [a.to_json() for a in mine])


def update_rest_api(call: Call) -> Reply:
    api = call.api()
    for op, path, value in _patch_operations(call):
        if path == "/name" and op == "replace" and value:
            api.name = value
        elif path == "/description" and op in ("replace", "add", "remove"):
            api.description = None if op == "remove" else value
        elif path.startswith("/binaryMediaTypes/"):
            media_type = _unescape_patch_path(path[len("/binaryMediaTypes/") :])
            if op == "add" and media_type not in api.binary_media_types:
                api.binary_media_types.append(media_type)
            elif op == "remove" and media_type in api.binary_media_types:
                api.binary_media_types.remove(media_type)
            elif op == "replace":
                api.binary_media_types = [value if t == media_type else t for t in api.binary_media_types]
        elif path == "/minimumCompressionSize" and op == "replace":
            api.minimum_compression_size = int(value) if value not in (None, "") else None
        else:
            raise bad_request(
                f"Invalid patch path '{path}' specified for op '{op}'. Must be one of: [add, remove, replace]"
            )
    call.store.save()
    return 200, api.to_json()


def delete_rest_api(call: Call) -> Reply:
    api = call.api()
    del call.store.apis[api.id]
    call.store.forget_router(api.id)
    call.store.save()
    return 202, None


# Resources


def get_resources(call: Call) -> Reply:
    api = call.api()
    embed = "methods" in ",".join(call.query.get("embed", [])).split(",")
    return 200, _page(call, [r.to_json(embed_methods=embed) for r in api.resources.values()])


def get_resource(call: Call) -> Reply:
    _, resource = call.resource()
    embed = "methods" in ",".join(call.query.get("embed", [])).split(",")
    return 200, resource.to_json(embed_methods=embed)


def _check_path_part(api: RestApi, parent: ApiResource, part: str, moving: ApiResource | None = None) -> None:
    """
    API Gateway's rules for a resource's place: a valid path part, nothing
    below a greedy variable, a unique name and one variable per level.
    """
    if not _PATH_PART.match(part):
        raise bad_request(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end"
            " and an optional plus sign before the closing brace."
        )
    if parent.path_part and parent.path_part.endswith("+}"):
        raise bad_request(f"Cannot create a child of a resource with a greedy path variable: {parent.path_part}")
    siblings = [r for r in api.resources.values() if r.parent_id == parent.id and r is not moving]
    if any(s.path_part == part for s in siblings):
        raise conflict(f"Another resource with the same parent already has this name: {part}")
    if part.startswith("{"):
        variable = next((s for s in siblings if s.path_part and s.path_part.startswith("{")), None)
        if variable is not None:
            raise bad_request(
                f"A sibling ({variable.path_part}) of this resource already has a variable path part"
                " -- only one is allowed"
            )


def create_resource(call: Call) -> Reply:
    api = call.api()
    parent = api.resources.get(call.params["resource"])
    if parent is None:
        raise not_found("Invalid Resource identifier specified")
    part = call.body.get("pathPart") or ""
    _check_path_part(api, parent, part)
    path = f"{parent.path.rstrip('/')}/{part}"
    resource = ApiResource(id=new_id(6), path=path, parent_id=parent.id, path_part=part)
    api.resources[resource.id] = resource
    call.store.save()
    return 201, resource.to_json()


def update_resource(call: Call) -> Reply:
    api, resource = call.resource()
    if resource.id == api.root_id:
        raise bad_request("Cannot update the root resource")
    parent_id, part = resource.parent_id, resource.path_part
    for op, path, value in _patch_operations(call):
        if op == "replace" and path == "/pathPart":
            part = value
        elif op == "replace" and path == "/parentId":
            parent_id = value
        else:
            raise bad_request(f"Invalid patch path '{path}' specified for op '{op}'. Must be one of: [replace]")
    parent = api.resources.get(parent_id or "")
    if parent is None:
        raise not_found("Invalid Resource identifier specified")
    ancestor: ApiResource | None = parent
    while ancestor is not None:
        if ancestor is resource:
            raise bad_request("A resource cannot be moved below itself")
        ancestor = api.resources.get(ancestor.parent_id or "")
    _check_path_part(api, parent, part or "", moving=resource)
    resource.parent_id, resource.path_part = parent.id, part
    _repath(api, resource, f"{parent.path.rstrip('/')}/{part}")
    call.store.save()
    return 200, resource.to_json()


def _repath(api: RestApi, resource: ApiResource, path: str) -> None:
    resource.path = path
    for child in [r for r in api.resources.values() if r.parent_id == resource.id]:
        _repath(api, child, f"{path}/{child.path_part}")


def delete_resource(call: Call) -> Reply:
    api, resource = call.resource()
    if resource.id == api.root_id:
        raise bad_request("Cannot delete root resource")
    doomed = {resource.id}
    # A resource goes with its descendants.
    while True:
        more = {r.id for r in api.resources.values() if r.parent_id in doomed} - doomed
        if not more:
            break
        doomed |= more
    for resource_id in doomed:
        del api.resources[resource_id]
    call.store.save()
    return 202, None


# Methods and integrations


def put_method(call: Call) -> Reply:
    api, resource = call.resource()
    http_method = call.params["method"]
    if http_method not in _HTTP_METHODS:
        raise bad_request("Invalid HttpMethod specified. Valid options are " + ",".join(_HTTP_METHODS))
    if not call.body.get("authorizationType"):
        raise bad_request("Invalid authorizationType specified")
    if http_method in resource.methods:
        raise conflict("Method already exists for this resource")
    method = Method(
        http_method=http_method,
        authorization_type=call.body["authorizationType"],
        authorizer_id=call.body.get("authorizerId"),
        api_key_required=bool(call.body.get("apiKeyRequired", False)),
        operation_name=call.body.get("operationName"),
        request_parameters=call.body.get("requestParameters"),
        request_models=call.body.get("requestModels"),
    )
    resource.methods[http_method] = method
    call.store.save()
    return 201, method.to_json()


def get_method(call: Call) -> Reply:
    return 200, call.method()[2].to_json()


def delete_method(call: Call) -> Reply:
    _, resource, method = call.method()
    del resource.methods[method.http_method]
    call.store.save()
    return 204, None


def update_method(call: Call) -> Reply:
    method = call.method()[2]
    for op, path, value in _patch_operations(call):
        if op != "replace":
            raise bad_request(f"Invalid patch path '{path}' specified for op '{op}'. Must be one of: [replace]")
        if path == "/authorizationType":
            method.authorization_type = value
        elif path == "/authorizerId":
            method.authorizer_id = value or None
        elif path == "/apiKeyRequired":
            method.api_key_required = str(value).lower() == "true"
        elif path == "/operationName":
            method.operation_name = value or None
        else:
            raise bad_request(f"Invalid patch path '{path}' specified for op '{op}'")
    call.store.save()
    return 200, method.to_json()


def update_integration(call: Call) -> Reply:
    integration = _integration(call)
    for op, path, value in _patch_operations(call):
        if path.startswith("/requestTemplates/"):
            templates = integration.request_templates = dict(integration.request_templates or {})
            media_type = _unescape_patch_path(path[len("/requestTemplates/") :])
            if op == "remove":
                templates.pop(media_type, None)
            else:
                templates[media_type] = value or ""
        elif op != "replace":
            raise bad_request(f"Invalid patch path '{path}' specified for op '{op}'")
        elif path == "/uri":
            if integration.type == "AWS_PROXY" and not _LAMBDA_URI.match(value or ""):
                raise bad_request(_PROXY_URI_REFUSED)
            integration.uri = value
        elif path == "/httpMethod":
            integration.http_method = value
        elif path == "/timeoutInMillis":
            if not 50 <= int(value) <= 29000:
                raise bad_request("Timeout should be between 50 ms and 29000 ms")
            integration.timeout_ms = int(value)
        elif path == "/passthroughBehavior":
            integration.passthrough_behavior = value
        elif path == "/contentHandling":
            integration.content_handling = value or None
        elif path == "/credentials":
            integration.credentials = value or None
        else:
            raise bad_request(f"Invalid patch path '{path}' specified for op '{op}'")
    call.store.save()
    return 200, integration.to_json()


def put_integration(call: Call) -> Reply:
    _, resource, method = call.method()
    kind = call.body.get("type")
    if kind not in _INTEGRATION_TYPES:
        raise bad_request("Invalid integration type specified. Valid options are " + ",".join(_INTEGRATION_TYPES))
    integration_method = call.body.get("httpMethod")
    uri = call.body.get("uri")
    if kind != "MOCK":
        if not integration_method:
            raise bad_request("Enumeration value for HttpMethod must be non-empty")
        if not uri:
            raise bad_request("Invalid HTTP endpoint specified for URI")
    if kind in ("AWS", "AWS_PROXY") and uri and not uri.startswith("arn:"):
        raise bad_request("AWS ARN for integration must contain path or action")
    if kind == "AWS_PROXY" and not _LAMBDA_URI.match(uri or ""):
        raise bad_request(_PROXY_URI_REFUSED)
    timeout = call.body.get("timeoutInMillis")
    if timeout is not None and not 50 <= int(timeout) <= 29000:
        raise bad_request("Timeout should be between 50 ms and 29000 ms")
    method.integration = Integration(
        type=kind,
        http_method=integration_method,
        uri=uri,
        timeout_ms=int(timeout) if timeout is not None else 29000,
        passthrough_behavior=call.body.get("passthroughBehavior") or "WHEN_NO_MATCH",
        content_handling=call.body.get("contentHandling"),
        credentials=call.body.get("credentials"),
        request_parameters=call.body.get("requestParameters"),
        request_templates=call.body.get("requestTemplates"),
        cache_namespace=call.body.get("cacheNamespace") or resource.id,
        cache_key_parameters=list(call.body.get("cacheKeyParameters") or []),
    )
    call.store.save()
    return 201, method.integration.to_json()


def get_integration(call: Call) -> Reply:
    return 200, _integration(call).to_json()


def delete_integration(call: Call) -> Reply:
    _integration(call)
    call.method()[2].integration = None
    call.store.save()
    return 204, None


def _integration(call: Call) -> Integration:
    integration = call.method()[2].integration
    if integration is None:
        raise not_found("Invalid Integration identifier specified")
    return integration


def _response_body(call: Call, members: tuple[str, ...]) -> dict[str, Any]:
    body = {"statusCode": call.params["status"]}
    body.update({name: call.body[name] for name in members if call.body.get(name) is not None})
    return body


_METHOD_RESPONSE_MEMBERS = ("responseParameters", "responseModels")
_INTEGRATION_RESPONSE_MEMBERS = ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling")


def put_method_response(call: Call) -> Reply:
    method = call.method()[2]
    if not re.fullmatch(r"[1-5]\d\d", call.params["status"]):
        raise bad_request("Invalid status code specified")
    response = method.responses[call.params["status"]] = _response_body(call, _METHOD_RESPONSE_MEMBERS)
    call.store.save()
    return 201, response


def get_method_response(call: Call) -> Reply:
    response = call.method()[2].responses.get(call.params["status"])
    if response is None:
        raise not_found("Invalid Response status code specified")
    return 200, response


def delete_method_response(call: Call) -> Reply:
    if call.method()[2].responses.pop(call.params["status"], None) is None:
        raise not_found("Invalid Response status code specified")
    call.store.save()
    return 204, None


def put_integration_response(call: Call) -> Reply:
    integration = _integration(call)
    if not re.fullmatch(r"[1-5]\d\d", call.params["status"]):
        raise bad_request("Invalid status code specified")
    response = _response_body(call, _INTEGRATION_RESPONSE_MEMBERS)
    integration.responses[call.params["status"]] = response
    call.store.save()
    return 201, response


def get_integration_response(call: Call) -> Reply:
    response = _integration(call).responses.get(call.params["status"])
    if response is None:
        raise not_found("Invalid Response status code specified")
    return 200, response


def delete_integration_response(call: Call) -> Reply:
    if _integration(call).responses.pop(call.params["status"], None) is None:
        raise not_found("Invalid Response status code specified")
    call.store.save()
    return 204, None


# Deployments and stages


def _put_stage(call: Call, api: RestApi, name: str, deployment_id: str, body: dict[str, Any]) -> Stage:
    if not _STAGE_NAME.match(name):
        raise bad_request("Stage name only allows a-zA-Z0-9_-")
    stage = Stage(
        name=name,
        deployment_id=deployment_id,
        created=call.now,
        updated=call.now,
        description=body.get("description"),
        variables=dict(body.get("variables") or {}),
        tags=dict(body.get("tags") or {}),
        tracing_enabled=bool(body.get("tracingEnabled", False)),
    )
    api.stages[name] = stage
    return stage


def create_deployment(call: Call) -> Reply:
    api = call.api()
    methods = [m for r in api.resources.values() for m in r.methods.values()]
    if not methods:
        raise bad_request("The REST API doesn't contain any methods")
    if any(m.integration is None for m in methods):
        raise bad_request("No integration defined for method")
    deployment = Deployment(
        id=new_id(6),
        created=call.now,
        description=call.body.get("description"),
        resources=copy.deepcopy(list(api.resources.values())),
    )
    api.deployments[deployment.id] = deployment
    stage_name = call.body.get("stageName")
    if stage_name:
        existing = api.stages.get(stage_name)
        if existing is None:
            _put_stage(
                call,
                api,
                stage_name,
                deployment.id,
                {"description": call.body.get("stageDescription"), "variables": call.body.get("variables")},
            )
        else:
            existing.deployment_id = deployment.id
            existing.updated = call.now
            existing.variables.update(call.body.get("variables") or {})
    call.store.save()
    return 201, deployment.to_json()


def get_deployments(call: Call) -> Reply:
    return 200, _page(call, [d.to_json() for d in call.api().deployments.values()])


def _deployment(call: Call) -> tuple[RestApi, Deployment]:
    api = call.api()
    deployment = api.deployments.get(call.params["deployment"])
    if deployment is None:
        raise not_found("Invalid Deployment identifier specified")
    return api, deployment


def get_deployment(call: Call) -> Reply:
    return 200, _deployment(call)[1].to_json()


def delete_deployment(call: Call) -> Reply:
    api, deployment = _deployment(call)
    if any(s.deployment_id == deployment.id for s in api.stages.values()):
        raise bad_request("Active stages pointing to this deployment must be moved or deleted")
    del api.deployments[deployment.id]
    call.store.forget_router(api.id, deployment.id)
    call.store.save()
    return 202, None


def create_stage(call: Call) -> Reply:
    api = call.api()
    name = call.body.get("stageName") or ""
    deployment_id = call.body.get("deploymentId") or ""
    if deployment_id not in api.deployments:
        raise not_found("Invalid Deployment identifier specified")
    if name in api.stages:
        raise conflict("Stage already exists")
    stage = _put_stage(call, api, name, deployment_id, call.body)
    call.store.save()
    return 201, stage.to_json()


def _stage(call: Call) -> tuple[RestApi, Stage]:
    api = call.api()
    stage = api.stages.get(call.params["stage"])
    if stage is None:
        raise not_found("Invalid Stage identifier specified")
    return api, stage


def get_stage(call: Call) -> Reply:
    return 200, _stage(call)[1].to_json()


def get_stages(call: Call) -> Reply:
    api = call.api()
    wanted: str | None = (call.query.get("deploymentId") or [""])[0] or None
    return 200, {"item": [s.to_json() for s in api.stages.values() if wanted in (None, s.deployment_id)]}


def update_stage(call: Call) -> Reply:
    api, stage = _stage(call)
    for op, path, value in _patch_operations(call):
        if path.startswith("/variables/"):
            name = _unescape_patch_path(path[len("/variables/") :])
            if op == "remove":
                stage.variables.pop(name, None)
            else:
                stage.variables[name] = value
        elif path == "/deploymentId" and op == "replace":
            if value not in api.deployments:
                raise bad_request("Deployment id does not exist")
            stage.deployment_id = value
        elif path == "/description" and op == "replace":
            stage.description = value
        elif path == "/tracingEnabled" and op == "replace":
            stage.tracing_enabled = str(value).lower() == "true"
        else:
            raise bad_request(f"Invalid patch path '{path}' specified for op '{op}'")
    stage.updated = call.now
    call.store.save()
    return 200, stage.to_json()


def delete_stage(call: Call) -> Reply:
    api, stage = _stage(call)
    del api.stages[stage.name]
    call.store.save()
    return 202, None


_API = "/restapis/(?P<api>[^/]+)"
_RESOURCE = _API + "/resources/(?P<resource>[^/]+)"
_METHOD = _RESOURCE + "/methods/(?P<method>[^/]+)"

# (HTTP method, path pattern) -> operation, per botocore's apigateway model.
_OPERATIONS: list[tuple[str, re.Pattern[str], Operation]] = [
    (verb, re.compile(f"^{pattern}/?$"), operation)
    for verb, pattern, operation in [
        ("POST", "/restapis", create_rest_api),
        ("GET", "/restapis", get_rest_apis),
        ("GET", _API, get_rest_api),
        ("PUT", _API, put_rest_api),
        ("PATCH", _API, update_rest_api),
        ("DELETE", _API, delete_rest_api),
        ("GET", _API + "/resources", get_resources),
        ("GET", _RESOURCE, get_resource),
        ("POST", _RESOURCE, create_resource),
        ("PATCH", _RESOURCE, update_resource),
        ("DELETE", _RESOURCE, delete_resource),
        ("PUT", _METHOD, put_method),
        ("GET", _METHOD, get_method),
        ("PATCH", _METHOD, update_method),
        ("DELETE", _METHOD, delete_method),
        ("PUT", _METHOD + "/integration", put_integration),
        ("GET", _METHOD + "/integration", get_integration),
        ("PATCH", _METHOD + "/integration", update_integration),
        ("DELETE", _METHOD + "/integration", delete_integration),
        ("PUT", _METHOD + "/responses/(?P<status>[^/]+)", put_method_response),
        ("GET", _METHOD + "/responses/(?P<status>[^/]+)", get_method_response),
        ("DELETE", _METHOD + "/responses/(?P<status>[^/]+)", delete_method_response),
        ("PUT", _METHOD + "/integration/responses/(?P<status>[^/]+)", put_integration_response),
        ("GET", _METHOD + "/integration/responses/(?P<status>[^/]+)", get_integration_response),
        ("DELETE", _METHOD + "/integration/responses/(?P<status>[^/]+)", delete_integration_response),
        ("POST", _API + "/deployments", create_deployment),
        ("GET", _API + "/deployments", get_deployments),
        ("GET", _API + "/deployments/(?P<deployment>[^/]+)", get_deployment),
        ("DELETE", _API + "/deployments/(?P<deployment>[^/]+)", delete_deployment),
        ("POST", _API + "/stages", create_stage),
        ("GET", _API + "/stages", get_stages),
        ("GET", _API + "/stages/(?P<stage>[^/]+)", get_stage),
        ("PATCH", _API + "/stages/(?P<stage>[^/]+)", update_stage),
        ("DELETE", _API + "/stages/(?P<stage>[^/]+)", delete_stage),
    ]
]


def dispatch(
    store: ApiStore, account: str, region: str, now: float, verb: str, path: str, query: str, body: bytes
) -> Reply:
    """
    Run the operation C{verb path} names; raise L{AwsError} as API Gateway
    would (C{NotFoundException} for a path no operation has).
    """
    found = _find_operation(verb, path)
    if found is None:
        raise AwsError("NotFoundException", f"No operation {verb} {path} in this API Gateway", 404)
    operation, params = found
    parsed_query = parse_qs(query, keep_blank_values=True)
    if operation is create_rest_api and parsed_query.get("mode") == ["import"]:
        operation = import_rest_api
    # An OpenAPI definition (JSON or YAML) is read by the operation itself.
    parsed = {} if operation in (import_rest_api, put_rest_api) else _json_object(body)
    call = Call(store, account, region, now, params, parsed_query, parsed, body)
    try:
        return operation(call)
    except (ValueError, TypeError, AttributeError) as e:
        # A member of the wrong type or an unparsable number.
        raise bad_request(f"Invalid request input: {e}") from None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if body.strip() else {}
    except ValueError:
        raise bad_request("Could not parse request body into json") from None
    if not isinstance(parsed, dict):
        raise bad_request("Could not parse request body into json")
    return parsed


def _find_operation(verb: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for operation_verb, pattern, operation in _OPERATIONS:
        found = pattern.match(path)
        if found and operation_verb == verb:
            return operation, {name: unquote(value) for name, value in found.groupdict().items()}
    return None
