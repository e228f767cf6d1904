"""
Log streams: creation, deletion, description (prefix, order, paging), and
naming a group by ARN.
"""

from __future__ import annotations

from tests.cloudwatchlogs.conftest import GROUP_NOT_FOUND, STREAM_NOT_FOUND, error_of, invalid, put


def test_create_describe_delete(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="one")
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert stream["logStreamName"] == "one"
    assert stream["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:log-stream:one"
    assert stream["storedBytes"] == 0
    assert set(stream) == {"logStreamName", "creationTime", "arn", "storedBytes"}
    logs.delete_log_stream(logGroupName=group, logStreamName="one")
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    assert error_of(logs.delete_log_stream, logGroupName=group, logStreamName="one") == STREAM_NOT_FOUND


def test_errors(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="one")
    assert error_of(logs.create_log_stream, logGroupName=group, logStreamName="one") == (
        "ResourceAlreadyExistsException",
        "The specified log stream already exists",
        400,
    )
    assert error_of(logs.create_log_stream, logGroupName=group + "-nope", logStreamName="x") == GROUP_NOT_FOUND
    assert error_of(logs.describe_log_streams, logGroupName=group + "-nope") == GROUP_NOT_FOUND
    code, message, _ = error_of(logs.create_log_stream, logGroupName=group, logStreamName="a:b")
    assert code == "InvalidParameterException"
    assert "Member must satisfy regular expression pattern: [^:*]*" in message


def test_event_times_after_events(logs, group):
    first = put(logs, group, "s", ["a", "b", "c"], step=10)
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert stream["firstEventTimestamp"] == first
    assert stream["lastEventTimestamp"] == first + 20
    assert stream["lastIngestionTime"] >= first
    assert stream["storedBytes"] == 0  # as AWS answers since 2019
    assert len(stream["uploadSequenceToken"]) == 56


def test_order_by_name_and_pages(logs, group):
    names = [f"s{i:02d}" for i in range(7)]
    for name in reversed(names):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    logs.create_log_stream(logGroupName=group, logStreamName="other")

    def all_pages(**kwargs):
        seen, token = [], None
        while True:
            page = logs.describe_log_streams(
                logGroupName=group, limit=3, **kwargs, **({"nextToken": token} if token else {})
            )
            seen += [s["logStreamName"] for s in page["logStreams"]]
            token = page.get("nextToken")
            if not token:
                return seen

    assert all_pages(logStreamNamePrefix="s") == names
    assert all_pages(logStreamNamePrefix="s", descending=True) == names[::-1]
    assert all_pages() == sorted(["other", *names])


def test_order_by_last_event_time(logs, group):
    now = put(logs, group, "late", ["x"])
    put(logs, group, "early", ["x"], start=now - 5000)
    put(logs, group, "middle", ["x"], start=now - 2000)
    ordered = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime")["logStreams"]
    assert [s["logStreamName"] for s in ordered] == ["early", "middle", "late"]
    newest_first = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, limit=2)
    assert [s["logStreamName"] for s in newest_first["logStreams"]] == ["late", "middle"]
    rest = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True, nextToken=newest_first["nextToken"]
    )
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["early"]
    assert error_of(
        logs.describe_log_streams, logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="e"
    ) == ("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.", 400)


def test_bad_token(logs, group):
    assert error_of(logs.describe_log_streams, logGroupName=group, nextToken="not a token") == invalid(
        "The specified nextToken is invalid."
    )


def test_group_by_identifier(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="one")
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    for identifier in (group, arn):
        streams = logs.describe_log_streams(logGroupIdentifier=identifier)["logStreams"]
        assert [s["logStreamName"] for s in streams] == ["one"]
    assert error_of(logs.describe_log_streams, logGroupName=group, logGroupIdentifier=arn) == (
        "ValidationException",
        "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        400,
    )
    other_account = arn.replace("000000000000", "999999999999")
    assert error_of(logs.describe_log_streams, logGroupIdentifier=other_account) == GROUP_NOT_FOUND
