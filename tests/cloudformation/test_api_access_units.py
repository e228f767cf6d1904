"""
The patches the API Gateway provisioners send on update, as properties:
with a caller that records them, any change of a key's stages or a plan's
stages, throttle and quota is the patch that takes the old to the new one,
and no change sends nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ruststack.cloudformation.provisioners.apigateway_access import ApiKey, UsagePlan
from ruststack.cloudformation.provisioners.base import Made, ResourceContext

STAGES = st.lists(
    st.fixed_dictionaries({"RestApiId": st.sampled_from(["a1", "b2"]), "StageName": st.sampled_from(["dev", "prod"])}),
    max_size=4,
)
THROTTLE = st.fixed_dictionaries(
    {}, optional={"BurstLimit": st.integers(0, 5000), "RateLimit": st.integers(0, 1000).map(float)}
)
QUOTA = st.fixed_dictionaries(
    {}, optional={"Limit": st.integers(0, 10**6), "Period": st.sampled_from(["DAY", "WEEK", "MONTH"])}
)


def _run(provisioner: Any, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []

    async def caller(service: str, operation: str, params: Any) -> dict[str, Any]:
        calls.append((operation, dict(params)))
        return {}

    async def sleep(seconds: float) -> None:
        return None

    ctx = ResourceContext(
        account="000000000000",
        region="us-east-1",
        stack_name="s",
        stack_id="id",
        logical_id="L",
        caller=caller,
        running=frozenset({"apigateway"}),
        sleep=sleep,
    )
    asyncio.run(provisioner.update(ctx, Made("x1"), old, new))
    return calls


def _applied(before: set[str], calls: list[tuple[str, dict[str, Any]]], path: str) -> set[str]:
    after = set(before)
    for _, params in calls:
        for operation in params["patchOperations"]:
            if operation["path"] == path:
                (after.add if operation["op"] == "add" else after.discard)(operation["value"])
    return after


@given(STAGES, STAGES, st.booleans(), st.booleans())
def test_a_keys_stages_are_patched_from_old_to_new(old_stages, new_stages, old_enabled, new_enabled):
    old = {"StageKeys": old_stages, "Enabled": old_enabled}
    new = {"StageKeys": new_stages, "Enabled": new_enabled}
    calls = _run(ApiKey(), old, new)
    keys = {f"{s['RestApiId']}/{s['StageName']}" for s in old_stages}
    assert _applied(keys, calls, "/stages") == {f"{s['RestApiId']}/{s['StageName']}" for s in new_stages}
    enabled = [o for _, p in calls for o in p["patchOperations"] if o["path"] == "/enabled"]
    assert enabled == (
        [] if old_enabled == new_enabled else [{"op": "replace", "path": "/enabled", "value": str(new_enabled).lower()}]
    )
    if old == new:
        assert calls == []


@given(STAGES, STAGES, THROTTLE, THROTTLE, QUOTA, QUOTA)
def test_a_plans_stages_throttle_and_quota_are_patched(
    old_stages, new_stages, old_throttle, new_throttle, old_quota, new_quota
):
    def props(stages: list[dict[str, str]], throttle: dict[str, Any], quota: dict[str, Any]) -> dict[str, Any]:
        return {
            "ApiStages": [{"ApiId": s["RestApiId"], "Stage": s["StageName"]} for s in stages],
            "Throttle": throttle,
            "Quota": quota,
        }

    old, new = props(old_stages, old_throttle, old_quota), props(new_stages, new_throttle, new_quota)
    calls = _run(UsagePlan(), old, new)
    assert all(operation == "UpdateUsagePlan" for operation, _ in calls)
    before = {f"{s['RestApiId']}:{s['StageName']}" for s in old_stages}
    assert _applied(before, calls, "/apiStages") == {f"{s['RestApiId']}:{s['StageName']}" for s in new_stages}
    operations = [o for _, p in calls for o in p["patchOperations"]]
    throttle = [o for o in operations if o["path"].startswith("/throttle")]
    if old_throttle == new_throttle:
        assert throttle == []
    elif not new_throttle:
        assert throttle == [{"op": "remove", "path": "/throttle"}]
    else:
        assert {o["path"] for o in throttle} == {f"/throttle/{k[0].lower()}{k[1:]}" for k in new_throttle}
    if old == new:
        assert calls == []
