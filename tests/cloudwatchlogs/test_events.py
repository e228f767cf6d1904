"""
Events in and out: PutLogEvents' limits and rejected events, GetLogEvents'
tokens (the same token back at either end), FilterLogEvents' patterns,
interleaving, pages and ids.
"""

from __future__ import annotations

import pytest

from tests.cloudwatchlogs.conftest import GROUP_NOT_FOUND, STREAM_NOT_FOUND, error_of, invalid, now_ms, put

DAY = 86_400_000


def put_error(logs, group: str, events: list[dict], stream: str = "s") -> tuple[str, str, int]:
    """
    The code, message and status PutLogEvents refuses C{events} with.
    """
    return error_of(logs.put_log_events, logGroupName=group, logStreamName=stream, logEvents=events)


# PutLogEvents


def test_put_answers_a_sequence_token_and_ignores_the_given_one(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    first = logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "a"}]
    )
    assert len(first["nextSequenceToken"]) == 56 and first["nextSequenceToken"].isdigit()
    assert "rejectedLogEventsInfo" not in first
    second = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now_ms(), "message": "b"}],
        sequenceToken="anything at all",
    )
    assert second["nextSequenceToken"] > first["nextSequenceToken"]


def test_put_to_missing_group_or_stream(logs, group):
    event = [{"timestamp": now_ms(), "message": "a"}]
    assert put_error(logs, group + "-x", event) == GROUP_NOT_FOUND
    assert put_error(logs, group, event, stream="nope") == STREAM_NOT_FOUND


def test_put_out_of_order(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    events = [{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}]
    assert put_error(logs, group, events) == invalid(
        "Log events in a single PutLogEvents request must be in chronological order."
    )


def test_put_too_large(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    # 2 x (524,263 + 26) = 1,048,578 bytes: two over the limit.
    events = [{"timestamp": now, "message": "x" * 524_263}] * 2
    assert put_error(logs, group, events) == invalid("Upload too large: 1048578 bytes exceeds limit of 1048576")
    events = [{"timestamp": now, "message": "x" * 524_262}] * 2
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)


def test_put_too_many_events(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    events = [{"timestamp": now_ms(), "message": "x"}] * 10_001
    code, message, _ = put_error(logs, group, events)
    assert code == "InvalidParameterException"
    assert message.endswith(
        "at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000"
    )


def test_put_spanning_more_than_a_day(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    events = [{"timestamp": now - DAY - 1000, "message": "a"}, {"timestamp": now, "message": "b"}]
    assert put_error(logs, group, events) == invalid(
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    )


def test_put_rejects_too_old_and_too_new_but_keeps_the_rest(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    events = [
        {"timestamp": now - 15 * DAY, "message": "too old 1"},
        {"timestamp": now - 14 * DAY - 60_000, "message": "too old 2"},
        {"timestamp": now, "message": "kept"},
        {"timestamp": now + 3 * 3_600_000, "message": "too new"},
    ]
    answer = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    assert answer["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2, "tooNewLogEventStartIndex": 3}
    read = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in read] == ["kept"]


# GetLogEvents


def test_get_latest_by_default_and_earliest_from_head(logs, group):
    start = put(logs, group, "s", [f"m{i}" for i in range(10)])
    latest = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3)
    assert [e["message"] for e in latest["events"]] == ["m7", "m8", "m9"]
    earliest = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, startFromHead=True)
    assert [e["message"] for e in earliest["events"]] == ["m0", "m1", "m2"]
    event = earliest["events"][0]
    assert event["timestamp"] == start and event["ingestionTime"] >= start
    assert set(event) == {"timestamp", "message", "ingestionTime"}


def test_get_walks_forward_to_the_end_and_answers_the_same_token(logs, group):
    put(logs, group, "s", [f"m{i}" for i in range(10)])
    seen, token = [], None
    for _ in range(10):
        kwargs = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4, **kwargs)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"m{i}" for i in range(10)]
    assert page["events"] == []
    # At the end both tokens stand at the same place, as AWS's do.
    assert page["nextBackwardToken"][2:] == page["nextForwardToken"][2:]
    assert page["nextForwardToken"].startswith("f/") and page["nextBackwardToken"].startswith("b/")
    # New events are read on from the same token.
    put(logs, group, "s", ["late"], start=now_ms())
    late = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token)
    assert [e["message"] for e in late["events"]] == ["late"]


