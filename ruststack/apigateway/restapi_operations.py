"""
Control-plane operations on REST APIs themselves, OpenAPI import included.
"""

from __future__ import annotations

from typing import Any

from ruststack.apigateway import openapi, openapi_extras
from ruststack.apigateway.calls import Call, Reply, invalid_patch, page, patch_operations, unescape_patch_path
from ruststack.apigateway.model import ApiResource, RestApi, new_id
from ruststack.apigateway.resource_operations import INTEGRATION_TYPES, LAMBDA_URI, PROXY_URI_REFUSED, resource_at
from ruststack.apigateway.store import bad_request
from ruststack.apigateway.update_operations import patch_rest_api

ENDPOINT_TYPES = ("REGIONAL", "EDGE", "PRIVATE")
# API Gateway's words for an endpoint type outside its set.
BAD_ENDPOINT_TYPE = "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"


def _new_api(call: Call, name: str, **members: Any) -> RestApi:
    """
    A new API of the caller's, with its root resource.
    """
    root = ApiResource(id=new_id(), path="/")
    return RestApi(
        id=call.store.new_api_id(),
        account=call.account,
        region=call.region,
        name=name,
        created=call.now,
        root_id=root.id,
        resources={root.id: root},
        **members,
    )


def create_rest_api(call: Call) -> Reply:
    name = call.body.get("name")
    if not name:
        raise bad_request("Invalid REST API name specified")
    endpoint = call.body.get("endpointConfiguration") or {}
    api = _new_api(
        call,
        name,
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
    call.store.apis[api.id] = api
    call.store.save()
    return 201, api.to_json()


def import_rest_api(call: Call) -> Reply:
    document = openapi.parse(call.raw)
    definition = openapi.read(document)
    if not definition.title:
        raise bad_request("Invalid OpenAPI input: the API needs a title (info.title)")
    # The endpoint type comes as an import parameter (`?endpointConfigurationTypes=REGIONAL`), EDGE by default.
    endpoint_type = (call.query.get("endpointConfigurationTypes") or ["EDGE"])[0]
    if endpoint_type not in ENDPOINT_TYPES:
        raise bad_request(BAD_ENDPOINT_TYPE)
    api = _new_api(call, definition.title, description=definition.description, endpoint_types=[endpoint_type])
    _apply_definition(api, definition, overwrite=True)
    openapi_extras.apply(call.store.extras, api, document, overwrite=True)
    call.store.apis[api.id] = api
    call.store.save()
    return 201, api.to_json()


def put_rest_api(call: Call) -> Reply:
    api = call.api()
    mode = (call.query.get("mode") or ["merge"])[0]
    if mode not in ("merge", "overwrite"):
        raise bad_request(f"Invalid mode {mode!r}: merge or overwrite")
    document = openapi.parse(call.raw)
    _apply_definition(api, openapi.read(document), overwrite=mode == "overwrite")
    openapi_extras.apply(call.store.extras, api, document, overwrite=mode == "overwrite")
    call.store.save()
    return 200, api.to_json()


def _apply_definition(api: RestApi, definition: openapi.Definition, overwrite: bool) -> None:
    if overwrite:
        api.resources = {api.root_id: ApiResource(id=api.root_id, path="/")}
        api.binary_media_types = list(definition.binary_media_types)
    else:
        api.binary_media_types += [t for t in definition.binary_media_types if t not in api.binary_media_types]
    for path, method in definition.methods:
        resource = resource_at(api, path)
        integration = method.integration
        if integration is not None:
            if integration.type not in INTEGRATION_TYPES:
                raise bad_request(f"Invalid integration type {integration.type!r} for {method.http_method} {path}")
            if integration.type == "AWS_PROXY" and not LAMBDA_URI.match(integration.uri or ""):
                raise bad_request(PROXY_URI_REFUSED)
            integration.cache_namespace = integration.cache_namespace or resource.id
        resource.methods[method.http_method] = method


def get_rest_api(call: Call) -> Reply:
    return 200, call.api().to_json()


def get_rest_apis(call: Call) -> Reply:
    mine = [a for a in call.store.apis.values() if a.account == call.account and a.region == call.region]
    return 200, page(call, [a.to_json() for a in mine])


def update_rest_api(call: Call) -> Reply:
    api = call.api()
    for op, path, value in patch_operations(call):
        if path == "/name" and op == "replace" and value:
            api.name = value
        elif path == "/description" and op in ("replace", "add", "remove"):
            api.description = None if op == "remove" else value
        elif path.startswith("/binaryMediaTypes/"):
            media_type = unescape_patch_path(path[len("/binaryMediaTypes/") :])
            if op == "add" and media_type not in api.binary_media_types:
                api.binary_media_types.append(media_type)
            elif op == "remove" and media_type in api.binary_media_types:
                api.binary_media_types.remove(media_type)
            elif op == "replace":
                api.binary_media_types = [value if t == media_type else t for t in api.binary_media_types]
        elif path == "/minimumCompressionSize" and op == "replace":
            api.minimum_compression_size = int(value) if value not in (None, "") else None
        elif path.startswith("/endpointConfiguration/types/") and op == "replace":
            _replace_endpoint_type(api, path, value)
        elif not patch_rest_api(api, op, path, value):
            raise invalid_patch(op, path, "add, remove, replace")
    call.store.save()
    return 200, api.to_json()


def _replace_endpoint_type(api: RestApi, path: str, value: Any) -> None:
    """
    Change the API's endpoint type, as `replace /endpointConfiguration/types/EDGE`
    with `REGIONAL` does (deploy tools send the current type again on every
    update: a no-op). A private API cannot become edge-optimized.
    """
    current = path[len("/endpointConfiguration/types/") :]
    if value not in ENDPOINT_TYPES:
        raise bad_request(BAD_ENDPOINT_TYPE)
    if current not in api.endpoint_types:
        raise invalid_patch("replace", path)
    if current == "PRIVATE" and value == "EDGE":
        raise bad_request("Cannot update a PRIVATE endpoint to EDGE")
    api.endpoint_types = [value if t == current else t for t in api.endpoint_types]


def delete_rest_api(call: Call) -> Reply:
    api = call.api()
    del call.store.apis[api.id]
    call.store.forget_router(api.id)
    call.store.save()
    return 202, None
