"""
Lifecycle rules on their own: days and midnights, filters, and the sweep
driven by a L{task.Clock} over an in-memory store (no sockets).
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet import task

from ruststack.s3 import documents, lifecycle, versions
from ruststack.s3.call import S3Context
from ruststack.s3.lifecycle import Filter
from ruststack.s3.lifecyclesweep import LifecycleSweeper, interval
from ruststack.s3.records import Bucket, ObjectMeta, ObjectRecord, Upload
from ruststack.s3.store import Store
from ruststack.s3.versionstore import ENABLED

DAY = 100.0
_PUT = "PutBucketLifecycleConfiguration"


@pytest.fixture
def clock():
    made = task.Clock()
    made.advance(10 * DAY)
    return made


@pytest.fixture
def ctx(clock):
    store = Store()
    store.create_bucket(Bucket("bkt", "000000000000", "us-east-1", 0.0))
    yield S3Context(store, clock, "us-east-1", DAY)
    store.close()


def configure(ctx: S3Context, *rules: dict) -> None:
    values = documents.read(_PUT, documents.write(_PUT, {"Rules": list(rules)}).encode())
    ctx.store.set_bucket_config("bkt", lifecycle.KIND, documents.write(_PUT, values))


def put(ctx: S3Context, key: str, size: int = 1, tags: dict[str, str] | None = None) -> ObjectRecord:
    record = ObjectRecord("bkt", key, size, '"e"', ctx.now(), ObjectMeta(tags=tags or {}), b"x" * size)
    return versions.commit_object(ctx, record)[0]


def keys(ctx: S3Context) -> list[str]:
    return [row[0].decode() for row in ctx.store.list_objects("bkt", "", "", "", 1000).rows]


def history(ctx: S3Context, key: str) -> list[tuple[str, bool]]:
    page = ctx.store.versions.list_versions("bkt", key, "", b"", 1000)
    return [("marker" if row.marker else "object", row.latest) for row in page.rows]


# Days and midnights


@given(
    start=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    days=st.integers(min_value=1, max_value=3650),
    day=st.sampled_from([1.0, 0.5, 60.0, 86400.0]),
)
def test_due_is_the_next_midnight_after_the_days(start, days, day):
    moment = lifecycle.due(start, days, day)
    assert moment >= start + days * day - 1e-6
    assert moment < start + (days + 1) * day + 1e-6
    assert moment / day == pytest.approx(round(moment / day))


def test_due_as_s3_documents_it():
    # Created 2014-01-15 10:30 UTC with Days 3: expires 2014-01-19 00:00 UTC.
    created = datetime.datetime(2014, 1, 15, 10, 30, tzinfo=datetime.UTC).timestamp()
    assert lifecycle.due(created, 3) == datetime.datetime(2014, 1, 19, tzinfo=datetime.UTC).timestamp()


def test_sweeps_run_hourly_or_ten_times_a_scaled_day():
    assert interval(86400) == 3600
    assert interval(10) == 1
    assert interval(0.01) == 0.1


# Filters

# What an XML document can carry (stored rules came through one).
_ALPHABET = "ab/-_. é&<"
_tag_text = st.text(_ALPHABET, min_size=1, max_size=5)


@given(
    prefix=st.text(max_size=4),
    key=st.text(max_size=8),
    size=st.integers(min_value=0, max_value=1000),
    bounds=st.tuples(st.none() | st.integers(0, 1000), st.none() | st.integers(0, 1000)),
    wanted=st.dictionaries(_tag_text, _tag_text, max_size=2),
    tags=st.dictionaries(_tag_text, _tag_text, max_size=3),
)
def test_a_filter_selects_what_all_its_predicates_select(prefix, key, size, bounds, wanted, tags):
    above, below = bounds
    selected = Filter(prefix, tuple(wanted.items()), above, below).selects(key, size, tags)
    expected = (
        key.startswith(prefix)
        and (above is None or size > above)
        and (below is None or size < below)
        and all(tags.get(name) == value for name, value in wanted.items())
    )
    assert selected == expected


@given(
    st.one_of(
        st.builds(lambda p: {"Filter": {"Prefix": p}}, st.text(_ALPHABET, max_size=5)),
        st.builds(lambda k, v: {"Filter": {"Tag": {"Key": k, "Value": v}}}, _tag_text, _tag_text),
        st.builds(lambda n: {"Filter": {"ObjectSizeGreaterThan": n}}, st.integers(0, 10**9)),
        st.builds(
            lambda p, tags, n: {
                "Filter": {
                    "And": {"Prefix": p, "Tags": [{"Key": k, "Value": v} for k, v in tags], "ObjectSizeLessThan": n}
                }
            },
            st.text(_ALPHABET, max_size=5),
            st.lists(st.tuples(_tag_text, _tag_text), max_size=3),
            st.integers(1, 10**9),
        ),
        st.builds(lambda p: {"Prefix": p}, st.text(_ALPHABET, max_size=5)),
        st.just({"Filter": {}}),
    ),
    st.integers(min_value=1, max_value=1000),
    st.sampled_from(["Enabled", "Disabled"]),
)
def test_stored_rules_read_back_as_put(selector, days, status):
    rule = {"ID": "r", "Status": status, "Expiration": {"Days": days}, **selector}
    document = documents.write(_PUT, documents.read(_PUT, documents.write(_PUT, {"Rules": [rule]}).encode()))
    rules = lifecycle.rules_of(document)
    if status == "Disabled":
        assert rules == ()
        return
    (found,) = rules
    assert found.expiration_days == days
    assert found.filter == lifecycle.filter_of(selector)
    given_filter = selector.get("Filter", {})
    prefix = selector.get("Prefix", given_filter.get("Prefix", given_filter.get("And", {}).get("Prefix", "")))
    assert found.filter.prefix == (prefix or "")


# The sweep


def test_expiration_by_days_deletes_at_the_next_midnight(ctx, clock):
    configure(ctx, {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 2}})
    clock.advance(DAY / 2)
    put(ctx, "tmp/a")
    put(ctx, "keep/a")
    sweeper = LifecycleSweeper(ctx)
    clock.advance(2 * DAY)  # 2.5 days after midnight: due at the 3rd midnight
    sweeper.sweep_now()
    assert keys(ctx) == ["keep/a", "tmp/a"]
    clock.advance(DAY / 2)
    sweeper.sweep_now()
    assert keys(ctx) == ["keep/a"]


def test_expiration_header_names_the_day_and_rule(ctx, clock):
    configure(ctx, {"ID": "tmp", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    record = put(ctx, "a")
    headers = lifecycle.expiration_headers(ctx, record)
    moment = lifecycle.due(record.last_modified, 1, DAY)
    assert headers == {"x-amz-expiration": f'expiry-date="{_http(moment)}", rule-id="tmp"'}


def _http(moment: float) -> str:
    from ruststack.aws.ids import http_date

    return http_date(moment)


def test_disabled_rules_and_other_filters_expire_nothing(ctx, clock):
    configure(
        ctx,
        {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}},
        {"ID": "tag", "Status": "Enabled", "Filter": {"Tag": {"Key": "t", "Value": "1"}}, "Expiration": {"Days": 1}},
        {"ID": "big", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 10}, "Expiration": {"Days": 1}},
    )
    put(ctx, "plain")
    put(ctx, "tagged", tags={"t": "1"})
    put(ctx, "other-tag", tags={"t": "2"})
    put(ctx, "big", size=11)
    put(ctx, "just-ten", size=10)
    clock.advance(3 * DAY)
    LifecycleSweeper(ctx).sweep_now()
    assert keys(ctx) == ["just-ten", "other-tag", "plain"]


def test_expiration_by_date_expires_everything_selected_once_passed(ctx, clock):
    midnight = datetime.datetime.fromtimestamp(clock.seconds() + 3 * 86400, datetime.UTC).replace(
        hour=0, minute=0, second=0
    )
    configure(ctx, {"ID": "d", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": midnight}})
    put(ctx, "a")
    sweeper = LifecycleSweeper(ctx)
    sweeper.sweep_now()
    assert keys(ctx) == ["a"]
    clock.advance(midnight.timestamp() - clock.seconds())
    sweeper.sweep_now()
    assert keys(ctx) == []


def test_versioned_buckets_get_a_delete_marker_then_lose_old_versions(ctx, clock):
    ctx.store.versions.set_configuration("bkt", ENABLED, None)
    configure(
        ctx,
        {
            "ID": "all",
            "Status": "Enabled",
            "Filter": {},
            "Expiration": {"Days": 1},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
    )
    put(ctx, "k")
    sweeper = LifecycleSweeper(ctx)
    clock.advance(2 * DAY)
    sweeper.sweep_now()
    # Expired as DeleteObject would: a marker on top, the object noncurrent.
    assert keys(ctx) == []
    assert history(ctx, "k") == [("marker", True), ("object", False)]
    clock.advance(2 * DAY)
    sweeper.sweep_now()
    assert history(ctx, "k") == [("marker", True)]
    # The lone marker is now an expired object delete marker: Days removes it once old enough.
    sweeper.sweep_now()
    assert history(ctx, "k") == []


def test_newer_noncurrent_versions_are_kept(ctx, clock):
    ctx.store.versions.set_configuration("bkt", ENABLED, None)
    configure(
        ctx,
        {
            "ID": "keep2",
            "Status": "Enabled",
            "Filter": {},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 2},
        },
    )
    for _ in range(5):
        put(ctx, "k")
    clock.advance(3 * DAY)
    LifecycleSweeper(ctx).sweep_now()
    assert history(ctx, "k") == [("object", True), ("object", False), ("object", False)]


def test_noncurrent_days_count_from_when_a_version_became_noncurrent(ctx, clock):
    ctx.store.versions.set_configuration("bkt", ENABLED, None)
    configure(ctx, {"ID": "n", "Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 2}})
    put(ctx, "k")
    clock.advance(5 * DAY)  # old, but still current
    put(ctx, "k")
    sweeper = LifecycleSweeper(ctx)
    clock.advance(DAY)
    sweeper.sweep_now()
    assert len(history(ctx, "k")) == 2
    clock.advance(2 * DAY)
    sweeper.sweep_now()
    assert history(ctx, "k") == [("object", True)]


def test_expired_object_delete_markers_go_only_when_alone(ctx, clock):
    ctx.store.versions.set_configuration("bkt", ENABLED, None)
    configure(ctx, {"ID": "m", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}})
    put(ctx, "kept")
    versions.delete_key(ctx, "bkt", "kept", None)
    ctx.store.versions.add_marker("bkt", "alone", ctx.now())
    LifecycleSweeper(ctx).sweep_now()
    assert history(ctx, "kept") == [("marker", True), ("object", False)]
    assert history(ctx, "alone") == []


def test_incomplete_multipart_uploads_are_aborted(ctx, clock):
    configure(
        ctx,
        {
            "ID": "mp",
            "Status": "Enabled",
            "Filter": {"Prefix": "up/"},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    )
    for upload_id, key in (("u1", "up/a"), ("u2", "other")):
        ctx.store.create_upload(Upload(upload_id, "bkt", key, ctx.now(), "000000000000", ObjectMeta()))
    clock.advance(2 * DAY)
    LifecycleSweeper(ctx).sweep_now()
    assert ctx.store.get_upload("u1") is None
    assert ctx.store.get_upload("u2") is not None


def test_the_clock_drives_sweeps_in_small_batches(ctx, clock):
    """
    Sweeps start on the reactor's clock and run as scheduled steps of a
    batch each, never in the call that starts them.
    """
    configure(ctx, {"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    for index in range(25):
        put(ctx, f"k{index:02d}")
    sweeper = LifecycleSweeper(ctx, batch=10)
    batches: list[None] = []
    steps = sweeper.steps

    def counted():
        for step in steps():
            batches.append(step)
            yield step

    sweeper.steps = counted  # type: ignore[method-assign]
    clock.advance(2 * DAY)
    sweeper.sweep()
    assert len(keys(ctx)) == 25
    clock.advance(0)
    assert keys(ctx) == []
    assert len(batches) == 2  # 10, 10, then the last 5 ends the sweep
    sweeper.start()
    put(ctx, "later")
    clock.advance(2 * DAY)
    assert keys(ctx) == []
    sweeper.stop()


def test_a_sweep_survives_a_reset_between_batches(ctx, clock):
    configure(ctx, {"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    for index in range(25):
        put(ctx, f"k{index:02d}")
    clock.advance(2 * DAY)
    steps = LifecycleSweeper(ctx, batch=10).steps()
    next(steps)
    ctx.store.reset()
    assert list(steps) == []
