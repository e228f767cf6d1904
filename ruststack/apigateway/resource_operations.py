"""
Control-plane operations on an API's resources, methods, integrations and
their responses.
"""

from __future__ import annotations

import re
from typing import Any

from ruststack.apigateway.calls import (
    Call,
    Replaceable,
    Reply,
    as_flag,
    as_is,
    found,
    invalid_patch,
    or_none,
    page,
    patch_operations,
    replace_member,
    unescape_patch_path,
)
from ruststack.apigateway.model import ApiResource, Integration, Method, RestApi, new_id
from ruststack.apigateway.store import bad_request, conflict, not_found

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")
PATH_PART = re.compile(r"^(?:[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\})$")
PROXY_URI_REFUSED = (
    "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."
)
LAMBDA_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:[^:]+:lambda:path/2015-03-31/functions/.+/invocations$")
_METHOD_REPLACEABLE: Replaceable = {
    "/authorizationType": ("authorization_type", as_is),
    "/authorizerId": ("authorizer_id", or_none),
    "/apiKeyRequired": ("api_key_required", as_flag),
    "/operationName": ("operation_name", or_none),
    "/requestValidatorId": ("request_validator_id", or_none),
}
_INTEGRATION_REPLACEABLE: Replaceable = {
    "/uri": ("uri", as_is),
    "/httpMethod": ("http_method", as_is),
    "/timeoutInMillis": ("timeout_ms", int),
    "/passthroughBehavior": ("passthrough_behavior", as_is),
    "/contentHandling": ("content_handling", or_none),
    "/credentials": ("credentials", or_none),
}


def get_resources(call: Call) -> Reply:
    api = call.api()
    embed = "methods" in ",".join(call.query.get("embed", [])).split(",")
    return 200, page(call, [r.to_json(embed_methods=embed) for r in api.resources.values()])


def get_resource(call: Call) -> Reply:
    _, resource = call.resource()
    embed = "methods" in ",".join(call.query.get("embed", [])).split(",")
    return 200, resource.to_json(embed_methods=embed)


def check_path_part(api: RestApi, parent: ApiResource, part: str, moving: ApiResource | None = None) -> None:
    """
    API Gateway's rules for a resource's place: a valid path part, nothing
    below a greedy variable, a unique name and one variable per level.
    """
    if not PATH_PART.match(part):
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
    api, parent = call.resource()
    part = call.body.get("pathPart") or ""
    check_path_part(api, parent, part)
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
    for op, path, value in patch_operations(call):
        if op == "replace" and path == "/pathPart":
            part = value
        elif op == "replace" and path == "/parentId":
            parent_id = value
        else:
            raise invalid_patch(op, path, "replace")
    parent = found(api.resources.get(parent_id or ""), "Resource identifier")
    ancestor: ApiResource | None = parent
    while ancestor is not None:
        if ancestor is resource:
            raise bad_request("A resource cannot be moved below itself")
        ancestor = api.resources.get(ancestor.parent_id or "")
    check_path_part(api, parent, part or "", moving=resource)
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
    if http_method not in HTTP_METHODS:
        raise bad_request("Invalid HttpMethod specified. Valid options are " + ",".join(HTTP_METHODS))
    if not call.body.get("authorizationType"):
        raise bad_request("Invalid authorizationType specified")
    if http_method in resource.methods:
        raise conflict("Method already exists for this resource")
    authorization = call.body["authorizationType"]
    if authorization not in ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"):
        raise bad_request("Invalid authorizationType specified: NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS")
    if authorization in ("CUSTOM", "COGNITO_USER_POOLS") and call.body.get("authorizerId") not in api.authorizers:
        raise bad_request("Invalid authorizer ID specified")
    method = Method(
        http_method=http_method,
        authorization_type=call.body["authorizationType"],
        authorizer_id=call.body.get("authorizerId"),
        api_key_required=bool(call.body.get("apiKeyRequired", False)),
        operation_name=call.body.get("operationName"),
        request_parameters=call.body.get("requestParameters"),
        request_models=call.body.get("requestModels"),
        request_validator_id=call.body.get("requestValidatorId"),
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
    for op, path, value in patch_operations(call):
        if op != "replace":
            raise invalid_patch(op, path, "replace")
        replace_member(method, _METHOD_REPLACEABLE, op, path, value)
    call.store.save()
    return 200, method.to_json()


def update_integration(call: Call) -> Reply:
    integration = _integration(call)
    for op, path, value in patch_operations(call):
        if path.startswith("/requestTemplates/"):
            templates = integration.request_templates = dict(integration.request_templates or {})
            media_type = unescape_patch_path(path[len("/requestTemplates/") :])
            if op == "remove":
                templates.pop(media_type, None)
            else:
                templates[media_type] = value or ""
        elif op != "replace":
            raise invalid_patch(op, path)
        elif path == "/uri" and integration.type == "AWS_PROXY" and not LAMBDA_URI.match(value or ""):
            raise bad_request(PROXY_URI_REFUSED)
        elif path == "/timeoutInMillis" and not 50 <= int(value) <= 29000:
            raise bad_request("Timeout should be between 50 ms and 29000 ms")
        else:
            replace_member(integration, _INTEGRATION_REPLACEABLE, op, path, value)
    call.store.save()
    return 200, integration.to_json()


def put_integration(call: Call) -> Reply:
    _, resource, method = call.method()
    kind = call.body.get("type")
    if kind not in INTEGRATION_TYPES:
        raise bad_request("Invalid integration type specified. Valid options are " + ",".join(INTEGRATION_TYPES))
    integration_method = call.body.get("httpMethod")
    uri = call.body.get("uri")
    if kind != "MOCK":
        if not integration_method:
            raise bad_request("Enumeration value for HttpMethod must be non-empty")
        if not uri:
            raise bad_request("Invalid HTTP endpoint specified for URI")
    if kind in ("AWS", "AWS_PROXY") and uri and not uri.startswith("arn:"):
        raise bad_request("AWS ARN for integration must contain path or action")
    if kind == "AWS_PROXY" and not LAMBDA_URI.match(uri or ""):
        raise bad_request(PROXY_URI_REFUSED)
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
    return found(call.method()[2].integration, "Integration identifier")


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
    return 200, found(call.method()[2].responses.get(call.params["status"]), "Response status code")


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
    return 200, found(_integration(call).responses.get(call.params["status"]), "Response status code")


def delete_integration_response(call: Call) -> Reply:
    if _integration(call).responses.pop(call.params["status"], None) is None:
        raise not_found("Invalid Response status code specified")
    call.store.save()
    return 204, None


def resource_at(api: RestApi, path: str) -> ApiResource:
    """
    The resource at C{path}, created with its missing ancestors.
    """
    resource = api.resources[api.root_id]
    for part in [p for p in path.split("/") if p]:
        child = next((r for r in api.resources.values() if r.parent_id == resource.id and r.path_part == part), None)
        if child is None:
            check_path_part(api, resource, part)
            child = ApiResource(
                id=new_id(6), path=f"{resource.path.rstrip('/')}/{part}", parent_id=resource.id, path_part=part
            )
            api.resources[child.id] = child
        resource = child
    return resource
