"""
Models and request validators: their control-plane operations, and the
data plane's check of a method's required parameters and of its body
against the JSON Schema (draft 4) model of its content type.

Reference: "Request validation for REST APIs" in the developer guide.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import attrs
import jsonschema
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT4

from ruststack.apigateway.calls import Call, Reply, found, invalid_patch, page, patch_operations
from ruststack.apigateway.extras import ApiExtras, Extras, Model, RequestValidator
from ruststack.apigateway.lambda_authorizer import Refusal
from ruststack.apigateway.model import Method, new_id
from ruststack.apigateway.store import bad_request, conflict
from ruststack.aws.schema_words import compact, json_type

_MODEL_NAME = re.compile(r"^[A-Za-z0-9]+$")
_DRAFT_4 = "http://json-schema.org/draft-04/schema#"
# The two models API Gateway gives every API.
_DEFAULT_MODELS = (
    ("Empty", "This is a default empty schema model", {"$schema": _DRAFT_4, "title": "Empty Schema", "type": "object"}),
    (
        "Error",
        "This is a default error schema model",
        {
            "$schema": _DRAFT_4,
            "title": "Error Schema",
            "type": "object",
            "properties": {"message": {"type": "string"}},
        },
    ),
)
_MODEL_URL = re.compile(r"^https://apigateway\.amazonaws\.com/restapis/([^/]+)/models/([^/#]+)")
_HEADER, _QUERY = "method.request.header.", "method.request.querystring."
INVALID_BODY = Refusal(400, "Invalid request body", "BadRequestException")


def _extras(call: Call) -> ApiExtras:
    return api_extras(call.store.extras, call.api().id)


def api_extras(every: Extras, api_id: str) -> ApiExtras:
    """
    The extras of the API C{api_id}, with API Gateway's own models.
    """
    extras = every.of(api_id)
    if not extras.default_models:
        extras.default_models = True
        for name, description, schema in _DEFAULT_MODELS:
            extras.models[name] = Model(new_id(6), name, "application/json", json.dumps(schema, indent=2), description)
    return extras


def _check_schema(text: str | None) -> None:
    if text is None:
        return
    try:
        schema = json.loads(text)
        jsonschema.Draft4Validator.check_schema(schema)
    except (ValueError, jsonschema.SchemaError) as e:
        detail = getattr(e, "message", None) or str(e)
        raise bad_request(
            "Validation Result: warnings : [], errors : [Invalid model schema specified. Unsupported keyword(s):"
            f" {detail}]"
        ) from None


# Models


def create_model(call: Call) -> Reply:
    extras = _extras(call)
    name, content_type = call.body.get("name") or "", call.body.get("contentType") or ""
    if not _MODEL_NAME.match(name):
        raise bad_request("Invalid model name specified: Model names must be alphanumeric.")
    if not content_type:
        raise bad_request("Invalid content type specified")
    if name in extras.models:
        raise conflict("Model name already exists for this REST API")
    _check_schema(call.body.get("schema"))
    model = Model(new_id(6), name, content_type, call.body.get("schema"), call.body.get("description"))
    extras.models[name] = model
    call.store.save()
    return 201, model.to_json()


def _model(call: Call) -> tuple[ApiExtras, Model]:
    extras = _extras(call)
    return extras, found(extras.models.get(call.params["model"]), "model name")


def get_model(call: Call) -> Reply:
    return 200, _model(call)[1].to_json()


def get_models(call: Call) -> Reply:
    return 200, page(call, [m.to_json() for m in _extras(call).models.values()])


def update_model(call: Call) -> Reply:
    _, model = _model(call)
    for op, path, value in patch_operations(call):
        if op != "replace" or path not in ("/schema", "/description"):
            raise invalid_patch(op, path)
        if path == "/schema":
            _check_schema(value)
            model.schema = value
        else:
            model.description = value
    call.store.save()
    return 200, model.to_json()


def delete_model(call: Call) -> Reply:
    api = call.api()
    extras, model = _model(call)
    for resource in api.resources.values():
        for method in resource.methods.values():
            if model.name in (method.request_models or {}).values():
                raise conflict(
                    f"Cannot delete model '{model.name}', is referenced in method request:"
                    f" {resource.path}/{method.http_method}"
                )
    del extras.models[model.name]
    call.store.save()
    return 202, None


def get_model_template(call: Call) -> Reply:
    """
    A mapping template that copies the model's top-level properties (what
    API Gateway generates for an object; other schemas get the input as is).
    """
    _, model = _model(call)
    try:
        schema = json.loads(model.schema or "{}")
    except ValueError:
        schema = {}
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not properties:
        return 200, {"value": "$input.json('$')"}
    lines = [f"  \"{name}\" : $input.json('$.{name}')" for name in properties]
    return 200, {"value": "#set($inputRoot = $input.path('$'))\n{\n" + ",\n".join(lines) + "\n}"}


# Request validators


def create_request_validator(call: Call) -> Reply:
    extras = _extras(call)
    validator = RequestValidator(
        new_id(6),
        call.body.get("name"),
        bool(call.body.get("validateRequestBody", False)),
        bool(call.body.get("validateRequestParameters", False)),
    )
    extras.validators[validator.id] = validator
    call.store.save()
    return 201, validator.to_json()


def _validator(call: Call) -> tuple[ApiExtras, RequestValidator]:
    extras = _extras(call)
    return extras, found(extras.validators.get(call.params["validator"]), "Request Validator identifier")


def get_request_validator(call: Call) -> Reply:
    return 200, _validator(call)[1].to_json()


def get_request_validators(call: Call) -> Reply:
    return 200, page(call, [v.to_json() for v in _extras(call).validators.values()])


def update_request_validator(call: Call) -> Reply:
    _, validator = _validator(call)
    for op, path, value in patch_operations(call):
        if op != "replace" or path not in ("/name", "/validateRequestBody", "/validateRequestParameters"):
            raise invalid_patch(op, path)
        if path == "/name":
            validator.name = value
        elif path == "/validateRequestBody":
            validator.body = str(value).lower() == "true"
        else:
            validator.parameters = str(value).lower() == "true"
    call.store.save()
    return 200, validator.to_json()


def delete_request_validator(call: Call) -> Reply:
    extras, validator = _validator(call)
    del extras.validators[validator.id]
    call.store.save()
    return 202, None


# The data plane


@attrs.frozen
class Invalid:
    """
    A request refused by its validator: the refusal, the gateway response
    it is, and C{$context.error.validationErrorString}.
    """

    refusal: Refusal
    response_type: str
    detail: str


class RequestChecks:
    """
    Validates requests to methods with a request validator, with each
    model's schema compiled once (models it references are read live).
    """

    def __init__(self, extras: Extras) -> None:
        self.extras = extras
        self._compiled: dict[tuple[str, str, str], Any] = {}

    def check(
        self,
        api_id: str,
        method: Method,
        has_header: Callable[[str], bool],
        query: Mapping[str, Any],
        content_type: str,
        body: bytes,
    ) -> Invalid | None:
        """
        Why the request is refused, or C{None}.
        """
        extras = self.extras.apis.get(api_id)
        validator = extras.validators.get(method.request_validator_id or "") if extras else None
        if extras is None or validator is None:
            return None
        if validator.parameters:
            missing = missing_parameters(method.request_parameters or {}, has_header, query)
            if missing:
                message = f"Missing required request parameters: [{', '.join(missing)}]"
                return Invalid(Refusal(400, message, "BadRequestException"), "BAD_REQUEST_PARAMETERS", message)
        if validator.body and method.request_models:
            models = method.request_models
            media_type = content_type.split(";", 1)[0].strip().lower() or "application/json"
            model = extras.models.get(models.get(media_type) or models.get("$default") or "")
            if model is not None and model.schema:
                errors = self._errors(api_id, model, body)
                if errors:
                    return Invalid(INVALID_BODY, "BAD_REQUEST_BODY", f"[{', '.join(errors)}]")
        return None

    def _errors(self, api_id: str, model: Model, body: bytes) -> list[str]:
        key = (api_id, model.name, model.schema or "")
        validator = self._compiled.get(key)
        if validator is None:
            if len(self._compiled) > 10_000:
                self._compiled.clear()
            # (attrs names the argument after the private attribute _retrieve: mypy does not follow)
            registry: Registry = Registry(retrieve=partial(self._referenced, api_id))  # type: ignore[call-arg]
            schema = json.loads(model.schema or "{}")
            validator = self._compiled[key] = jsonschema.Draft4Validator(schema, registry=registry)
        try:
            # An empty body is validated as an empty object (as API Gateway does).
            document = json.loads(body or b"{}")
        except ValueError as e:
            return [f"Invalid JSON: {e}"]
        try:
            return [describe(error) for error in validator.iter_errors(document)]
        except Unresolvable as e:
            return [f"Unresolvable model reference: {e}"]

    def _referenced(self, api_id: str, uri: str) -> Resource:
        # Models name each other by URL: https://apigateway.amazonaws.com/restapis/{api}/models/{name}.
        found = _MODEL_URL.match(uri)
        extras = self.extras.apis.get(api_id)
        model = extras.models.get(found.group(2)) if extras and found and found.group(1) == api_id else None
        if model is None or not model.schema:
            raise NoSuchResource(uri)
        return Resource.from_contents(json.loads(model.schema), default_specification=DRAFT4)


def describe(error: jsonschema.ValidationError) -> str:
    """
    A validation error in the words of the validator API Gateway uses
    (C{object has missing required properties (["name"])}), for the common
    keywords; jsonschema's own message for the others.
    """
    kind, expected, found = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [name for name in expected if isinstance(found, dict) and name not in found]
        return f"object has missing required properties ({compact(missing)})"
    if kind == "type":
        allowed = expected if isinstance(expected, list) else [expected]
        names = compact(allowed)
        return f"instance type ({json_type(found)}) does not match any allowed primitive type (allowed: {names})"
    if kind == "minimum":
        return f"numeric instance is lower than the required minimum (minimum: {expected}, found: {found})"
    if kind == "maximum":
        return f"numeric instance is greater than the required maximum (maximum: {expected}, found: {found})"
    if kind == "enum":
        return f"instance value ({compact(found)}) not found in enum (possible values: {compact(expected)})"
    if kind == "minLength":
        return f"string {compact(found)} is too short (length: {len(found)}, required minimum: {expected})"
    if kind == "maxLength":
        return f"string {compact(found)} is too long (length: {len(found)}, maximum allowed: {expected})"
    if kind == "pattern":
        return f"ECMA 262 regex {compact(expected)} does not match input string {compact(found)}"
    if kind == "additionalProperties" and isinstance(found, dict) and isinstance(error.schema, dict):
        known = set(error.schema.get("properties") or {})
        extra = sorted(name for name in found if name not in known)
        return f"object instance has properties which are not allowed by the schema: {compact(extra)}"
    return str(error.message)


def missing_parameters(
    required: Mapping[str, bool], has_header: Callable[[str], bool], query: Mapping[str, Any]
) -> list[str]:
    """
    The names of the required (C{true}) header and query string parameters
    of C{required} (C{method.request.querystring.x}) the request lacks.
    """
    missing = []
    for expression, wanted in required.items():
        if not wanted:
            continue
        if expression.startswith(_HEADER):
            name = expression[len(_HEADER) :]
            if not has_header(name):
                missing.append(name)
        elif expression.startswith(_QUERY):
            name = expression[len(_QUERY) :]
            if name not in query:
                missing.append(name)
    return missing


def event_body(event: Mapping[str, Any]) -> bytes:
    """
    The request body of a proxy event, as the client sent it.
    """
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError):
            return b""
    return str(body).encode("utf-8")
