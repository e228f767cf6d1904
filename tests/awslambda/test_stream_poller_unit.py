"""
The stream poller on a clock, against a stream and a function of the test's
own: the batching window, retries and their back-off, the record age limit,
bisection, and the filter matcher's properties (hypothesis).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet import task

from ruststack.aws.errors import AwsError
from ruststack.awslambda import filters
from ruststack.awslambda.event_sources import EventSourceMapping
from ruststack.awslambda.stream_poller import Outcome, StreamPoller
from ruststack.events import patterns

STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"


class FakeStream:
    """
    One open shard whose records the test appends.
    """

    def __init__(self, clock: task.Clock) -> None:
        self.clock = clock
        self.records: list[dict[str, Any]] = []

    def add(self, key: str, bad: bool = False) -> None:
        image = {"id": {"S": key}, **({"bad": {"BOOL": True}} if bad else {})}
        number = str(100 + len(self.records))
        self.records.append(
            {
                "eventID": f"e{number}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": self.clock.seconds(),
                    "Keys": {"id": {"S": key}},
                    "NewImage": image,
                    "SequenceNumber": number,
                    "SizeBytes": 10,
                    "StreamViewType": "NEW_IMAGE",
                },
            }
        )

    async def __call__(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "DescribeStream":
            return {"StreamDescription": {"Shards": [{"ShardId": "shardId-1"}]}}
        if operation == "GetShardIterator":
            kind = params["ShardIteratorType"]
            if kind == "AFTER_SEQUENCE_NUMBER":
                start = int(params["SequenceNumber"]) - 99
            else:
                start = len(self.records) if kind == "LATEST" else 0
            return {"ShardIterator": str(start)}
        start = int(params["ShardIterator"])
        got = self.records[start : start + params["Limit"]]
        return {"Records": got, "NextShardIterator": str(start + len(got))}


class FakeFunction:
    def __init__(self, fails=lambda records: False) -> None:
        self.batches: list[list[str]] = []
        self.failures: list[dict[str, Any]] = []
        self.fails = fails
        self.unavailable = 0

    async def invoke(self, mapping: Any, payload: bytes) -> Outcome:
        if self.unavailable:
            self.unavailable -= 1
            raise AwsError("TooManyRequestsException", "Rate exceeded", 429)
        records = json.loads(payload)["Records"]
        self.batches.append([r["dynamodb"]["Keys"]["id"]["S"] for r in records])
        error = "Unhandled" if self.fails(records) else None
        return Outcome(b"{}", error, f"request-{len(self.batches)}")

    def send_failure(self, mapping: Any, record: dict[str, Any]) -> None:
        self.failures.append(record)


def _poller(clock: task.Clock, stream: FakeStream, function: FakeFunction, **settings: Any) -> StreamPoller:
    mapping = EventSourceMapping(
        uuid="u",
        account="000000000000",
        region="us-east-1",
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
        event_source_arn=STREAM,
        starting_position="TRIM_HORIZON",
        **settings,
    )
    poller = StreamPoller(mapping, stream, function, clock, poll_interval=0.05)
    poller.start()
    return poller


def _run(clock: task.Clock, seconds: float, step: float = 0.05) -> None:
    for _ in range(round(seconds / step)):
        clock.advance(step)


def test_the_window_gathers_a_batch_until_it_is_full_or_over():
    clock = task.Clock()
    stream, function = FakeStream(clock), FakeFunction()
    poller = _poller(clock, stream, function, batch_size=3, batching_window=5)
    stream.add("a")
    _run(clock, 1)
    stream.add("b")
    _run(clock, 3.9)
    assert function.batches == []
    _run(clock, 0.2)
    assert function.batches == [["a", "b"]]
    for key in "cde":
        stream.add(key)
    _run(clock, 0.2)
    assert function.batches == [["a", "b"], ["c", "d", "e"]]  # full: no waiting
    assert poller.mapping.positions == {"shardId-1": "104"}
    poller.stop()


def test_retries_back_off_and_end_at_the_destination():
    clock = task.Clock()
    stream, function = FakeStream(clock), FakeFunction(fails=lambda records: True)
    poller = _poller(clock, stream, function, maximum_retries=3, on_failure="arn:...:function:dlq")
    stream.add("a")
    _run(clock, 0.1)
    assert function.batches == [["a"]]
    # 0.1, 0.2, 0.4 s between attempts.
    _run(clock, 0.1)
    assert len(function.batches) == 2
    _run(clock, 0.2)
    assert len(function.batches) == 3
    _run(clock, 0.35)
    assert len(function.batches) == 3
    _run(clock, 0.1)
    assert len(function.batches) == 4
    (failure,) = function.failures
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 4
    assert failure["requestContext"]["requestId"] == "request-4"
    stream.add("b")
    _run(clock, 0.2)
    assert function.batches[-1] == ["b"]  # the shard moved on
    poller.stop()


def test_records_older_than_the_limit_are_discarded():
    clock = task.Clock()
    clock.advance(1000)
    stream, function = FakeStream(clock), FakeFunction(fails=lambda records: True)
    poller = _poller(clock, stream, function, maximum_record_age=60, on_failure="arn:...:function:dlq")
    stream.add("old")
    _run(clock, 59.9, step=0.1)
    assert function.failures == []
    _run(clock, 3, step=0.1)
    (failure,) = function.failures
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    poller.stop()


def test_throttled_invocations_are_retried_without_counting():
    clock = task.Clock()
    stream, function = FakeStream(clock), FakeFunction()
    function.unavailable = 3
    poller = _poller(clock, stream, function, maximum_retries=0)
    stream.add("a")
    _run(clock, 2)
    assert function.batches == [["a"]] and function.failures == []
    poller.stop()


def test_bisection_isolates_the_failing_record():
    clock = task.Clock()
    stream, function = (
        FakeStream(clock),
        FakeFunction(fails=lambda rs: any("bad" in r["dynamodb"]["NewImage"] for r in rs)),
    )
    poller = _poller(
        clock, stream, function, batch_size=4, batching_window=1, bisect=True, maximum_retries=0, on_failure="x"
    )
    for key in "abcd":
        stream.add(key, bad=key == "c")
    _run(clock, 1.2)
    assert function.batches == [["a", "b", "c", "d"], ["a", "b"], ["c", "d"], ["c"], ["d"]]
    assert [f["DDBStreamBatchInfo"]["startSequenceNumber"] for f in function.failures] == ["102"]
    poller.stop()


def test_stopping_ends_the_poller():
    clock = task.Clock()
    stream, function = FakeStream(clock), FakeFunction()
    poller = _poller(clock, stream, function)
    stopped = poller.stop()
    _run(clock, 0.1)
    assert stopped.called
    stream.add("a")
    _run(clock, 1)
    assert function.batches == []


# The matcher


def test_filter_matching_examples():
    record = {
        "eventName": "INSERT",
        "dynamodb": {"NewImage": {"status": {"S": "active"}, "n": {"N": "5"}}, "Keys": {"id": {"S": "a1"}}},
        "tags": ["x", "y"],
        "count": 7,
        "ip": "10.0.0.5",
    }
    yes = [
        {"eventName": ["INSERT", "MODIFY"]},
        {"dynamodb": {"NewImage": {"status": {"S": [{"prefix": "act"}]}}}},
        {"dynamodb": {"Keys": {"id": {"S": [{"suffix": "1"}]}}}},
        {"dynamodb": {"NewImage": {"status": {"S": [{"equals-ignore-case": "ACTIVE"}]}}}},
        {"dynamodb": {"NewImage": {"status": {"S": [{"wildcard": "a*e"}]}}}},
        {"eventName": [{"anything-but": ["REMOVE"]}]},
        {"dynamodb": {"NewImage": {"gone": [{"exists": False}]}}},
        {"tags": ["y"]},
        {"count": [{"numeric": [">", 5, "<=", 7]}]},
        {"ip": [{"cidr": "10.0.0.0/24"}]},
        {"$or": [{"eventName": ["REMOVE"]}, {"count": [7]}]},
    ]
    no = [
        {"eventName": ["REMOVE"]},
        {"dynamodb": {"NewImage": {"status": {"S": [{"prefix": "inact"}]}}}},
        {"missing": [{"exists": True}]},
        {"count": [{"numeric": ["<", 7]}]},
        {"eventName": [{"anything-but": {"prefix": "INS"}}]},
        {"ip": [{"cidr": "10.1.0.0/16"}]},
    ]
    for pattern in yes:
        assert filters.matches(patterns.check(json.dumps(pattern)), record), pattern
    for pattern in no:
        assert not filters.matches(patterns.check(json.dumps(pattern)), record), pattern


def test_bad_filter_criteria_get_lambdas_error():
    bad: list[dict[str, Any]] = [
        {"Filters": [{"Pattern": "{"}]},
        {"Filters": [{"Pattern": '{"a": 1}'}]},
        {"Filters": [{}]},
    ]
    for criteria in bad:
        try:
            filters.read(criteria)
        except AwsError as error:
            assert (error.code, error.message) == (
                "InvalidParameterValueException",
                "Invalid filter pattern definition.",
            )
        else:
            raise AssertionError(criteria)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=4), documents, max_size=4), documents)
def test_any_pattern_is_checked_or_refused_and_matching_never_fails(pattern, record):
    try:
        checked = filters.read({"Filters": [{"Pattern": json.dumps(pattern)}]})
    except AwsError as error:
        assert error.code == "InvalidParameterValueException"
        return
    assert filters.accepts(checked, record) in (True, False)


def _exact(value: Any) -> Any:
    # The pattern that names every leaf of a record by its exact value.
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items() if not (isinstance(item, (dict, list)) and not item)}
    return [value]


leaves = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8))
records = st.recursive(
    st.dictionaries(st.text(min_size=1, max_size=4).filter(lambda k: k != "$or"), leaves, min_size=1, max_size=3),
    lambda children: st.dictionaries(
        st.text(min_size=1, max_size=4).filter(lambda k: k != "$or"),
        st.one_of(leaves, children),
        min_size=1,
        max_size=3,
    ),
    max_leaves=10,
)


@given(records)
def test_a_record_matches_the_pattern_of_its_own_values(record):
    pattern = _exact(record)
    if not pattern:
        return
    checked = filters.read({"Filters": [{"Pattern": json.dumps(pattern)}]})
    assert filters.accepts(checked, record)
