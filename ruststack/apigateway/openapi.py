"""
Reading an OpenAPI (2.0 or 3) definition with API Gateway's extensions, as
ImportRestApi and PutRestApi take it: the methods by path, each with its
C{x-amazon-apigateway-integration}.

Reference: "Working with API Gateway extensions to OpenAPI" in the API
Gateway developer guide.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from ruststack.apigateway.model import Integration, Method
from ruststack.apigateway.store import bad_request

_VERBS = {
    "get": "GET",
    "put": "PUT",
    "post": "POST",
    "delete": "DELETE",
    "patch": "PATCH",
    "head": "HEAD",
    "options": "OPTIONS",
    "x-amazon-apigateway-any-method": "ANY",
}
# The operations of a path item by their verb (also for openapi_extras).
VERBS = _VERBS


@attrs.frozen
class Definition:
    title: str | None
    description: str | None
    binary_media_types: list[str]
    # (path, method) in the order the document lists them.
    methods: list[tuple[str, Method]]


def parse(body: bytes) -> dict[str, Any]:
    """
    The document C{body} holds, JSON or YAML.
    """
    try:
        document = json.loads(body)
    except ValueError:
        try:
            import yaml
        except ImportError:
            raise bad_request("Invalid OpenAPI input: not JSON (and YAML needs PyYAML)") from None
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError as e:
            raise bad_request(f"Invalid OpenAPI input: {e}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise bad_request("Invalid OpenAPI input: no paths")
    return document


def read(document: dict[str, Any]) -> Definition:
    info = document.get("info") or {}
    methods = []
    for path, item in document["paths"].items():
        if not isinstance(item, dict) or not path.startswith("/"):
            raise bad_request(f"Invalid OpenAPI input: path {path!r}")
        for key, operation in item.items():
            verb = _VERBS.get(key.lower())
            if verb is not None:
                methods.append((path, _method(verb, operation or {})))
    return Definition(
        title=info.get("title"),
        description=info.get("description"),
        binary_media_types=list(document.get("x-amazon-apigateway-binary-media-types") or []),
        methods=methods,
    )


def _method(verb: str, operation: dict[str, Any]) -> Method:
    method = Method(
        http_method=verb,
        operation_name=operation.get("operationId"),
        responses={str(code): {"statusCode": str(code)} for code in operation.get("responses") or {}},
    )
    spec = operation.get("x-amazon-apigateway-integration")
    if spec:
        method.integration = _integration(spec)
    return method


def _integration(spec: dict[str, Any]) -> Integration:
    responses = {}
    for pattern, response in (spec.get("responses") or {}).items():
        status = str(response.get("statusCode", "200"))
        responses[status] = {
            "statusCode": status,
            **({"selectionPattern": pattern} if pattern != "default" else {}),
            **{k: response[k] for k in ("responseParameters", "responseTemplates", "contentHandling") if k in response},
        }
    return Integration(
        type=str(spec.get("type", "")).upper(),
        http_method=spec.get("httpMethod"),
        uri=spec.get("uri"),
        timeout_ms=int(spec.get("timeoutInMillis", 29000)),
        passthrough_behavior=str(spec.get("passthroughBehavior", "WHEN_NO_MATCH")).upper(),
        content_handling=spec.get("contentHandling"),
        credentials=spec.get("credentials"),
        request_parameters=spec.get("requestParameters"),
        request_templates=spec.get("requestTemplates"),
        cache_namespace=spec.get("cacheNamespace"),
        cache_key_parameters=list(spec.get("cacheKeyParameters") or []),
        responses=responses,
    )
