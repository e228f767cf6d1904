"""
One applier of API Gateway's patch operations to a JSON document, for the
Update operations whose objects are kept as documents (method and
integration responses) or read and written back as one (deployments, the
account, domain names and base path mappings).

A L{Patchable} says which paths an object takes: plain members
(C{/description}) and maps whose entries are patched by key
(C{/responseParameters/method.response.header.X}, C{~1} for a slash), each
with the ops AWS allows there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ruststack.apigateway.calls import invalid_patch, unescape_patch_path
from ruststack.apigateway.store import bad_request

REPLACE = frozenset({"replace"})
ANY_OP = frozenset({"add", "replace", "remove"})


def as_text(value: Any) -> str:
    if value is None:
        raise ValueError("a value is required")
    return str(value)


def as_bool(value: Any) -> bool:
    text = str(value).lower()
    if text not in ("true", "false"):
        raise ValueError(value)
    return text == "true"


@attrs.frozen
class Path:
    """
    A patchable member: the ops it takes and how a patch value becomes the
    member's value (C{remove}, where allowed, drops the member).
    """

    ops: frozenset[str] = REPLACE
    parse: Callable[[Any], Any] = as_text


@attrs.frozen
class Patchable:
    members: Mapping[str, Path] = attrs.field(factory=dict)
    maps: Mapping[str, Path] = attrs.field(factory=dict)

    def apply(self, document: dict[str, Any], operations: list[tuple[str, str, Any]]) -> None:
        """
        Apply C{operations} to C{document} in order; the first one it does
        not take is refused with API Gateway's BadRequestException (and
        C{document} may be partly patched: callers apply to a copy).
        """
        for op, path, value in operations:
            top, _, key = path[1:].partition("/")
            member = self.members.get("/" + top) if not key else None
            entries = self.maps.get("/" + top) if key else None
            spec = member or entries
            if spec is None or op not in spec.ops:
                raise invalid_patch(op, path, self._paths(op))
            if op != "remove":
                try:
                    parsed = spec.parse(value)
                except (TypeError, ValueError):
                    raise bad_request(f"Invalid value '{value}' specified for path '{path}'") from None
            if member is not None:
                if op == "remove":
                    document.pop(top, None)
                else:
                    document[top] = parsed
                continue
            entry = unescape_patch_path(key)
            values = dict(document.get(top) or {})
            if op == "remove":
                values.pop(entry, None)
            else:
                values[entry] = parsed
            if values:
                document[top] = values
            else:
                document.pop(top, None)

    def _paths(self, op: str) -> str:
        paths = [p for p, spec in self.members.items() if op in spec.ops]
        paths += [f"{p}/*" for p, spec in self.maps.items() if op in spec.ops]
        return ", ".join(paths)