def test_get_walks_backward_to_the_start(logs, group):
    put(logs, group, "s", [f"m{i}" for i in range(10)])
    page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4)
    seen = [e["message"] for e in page["events"]]
    token = page["nextBackwardToken"]
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4, nextToken=token)
        if page["nextBackwardToken"] == token:
            break
        seen = [e["message"] for e in page["events"]] + seen
        token = page["nextBackwardToken"]
    assert seen == [f"m{i}" for i in range(10)]


def test_get_time_range(logs, group):
    start = put(logs, group, "s", [f"m{i}" for i in range(10)], step=10)
    # startTime included, endTime excluded.
    page = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=start + 20, endTime=start + 50, startFromHead=True
    )
    assert [e["message"] for e in page["events"]] == ["m2", "m3", "m4"]


def test_get_empty_stream(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    page = logs.get_log_events(logGroupName=group, logStreamName="s")
    assert page["events"] == []
    again = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=page["nextForwardToken"])
    assert again["nextForwardToken"] == page["nextForwardToken"]


def test_get_orders_by_timestamp_whatever_the_upload_order(logs, group):
    now = now_ms()
    put(logs, group, "s", ["later"], start=now)
    put(logs, group, "s", ["earlier", "middle"], start=now - 100, step=50)
    page = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert [e["message"] for e in page["events"]] == ["earlier", "middle", "later"]


@pytest.mark.parametrize(
    "token", ["garbage", "f/123/s", "x/00000000000000000000000000000000000000000000000000000000/s"]
)
def test_get_bad_token(logs, group, token):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName="s", nextToken=token) == invalid(
        "The specified nextToken is invalid."
    )


def test_get_limit_is_checked(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName="s", limit=10001) == invalid(
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint:"
        " Member must have value less than or equal to 10000"
    )


def test_get_missing_stream(logs, group):
    assert error_of(logs.get_log_events, logGroupName=group, logStreamName="nope") == STREAM_NOT_FOUND


def test_get_page_is_at_most_a_megabyte(logs, group):
    big = "y" * 200_000
    start = put(logs, group, "s", [big] * 4)
    put(logs, group, "s", [big] * 4, start=start + 4)
    page = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert len(page["events"]) == 5  # 5 x 200,026 bytes fit in 1 MB, 6 do not
    rest = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=page["nextForwardToken"])
    assert len(rest["events"]) == 3


# FilterLogEvents


@pytest.fixture
def messages(logs, group):
    lines = {
        "one": ["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1", "INFO all good"],
        "two": ["[ERROR] Caught IllegalArgumentException", "[WARN] Failed to process the request", "WARN message"],
    }
    start = now_ms() - 10_000
    # Interleaved timestamps: one's events at even ms, two's at odd ones.
    put(logs, group, "one", lines["one"], start=start, step=2)
    put(logs, group, "two", lines["two"], start=start + 1, step=2)
    return group


def _filter(logs, group, **kwargs) -> list[str]:
    return [e["message"] for e in logs.filter_log_events(logGroupName=group, **kwargs)["events"]]


