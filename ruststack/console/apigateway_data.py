"""
What the API Gateway pages show, read through the APIs (C{apigateway} for
REST APIs, C{apigatewayv2} for HTTP APIs) as the page's account: the lists,
an API's stages with both invoke URL forms, and its route tree.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import attrs

# A signed API call as the page's account and region: (service, operation,
# parameters) -> the parsed output.
ApiCall = Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any]]]

# A Lambda function named by an integration URI or ARN.
_FUNCTION = re.compile(r"arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:(?P<name>[^:/]+)")


async def _all(call: ApiCall, service: str, operation: str, params: dict[str, Any], items: str, token: str) -> list:
    # Every page of a List/Get operation (position or NextToken).
    found: list = []
    params = dict(params)
    while True:
        output = await call(service, operation, params)
        found.extend(output.get(items, []))
        following = output.get(token)
        if not following:
            return found
        params[token] = following


def function_of(uri: str | None) -> str | None:
    """
    The Lambda function an integration invokes (C{arn:aws:apigateway:...:
    lambda:path/.../functions/<arn>/invocations} or the function's ARN).
    """
    if not uri:
        return None
    match = _FUNCTION.search(uri)
    return match.group("name") if match else None


@attrs.frozen
class InvokeUrls:
    """
    The two URLs a stage answers at (README, "Calling a deployed stage").
    """

    host_form: str
    path_form: str


def invoke_urls(edge_url: str, api_id: str, stage: str, http_api: bool = False) -> InvokeUrls:
    """
    A stage's URLs on the edge's port: the host form
    C{http://<api>.execute-api.localhost:<port>/<stage>/} (an HTTP API's
    C{$default} stage at the root) and the path form
    C{http://localhost:<port>/restapis/<api>/<stage>/_user_request_/}.
    """
    parts = urlsplit(edge_url)
    scheme = parts.scheme or "http"
    port = f":{parts.port}" if parts.port else ""
    named = quote(stage, safe="$")
    host_path = "/" if http_api and stage == "$default" else f"/{named}/"
    return InvokeUrls(
        f"{scheme}://{api_id}.execute-api.localhost{port}{host_path}",
        f"{scheme}://localhost{port}/restapis/{api_id}/{named}/_user_request_/",
    )


@attrs.frozen
class Api:
    id: str
    name: str
    kind: str  # "REST" or "HTTP"
    created: Any = None
    description: str = ""


async def rest_apis(call: ApiCall) -> list[Api]:
    items = await _all(call, "apigateway", "GetRestApis", {"limit": 500}, "items", "position")
    return [
        Api(item["id"], item.get("name", ""), "REST", item.get("createdDate"), item.get("description", ""))
        for item in items
    ]


async def http_apis(call: ApiCall) -> list[Api]:
    items = await _all(call, "apigatewayv2", "GetApis", {}, "Items", "NextToken")
    return [
        Api(item["ApiId"], item.get("Name", ""), item.get("ProtocolType", "HTTP"), item.get("CreatedDate"))
        for item in items
    ]


@attrs.frozen
class Stage:
    name: str
    deployment_id: str | None
    urls: InvokeUrls
    updated: Any = None
    variables: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Route:
    """
    A method of a REST API's resource, or an HTTP API's route: what a request
    to C{path} with C{method} reaches.
    """

    method: str
    path: str
    key: str  # the v1 resource id, or the v2 route key
    integration: str = ""  # its type (AWS_PROXY, MOCK...)
    function: str | None = None
    authorization: str = "NONE"


@attrs.frozen
class ResourceNode:
    """
    A REST API's resource in its tree, with its methods.
    """

    id: str
    path: str
    part: str
    methods: list[Route]
    children: list[ResourceNode]


@attrs.frozen
class ApiView:
    api: Api
    stages: list[Stage]
    routes: list[Route]
    tree: ResourceNode | None = None  # REST APIs only

    @property
    def functions(self) -> list[str]:
        return sorted({route.function for route in self.routes if route.function})


async def rest_api(call: ApiCall, edge_url: str, api_id: str) -> ApiView:
    item = await call("apigateway", "GetRestApi", {"restApiId": api_id})
    api = Api(item["id"], item.get("name", ""), "REST", item.get("createdDate"), item.get("description", ""))
    stages_out = await call("apigateway", "GetStages", {"restApiId": api_id})
    stages = [
        Stage(
            s["stageName"],
            s.get("deploymentId"),
            invoke_urls(edge_url, api_id, s["stageName"]),
            s.get("lastUpdatedDate"),
            s.get("variables", {}),
        )
        for s in sorted(stages_out.get("item", []), key=lambda s: s["stageName"])
    ]
    resources = await _all(
        call,
        "apigateway",
        "GetResources",
        {"restApiId": api_id, "embed": ["methods"], "limit": 500},
        "items",
        "position",
    )
    routes: list[Route] = []
    nodes: dict[str, ResourceNode] = {}
    for resource in sorted(resources, key=lambda r: r.get("path", "")):
        methods = []
        for name, method in sorted(resource.get("resourceMethods", {}).items()):
            integration = method.get("methodIntegration") or {}
            route = Route(
                name,
                resource.get("path", "/"),
                resource["id"],
                integration.get("type", ""),
                function_of(integration.get("uri")),
                method.get("authorizationType", "NONE"),
            )
            methods.append(route)
            routes.append(route)
        nodes[resource["id"]] = ResourceNode(
            resource["id"], resource.get("path", "/"), resource.get("pathPart", ""), methods, []
        )
    root = None
    for resource in resources:
        node = nodes[resource["id"]]
        parent = nodes.get(resource.get("parentId") or "")
        if parent is None:
            root = root or node
        else:
            parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: n.part)
    return ApiView(api, stages, routes, root)


async def http_api(call: ApiCall, edge_url: str, api_id: str) -> ApiView:
    item = await call("apigatewayv2", "GetApi", {"ApiId": api_id})
    api = Api(item["ApiId"], item.get("Name", ""), item.get("ProtocolType", "HTTP"), item.get("CreatedDate"))
    stages_out = await _all(call, "apigatewayv2", "GetStages", {"ApiId": api_id}, "Items", "NextToken")
    stages = [
        Stage(
            s["StageName"],
            s.get("DeploymentId"),
            invoke_urls(edge_url, api_id, s["StageName"], http_api=True),
            s.get("LastUpdatedDate"),
            s.get("StageVariables", {}),
        )
        for s in sorted(stages_out, key=lambda s: (s["StageName"] != "$default", s["StageName"]))
    ]
    integrations = {
        i["IntegrationId"]: i
        for i in await _all(call, "apigatewayv2", "GetIntegrations", {"ApiId": api_id}, "Items", "NextToken")
    }
    routes = []
    for route in await _all(call, "apigatewayv2", "GetRoutes", {"ApiId": api_id}, "Items", "NextToken"):
        key = route["RouteKey"]
        method, _, path = key.partition(" ")
        target = route.get("Target", "")
        integration = integrations.get(target.removeprefix("integrations/"), {})
        routes.append(
            Route(
                method if path else "ANY",
                path or key,
                key,
                integration.get("IntegrationType", ""),
                function_of(integration.get("IntegrationUri")),
                route.get("AuthorizationType", "NONE"),
            )
        )
    # AWS's order of selection is too subtle for a list: by path, then method.
    routes.sort(key=lambda r: (r.path == "$default", r.path, r.method))
    return ApiView(api, stages, routes)
