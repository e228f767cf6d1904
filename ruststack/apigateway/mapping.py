"""
Request and response mapping of non-proxy integrations (C{AWS}, C{HTTP},
C{MOCK}): the request template chosen by C{Content-Type} (with the
integration's C{passthroughBehavior}), C{requestParameters}, the
integration response chosen by C{selectionPattern}, its
C{responseParameters} and C{responseTemplates}.

See "Mapping template transformations for REST APIs" and "Parameter
mapping for REST APIs" in the API Gateway developer guide.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

import attrs

from ruststack.apigateway import vtl
from ruststack.apigateway.model import Integration
from ruststack.apigateway.proxy import HttpResponse

DEFAULT_CONTENT_TYPE = "application/json"


class UnsupportedMediaType(Exception):
    """
    No request template for the request's C{Content-Type}, and the
    passthrough behaviour forbids passing the body as it is (AWS: 415).
    """


class ConversionError(Exception):
    """
    C{CONVERT_TO_BINARY} of a body that is not base64 (AWS: 500, "Unable to
    transform request" or "response").
    """


class NoIntegrationResponse(Exception):
    """
    No integration response matches and none is the default (AWS: 500,
    "No match for output mapping and no default output mapping configured").
    """


# -- $input and JSONPath --------------------------------------------------------

_PATH_STEP = re.compile(r"""\.\.|\.(\*|[A-Za-z_$@][\w$@-]*)|\[\s*(\*|-?\d+|'[^']*'|"[^"]*")\s*\]""")
_MISSING = object()


def json_path(document: Any, path: str) -> Any:
    """
    The value C{path} selects in C{document}: the subset of JSONPath
    templates use (C{$}, C{.name}, C{['name']}, C{[n]}, C{[*]}, C{.*});
    C{None} when it selects nothing or is not understood.
    """
    path = path.strip()
    if not path.startswith("$"):
        return None
    position, values, many = 1, [document], False
    while position < len(path):
        step = _PATH_STEP.match(path, position)
        if step is None or step.group() == "..":
            return None
        position = step.end()
        key = step.group(1) or step.group(2)
        selected: list[Any] = []
        for value in values:
            if key == "*":
                many = True
                selected.extend(value.values() if isinstance(value, dict) else value if isinstance(value, list) else [])
            elif key[0] in "'\"":
                if isinstance(value, dict) and key[1:-1] in value:
                    selected.append(value[key[1:-1]])
            elif step.group(2) is not None and isinstance(value, list):
                index = int(key)
                if -len(value) <= index < len(value):
                    selected.append(value[index])
            elif isinstance(value, dict) and key in value:
                selected.append(value[key])
        values = selected
    if many:
        return values
    return values[0] if values else None


def _document(body: str) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _MISSING


class Input(vtl.VtlObject):
    """
    C{$input}: the payload (request or integration response) and the method
    request's parameters.
    """

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body = body
        self.params = params
        self._parsed: Any = None
        # $input.path and $input.json read (and copy) the whole body.
        self.cost = len(body)

    def document(self) -> Any:
        if self._parsed is None:
            self._parsed = _document(self.body)
        return self._parsed

    def get(self, name: str) -> Any:
        return self.body if name == "body" else None

    def methods(self) -> dict[str, Any]:
        return {"json": self.json, "path": self.path, "params": self.param, "body": lambda: self.body}

    def path(self, path: Any) -> Any:
        document = self.document()
        if not isinstance(path, str) or document is _MISSING:
            # Not JSON: $input.path('$') is the body as it is.
            return self.body if path == "$" else None
        return copy.deepcopy(json_path(document, path))

    def json(self, path: Any) -> str:
        document = self.document()
        if not isinstance(path, str) or document is _MISSING:
            return self.body if path == "$" else "null"
        return json.dumps(json_path(document, path), separators=(",", ":"), ensure_ascii=False)

    def param(self, name: Any = _MISSING) -> Any:
        if name is _MISSING:
            return copy.deepcopy(self.params)
        if not isinstance(name, str):
            return ""
        # Path, then query string, then header (case-insensitively).
        for kind in ("path", "querystring"):
            if name in self.params[kind]:
                return self.params[kind][name]
        lower = name.lower()
        return next((v for k, v in self.params["header"].items() if k.lower() == lower), "")

    def __str__(self) -> str:
        return self.body


# -- the method request ---------------------------------------------------------


@attrs.frozen
class MethodRequest:
    """
    What mappings read of a request: taken from its v1 proxy event.
    """

    body: str
    content_type: str | None
    accept: str | None
    path: dict[str, str]
    querystring: dict[str, str]
    multi_querystring: dict[str, list[str]]
    header: dict[str, str]
    multi_header: dict[str, list[str]]
    context: dict[str, Any]
    stage_variables: dict[str, str]
    # The body's bytes, passed through as they came when no template applies.
    raw_body: bytes = b""
    # Whether the body is binary (its Content-Type is one of binaryMediaTypes).
    binary: bool = False

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> MethodRequest:
        body = event.get("body") or ""
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
        body = raw.decode("utf-8", errors="replace")
        headers = event.get("headers") or {}
        lower = {k.lower(): v for k, v in headers.items()}
        return cls(
            body=body,
            content_type=lower.get("content-type"),
            accept=lower.get("accept"),
            path=dict(event.get("pathParameters") or {}),
            querystring=dict(event.get("queryStringParameters") or {}),
            multi_querystring=dict(event.get("multiValueQueryStringParameters") or {}),
            header=dict(headers),
            multi_header=dict(event.get("multiValueHeaders") or {}),
            context=copy.deepcopy(event.get("requestContext") or {}),
            stage_variables=dict(event.get("stageVariables") or {}),
            raw_body=raw,
            binary=bool(event.get("isBase64Encoded")),
        )

    def params(self) -> dict[str, dict[str, str]]:
        return {"path": dict(self.path), "querystring": dict(self.querystring), "header": dict(self.header)}

    def variables(self, body: str, override: str) -> dict[str, Any]:
        context = copy.deepcopy(self.context)
        context[override] = (
            {"header": {}, "status": None}
            if override == "responseOverride"
            else {
                "header": {},
                "querystring": {},
                "path": {},
            }
        )
        return {
            "input": Input(body, self.params()),
            "util": vtl.Util(),
            "context": context,
            "stageVariables": dict(self.stage_variables),
        }


# -- the integration request ----------------------------------------------------


@attrs.frozen
class IntegrationRequest:
    """
    What the integration is sent: the mapped body, and the headers, query
    string and path parameters C{requestParameters} (and C{requestOverride})
    give it.
    """

    body: bytes
    header: dict[str, str]
    querystring: dict[str, list[str]]
    path: dict[str, str]


def media_type(value: str | None) -> str:
    return (value or DEFAULT_CONTENT_TYPE).split(";", 1)[0].strip().lower() or DEFAULT_CONTENT_TYPE


def request_template(integration: Integration, request: MethodRequest) -> str | None:
    """
    The request template for C{request}'s C{Content-Type} (none sent:
    C{application/json}), or C{None} to pass the body through; raises
    L{UnsupportedMediaType} when the passthrough behaviour forbids that.
    """
    templates = integration.request_templates or {}
    wanted = media_type(request.content_type)
    for content_type, template in templates.items():
        if content_type.lower() == wanted:
            return template or ""
    behavior = integration.passthrough_behavior or "WHEN_NO_MATCH"
    if behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates):
        raise UnsupportedMediaType()
    return None


def integration_request(integration: Integration, request: MethodRequest) -> IntegrationRequest:
    """
    The mapped request; raises L{UnsupportedMediaType} or L{vtl.VtlError}.
    """
    request = _converted_request(request, integration.content_handling)
    template = request_template(integration, request)
    variables = request.variables(request.body, "requestOverride")
    body = request.raw_body if template is None else vtl.render(template, variables).encode("utf-8")
    header: dict[str, str] = {}
    querystring: dict[str, list[str]] = {}
    path: dict[str, str] = {}
    for target, source in (integration.request_parameters or {}).items():
        value = request_source(source, request)
        if value is None:
            continue
        kind, _, name = target.removeprefix("integration.request.").partition(".")
        values = value if isinstance(value, list) else [value]
        if kind in ("header", "multivalueheader"):
            header[name] = ",".join(values)
        elif kind in ("querystring", "multivaluequerystring"):
            querystring[name] = values
        elif kind == "path":
            path[name] = values[0] if values else ""
    override = variables["context"]["requestOverride"]
    if isinstance(override, dict):
        # #set($context.requestOverride.header.X = ...) and the like win.
        for kind in ("header", "querystring", "path"):
            given = override.get(kind)
            for name, value in given.items() if isinstance(given, dict) else ():
                if value is None:
                    continue
                if kind == "querystring":
                    querystring[str(name)] = [vtl.to_text(value)]
                else:
                    (header if kind == "header" else path)[str(name)] = vtl.to_text(value)
    return IntegrationRequest(body, header, querystring, path)


def _converted_request(request: MethodRequest, handling: str | None) -> MethodRequest:
    # contentHandling: a binary body becomes base64 text, or base64 text
    # becomes binary; otherwise the body stays as it came.
    if handling == "CONVERT_TO_TEXT" and request.binary:
        raw = base64.b64encode(request.raw_body)
    elif handling == "CONVERT_TO_BINARY" and not request.binary:
        raw = from_base64(request.raw_body)
    else:
        return request
    return attrs.evolve(request, raw_body=raw, body=raw.decode("utf-8", errors="replace"), binary=not request.binary)


def from_base64(body: bytes) -> bytes:
    """
    The bytes of base64 text (also of a JSON string of it, as a Lambda
    function returns it), or L{ConversionError}.
    """
    text = body.strip()
    if text[:1] == b'"' and text[-1:] == b'"':
        text = text[1:-1]
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise ConversionError() from None


def _quoted(source: str) -> str | None:
    source = source.strip()
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    return None


def _context_value(context: dict[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None else vtl.to_text(value) if not isinstance(value, str) else value


def request_source(source: str, request: MethodRequest) -> str | list[str] | None:
    static = _quoted(source)
    if static is not None:
        return static
    if source.startswith("stageVariables."):
        return request.stage_variables.get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        return _context_value(request.context, source.removeprefix("context."))
    kind, _, name = source.removeprefix("method.request.").partition(".")
    if kind == "path":
        return request.path.get(name)
    if kind == "querystring":
        return request.querystring.get(name)
    if kind == "multivaluequerystring":
        return request.multi_querystring.get(name)
    if kind == "header":
        return _header(request.header, name)
    if kind == "multivalueheader":
        lower = name.lower()
        return next((v for k, v in request.multi_header.items() if k.lower() == lower), None)
    if source == "method.request.body":
        return request.body
    if kind == "body":
        return _body_path(request.body, "$." + name)
    return None


def _header(headers: dict[str, str], name: str) -> str | None:
    lower = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lower), None)


def _body_path(body: str, path: str) -> str | None:
    document = _document(body)
    value = None if document is _MISSING else json_path(document, path)
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


# -- the integration response ---------------------------------------------------


@attrs.frozen
class IntegrationResult:
    """
    What the integration answered. C{selector} is what selection patterns
    are matched against (the Lambda error message, the HTTP status), or
    C{None} for a Lambda success (the default response).
    """

    body: bytes
    selector: str | None
    headers: dict[str, str] = attrs.field(factory=dict)


def select_response(integration: Integration, selector: str | None) -> dict[str, Any]:
    """
    The integration response whose C{selectionPattern} matches C{selector}
    in full (Java's C{String.matches}), else the default one; raises
    L{NoIntegrationResponse}.
    """
    default = None
    for response in integration.responses.values():
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or response
            continue
        if selector is None:
            continue
        try:
            if re.fullmatch(pattern, selector):
                return response
        except re.error:
            continue
    if default is None:
        raise NoIntegrationResponse()
    return default


def method_response(integration: Integration, result: IntegrationResult, request: MethodRequest) -> HttpResponse:
    """
    The response the client gets for C{result}: the selected integration
    response's status, C{responseParameters} and template (chosen by the
    request's C{Accept}, else C{application/json}, else the first). Raises
    L{NoIntegrationResponse} or L{vtl.VtlError}.
    """
    response = select_response(integration, result.selector)
    body_text = result.body.decode("utf-8", errors="replace")
    templates = response.get("responseTemplates") or {}
    content_type, template = _response_template(templates, request.accept)
    status = int(response.get("statusCode") or 200)
    headers: list[tuple[str, str]] = []
    for target, source in (response.get("responseParameters") or {}).items():
        if not target.startswith("method.response.header."):
            continue
        value = _response_source(source, result, body_text, request)
        if value is not None:
            headers.append((target.removeprefix("method.response.header."), value))
    if template is None:
        body = result.body
    else:
        variables = request.variables(body_text, "responseOverride")
        body = vtl.render(template, variables).encode("utf-8")
        override = variables["context"]["responseOverride"]
        if isinstance(override, dict):
            overridden = vtl._integer(override.get("status"))
            if overridden is not None and 100 <= overridden <= 599:
                status = overridden
            for name, value in (
                (override.get("header") or {}).items() if isinstance(override.get("header"), dict) else ()
            ):
                headers = [(k, v) for k, v in headers if k.lower() != str(name).lower()]
                headers.append((str(name), vtl.to_text(value)))
    handling = response.get("contentHandling")
    if handling == "CONVERT_TO_BINARY":
        body = from_base64(body)
    elif handling == "CONVERT_TO_TEXT" and not _is_text(body):
        body = base64.b64encode(body)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", content_type))
    return HttpResponse(status, headers, body)


def _is_text(body: bytes) -> bool:
    # What CONVERT_TO_TEXT leaves alone: a body that is UTF-8 text already.
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _response_template(templates: dict[str, str], accept: str | None) -> tuple[str, str | None]:
    if not templates:
        return DEFAULT_CONTENT_TYPE, None
    lowered = {k.lower(): (k, v) for k, v in templates.items()}
    for wanted in [media_type(part) for part in (accept or "").split(",") if part.strip()] + [DEFAULT_CONTENT_TYPE]:
        if wanted in lowered:
            key, template = lowered[wanted]
            return key, template
    key, template = next(iter(templates.items()))
    return key, template


def _response_source(source: str, result: IntegrationResult, body: str, request: MethodRequest) -> str | None:
    static = _quoted(source)
    if static is not None:
        return static
    if source.startswith("integration.response.header."):
        return _header(result.headers, source.removeprefix("integration.response.header."))
    if source.startswith("integration.response.multivalueheader."):
        return _header(result.headers, source.removeprefix("integration.response.multivalueheader."))
    if source == "integration.response.body":
        return body
    if source.startswith("integration.response.body."):
        return _body_path(body, "$." + source.removeprefix("integration.response.body."))
    if source.startswith("stageVariables."):
        return request.stage_variables.get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        return _context_value(request.context, source.removeprefix("context."))
    if source.startswith("method.request."):
        value = request_source(source, request)
        return ",".join(value) if isinstance(value, list) else value
    return None
