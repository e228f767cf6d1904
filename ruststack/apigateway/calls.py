"""
What every control-plane operation is handed (a L{Call}) and returns (a
L{Reply}), with the helpers they share: paging and JSON-Patch operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ruststack.apigateway.model import ApiResource, Method, RestApi
from ruststack.apigateway.store import ApiStore, bad_request, not_found


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
        resource = api.resources.get(self.params["resource"])
        if resource is None:
            raise not_found("Invalid Resource identifier specified")
        return api, resource

    def method(self) -> tuple[RestApi, ApiResource, Method]:
        api, resource = self.resource()
        method = resource.methods.get(self.params["method"])
        if method is None:
            raise not_found("Invalid Method identifier specified")
        return api, resource, method


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


def patch_operations(call: Call) -> list[tuple[str, str, Any]]:
    operations = []
    for patch in call.body.get("patchOperations") or []:
        op, path = patch.get("op"), patch.get("path")
        if op not in ("add", "remove", "replace", "move", "copy", "test") or not path:
            raise bad_request(f"Invalid patch operation specified: {op}")
        operations.append((op, path, patch.get("value")))
    return operations
