"""
What every control-plane operation is handed (a L{Call}) and returns (a
L{Reply}), with the helpers they share: finding what a call names, paging
and JSON-Patch operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from ruststack.apigateway.model import ApiResource, Method, RestApi
from ruststack.apigateway.store import ApiStore, bad_request, not_found
from ruststack.aws.errors import AwsError

T = TypeVar("T")


def found(member: T | None, what: str) -> T:
    """
    C{member}, or API Gateway's NotFoundException when there is none: the
    call named an unknown C{what} ("Stage identifier").
    """
    if member is None:
        raise not_found(f"Invalid {what} specified")
    return member


@attrs.frozen
class Call:
    """
    One control-plane request: who calls, the path parameters, the query and
    the JSON body.
    """

    store: ApiStore
    account: str
    region: str
    now: float
    params: dict[str, str]
    query: dict[str, list[str]]
    body: dict[str, Any]
    raw: bytes = b""

    def api(self) -> RestApi:
        return self.store.api(self.account, self.region, self.params["api"])

    def resource(self) -> tuple[RestApi, ApiResource]:
        api = self.api()
        return api, found(api.resources.get(self.params["resource"]), "Resource identifier")

    def method(self) -> tuple[RestApi, ApiResource, Method]:
        api, resource = self.resource()
        return api, resource, found(resource.methods.get(self.params["method"]), "Method identifier")


Reply = tuple[int, Any]
Operation = Callable[[Call], Reply]


def page(call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
    # position is an opaque token in AWS; here the index of the next item.
    start = int((call.query.get("position") or ["0"])[0] or 0)
    limit = min(int((call.query.get("limit") or ["25"])[0]), 500)
    body: dict[str, Any] = {"item": items[start : start + limit]}
    if start + limit < len(items):
        body["position"] = str(start + limit)
    return body


def unescape_patch_path(part: str) -> str:
    # JSON Pointer escaping, as patch paths use it: "image~1png" is "image/png".
    return part.replace("~1", "/").replace("~0", "~")


def invalid_patch(op: str, path: str, allowed: str = "") -> AwsError:
    """
    API Gateway's refusal of a patch operation, naming the ops the path
    takes (C{"replace"}) where AWS does.
    """
    message = f"Invalid patch path '{path}' specified for op '{op}'"
    return bad_request(f"{message}. Must be one of: [{allowed}]" if allowed else message)


def patch_operations(call: Call) -> list[tuple[str, str, Any]]:
    operations = []
    for patch in call.body.get("patchOperations") or []:
        op, path = patch.get("op"), patch.get("path")
        if op not in ("add", "remove", "replace", "move", "copy", "test") or not path:
            raise bad_request(f"Invalid patch operation specified: {op}")
        operations.append((op, path, patch.get("value")))
    return operations


# Patch paths that replace a member: the attribute and how a patch value
# (a string, or null) becomes the attribute's value.
Replaceable = Mapping[str, tuple[str, Callable[[Any], Any]]]


def replace_member(target: object, replaceable: Replaceable, op: str, path: str, value: Any) -> None:
    """
    Apply the patch operation C{op} of C{path} to C{target}, or refuse it
    unless it replaces a member of C{replaceable}.
    """
    if op != "replace" or path not in replaceable:
        raise invalid_patch(op, path)
    attribute, parse = replaceable[path]
    setattr(target, attribute, parse(value))


def as_is(value: Any) -> Any:
    return value


def or_none(value: Any) -> Any:
    # An empty value clears an optional member.
    return value or None


def as_flag(value: Any) -> bool:
    return str(value).lower() == "true"
