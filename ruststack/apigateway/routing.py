"""
Which resource and method of a deployment serve a request path, as API
Gateway chooses: at each level a literal path part before a C{{param}}
before a greedy C{{proxy+}}; then the method itself before C{ANY}.

See "Set up a proxy integration with a proxy resource" in the API Gateway
developer guide: a greedy variable matches one or more whole segments, and
more specific resources win over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

import attrs

from ruststack.apigateway.model import ApiResource, Integration, Method


@attrs.frozen
class Route:
    """
    What a request path and method resolve to.

    @ivar path_parameters: decoded values by variable name (C{proxy} for
        C{{proxy+}}).
    """

    resource: ApiResource
    method: Method
    path_parameters: dict[str, str]

    @property
    def integration(self) -> Integration | None:
        return self.method.integration


@attrs.define
class _Node:
    resource: ApiResource | None = None
    literals: dict[str, _Node] = attrs.field(factory=dict)
    variable: tuple[str, _Node] | None = None
    greedy: tuple[str, ApiResource] | None = None


class Router:
    """
    The path tree of one deployment, built once and matched per request.
    """

    def __init__(self, resources: Iterable[ApiResource]) -> None:
        self._root = _Node()
        for resource in resources:
            self._add(resource)

    def _add(self, resource: ApiResource) -> None:
        node = self._root
        parts = [p for p in resource.path.split("/") if p]
        for position, part in enumerate(parts):
            last = position == len(parts) - 1
            if part.startswith("{") and part.endswith("+}"):
                node.greedy = (part[1:-2], resource)
                return
            if part.startswith("{") and part.endswith("}"):
                if node.variable is None:
                    node.variable = (part[1:-1], _Node())
                node = node.variable[1]
            else:
                node = node.literals.setdefault(part, _Node())
            if last:
                node.resource = resource
        if not parts:
            node.resource = resource

    def match(self, http_method: str, raw_path: str) -> Route | None:
        """
        The route for C{http_method} on C{raw_path} (the percent-encoded path
        below the stage), or C{None}: API Gateway then answers 403 Missing
        Authentication Token, also when the path exists without that method.
        """
        segments = [unquote(s) for s in raw_path.split("/") if s]
        found = _walk(self._root, segments, 0, {})
        if found is None:
            return None
        resource, parameters = found
        method = resource.methods.get(http_method) or resource.methods.get("ANY")
        if method is None:
            return None
        return Route(resource, method, parameters)


def _walk(
    node: _Node, segments: list[str], position: int, parameters: dict[str, str]
) -> tuple[ApiResource, dict[str, str]] | None:
    if position == len(segments):
        if node.resource is not None and node.resource.methods:
            return node.resource, parameters
        return None
    segment = segments[position]
    child = node.literals.get(segment)
    if child is not None:
        found = _walk(child, segments, position + 1, parameters)
        if found is not None:
            return found
    if node.variable is not None:
        name, variable_node = node.variable
        found = _walk(variable_node, segments, position + 1, {**parameters, name: segment})
        if found is not None:
            return found
    if node.greedy is not None:
        name, resource = node.greedy
        if resource.methods:
            return resource, {**parameters, name: "/".join(segments[position:])}
    return None
