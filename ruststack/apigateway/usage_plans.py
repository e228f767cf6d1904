"""
Control-plane operations on usage plans (per account and region), their
API keys, and the usage counted on the data plane (L{metering}).
"""

from __future__ import annotations

import datetime
from typing import Any

from ruststack.apigateway.apikeys import api_key, query_value
from ruststack.apigateway.calls import Call, Reply, found, invalid_patch, page, patch_operations
from ruststack.apigateway.extras import UsagePlan
from ruststack.apigateway.metering import day_of, period_start, used_in_period
from ruststack.apigateway.model import new_id
from ruststack.apigateway.store import bad_request, conflict

_PERIODS = ("DAY", "WEEK", "MONTH")
# GetUsage answers at most this many days.
_MAX_DAYS = 90


def _api_stage(call: Call, api_stage: dict[str, Any]) -> dict[str, Any]:
    api = call.store.api(call.account, call.region, str(api_stage.get("apiId") or ""))
    stage = str(api_stage.get("stage") or "")
    found(api.stages.get(stage), "stage identifier")
    checked: dict[str, Any] = {"apiId": api.id, "stage": stage}
    if api_stage.get("throttle"):
        checked["throttle"] = {path: _throttle(t) for path, t in api_stage["throttle"].items()}
    return checked


def _throttle(throttle: dict[str, Any] | None) -> dict[str, Any] | None:
    if not throttle:
        return None
    burst, rate = throttle.get("burstLimit"), throttle.get("rateLimit")
    if (burst is not None and int(burst) < 0) or (rate is not None and float(rate) < 0):
        raise bad_request("Invalid throttle: burstLimit and rateLimit must not be negative")
    return {k: v for k, v in (("burstLimit", burst), ("rateLimit", rate)) if v is not None}


def _quota(quota: dict[str, Any] | None) -> dict[str, Any] | None:
    if not quota:
        return None
    if quota.get("period") not in _PERIODS:
        raise bad_request(f"Invalid quota period: one of {', '.join(_PERIODS)}")
    if int(quota.get("limit") or 0) <= 0:
        raise bad_request("Invalid quota limit: it must be positive")
    return {"limit": int(quota["limit"]), "offset": int(quota.get("offset") or 0), "period": quota["period"]}


def create_usage_plan(call: Call) -> Reply:
    body = call.body
    if not body.get("name"):
        raise bad_request("Invalid usage plan name")
    plan = UsagePlan(
        id=new_id(6),
        account=call.account,
        region=call.region,
        name=body["name"],
        description=body.get("description"),
        api_stages=[_api_stage(call, s) for s in body.get("apiStages") or []],
        throttle=_throttle(body.get("throttle")),
        quota=_quota(body.get("quota")),
        tags=dict(body.get("tags") or {}),
        created=call.now,
    )
    call.store.extras.plans[plan.id] = plan
    call.store.save()
    return 201, plan.to_json()


def usage_plan(call: Call) -> UsagePlan:
    plan = call.store.extras.plans.get(call.params["plan"])
    if plan is not None and (plan.account, plan.region) != (call.account, call.region):
        plan = None
    return found(plan, "Usage Plan ID")


def get_usage_plan(call: Call) -> Reply:
    return 200, usage_plan(call).to_json()


def get_usage_plans(call: Call) -> Reply:
    key_id = query_value(call, "keyId")
    plans = [
        p.to_json()
        for p in call.store.extras.plans.values()
        if (p.account, p.region) == (call.account, call.region) and key_id in (None, *p.key_ids)
    ]
    return 200, page(call, plans)


def update_usage_plan(call: Call) -> Reply:
    plan = usage_plan(call)
    for op, path, value in patch_operations(call):
        _patch(call, plan, op, path, value)
    call.store.save()
    return 200, plan.to_json()


def _patch(call: Call, plan: UsagePlan, op: str, path: str, value: Any) -> None:
    if op == "replace" and path in ("/name", "/description"):
        setattr(plan, path[1:], value)
    elif op in ("add", "remove") and path == "/apiStages":
        api_id, _, stage = str(value or "").partition(":")
        api_stage = _api_stage(call, {"apiId": api_id, "stage": stage}) if op == "add" else None
        current = plan.covers(api_id, stage)
        if op == "add" and current is None and api_stage is not None:
            plan.api_stages.append(api_stage)
        elif op == "remove" and current is not None:
            plan.api_stages.remove(current)
    elif path.startswith(("/throttle", "/quota")):
        member, _, field = path[1:].partition("/")
        if op == "remove" and not field:
            setattr(plan, member, None)
            return
        if op not in ("add", "replace") or not field:
            raise invalid_patch(op, path, "add, remove, replace")
        settings = dict(getattr(plan, member) or {})
        settings[field] = value
        setattr(plan, member, _throttle(_numbers(settings)) if member == "throttle" else _quota(_numbers(settings)))
    else:
        raise invalid_patch(op, path)


def _numbers(settings: dict[str, Any]) -> dict[str, Any]:
    # Patch values are strings.
    kinds = {"burstLimit": int, "rateLimit": float, "limit": int, "offset": int}
    return {k: kinds[k](v) if k in kinds and v is not None else v for k, v in settings.items()}


