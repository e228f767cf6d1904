"""
Parameter mapping of HTTP APIs ("Transforming API requests and responses",
API Gateway developer guide): an integration's C{RequestParameters} change
the request before the integration gets it (its headers, query string and
path), its C{ResponseParameters}, chosen by the status the integration
answered, change the answer's headers and status.

A key is C{append|overwrite|remove:header.NAME} or
C{append|overwrite|remove:querystring.NAME} (requests), C{overwrite:path}
(requests), C{overwrite:statuscode} (answers). A value is a selection
expression (C{$request.header.NAME}, C{$request.querystring.NAME},
C{$request.body.JSONPATH}, C{$request.path}, C{$request.path.NAME},
C{$context.NAME}, C{$stageVariables.NAME}; for answers also
C{$response.header.NAME} and C{$response.body.JSONPATH}), a text with
C{${...}} expressions in it, or a static value. Every value is read from
the request (and answer) as they came, then the changes are made: removals,
then overwrites, then appends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import attrs

_REQUEST_KEY = re.compile(r"^(append|overwrite|remove):(header|querystring)\.(.+)$")
_RESPONSE_KEY = re.compile(r"^(append|overwrite|remove):header\.(.+)$")
# The developer guide spells these with a colon, the API reference with a dot.
_PATH_KEYS = ("overwrite:path", "overwrite.path")
_STATUS_KEYS = ("overwrite:statuscode", "overwrite.statuscode")
_STATUS_CODE = re.compile(r"^[2-5][0-9][0-9]$")
_RESERVED = frozenset(
    {
        "authorization",
        "connection",
        "content-encoding",
        "content-length",
        "content-location",
        "forwarded",
        "keep-alive",
        "origin",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "via",
    }
)
_RESERVED_PREFIXES = ("access-control-", "apigw-", "x-amz-", "x-amzn-")
_EMBEDDED = re.compile(r"\$\{([^}]*)\}")
_ORDER = {"remove": 0, "overwrite": 1, "append": 2}
JSON_PATH_LIMIT = 100 * 1024

Headers = list[tuple[str, str]]


class InvalidMapping(ValueError):
    """
    Parameters that are not a mapping HTTP APIs take (BadRequestException).
    """


def _restricted(header: str) -> None:
    lowered = header.lower()
    if lowered in _RESERVED or lowered.startswith(_RESERVED_PREFIXES):
        raise InvalidMapping(
            "Invalid mapping expression specified: Validation Result: warnings : [],"
            f" errors : [Operations on header {header} are restricted]"
        )


def check_request_parameters(parameters: Any) -> None:
    """
    Refuse C{RequestParameters} that are not a parameter mapping (an
    integration without C{IntegrationSubtype}).
    """
    if not isinstance(parameters, Mapping):
        raise InvalidMapping("Invalid request parameters specified")
    for key, value in parameters.items():
        if not isinstance(value, str):
            raise InvalidMapping(f"Invalid mapping expression specified: {value}")
        if key in _PATH_KEYS:
            continue
        found = _REQUEST_KEY.match(key)
        if found is None:
            raise InvalidMapping(f"Invalid mapping expression specified: {key}")
        if found.group(2) == "header":
            _restricted(found.group(3))


def check_response_parameters(parameters: Any) -> None:
    """
    Refuse C{ResponseParameters} that are not, for status codes 200 to 599,
    mappings of an answer's headers and status.
    """
    if not isinstance(parameters, Mapping):
        raise InvalidMapping("Invalid response parameters specified")
    for status, mappings in parameters.items():
        if not _STATUS_CODE.match(str(status)) or not isinstance(mappings, Mapping):
            raise InvalidMapping(f"Invalid response parameters selection key specified: {status}")
        for key, value in mappings.items():
            if not isinstance(value, str):
                raise InvalidMapping(f"Invalid mapping expression specified: {value}")
            if key in _STATUS_KEYS:
                if not value.startswith("$") and not _STATUS_CODE.match(value):
                    raise InvalidMapping(f"Invalid status code specified: {value}")
                continue
            found = _RESPONSE_KEY.match(key)
            if found is None:
                raise InvalidMapping(f"Invalid mapping expression specified: {key}")
            _restricted(found.group(2))


def merged(current: Mapping[str, Any] | None, change: Mapping[str, Any]) -> dict[str, Any]:
    """
    UpdateIntegration's mappings: C{change} over C{current}, a key given an
    empty value (or, for a status code, an empty map) removed.
    """
    result = dict(current or {})
    for key, value in change.items():
        if value in ("", {}):
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def replacing(current: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """
    What UpdateIntegration must be given (L{merged}) for C{current}'s
    mappings to become C{wanted}'s: a template's, whole.
    """
    change: dict[str, Any] = dict(wanted)
    for key, value in (current or {}).items():
        if key not in wanted:
            change[key] = {} if isinstance(value, Mapping) else ""
        elif isinstance(value, Mapping) and isinstance(wanted[key], Mapping):
            change[key] = replacing(value, wanted[key])
    return change


def of_template(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """
    C{ResponseParameters} as the API takes them, from CloudFormation's
    (each status code's C{{"ResponseParameters": [{"Destination", "Source"}]}}).
    """
    return {
        status: (
            {entry["Destination"]: entry["Source"] for entry in listed["ResponseParameters"]}
            if isinstance(listed, Mapping) and isinstance(listed.get("ResponseParameters"), list)
            else listed
        )
        for status, listed in parameters.items()
    }


@attrs.frozen
class Sources:
    """
    What values are read from: the request as it came (its headers, decoded
    query pairs, body, path below the stage, path parameters), the context
    and stage variables, and, for an answer, its headers and body.
    """

    headers: Headers
    query: list[tuple[str, str]]
    body: bytes
    path: str
    path_parameters: Mapping[str, str]
    context: Mapping[str, str]
    stage_variables: Mapping[str, str]
    response_headers: Headers | None = None
    response_body: bytes | None = None


def _joined(pairs: Headers, name: str, fold: bool) -> str | None:
    wanted = name.lower() if fold else name
    values = [value for key, value in pairs if (key.lower() if fold else key) == wanted]
    return ",".join(values) if values else None


def _from_json(body: bytes, path: str) -> str | None:
    # As API Gateway does, a JSON path reads the body's first 100 KB only (and a
    # 10 MB body is never parsed on the reactor).
    try:
        value: Any = json.loads(body[:JSON_PATH_LIMIT])
    except ValueError:
        return None
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if step.startswith("["):
            index = int(step[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return value if isinstance(value, str) else json.dumps(value)


def _select(expression: str, sources: Sources) -> str | None:
    # One selection expression, without its "$" (or "${...}").
    source, _, name = expression.partition(".")
    if source == "request":
        where, _, name = name.partition(".")
        if where == "header":
            return _joined(sources.headers, name, fold=True)
        if where == "querystring":
            return _joined(sources.query, name, fold=False)
        if where == "path":
            return sources.path_parameters.get(name) if name else sources.path
        if where == "body":
            text = sources.body.decode("utf-8", "replace")
            return _from_json(sources.body, name) if name else text
        return None
    if source == "response":
        where, _, name = name.partition(".")
        if where == "header" and sources.response_headers is not None:
            return _joined(sources.response_headers, name, fold=True)
        if where == "body" and sources.response_body is not None:
            return _from_json(sources.response_body, name) if name else sources.response_body.decode("utf-8", "replace")
        return None
    if source == "context":
        return sources.context.get(name)
    if source == "stageVariables":
        return sources.stage_variables.get(name)
    return None


def value_of(text: str, sources: Sources) -> str | None:
    """
    A mapping's value: C{None} when its one selection expression selects
    nothing (the mapping is then left out).
    """
    if "${" in text:
        return _EMBEDDED.sub(lambda m: _select(m.group(1), sources) or "", text)
    if text.startswith("$"):
        return _select(text[1:], sources)
    return text


def _changes(mappings: Mapping[str, str], sources: Sources) -> list[tuple[str, str, str, str | None]]:
    # (action, location, name, value) in the order they are made.
    changes = []
    for key, text in mappings.items():
        if key in _PATH_KEYS:
            changes.append(("overwrite", "path", "", value_of(text, sources)))
        elif key in _STATUS_KEYS:
            changes.append(("overwrite", "statuscode", "", value_of(text, sources)))
        else:
            action, _, rest = key.partition(":")
            location, _, name = rest.partition(".")
            changes.append((action, location, name, None if action == "remove" else value_of(text, sources)))
    return sorted(changes, key=lambda change: _ORDER[change[0]])


def _change(pairs: list[tuple[str, str]], action: str, name: str, value: str | None, fold: bool) -> None:
    if action != "append":
        same = name.lower() if fold else name
        pairs[:] = [(k, v) for k, v in pairs if (k.lower() if fold else k) != same]
    if action != "remove" and value is not None:
        pairs.append((name, value))


@attrs.frozen
class MappedRequest:
    headers: Headers
    raw_query: str
    path: str | None  # the path overwrite:path gives, if any


def map_request(mappings: Mapping[str, str] | None, sources: Sources, raw_query: str) -> MappedRequest:
    """
    The request the integration gets: C{sources}' headers and query string
    (C{raw_query} as sent, kept as it is when no mapping touches it) with
    the C{RequestParameters} C{mappings} made.
    """
    headers = list(sources.headers)
    query = list(sources.query)
    path = None
    query_changed = False
    for action, location, name, value in _changes(mappings or {}, sources):
        if location == "header":
            _change(headers, action, name, value, fold=True)
        elif location == "querystring":
            _change(query, action, name, value, fold=False)
            query_changed = True
        elif location == "path" and value is not None:
            path = value
    if query_changed:
        raw_query = urlencode(query, quote_via=quote, safe="")
    return MappedRequest(headers, raw_query, path)


def map_response(
    mappings: Mapping[str, Mapping[str, str]] | None, status: int, headers: Headers, sources: Sources
) -> tuple[int, Headers]:
    """
    The answer's status and headers with the C{ResponseParameters} for the
    status the integration answered made (C{sources} with the answer's
    headers and body).
    """
    chosen = (mappings or {}).get(str(status))
    if not chosen:
        return status, headers
    headers = list(headers)
    for action, location, name, value in _changes(chosen, sources):
        if location == "statuscode":
            if value is not None and _STATUS_CODE.match(value.strip()):
                status = int(value.strip())
        else:
            _change(headers, action, name, value, fold=True)
    return status, headers


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    return parse_qsl(raw_query, keep_blank_values=True)