def test_filter_everything_interleaved(logs, messages):
    found = logs.filter_log_events(logGroupName=messages)
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [
        ("one", "[ERROR] A fatal exception has occurred"),
        ("two", "[ERROR] Caught IllegalArgumentException"),
        ("one", "Exiting with ERRORCODE: -1"),
        ("two", "[WARN] Failed to process the request"),
        ("one", "INFO all good"),
        ("two", "WARN message"),
    ]
    assert found["searchedLogStreams"] == []
    assert "nextToken" not in found
    ids = [e["eventId"] for e in found["events"]]
    assert len(set(ids)) == 6 and all(len(i) == 56 and i.isdigit() for i in ids)
    # Ids stay the same from one read to the next (aws logs tail relies on it).
    assert [e["eventId"] for e in logs.filter_log_events(logGroupName=messages)["events"]] == ids


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (
            "ERROR",
            [
                "[ERROR] A fatal exception has occurred",
                "[ERROR] Caught IllegalArgumentException",
                "Exiting with ERRORCODE: -1",
            ],
        ),
        ("ERROR Exception", ["[ERROR] Caught IllegalArgumentException"]),
        ('"Failed to process"', ["[WARN] Failed to process the request"]),
        (
            "?ERROR ?WARN",
            [
                "[ERROR] A fatal exception has occurred",
                "[ERROR] Caught IllegalArgumentException",
                "Exiting with ERRORCODE: -1",
                "[WARN] Failed to process the request",
                "WARN message",
            ],
        ),
        ("ERROR -Exiting", ["[ERROR] A fatal exception has occurred", "[ERROR] Caught IllegalArgumentException"]),
        ("-ERROR", ["[WARN] Failed to process the request", "INFO all good", "WARN message"]),
        ("error", []),
        ('" "', None),
        ("", None),
        ("%ERRORCODE: -[0-9]%", ["Exiting with ERRORCODE: -1"]),
        ("%^WARN%", ["WARN message"]),
    ],
)
def test_filter_patterns(logs, messages, pattern, expected):
    everything = _filter(logs, messages)
    found = _filter(logs, messages, filterPattern=pattern)
    assert found == (everything if expected is None else [m for m in everything if m in expected])


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ('{ $.level = "ERROR" }', "JSON"),
        ("[ip, user, ...]", "space-delimited"),
        ("ERROR ?WARN", "?term mixed"),
    ],
)
def test_filter_patterns_rustack_lacks(logs, messages, pattern, message):
    code, text, status = error_of(logs.filter_log_events, logGroupName=messages, filterPattern=pattern)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message in text


@pytest.mark.parametrize("pattern", ['"unterminated', "ERROR:", "a,b", "-", "?", "%(group)%", '"a"b'])
def test_filter_invalid_patterns(logs, messages, pattern):
    assert error_of(logs.filter_log_events, logGroupName=messages, filterPattern=pattern) == invalid(
        "Invalid filter pattern"
    )


def test_filter_streams(logs, messages):
    assert len(_filter(logs, messages, logStreamNames=["two", "absent"])) == 3
    assert len(_filter(logs, messages, logStreamNamePrefix="o")) == 3
    both = error_of(logs.filter_log_events, logGroupName=messages, logStreamNames=["one"], logStreamNamePrefix="o")
    assert both == invalid("Cannot specify both logStreamNames and logStreamNamePrefix.")


def test_filter_time_range(logs, messages):
    events = logs.filter_log_events(logGroupName=messages)["events"]
    start, end = events[1]["timestamp"], events[3]["timestamp"]
    # Both ends included.
    assert _filter(logs, messages, startTime=start, endTime=end) == [e["message"] for e in events[1:4]]


def test_filter_pages(logs, messages):
    everything = _filter(logs, messages)
    seen, token, pages = [], None, 0
    while True:
        page = logs.filter_log_events(logGroupName=messages, limit=4, **({"nextToken": token} if token else {}))
        seen += [e["message"] for e in page["events"]]
        pages += 1
        token = page.get("nextToken")
        if token is None:
            break
    assert (seen, pages) == (everything, 2)
    paginated = logs.get_paginator("filter_log_events").paginate(
        logGroupName=messages, PaginationConfig={"PageSize": 2}
    )
    assert [e["message"] for p in paginated for e in p["events"]] == everything


def test_filter_newest_first(logs, messages):
    everything = _filter(logs, messages)
    start = now_ms() - 60_000
    page = logs.filter_log_events(logGroupName=messages, startTime=start, startFromHead=False, limit=4)
    assert [e["message"] for e in page["events"]] == everything[::-1][:4]
    rest = logs.filter_log_events(logGroupName=messages, startTime=start, nextToken=page["nextToken"])
    assert [e["message"] for e in rest["events"]] == everything[::-1][4:]
    code, _, _ = error_of(logs.filter_log_events, logGroupName=messages, startTime=1, startFromHead=False)
    assert code == "InvalidParameterException"


def test_filter_bad_token_and_missing_group(logs, messages):
    assert error_of(logs.filter_log_events, logGroupName=messages, nextToken="nope") == invalid(
        "The specified nextToken is invalid."
    )
    assert error_of(logs.filter_log_events, logGroupName=messages + "-x") == GROUP_NOT_FOUND
