"""
Control-plane operations on API keys (per account and region): create,
read, update, delete and import from CSV.
"""

from __future__ import annotations

import csv
import io
import secrets
import string
from typing import Any

from ruststack.apigateway.calls import Call, Reply, found, invalid_patch, page, patch_operations
from ruststack.apigateway.extras import ApiKey
from ruststack.apigateway.model import new_id
from ruststack.apigateway.store import bad_request, conflict, not_found

_VALUE_ALPHABET = string.ascii_letters + string.digits
# API Gateway's generated values are 40 characters; given ones at least 20.
_GENERATED_LENGTH = 40
_MIN_LENGTH, _MAX_LENGTH = 20, 128
_TRUE = "true"


def query_value(call: Call, name: str) -> str | None:
    """
    The query parameter C{name} of the call, if given.
    """
    values = call.query.get(name)
    return values[0] if values else None


def _flag(call: Call, name: str) -> bool:
    return (query_value(call, name) or "").lower() == _TRUE


def _generated_value() -> str:
    return "".join(secrets.choice(_VALUE_ALPHABET) for _ in range(_GENERATED_LENGTH))


def _stage_key(call: Call, stage_key: dict[str, Any] | str) -> str:
    """
    A stage key as API Gateway lists it (C{"{restApiId}/{stageName}"}), once
    the API and stage are known to exist.
    """
    if isinstance(stage_key, str):
        api_id, _, stage = stage_key.partition("/")
    else:
        api_id, stage = stage_key.get("restApiId") or "", stage_key.get("stageName") or ""
    api = call.store.api(call.account, call.region, api_id)
    found(api.stages.get(stage), "stage identifier")
    return f"{api_id}/{stage}"


def new_key(call: Call, value: str | None, **members: Any) -> ApiKey:
    """
    A new API key of the caller with C{value} (or a generated one), once
    checked and stored.
    """
    if value is None:
        value = _generated_value()
    _check_value(call, value)
    key = ApiKey(new_id(10), call.account, call.region, value, call.now, call.now, **members)
    call.store.extras.add_key(key)
    return key


def _check_value(call: Call, value: str) -> None:
    if not _MIN_LENGTH <= len(value) <= _MAX_LENGTH or not value.isascii() or not value.isprintable():
        raise bad_request("API Key value should be at least 20 characters")
    if call.store.extras.key_by_value(call.account, call.region, value) is not None:
        raise conflict("API Key already exists")


def create_api_key(call: Call) -> Reply:
    body = call.body
    stage_keys = [_stage_key(call, s) for s in body.get("stageKeys") or []]
    key = new_key(
        call,
        body.get("value"),
        name=body.get("name"),
        description=body.get("description"),
        enabled=bool(body.get("enabled", False)),
        customer_id=body.get("customerId"),
        stage_keys=stage_keys,
        tags=dict(body.get("tags") or {}),
    )
    call.store.save()
    return 201, key.to_json(include_value=True)


def api_key(call: Call, key_id: str) -> ApiKey:
    """
    The caller's API key C{key_id}, or NotFoundException.
    """
    key = call.store.extras.keys.get(key_id)
    if key is None or key.account != call.account or key.region != call.region:
        raise not_found("Invalid API Key identifier specified")
    return key


def get_api_key(call: Call) -> Reply:
    return 200, api_key(call, call.params["key"]).to_json(include_value=_flag(call, "includeValue"))


def get_api_keys(call: Call) -> Reply:
    name = (call.query.get("name") or [""])[0]
    customer = query_value(call, "customerId")
    include = _flag(call, "includeValues")
    keys = [
        k.to_json(include_value=include)
        for k in call.store.extras.keys.values()
        if k.account == call.account
        and k.region == call.region
        and (k.name or "").startswith(name)
        and customer in (None, k.customer_id)
    ]
    return 200, page(call, keys)


def update_api_key(call: Call) -> Reply:
    key = api_key(call, call.params["key"])
    for op, path, value in patch_operations(call):
        if path == "/stages" and op in ("add", "remove"):
            stage_key = _stage_key(call, str(value or ""))
            if op == "add" and stage_key not in key.stage_keys:
                key.stage_keys.append(stage_key)
            elif op == "remove" and stage_key in key.stage_keys:
                key.stage_keys.remove(stage_key)
        elif op != "replace" or path not in ("/name", "/description", "/enabled", "/customerId"):
            raise invalid_patch(op, path)
        elif path == "/enabled":
            key.enabled = str(value).lower() == _TRUE
        else:
            setattr(key, {"/name": "name", "/description": "description", "/customerId": "customer_id"}[path], value)
    key.updated = call.now
    call.store.save()
    return 200, key.to_json()


def delete_api_key(call: Call) -> Reply:
    call.store.extras.remove_key(api_key(call, call.params["key"]))
    call.store.save()
    return 202, None


def import_api_keys(call: Call) -> Reply:
    """
    Keys from a CSV document (API Gateway's format: a header naming the
    columns C{name}, C{key}, C{description}, C{enabled}, C{usageplanIds}),
    all or none.
    """
    if (call.query.get("format") or [""])[0].lower() != "csv":
        raise bad_request("Invalid format specified. Valid formats are: csv")
    rows = parse_csv(call.raw)
    plans = call.store.extras.plans
    for row in rows:
        for plan_id in row["usageplanIds"]:
            plan = plans.get(plan_id)
            if plan is None or plan.account != call.account or plan.region != call.region:
                raise bad_request(f"Invalid usage plan identifier specified: {plan_id}")
    values = [row["key"] for row in rows]
    for value in values:
        _check_value(call, value)
    if len(set(values)) != len(values):
        raise conflict("API Key already exists")
    ids = []
    for row in rows:
        key = new_key(call, row["key"], name=row["name"], description=row["description"], enabled=row["enabled"])
        for plan_id in row["usageplanIds"]:
            plans[plan_id].key_ids.append(key.id)
        ids.append(key.id)
    call.store.save()
    return 201, {"ids": ids, "warnings": []}


def parse_csv(document: bytes) -> list[dict[str, Any]]:
    """
    The rows of an API key CSV document, or BadRequestException.
    """
    try:
        text = document.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("Invalid API key CSV: not UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = [line for line in reader if any(cell.strip() for cell in line)]
    if not lines:
        raise bad_request("Invalid API key CSV: no header")
    header = [cell.strip().lower() for cell in lines[0]]
    if "key" not in header:
        raise bad_request("Invalid API key CSV: the header names no 'key' column")
    rows = []
    for line in lines[1:]:
        cells = dict(zip(header, (cell.strip() for cell in line), strict=False))
        if not cells.get("key"):
            raise bad_request("Invalid API key CSV: a row has no key")
        plan_ids = cells.get("usageplanids", "")
        rows.append(
            {
                "name": cells.get("name") or None,
                "key": cells["key"],
                "description": cells.get("description") or None,
                "enabled": (cells.get("enabled") or "").lower() == _TRUE,
                "usageplanIds": [p.strip() for p in plan_ids.split(",") if p.strip()],
            }
        )
    return rows
