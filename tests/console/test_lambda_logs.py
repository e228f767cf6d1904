"""
Reading invocations back from a function's log lines (START, END, REPORT),
as the console's Lambda pages do.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ruststack.console.lambda_logs import Report, invocations_of, parse_report

REPORT = (
    "REPORT RequestId: 8f5c1a2b-0000-4000-8000-000000000001\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 210.50 ms\t\n"
)


_SEQ = iter(range(10**6))


def event(stream: str, time: int, message: str) -> dict:
    # As FilterLogEvents gives them: its event ids order one millisecond's events.
    return {"logStreamName": stream, "timestamp": time, "message": message, "eventId": f"{time:020d}{next(_SEQ):08d}"}


def test_report_fields() -> None:
    report = parse_report(REPORT.rstrip("\n"))
    assert report == Report(
        "8f5c1a2b-0000-4000-8000-000000000001",
        duration_ms=12.34,
        billed_ms=13,
        memory_size_mb=128,
        max_memory_mb=41,
        init_ms=210.5,
    )


def test_report_status_and_error_type() -> None:
    line = "REPORT RequestId: r1\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\t"
    line += "Status: error\tError Type: Runtime.OutOfMemory\t"
    report = parse_report(line)
    assert report is not None
    assert (report.status, report.error_type, report.max_memory_mb) == ("error", "Runtime.OutOfMemory", None)


def test_not_a_report() -> None:
    assert parse_report("START RequestId: r1 Version: $LATEST") is None
    assert parse_report("a line that says REPORT RequestId: x") is None


def test_invocations_newest_first_with_their_lines() -> None:
    events = [
        event("s1", 1000, "INIT_START Runtime Version: python:3.11\n"),
        event("s1", 1001, "START RequestId: a Version: $LATEST\n"),
        event("s1", 1002, "hello from a\n"),
        event("s1", 1003, "END RequestId: a\n"),
        event("s1", 1003, "REPORT RequestId: a\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t\n"),
        event("s2", 1005, "START RequestId: b Version: 3\n"),
        event("s2", 1005, "[ERROR] ValueError: nope\rTraceback (most recent call last):\n"),
        event("s2", 1007, "END RequestId: b\n"),
        event("s2", 1007, "REPORT RequestId: b\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t\n"),
        event("s1", 1010, "START RequestId: c Version: $LATEST\n"),
    ]
    found = invocations_of(reversed(events))  # newest first, as a descending read gives them
    assert [(i.request_id, i.status, i.error) for i in found] == [
        ("c", "running", None),
        ("b", "error", "ValueError"),
        ("a", "success", None),
    ]
    a = found[2]
    assert [line for _, line in a.lines][1] == "hello from a"
    assert (a.started, a.ended, a.version, a.stream) == (1001, 1003, "$LATEST", "s1")
    assert found[1].version == "3"


def test_timeout_line() -> None:
    events = [
        event("s", 1, "START RequestId: t Version: $LATEST"),
        event("s", 3001, "2026-12-01T19:00:03.001Z t Task timed out after 3.00 seconds"),
        event("s", 3001, "END RequestId: t"),
        event("s", 3001, "REPORT RequestId: t\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tStatus: timeout\t"),
    ]
    [invocation] = invocations_of(events)
    assert (invocation.status, invocation.error) == ("timeout", "Sandbox.Timedout")


_number = st.floats(min_value=0, max_value=1e7, allow_nan=False).map(lambda f: round(f, 2))


@given(
    request_id=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
    duration=_number,
    billed=st.integers(0, 10**7),
    memory=st.integers(1, 10240),
    used=st.one_of(st.none(), st.integers(0, 10240)),
    status=st.one_of(st.none(), st.sampled_from(["timeout", "error"])),
)
def test_report_round_trip(request_id, duration, billed, memory, used, status) -> None:
    line = f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\t"
    line += f"Memory Size: {memory} MB\t"
    if used is not None:
        line += f"Max Memory Used: {used} MB\t"
    if status is not None:
        line += f"Status: {status}\t"
    report = parse_report(line)
    assert report == Report(request_id, round(duration, 2), billed, memory, used, None, status, None)


@given(st.text())
def test_any_line_parses_or_is_none(line: str) -> None:
    report = parse_report(line)
    assert report is None or line.startswith("REPORT RequestId: ")


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "logStreamName": st.sampled_from(["s1", "s2"]),
                "timestamp": st.integers(0, 50),
                "message": st.one_of(
                    st.text(max_size=30),
                    st.sampled_from(["a", "b"]).map(lambda r: f"START RequestId: {r} Version: 1"),
                    st.sampled_from(["a", "b"]).map(lambda r: f"END RequestId: {r}"),
                    st.sampled_from(["a", "b"]).map(lambda r: f"REPORT RequestId: {r}\tDuration: x ms\t"),
                ),
            }
        ),
        max_size=30,
    )
)
def test_any_events_give_invocations(events: list[dict]) -> None:
    found = invocations_of(events)
    starts = sum(1 for e in events if e["message"].startswith("START RequestId: "))
    assert len(found) == starts
    assert [i.started for i in found] == sorted((i.started for i in found), reverse=True)
    for invocation in found:
        assert invocation.status in ("success", "error", "timeout", "running")
