"""
HTTP API route keys and AWS's route selection, as pure functions.

A route key is C{$default} or C{METHOD /path}, where a path segment is a
literal, a C{{variable}}, or (last only) a greedy C{{name+}}. A request goes
to the most specific route that matches it ("Working with routes for HTTP
APIs", API Gateway developer guide): segment by segment, a literal before a
variable before a greedy variable; then the request's own method before
C{ANY}; the C{$default} route only when no other matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

import attrs

DEFAULT_ROUTE = "$default"
METHODS = frozenset({"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

_LITERAL, _VARIABLE, _GREEDY = 0, 1, 2
_VARIABLE_SEGMENT = re.compile(r"^\{([A-Za-z0-9._-]+)(\+?)\}$")
# What a literal segment may hold (no braces, no spaces).
_LITERAL_SEGMENT = re.compile(r"^[A-Za-z0-9._~:@!$&'()*,;=%-]+$")


class InvalidRouteKey(ValueError):
    """
    Not a route key of an HTTP API.
    """


@attrs.frozen
class RouteKey:
    """
    A parsed route key: its method (C{ANY} included) and path segments as
    (kind, text) pairs; C{$default} has neither.
    """

    key: str
    method: str | None
    segments: tuple[tuple[int, str], ...]

    @property
    def is_default(self) -> bool:
        return self.method is None

    def specificity(self) -> tuple[tuple[int, ...], int]:
        """
        The sort key of selection: smaller is more specific.
        """
        return tuple(kind for kind, _ in self.segments), int(self.method == "ANY")

    def match(self, method: str, segments: list[str]) -> dict[str, str] | None:
        """
        The path parameters if this route serves C{method} on C{segments}
        (decoded), else C{None}.
        """
        if self.method not in (method, "ANY"):
            return None
        parameters: dict[str, str] = {}
        for position, (kind, text) in enumerate(self.segments):
            if kind == _GREEDY:
                if position >= len(segments):
                    return None
                parameters[text] = "/".join(segments[position:])
                return parameters
            if position >= len(segments):
                return None
            if kind == _LITERAL and segments[position] != text:
                return None
            if kind == _VARIABLE:
                parameters[text] = segments[position]
        return parameters if len(segments) == len(self.segments) else None


def parse_route_key(key: str) -> RouteKey:
    """
    The L{RouteKey} of C{key}, or L{InvalidRouteKey}.
    """
    if key == DEFAULT_ROUTE:
        return RouteKey(key, None, ())
    method, space, path = key.partition(" ")
    if not space or method not in METHODS or not path.startswith("/") or " " in path:
        raise InvalidRouteKey(key)
    parts = path.split("/")[1:]
    if parts == [""]:
        parts = []
    segments: list[tuple[int, str]] = []
    for position, part in enumerate(parts):
        variable = _VARIABLE_SEGMENT.match(part)
        if variable:
            greedy = bool(variable.group(2))
            if greedy and position != len(parts) - 1:
                raise InvalidRouteKey(key)
            if any(kind != _LITERAL and name == variable.group(1) for kind, name in segments):
                raise InvalidRouteKey(key)  # a parameter name twice
            segments.append((_GREEDY if greedy else _VARIABLE, variable.group(1)))
        elif _LITERAL_SEGMENT.match(part) and "{" not in part and "}" not in part:
            segments.append((_LITERAL, part))
        else:
            raise InvalidRouteKey(key)
    return RouteKey(key, method, tuple(segments))


def path_segments(raw_path: str) -> list[str]:
    """
    The decoded segments of a request path (empty ones dropped, as API
    Gateway treats C{/a//b/} as C{/a/b}).
    """
    return [unquote(part) for part in raw_path.split("/") if part]


@attrs.frozen
class Selected:
    """
    The route a request goes to: its id and key, and its path parameters.
    """

    route_id: str
    key: RouteKey
    path_parameters: dict[str, str]


class RouteTable:
    """
    The routes of one deployment, sorted once by specificity and matched per
    request.
    """

    def __init__(self, routes: Iterable[tuple[str, str]]) -> None:
        """
        @param routes: (route id, route key) pairs; keys that do not parse
            are skipped (the control plane refuses them).
        """
        parsed: list[tuple[str, RouteKey]] = []
        self._default: str | None = None
        for route_id, key in routes:
            try:
                route_key = parse_route_key(key)
            except InvalidRouteKey:
                continue
            if route_key.is_default:
                self._default = route_id
            else:
                parsed.append((route_id, route_key))
        self._routes = sorted(parsed, key=lambda pair: pair[1].specificity())

    def select(self, method: str, raw_path: str) -> Selected | None:
        segments = path_segments(raw_path)
        for route_id, key in self._routes:
            parameters = key.match(method, segments)
            if parameters is not None:
                return Selected(route_id, key, parameters)
        if self._default is not None:
            return Selected(self._default, parse_route_key(DEFAULT_ROUTE), {})
        return None
