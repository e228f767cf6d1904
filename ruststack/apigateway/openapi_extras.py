"""
What an imported OpenAPI (2.0 or 3) definition says of API keys, models,
request validation and gateway responses, applied to the API once its
methods are in place (ImportRestApi, PutRestApi):

  - C{x-amazon-apigateway-api-key-source};
  - a security requirement naming an C{apiKey} scheme (C{x-api-key} in the
    header) makes the method C{apiKeyRequired};
  - C{definitions} (2.0) or C{components.schemas} (3) become models, their
    C{#/definitions/X} references model URLs;
  - C{x-amazon-apigateway-request-validators}, and
    C{x-amazon-apigateway-request-validator} for the document or an
    operation;
  - an operation's parameters become its C{requestParameters}, its body
    schema (a reference to a model) its C{requestModels};
  - C{x-amazon-apigateway-gateway-responses}.

Reference: "Working with API Gateway extensions to OpenAPI".
"""

from __future__ import annotations

import json
import re
from typing import Any

from ruststack.apigateway.extras import ApiExtras, Extras, GatewayResponse, Model, RequestValidator
from ruststack.apigateway.gateway_responses import DEFAULTS
from ruststack.apigateway.model import Method, RestApi, new_id
from ruststack.apigateway.openapi import VERBS
from ruststack.apigateway.validation import api_extras

_LOCAL_REF = re.compile(r"^#/(?:definitions|components/schemas)/([A-Za-z0-9]+)$")
_LOCATIONS = {"query": "querystring", "header": "header", "path": "path"}


def _mapping(value: Any) -> dict[str, Any]:
    # A member of the wrong type counts as absent.
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def apply(every: Extras, api: RestApi, document: dict[str, Any], overwrite: bool) -> None:
    extras = api_extras(every, api.id)
    if overwrite:
        extras.responses.clear()
        extras.validators.clear()
    source = document.get("x-amazon-apigateway-api-key-source")
    if source in ("HEADER", "AUTHORIZER"):
        api.api_key_source = source
    _models(extras, api.id, document)
    validators = _validators(extras, document)
    for response_type, spec in _mapping(document.get("x-amazon-apigateway-gateway-responses")).items():
        if response_type in DEFAULTS and isinstance(spec, dict):
            extras.responses[response_type] = GatewayResponse(
                response_type,
                str(spec["statusCode"]) if spec.get("statusCode") else None,
                {str(k): str(v) for k, v in _mapping(spec.get("responseParameters")).items()},
                {str(k): str(v) for k, v in _mapping(spec.get("responseTemplates")).items()},
            )
    key_schemes = _api_key_schemes(document)
    default_security = _list(document.get("security"))
    default_validator = document.get("x-amazon-apigateway-request-validator")
    consumes = [str(c) for c in _list(document.get("consumes"))] or ["application/json"]
    for path, item in _mapping(document.get("paths")).items():
        if not isinstance(item, dict):
            continue
        shared_parameters = _list(item.get("parameters"))
        for key, operation in item.items():
            verb = VERBS.get(key.lower())
            method = _method_at(api, path, verb) if verb else None
            if method is None or not isinstance(operation, dict):
                continue
            security = _list(operation.get("security", default_security))
            if any(name in key_schemes for requirement in security for name in _mapping(requirement)):
                method.api_key_required = True
            validator = operation.get("x-amazon-apigateway-request-validator", default_validator)
            if isinstance(validator, str) and validator in validators:
                method.request_validator_id = validators[validator]
            parameters = [*shared_parameters, *_list(operation.get("parameters"))]
            _parameters(method, parameters, [str(c) for c in _list(operation.get("consumes"))] or consumes)
            _request_body(method, operation.get("requestBody"))


def _method_at(api: RestApi, path: str, verb: str) -> Method | None:
    resource = next((r for r in api.resources.values() if r.path == (path.rstrip("/") or "/")), None)
    return resource.methods.get(verb) if resource is not None else None


def _api_key_schemes(document: dict[str, Any]) -> set[str]:
    schemes = _mapping(document.get("securityDefinitions")) or _mapping(
        _mapping(document.get("components")).get("securitySchemes")
    )
    return {
        name
        for name, scheme in schemes.items()
        if isinstance(scheme, dict)
        and scheme.get("type") == "apiKey"
        and str(scheme.get("name", "")).lower() == "x-api-key"
        and scheme.get("in") == "header"
    }


def _models(extras: ApiExtras, api_id: str, document: dict[str, Any]) -> None:
    schemas = _mapping(document.get("definitions")) or _mapping(_mapping(document.get("components")).get("schemas"))
    for name, schema in schemas.items():
        if not re.fullmatch(r"[A-Za-z0-9]+", name) or not isinstance(schema, dict):
            continue
        text = json.dumps(_with_model_urls(schema, api_id))
        current = extras.models.get(name)
        if current is not None:
            current.schema = text
        else:
            extras.models[name] = Model(new_id(6), name, "application/json", text, schema.get("description"))


def _with_model_urls(schema: Any, api_id: str) -> Any:
    # Models reference each other by URL once imported.
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        found = _LOCAL_REF.match(ref) if isinstance(ref, str) else None
        copied = {key: _with_model_urls(value, api_id) for key, value in schema.items()}
        if found:
            copied["$ref"] = f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{found.group(1)}"
        return copied
    if isinstance(schema, list):
        return [_with_model_urls(value, api_id) for value in schema]
    return schema


def _validators(extras: ApiExtras, document: dict[str, Any]) -> dict[str, str]:
    """
    The document's validators by name, created or updated: their ids.
    """
    ids = {}
    for name, spec in _mapping(document.get("x-amazon-apigateway-request-validators")).items():
        if not isinstance(spec, dict):
            continue
        validator = next((v for v in extras.validators.values() if v.name == name), None)
        if validator is None:
            validator = RequestValidator(new_id(6), name)
            extras.validators[validator.id] = validator
        validator.body = bool(spec.get("validateRequestBody", False))
        validator.parameters = bool(spec.get("validateRequestParameters", False))
        ids[name] = validator.id
    return ids


def _model_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    found = _LOCAL_REF.match(ref) if isinstance(ref, str) else None
    return found.group(1) if found else None


def _parameters(method: Method, parameters: list[Any], consumes: list[str]) -> None:
    required = dict(method.request_parameters or {})
    for parameter in parameters:
        if not isinstance(parameter, dict):
            continue
        where = parameter.get("in")
        if where in _LOCATIONS and isinstance(parameter.get("name"), str) and parameter["name"]:
            expression = f"method.request.{_LOCATIONS[where]}.{parameter['name']}"
            required[expression] = bool(parameter.get("required", where == "path"))
        elif where == "body" and (model := _model_name(parameter.get("schema"))):
            method.request_models = {**(method.request_models or {}), consumes[0]: model}
    method.request_parameters = required or None


def _request_body(method: Method, body: Any) -> None:
    if not isinstance(body, dict):
        return
    for content_type, media in _mapping(body.get("content")).items():
        model = _model_name(media.get("schema")) if isinstance(media, dict) else None
        if model:
            method.request_models = {**(method.request_models or {}), content_type: model}
