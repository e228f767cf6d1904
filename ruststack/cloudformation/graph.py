"""
The order resources are made and removed in: each resource depends on those
its definition names (C{Ref}, C{Fn::GetAtt}, C{Fn::Sub} variables,
C{DependsOn}); a cycle is refused as CloudFormation words it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.intrinsics import sub_references
from ruststack.cloudformation.template import validation_error


def references(value: Any, names: Mapping[str, Any] | set[str]) -> set[str]:
    """
    The logical ids among C{names} that C{value} refers to.
    """
    found: set[str] = set()

    def walk(item: Any, hidden: frozenset[str] = frozenset()) -> None:
        if isinstance(item, dict):
            if len(item) == 1:
                ((key, argument),) = item.items()
                if key == "Ref" and isinstance(argument, str):
                    if argument in names and argument not in hidden:
                        found.add(argument)
                    return
                if key == "Fn::GetAtt":
                    target = argument.split(".", 1)[0] if isinstance(argument, str) else (argument or [None])[0]
                    if isinstance(target, str) and target in names:
                        found.add(target)
                    if isinstance(argument, list):
                        walk(argument[1:], hidden)
                    return
                if key == "Fn::Sub":
                    text, variables = (
                        (argument[0], argument[1])
                        if isinstance(argument, list) and argument
                        else (
                            argument,
                            {},
                        )
                    )
                    local = frozenset(variables) if isinstance(variables, dict) else frozenset()
                    if isinstance(text, str):
                        for name in sub_references(text):
                            target = name.split(".", 1)[0]
                            if name not in local and target in names:
                                found.add(target)
                    walk(variables, hidden)
                    return
            for child in item.values():
                walk(child, hidden)
        elif isinstance(item, list):
            for child in item:
                walk(child, hidden)

    walk(value)
    return found


def dependencies(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    """
    Each resource's logical id -> those it depends on; an unknown
    C{DependsOn} target is refused.
    """
    graph: dict[str, set[str]] = {}
    for logical_id, definition in resources.items():
        needed = references(
            {k: v for k, v in definition.items() if k in ("Properties", "Metadata", "UpdatePolicy")}, resources
        )
        depends_on = definition.get("DependsOn", [])
        for target in [depends_on] if isinstance(depends_on, str) else depends_on or []:
            if target not in resources:
                raise validation_error(
                    f"Template format error: Unresolved resource dependencies [{target}] in the Resources block of"
                    " the template"
                )
            needed.add(target)
        needed.discard(logical_id)
        graph[logical_id] = needed
    check_acyclic(graph)
    return graph


def check_acyclic(graph: Mapping[str, set[str]]) -> None:
    """
    Refuse a cycle: "Circular dependency between resources: [A, B]".
    """
    remaining = {name: set(needed) for name, needed in graph.items()}
    while remaining:
        ready = [name for name, needed in remaining.items() if not needed & remaining.keys()]
        if not ready:
            raise validation_error(f"Circular dependency between resources: [{', '.join(sorted(remaining))}]")
        for name in ready:
            del remaining[name]


def dependents(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """
    The reverse graph: each resource -> those that depend on it (the order
    of deletion).
    """
    reverse: dict[str, set[str]] = {name: set() for name in graph}
    for name, needed in graph.items():
        for target in needed:
            reverse.setdefault(target, set()).add(name)
    return reverse
