"""
OpenAPI 3 definitions of HTTP APIs, as ImportApi and ReimportApi take them
and ExportApi writes them ("Working with OpenAPI definitions for HTTP APIs"
and "Working with API Gateway extensions to OpenAPI", API Gateway developer
guide): a route per path and verb (C{x-amazon-apigateway-any-method} is
C{ANY}, the path C{$default} the default route), its
C{x-amazon-apigateway-integration}, authorizers from the security schemes'
C{x-amazon-apigateway-authorizer} (and C{awsSigv4} for C{AWS_IAM}), and
C{x-amazon-apigateway-cors}.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import yaml

from ruststack.apigateway.openapi import VERBS as _VERBS  # OpenAPI's verbs, as REST APIs read them
from ruststack.apigatewayv2.model import Document

_INTEGRATION_MEMBERS = {
    "type": "IntegrationType",
    "uri": "IntegrationUri",
    "httpMethod": "IntegrationMethod",
    "payloadFormatVersion": "PayloadFormatVersion",
    "connectionType": "ConnectionType",
    "connectionId": "ConnectionId",
    "credentials": "CredentialsArn",
    "timeoutInMillis": "TimeoutInMillis",
    "description": "Description",
    "requestParameters": "RequestParameters",
    "responseParameters": "ResponseParameters",
    "tlsConfig": "TlsConfig",
    "integrationSubtype": "IntegrationSubtype",
}
_AUTHORIZER_MEMBERS = {
    "authorizerUri": "AuthorizerUri",
    "authorizerCredentials": "AuthorizerCredentialsArn",
    "authorizerPayloadFormatVersion": "AuthorizerPayloadFormatVersion",
    "authorizerResultTtlInSeconds": "AuthorizerResultTtlInSeconds",
    "enableSimpleResponses": "EnableSimpleResponses",
    "identityValidationExpression": "IdentityValidationExpression",
}
_CORS_MEMBERS = {
    "allowOrigins": "AllowOrigins",
    "allowMethods": "AllowMethods",
    "allowHeaders": "AllowHeaders",
    "exposeHeaders": "ExposeHeaders",
    "allowCredentials": "AllowCredentials",
    "maxAge": "MaxAge",
}


class InvalidDefinition(ValueError):
    """
    Not an OpenAPI 3 definition RustStack can import.
    """


@attrs.define
class ImportedRoute:
    key: str
    integration: Document | None
    authorization: Document


@attrs.define
class Definition:
    """
    What an OpenAPI definition makes of an HTTP API: its members, its
    routes (each with its integration, by botocore's names, and its
    authorization), its authorizers by scheme name, and the warnings of
    what it ignored.
    """

    api: Document
    routes: list[ImportedRoute]
    authorizers: dict[str, Document]
    warnings: list[str]


def parse(body: str) -> dict[str, Any]:
    """
    The document C{body} holds, JSON or YAML.
    """
    try:
        document = json.loads(body)
    except ValueError:
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError as e:
            raise InvalidDefinition(f"Unable to parse the definition: {e}") from None
    if not isinstance(document, dict):
        raise InvalidDefinition("Unable to parse the definition: not an object")
    version = str(document.get("openapi", ""))
    if not version.startswith("3."):
        raise InvalidDefinition("Only OpenAPI 3.x definitions are supported for HTTP APIs")
    if not isinstance(document.get("paths", {}), dict) or not isinstance(document.get("info"), dict):
        raise InvalidDefinition("Unable to parse the definition: info and paths are required")
    return document


def read(document: dict[str, Any], basepath: str | None = None) -> Definition:
    info = document["info"]
    if not info.get("title"):
        raise InvalidDefinition("Invalid API name specified: info.title is required")
    api: Document = {"Name": str(info["title"])}
    if info.get("description"):
        api["Description"] = str(info["description"])
    if info.get("version") is not None:
        api["Version"] = str(info["version"])
    cors = document.get("x-amazon-apigateway-cors")
    if isinstance(cors, dict):
        api["CorsConfiguration"] = {_CORS_MEMBERS[k]: v for k, v in cors.items() if k in _CORS_MEMBERS}
    warnings: list[str] = []
    schemes = ((document.get("components") or {}).get("securitySchemes")) or {}
    authorizers: dict[str, Document] = {}
    iam_schemes = set()
    for name, scheme in schemes.items():
        if not isinstance(scheme, dict):
            raise InvalidDefinition(f"Invalid security scheme {name}")
        if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
            iam_schemes.add(name)
            continue
        spec = scheme.get("x-amazon-apigateway-authorizer")
        if not isinstance(spec, dict):
            warnings.append(f"Unsupported security scheme {name}: it has no x-amazon-apigateway-authorizer")
            continue
        authorizers[name] = _authorizer(name, spec)
    prefix = _base_path(document) if basepath == "prepend" else ""
    default_security = document.get("security")
    routes = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict) or not (path.startswith("/") or path == "$default"):
            raise InvalidDefinition(f"Invalid path {path!r}")
        for verb_key, operation in item.items():
            verb = _VERBS.get(verb_key.lower())
            if verb is None:
                continue
            operation = operation or {}
            key = "$default" if path == "$default" else f"{verb} {prefix}{path}"
            spec = operation.get("x-amazon-apigateway-integration")
            integration = _integration(spec) if isinstance(spec, dict) else None
            if integration is None:
                warnings.append(f"Route {key} has no x-amazon-apigateway-integration: it is imported without one")
            security = operation.get("security", default_security)
            authorization = _authorization(security, authorizers, iam_schemes, key, warnings)
            if operation.get("operationId"):
                authorization["OperationName"] = str(operation["operationId"])
            routes.append(ImportedRoute(key, integration, authorization))
    return Definition(api, routes, authorizers, warnings)


def _base_path(document: dict[str, Any]) -> str:
    for server in document.get("servers") or []:
        url = str((server or {}).get("url", ""))
        path = "/" + url.partition("://")[2].partition("/")[2] if "://" in url else url
        path = path.replace(
            "{basePath}", str(((server.get("variables") or {}).get("basePath") or {}).get("default", ""))
        )
        return "/" + path.strip("/") if path.strip("/") else ""
    return ""


def _integration(spec: dict[str, Any]) -> Document:
    integration: Document = {}
    for name, member in _INTEGRATION_MEMBERS.items():
        if name in spec:
            integration[member] = spec[name]
    if "IntegrationType" in integration:
        integration["IntegrationType"] = str(integration["IntegrationType"]).upper()
    if "TimeoutInMillis" in integration:
        integration["TimeoutInMillis"] = int(integration["TimeoutInMillis"])
    if "PayloadFormatVersion" in integration:
        integration["PayloadFormatVersion"] = str(integration["PayloadFormatVersion"])
    return integration


def _authorizer(name: str, spec: dict[str, Any]) -> Document:
    kind = str(spec.get("type", "")).upper()
    sources = spec.get("identitySource")
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(",") if s.strip()]
    authorizer: Document = {"Name": name, "AuthorizerType": kind, "IdentitySource": list(sources or [])}
    if kind == "JWT":
        configuration = spec.get("jwtConfiguration") or {}
        authorizer["JwtConfiguration"] = {
            **({"Issuer": configuration["issuer"]} if "issuer" in configuration else {}),
            **({"Audience": list(configuration["audience"])} if "audience" in configuration else {}),
        }
    for key, member in _AUTHORIZER_MEMBERS.items():
        if key in spec:
            authorizer[member] = spec[key]
    if "AuthorizerPayloadFormatVersion" in authorizer:
        authorizer["AuthorizerPayloadFormatVersion"] = str(authorizer["AuthorizerPayloadFormatVersion"])
    return authorizer


def _authorization(
    security: Any, authorizers: dict[str, Document], iam_schemes: set[str], key: str, warnings: list[str]
) -> Document:
    for requirement in security or []:
        for name, scopes in (requirement or {}).items():
            if name in iam_schemes:
                return {"AuthorizationType": "AWS_IAM"}
            authorizer = authorizers.get(name)
            if authorizer is None:
                warnings.append(f"Route {key} names the unknown security scheme {name}")
                continue
            kind = "JWT" if authorizer["AuthorizerType"] == "JWT" else "CUSTOM"
            found: Document = {"AuthorizationType": kind, "AuthorizerName": name}
            if scopes and kind == "JWT":
                found["AuthorizationScopes"] = list(scopes)
            return found
    return {"AuthorizationType": "NONE"}


# Export


def export(
    api: Document,
    routes: dict[str, Document],
    integrations: dict[str, Document],
    authorizers: dict[str, Document],
    include_extensions: bool,
) -> dict[str, Any]:
    """
    The OpenAPI 3 definition of an API's routes (a deployment's or the
    API's own).
    """
    info: dict[str, Any] = {"title": api["Name"]}
    if api.get("Description"):
        info["description"] = api["Description"]
    info["version"] = api.get("Version") or "1.0"
    document: dict[str, Any] = {"openapi": "3.0.1", "info": info, "paths": {}}
    inverse_verbs = {verb: key for key, verb in _VERBS.items()}
    by_id = {a["AuthorizerId"]: a for a in authorizers.values()}
    for route in sorted(routes.values(), key=lambda r: r["RouteKey"]):
        key = route["RouteKey"]
        verb, _, path = key.partition(" ")
        if key == "$default":
            verb, path = "ANY", "$default"
        operation: dict[str, Any] = {"responses": {"default": {"description": "Default response for " + key}}}
        if route.get("OperationName"):
            operation["operationId"] = route["OperationName"]
        authorizer = by_id.get(route.get("AuthorizerId") or "")
        if authorizer is not None:
            operation["security"] = [{authorizer["Name"]: list(route.get("AuthorizationScopes") or [])}]
        elif route.get("AuthorizationType") == "AWS_IAM":
            operation["security"] = [{"sigv4": []}]
        integration = integrations.get((route.get("Target") or "").partition("/")[2])
        if include_extensions and integration is not None:
            operation["x-amazon-apigateway-integration"] = {
                name: integration[member] for name, member in _INTEGRATION_MEMBERS.items() if member in integration
            } | {"type": integration["IntegrationType"].lower()}
        document["paths"].setdefault(path, {})[inverse_verbs[verb]] = operation
    schemes: dict[str, Any] = {}
    for authorizer in authorizers.values():
        spec: dict[str, Any] = {
            "type": authorizer["AuthorizerType"].lower(),
            "identitySource": ",".join(authorizer.get("IdentitySource") or []),
        }
        if authorizer["AuthorizerType"] == "JWT":
            configuration = authorizer.get("JwtConfiguration") or {}
            spec["jwtConfiguration"] = {
                **({"issuer": configuration["Issuer"]} if "Issuer" in configuration else {}),
                **({"audience": configuration["Audience"]} if "Audience" in configuration else {}),
            }
        for key, member in _AUTHORIZER_MEMBERS.items():
            if member in authorizer:
                spec[key] = authorizer[member]
        schemes[authorizer["Name"]] = {"type": "oauth2" if authorizer["AuthorizerType"] == "JWT" else "apiKey"}
        if authorizer["AuthorizerType"] != "JWT":
            schemes[authorizer["Name"]].update({"name": "Unused", "in": "header"})
        if include_extensions:
            schemes[authorizer["Name"]]["x-amazon-apigateway-authorizer"] = spec
    if any(r.get("AuthorizationType") == "AWS_IAM" for r in routes.values()):
        schemes["sigv4"] = {"type": "apiKey", "name": "Authorization", "in": "header"}
        if include_extensions:
            schemes["sigv4"]["x-amazon-apigateway-authtype"] = "awsSigv4"
    if schemes:
        document["components"] = {"securitySchemes": schemes}
    cors = api.get("CorsConfiguration")
    if include_extensions and cors:
        inverse = {member: key for key, member in _CORS_MEMBERS.items()}
        document["x-amazon-apigateway-cors"] = {inverse[k]: v for k, v in cors.items() if k in inverse}
    if include_extensions:
        document["x-amazon-apigateway-importexport-version"] = "1.0"
    return document


def render(document: dict[str, Any], output_type: str) -> bytes:
    if output_type == "YAML":
        return yaml.safe_dump(document, sort_keys=False).encode()
    return json.dumps(document, indent=2).encode()
