"""
With --data-dir, log groups (retention, tags), streams and their events
survive a restart; reading on from a token taken before it works after it.
"""

from __future__ import annotations

from ruststack.testing import RustStackProcess
from tests.cloudwatchlogs.conftest import now_ms


def test_state_survives_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "logs", "--data-dir", data_dir)
    try:
        logs = first.client("logs")
        logs.create_log_group(logGroupName="/durable", tags={"k": "v"})
        logs.put_retention_policy(logGroupName="/durable", retentionInDays=30)
        logs.create_log_stream(logGroupName="/durable", logStreamName="s")
        logs.create_log_stream(logGroupName="/durable", logStreamName="empty")
        start = now_ms() - 10_000
        logs.put_log_events(
            logGroupName="/durable",
            logStreamName="s",
            logEvents=[{"timestamp": start + i, "message": f"line {i} é"} for i in range(1000)],
        )
        before = logs.filter_log_events(logGroupName="/durable", filterPattern="line", limit=10)
        page = logs.get_log_events(logGroupName="/durable", logStreamName="s", startFromHead=True, limit=500)
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "logs", "--data-dir", data_dir)
    try:
        logs = second.client("logs")
        (group,) = logs.describe_log_groups()["logGroups"]
        assert (group["logGroupName"], group["retentionInDays"]) == ("/durable", 30)
        assert logs.list_tags_log_group(logGroupName="/durable")["tags"] == {"k": "v"}
        streams = logs.describe_log_streams(logGroupName="/durable")["logStreams"]
        assert [s["logStreamName"] for s in streams] == ["empty", "s"]
        after = logs.filter_log_events(logGroupName="/durable", filterPattern="line", limit=10)
        assert after["events"] == before["events"]  # the same ids too
        rest = logs.get_log_events(logGroupName="/durable", logStreamName="s", nextToken=page["nextForwardToken"])
        assert [e["message"] for e in rest["events"]] == [f"line {i} é" for i in range(500, 1000)]
        # Ingestion goes on numbering after what was stored.
        logs.put_log_events(
            logGroupName="/durable", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "new"}]
        )
        every = logs.filter_log_events(logGroupName="/durable")["events"]
        assert len({e["eventId"] for e in every}) == 1001
    finally:
        second.stop()