def delete_usage_plan(call: Call) -> Reply:
    plan = usage_plan(call)
    del call.store.extras.plans[plan.id]
    for key in [k for k in call.store.extras.usage if k[0] == plan.id]:
        del call.store.extras.usage[key]
    call.store.save()
    return 202, None


def _plan_key_json(call: Call, key_id: str) -> dict[str, Any]:
    key = api_key(call, key_id)
    return {"id": key.id, "type": "API_KEY", "value": key.value, "name": key.name}


def create_usage_plan_key(call: Call) -> Reply:
    plan = usage_plan(call)
    if call.body.get("keyType") != "API_KEY":
        raise bad_request("Invalid key type specified: API_KEY")
    key = api_key(call, str(call.body.get("keyId") or ""))
    if key.id in plan.key_ids:
        raise conflict(f"Usage Plan {plan.id} cannot be added because API Key {key.id} already exists in it")
    for other in call.store.extras.plans.values():
        shared = [s for s in plan.api_stages if key.id in other.key_ids and other.covers(s["apiId"], s["stage"])]
        if shared:
            raise conflict(
                f"Usage Plan {plan.id} cannot be added because API Key {key.id} cannot reference multiple"
                f" Usage Plans with the same API Stage: {shared[0]['apiId']}:{shared[0]['stage']}"
            )
    plan.key_ids.append(key.id)
    call.store.save()
    return 201, _plan_key_json(call, key.id)


def _plan_key(call: Call) -> tuple[UsagePlan, str]:
    plan = usage_plan(call)
    key_id = call.params["key_id"]
    return plan, found(key_id if key_id in plan.key_ids else None, "Usage Plan Key identifier")


def get_usage_plan_key(call: Call) -> Reply:
    _, key_id = _plan_key(call)
    return 200, _plan_key_json(call, key_id)


def get_usage_plan_keys(call: Call) -> Reply:
    plan = usage_plan(call)
    name = (call.query.get("name") or [""])[0]
    keys = [_plan_key_json(call, key_id) for key_id in plan.key_ids]
    return 200, page(call, [k for k in keys if (k["name"] or "").startswith(name)])


def delete_usage_plan_key(call: Call) -> Reply:
    plan, key_id = _plan_key(call)
    plan.key_ids.remove(key_id)
    call.store.save()
    return 202, None


def _date(call: Call, name: str) -> datetime.date:
    text = (call.query.get(name) or [""])[0]
    try:
        return datetime.date.fromisoformat(text) if len(text) == 10 else datetime.date.fromisoformat("bad")
    except ValueError:
        raise bad_request(f"Invalid {name}: {text!r} is not a yyyy-MM-dd date") from None


def get_usage(call: Call) -> Reply:
    """
    Each key's C{[used, remaining]} requests per day from C{startDate} to
    C{endDate} (C{remaining}: what the quota leaves after that day; 0
    without a quota).
    """
    plan = usage_plan(call)
    start, end = _date(call, "startDate"), _date(call, "endDate")
    if end < start:
        raise bad_request("The end date must not be before the start date")
    if (end - start).days >= _MAX_DAYS:
        raise bad_request(f"The usage is answered for at most {_MAX_DAYS} days")
    key_id = query_value(call, "keyId")
    if key_id is not None:
        api_key(call, key_id)
    return 200, _usage(call, plan, start, end, plan.key_ids if key_id is None else [key_id])


def _usage(call: Call, plan: UsagePlan, start: datetime.date, end: datetime.date, key_ids: list[str]) -> dict[str, Any]:
    limit = (plan.quota or {}).get("limit")
    items = {}
    for plan_key in key_ids:
        days = call.store.extras.usage.get((plan.id, plan_key), {})
        rows = []
        for offset in range((end - start).days + 1):
            day = start + datetime.timedelta(days=offset)
            used = days.get(day.isoformat(), 0)
            remaining = max(0, int(limit) - used_in_period(call.store.extras, plan, plan_key, day)) if limit else 0
            rows.append([used, remaining])
        items[plan_key] = rows
    return {"usagePlanId": plan.id, "startDate": start.isoformat(), "endDate": end.isoformat(), "values": items}


def update_usage(call: Call) -> Reply:
    """
    Set what the quota leaves a key in the current period (C{/remaining}).
    """
    plan, key_id = _plan_key(call)
    if not plan.quota:
        raise bad_request(f"Usage plan {plan.id} has no quota")
    today = day_of(call.now)
    start = period_start(today, plan.quota["period"]).isoformat()
    for op, path, value in patch_operations(call):
        if op != "replace" or path != "/remaining":
            raise invalid_patch(op, path, "replace")
        try:
            remaining = int(str(value))
        except ValueError:
            raise bad_request(f"Invalid remaining value: {value}") from None
        if remaining < 0:
            raise bad_request(f"Invalid remaining value: {value}")
        wanted = int(plan.quota["limit"]) - remaining
        adjustments = call.store.extras.adjustments.setdefault((plan.id, key_id), {})
        adjustments[start] = adjustments.get(start, 0) + wanted - used_in_period(call.store.extras, plan, key_id, today)
    call.store.save()
    return 200, _usage(call, plan, today, today, [key_id])
