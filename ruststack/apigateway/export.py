"""
GetExport: a deployed stage as an OpenAPI document (C{swagger}: 2.0,
C{oas30}: 3.0.1), JSON or YAML by the Accept header, with API Gateway's
extensions as the C{extensions} parameter asks for them
(C{integrations}, C{authorizers}, C{apigateway}: both and the API-wide
ones). ImportRestApi reads what this writes back into the same resources
and methods.

Reference: "Export a REST API from API Gateway" and "OpenAPI extensions
to API Gateway" in the API Gateway developer guide.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import yaml

from ruststack.apigateway.calls import Call, Reply, found
from ruststack.apigateway.model import ApiResource, Authorizer, Integration, Method, RestApi
from ruststack.apigateway.store import bad_request, not_found

EXPORT_TYPES = ("swagger", "oas30")
_MEDIA_TYPES = {"application/json": "json", "application/yaml": "yaml"}
_LOCATIONS = {"path": "path", "querystring": "query", "header": "header"}


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _wanted(call: Call) -> set[str]:
    # parameters={"extensions": "integrations,authorizers"} on the query string.
    raw = ",".join(call.query.get("extensions", []))
    wanted = {part.strip() for part in raw.split(",") if part.strip()}
    if "apigateway" in wanted:
        wanted |= {"integrations", "authorizers"}
    return wanted


def _format(accept: str) -> str:
    media_type = accept.split(";", 1)[0].strip().lower()
    if media_type in ("", "*/*"):
        return "json"
    if media_type not in _MEDIA_TYPES:
        raise bad_request(f"Invalid Accept header specified: {accept}. Use application/json or application/yaml")
    return _MEDIA_TYPES[media_type]


def get_export(call: Call) -> Reply:
    api = call.api()
    stage = found(api.stages.get(call.params["stage"]), "Stage identifier")
    export_type = call.params["export_type"]
    if export_type not in EXPORT_TYPES:
        raise not_found(f"No export type found for name: {export_type}")
    deployment = found(api.deployments.get(stage.deployment_id), "Deployment identifier")
    form = _format(call.params.get("accept", ""))
    document = _document(api, stage.name, deployment.resources, deployment.created, export_type, _wanted(call))
    if form == "yaml":
        body = yaml.safe_dump(document, sort_keys=False).encode("utf-8")
    else:
        body = json.dumps(document, indent=2).encode("utf-8")
    kind = "swagger" if export_type == "swagger" else "oas30"
    disposition = f'attachment; filename="{kind}_{_iso(deployment.created)}.{form}"'
    # AWS answers a download whatever the format ("application/octet-stream").
    return 200, {"contentType": "application/octet-stream", "contentDisposition": disposition, "body": body}


def _document(
    api: RestApi,
    stage: str,
    resources: list[ApiResource],
    deployed: float,
    export_type: str,
    wanted: set[str],
) -> dict[str, Any]:
    oas3 = export_type == "oas30"
    info: dict[str, Any] = {"version": api.version or _iso(deployed), "title": api.name}
    if api.description:
        info = {"description": api.description, **info}
    host = f"{api.id}.execute-api.{api.region}.amazonaws.com"
    document: dict[str, Any]
    if oas3:
        server = {"url": f"https://{host}/{{basePath}}", "variables": {"basePath": {"default": stage}}}
        document = {"openapi": "3.0.1", "info": info, "servers": [server]}
    else:
        document = {"swagger": "2.0", "info": info, "host": host, "basePath": f"/{stage}", "schemes": ["https"]}
    schemes: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for resource in sorted(resources, key=lambda r: r.path):
        if not resource.methods:
            continue
        item = paths[resource.path] = {}
        for name, method in sorted(resource.methods.items()):
            verb = "x-amazon-apigateway-any-method" if name == "ANY" else name.lower()
            item[verb] = _operation(api, resource, method, oas3, wanted, schemes)
    document["paths"] = paths
    if schemes:
        if oas3:
            document["components"] = {"securitySchemes": schemes}
        else:
            document["securityDefinitions"] = schemes
    if "apigateway" in wanted:
        if api.binary_media_types:
            document["x-amazon-apigateway-binary-media-types"] = list(api.binary_media_types)
        if api.api_key_source != "HEADER":
            document["x-amazon-apigateway-api-key-source"] = api.api_key_source
        if api.minimum_compression_size is not None:
            document["x-amazon-apigateway-minimum-compression-size"] = api.minimum_compression_size
        if api.policy:
            document["x-amazon-apigateway-policy"] = json.loads(api.policy)
    return document


def _parameters(resource: ApiResource, method: Method, oas3: bool) -> list[dict[str, Any]]:
    found_: list[tuple[str, str, bool]] = [
        (name, "path", True) for name in re.findall(r"\{([^}+]+)\+?\}", resource.path)
    ]
    for key, required in (method.request_parameters or {}).items():
        # method.request.{querystring|header}.{name}; path ones come from the resource's path.
        parts = key.split(".", 3)
        if len(parts) == 4 and parts[:2] == ["method", "request"] and parts[2] in ("querystring", "header"):
            found_.append((parts[3], parts[2], bool(required)))
    parameters = []
    for name, location, required in found_:
        parameter: dict[str, Any] = {"name": name, "in": _LOCATIONS[location], "required": required}
        parameter.update({"schema": {"type": "string"}} if oas3 else {"type": "string"})
        parameters.append(parameter)
    return parameters


def _operation(
    api: RestApi, resource: ApiResource, method: Method, oas3: bool, wanted: set[str], schemes: dict[str, Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if method.operation_name:
        operation["operationId"] = method.operation_name
    parameters = _parameters(resource, method, oas3)
    if parameters:
        operation["parameters"] = parameters
    responses: dict[str, Any] = {}
    for status, response in sorted(method.responses.items()):
        entry: dict[str, Any] = {"description": f"{status} response"}
        headers = [k.removeprefix("method.response.header.") for k in response.get("responseParameters") or {}]
        if headers:
            entry["headers"] = {h: {"schema": {"type": "string"}} if oas3 else {"type": "string"} for h in headers}
        if oas3:
            entry["content"] = {}
        responses[status] = entry
    operation["responses"] = responses
    security = _security(api, method, oas3, wanted, schemes)
    if security:
        operation["security"] = security
    if "integrations" in wanted and method.integration is not None:
        operation["x-amazon-apigateway-integration"] = _integration(method.integration)
    return operation


def _security(
    api: RestApi, method: Method, oas3: bool, wanted: set[str], schemes: dict[str, Any]
) -> list[dict[str, list[str]]]:
    security: list[dict[str, list[str]]] = []
    if method.authorization_type == "AWS_IAM":
        schemes["sigv4"] = {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
        security.append({"sigv4": []})
    authorizer = api.authorizers.get(method.authorizer_id or "")
    if method.authorization_type in ("CUSTOM", "COGNITO_USER_POOLS") and authorizer is not None:
        schemes[authorizer.name] = _authorizer_scheme(authorizer, wanted)
        security.append({authorizer.name: []})
    if method.api_key_required:
        schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
        security.append({"api_key": []})
    return security


def _authorizer_scheme(authorizer: Authorizer, wanted: set[str]) -> dict[str, Any]:
    source = authorizer.identity_source or ""
    header = source.removeprefix("method.request.header.") if source.startswith("method.request.header.") else None
    scheme: dict[str, Any] = {"type": "apiKey", "name": header or "Unused", "in": "header"}
    if authorizer.type == "COGNITO_USER_POOLS":
        scheme["x-amazon-apigateway-authtype"] = "cognito_user_pools"
    else:
        scheme["x-amazon-apigateway-authtype"] = "custom"
    if "authorizers" in wanted:
        spec: dict[str, Any] = {"type": authorizer.type.lower()}
        if authorizer.type == "COGNITO_USER_POOLS":
            spec["providerARNs"] = list(authorizer.provider_arns)
        else:
            spec["authorizerUri"] = authorizer.authorizer_uri
            spec["authorizerResultTtlInSeconds"] = authorizer.ttl
            if authorizer.credentials:
                spec["authorizerCredentials"] = authorizer.credentials
        if authorizer.type == "REQUEST" and source:
            spec["identitySource"] = source
        if authorizer.identity_validation_expression:
            spec["identityValidationExpression"] = authorizer.identity_validation_expression
        scheme["x-amazon-apigateway-authorizer"] = spec
    return scheme


def _integration(integration: Integration) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": integration.type.lower()}
    optional = {
        "httpMethod": integration.http_method,
        "uri": integration.uri,
        "credentials": integration.credentials,
        "requestParameters": integration.request_parameters,
        "requestTemplates": integration.request_templates,
        "passthroughBehavior": integration.passthrough_behavior.lower(),
        "contentHandling": integration.content_handling,
        "cacheNamespace": integration.cache_namespace,
        "cacheKeyParameters": list(integration.cache_key_parameters) or None,
        "timeoutInMillis": integration.timeout_ms,
    }
    spec.update({k: v for k, v in optional.items() if v is not None})
    responses = {}
    for status, response in sorted(integration.responses.items()):
        entry = {"statusCode": status}
        entry.update(
            {k: response[k] for k in ("responseParameters", "responseTemplates", "contentHandling") if k in response}
        )
        responses[response.get("selectionPattern") or "default"] = entry
    if responses:
        spec["responses"] = responses
    return spec


OPERATIONS = {"GetExport": get_export}
