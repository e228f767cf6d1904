"""
API keys on the data plane: a method with C{apiKeyRequired} admits a
request only with an enabled key (C{x-api-key}) of a usage plan covering
the stage, within the plan's throttle (a token bucket per key, on the
reactor's clock) and quota (requests per UTC day, week or month); what it
admits is counted as the key's usage.

Reference: "Usage plans and API keys for REST APIs" in the developer guide.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable
from typing import Any

import attrs

from ruststack.apigateway.extras import ApiKey, Extras, UsagePlan
from ruststack.apigateway.lambda_authorizer import Refusal

FORBIDDEN = Refusal(403, "Forbidden", "ForbiddenException")
THROTTLED = Refusal(429, "Too Many Requests", "TooManyRequestsException")
QUOTA_EXCEEDED = Refusal(429, "Limit Exceeded", "LimitExceededException")
# Usage is written to the state file (with --data-dir) this long after it changed.
SAVE_DELAY = 10.0
_WEEKDAY_SUNDAY = 6  # date.weekday(): weeks start on Sunday (offset 0 of the older API reference)


def day_of(now: float) -> datetime.date:
    return datetime.datetime.fromtimestamp(now, datetime.UTC).date()


def period_start(day: datetime.date, period: str) -> datetime.date:
    """
    The first day of the quota period (C{DAY}, C{WEEK} or C{MONTH}) that
    C{day} is in.
    """
    if period == "WEEK":
        return day - datetime.timedelta(days=(day.weekday() - _WEEKDAY_SUNDAY) % 7)
    if period == "MONTH":
        return day.replace(day=1)
    return day


@attrs.define
class TokenBucket:
    """
    C{rate} tokens a second up to C{burst}; a request takes one.
    """

    rate: float
    burst: int
    tokens: float
    stamp: float

    @classmethod
    def full(cls, rate: float, burst: int, now: float) -> TokenBucket:
        return cls(rate, burst, float(burst), now)

    def take(self, now: float) -> bool:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Buckets:
    """
    Token buckets by key, each for the limits it is asked with (other limits
    start a full one); at most C{limit} of them (past that they all start
    again full, rather than grow without end).
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._held: dict[Hashable, TokenBucket] = {}

    def take(self, key: Hashable, rate: float, burst: int, now: float) -> bool:
        bucket = self._held.get(key)
        if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
            if len(self._held) >= self._limit:
                self._held.clear()
            bucket = self._held[key] = TokenBucket.full(rate, burst, now)
        return bucket.take(now)


def used_in_period(extras: Extras, plan: UsagePlan, key_id: str, day: datetime.date) -> int:
    """
    The requests C{key_id} made under C{plan} in the quota period of C{day}
    up to it, with the plan's C{offset} in the period it was created in and
    what UpdateUsage changed.
    """
    quota = plan.quota or {}
    start = period_start(day, quota.get("period") or "DAY")
    days = extras.usage.get((plan.id, key_id), {})
    used = sum(count for name, count in days.items() if start.isoformat() <= name <= day.isoformat())
    used += extras.adjustments.get((plan.id, key_id), {}).get(start.isoformat(), 0)
    if start <= day_of(plan.created) <= day:
        used += int(quota.get("offset") or 0)
    return used


class Meter:
    """
    The API key checks of one data plane, with its token buckets.
    """

    def __init__(self, extras: Extras, clock: Any, save: Callable[[], None] | None = None) -> None:
        self.extras = extras
        self.clock = clock
        self._save = save
        self._saving: Any = None
        self._buckets = Buckets()

    def admit(
        self, account: str, region: str, api_id: str, stage: str, method_key: str, value: str | None
    ) -> Refusal | None:
        """
        Why the request with key C{value} to the method C{method_key}
        (C{"/pets/GET"}) of C{api_id}'s C{stage} is refused, or C{None}
        once it is admitted and counted.
        """
        key = self.extras.key_by_value(account, region, value) if value else None
        if key is None or not key.enabled:
            return FORBIDDEN
        plan, api_stage = self._plan_of(key, api_id, stage)
        if plan is None:
            return FORBIDDEN
        now = self.clock.seconds()
        throttle = (api_stage.get("throttle") or {}).get(method_key)
        bucket_key = (plan.id, key.id, method_key if throttle else "")
        throttle = throttle or plan.throttle
        if throttle and not self._buckets.take(
            bucket_key, float(throttle.get("rateLimit") or 0.0), int(throttle.get("burstLimit") or 0), now
        ):
            return THROTTLED
        today = day_of(now)
        limit = (plan.quota or {}).get("limit")
        if limit is not None and used_in_period(self.extras, plan, key.id, today) >= int(limit):
            return QUOTA_EXCEEDED
        days = self.extras.usage.setdefault((plan.id, key.id), {})
        days[today.isoformat()] = days.get(today.isoformat(), 0) + 1
        if self._save is not None and self._saving is None:
            # Counted in memory, written a little later: not a file per request.
            self._saving = self.clock.callLater(SAVE_DELAY, self._flush)
        return None

    def _flush(self) -> None:
        self._saving = None
        if self._save is not None:
            self._save()

    def _plan_of(self, key: ApiKey, api_id: str, stage: str) -> tuple[UsagePlan | None, dict[str, Any]]:
        for plan in self.extras.plans.values():
            if key.id in plan.key_ids and (api_stage := plan.covers(api_id, stage)) is not None:
                return plan, api_stage
        return None, {}
