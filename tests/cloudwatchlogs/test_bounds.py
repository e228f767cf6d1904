"""
--logs-max-mib: an account past its bound loses its oldest events first,
and keeps the newest; another account keeps all of its own.
"""

from __future__ import annotations

from ruststack.testing import RustStackProcess
from tests.cloudwatchlogs.conftest import now_ms, put


def test_the_oldest_events_go_first(tmp_path):
    process = RustStackProcess.start("--services", "logs", "--logs-max-mib", "1")
    try:
        logs = process.client("logs")
        other = process.client("logs", aws_access_key_id="222222222222", aws_secret_access_key="x")
        logs.create_log_group(logGroupName="/big")
        other.create_log_group(logGroupName="/small")
        put(other, "/small", "s", ["kept"] * 10)
        start = now_ms() - 60_000
        line = "x" * 1000
        for batch in range(3):  # 3 x 800 events of about 1 KB: past 1 MiB
            put(logs, "/big", "s", [f"{batch}:{i}:{line}" for i in range(800)], start=start + batch * 1000)
        events = logs.get_log_events(logGroupName="/big", logStreamName="s", startFromHead=True)["events"]
        kept = len(events)
        total = sum(len(e["message"]) for e in events)
        assert kept < 2400 and total <= 1024 * 1024
        # The newest are all there; the missing ones are the oldest.
        assert events[-1]["message"].startswith("2:799:")
        assert events[0]["message"].split(":")[:2] != ["0", "0"]
        numbers = [tuple(map(int, e["message"].split(":")[:2])) for e in events]
        assert numbers == sorted(numbers) and numbers[-800:] == [(2, i) for i in range(800)]
        assert len(other.filter_log_events(logGroupName="/small")["events"]) == 10
    finally:
        process.stop()
