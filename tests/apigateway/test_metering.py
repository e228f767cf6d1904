"""
The API key checks of the data plane on a task.Clock: the token bucket,
quota periods and the usage counted.
"""

import datetime

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet import task

from ruststack.apigateway import metering
from ruststack.apigateway.extras import ApiKey, Extras, UsagePlan

ACCOUNT, REGION = "000000000000", "us-east-1"
VALUE = "a-key-of-twenty-chars-or-more"
# A Wednesday, noon UTC.
NOON = datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC).timestamp()


def metered(clock, saves=None, **plan):
    extras = Extras()
    extras.add_key(ApiKey("key1", ACCOUNT, REGION, VALUE, 0.0, 0.0, enabled=True))
    extras.plans["plan1"] = UsagePlan(
        "plan1", ACCOUNT, REGION, "p", api_stages=[{"apiId": "api", "stage": "dev"}], key_ids=["key1"], **plan
    )
    save = (lambda: saves.append(clock.seconds())) if saves is not None else None
    return extras, metering.Meter(extras, clock, save)


def admit(meter, value=VALUE, stage="dev", method="/pets/GET"):
    return meter.admit(ACCOUNT, REGION, "api", stage, method, value)


def test_the_bucket_refills_at_its_rate():
    clock = task.Clock()
    clock.advance(NOON)
    _, meter = metered(clock, throttle={"burstLimit": 2, "rateLimit": 1.0})
    assert [admit(meter) for _ in range(3)] == [None, None, metering.THROTTLED]
    clock.advance(0.5)
    assert admit(meter) == metering.THROTTLED
    clock.advance(0.5)
    assert admit(meter) is None and admit(meter) == metering.THROTTLED
    clock.advance(10)
    # Never more than the burst.
    assert [admit(meter) for _ in range(3)] == [None, None, metering.THROTTLED]


def test_a_method_throttle_has_its_own_bucket():
    clock = task.Clock()
    extras, meter = metered(clock, throttle={"burstLimit": 1, "rateLimit": 0.001})
    extras.plans["plan1"].api_stages[0]["throttle"] = {"/pets/POST": {"burstLimit": 3, "rateLimit": 0.001}}
    assert [admit(meter, method="/pets/POST") for _ in range(4)] == [None, None, None, metering.THROTTLED]
    assert [admit(meter) for _ in range(2)] == [None, metering.THROTTLED]


def test_refusals_without_a_key_plan_or_stage():
    clock = task.Clock()
    extras, meter = metered(clock)
    assert admit(meter, value=None) == metering.FORBIDDEN
    assert admit(meter, value="unknown-value-of-twenty") == metering.FORBIDDEN
    assert admit(meter, stage="prod") == metering.FORBIDDEN
    extras.keys["key1"].enabled = False
    assert admit(meter) == metering.FORBIDDEN
    assert extras.usage == {}


def test_a_daily_quota_resets_at_midnight_utc():
    clock = task.Clock()
    clock.advance(NOON)
    extras, meter = metered(clock, quota={"limit": 2, "period": "DAY"})
    assert [admit(meter) for _ in range(3)] == [None, None, metering.QUOTA_EXCEEDED]
    clock.advance(12 * 3600 - 1)
    assert admit(meter) == metering.QUOTA_EXCEEDED
    clock.advance(1)
    assert admit(meter) is None
    assert extras.usage[("plan1", "key1")] == {"2026-12-02": 2, "2026-12-03": 1}


def test_a_weekly_quota_starts_on_sunday_and_the_offset_counts_in_the_first_week():
    clock = task.Clock()
    clock.advance(NOON)
    _, meter = metered(clock, quota={"limit": 3, "offset": 1, "period": "WEEK"}, created=NOON)
    assert [admit(meter) for _ in range(3)] == [None, None, metering.QUOTA_EXCEEDED]
    # Saturday is the same week; Sunday a new one, without the offset.
    clock.advance(3 * 86400)
    assert admit(meter) == metering.QUOTA_EXCEEDED
    clock.advance(86400)
    assert [admit(meter) for _ in range(4)] == [None, None, None, metering.QUOTA_EXCEEDED]


def test_a_monthly_quota():
    clock = task.Clock()
    clock.advance(datetime.datetime(2026, 11, 30, 23, tzinfo=datetime.UTC).timestamp())
    _, meter = metered(clock, quota={"limit": 1, "period": "MONTH"})
    assert [admit(meter) for _ in range(2)] == [None, metering.QUOTA_EXCEEDED]
    clock.advance(3600)
    assert admit(meter) is None


def test_usage_is_saved_a_little_later_once():
    clock = task.Clock()
    saves: list[float] = []
    _, meter = metered(clock, saves)
    for _ in range(5):
        assert admit(meter) is None
    assert saves == []
    clock.advance(metering.SAVE_DELAY)
    assert saves == [metering.SAVE_DELAY]
    admit(meter)
    clock.advance(metering.SAVE_DELAY)
    assert len(saves) == 2


@given(
    days=st.integers(min_value=0, max_value=40_000),
    period=st.sampled_from(["DAY", "WEEK", "MONTH"]),
)
def test_a_period_starts_on_or_before_its_day(days, period):
    day = datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
    start = metering.period_start(day, period)
    assert start <= day and (day - start).days < 31
    assert metering.period_start(start, period) == start
    if period == "WEEK":
        assert start.weekday() == 6


def test_buckets_start_full_for_new_limits_and_stay_bounded():
    buckets = metering.Buckets(limit=2)
    assert [buckets.take("a", 0.001, 1, 0.0) for _ in range(2)] == [True, False]
    # Other limits for the same key: a full bucket of those.
    assert [buckets.take("a", 0.001, 2, 0.0) for _ in range(3)] == [True, True, False]
    buckets.take("b", 0.001, 1, 0.0)
    # A third key past the limit of two: every bucket starts again full rather than the dict growing.
    assert buckets.take("c", 0.001, 1, 0.0) is True
    assert buckets.take("a", 0.001, 2, 0.0) is True
    assert len(buckets._held) <= 2
