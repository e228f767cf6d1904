"""
The queues of asynchronous invocations, driven by L{task.Clock}: retries
one and two minutes after function errors, throttles backed off from 1 s to
5 minutes, the event age, and the outcome each event ends with.
"""

from __future__ import annotations

from typing import Any

import attrs
from twisted.internet import defer, task

from ruststack.aws.errors import AwsError
from ruststack.awslambda import destinations
from ruststack.awslambda.async_invocations import AsyncInvocations, PendingEvent
from ruststack.awslambda.event_invoke_config import AsyncPolicy
from ruststack.interfaces import InvokeResult
from tests.awslambda import functions

OK = InvokeResult(200, b'"done"')
FAILED = InvokeResult(200, b'{"errorMessage": "no"}', "Unhandled")
THROTTLED = AwsError("TooManyRequestsException", "Rate Exceeded.", 429)


@attrs.define
class ScriptedRunner:
    """
    Answers each attempt with the next of C{answers} (an L{InvokeResult},
    an L{AwsError} to raise, or a Deferred to wait for); records when each
    attempt started and how each event ended.
    """

    clock: task.Clock
    answers: list[Any]
    policy_: AsyncPolicy = AsyncPolicy()
    attempts: list[tuple[float, str]] = attrs.field(factory=list)
    outcomes: list[tuple[float, str, str, int]] = attrs.field(factory=list)
    present: bool = True

    def exists(self, function) -> bool:
        return self.present

    async def run_event(self, event: PendingEvent) -> InvokeResult:
        self.attempts.append((self.clock.seconds(), event.request_id))
        answer = self.answers.pop(0)
        if isinstance(answer, defer.Deferred):
            answer = await answer
        if isinstance(answer, AwsError):
            raise answer
        return answer

    def policy(self, event: PendingEvent) -> AsyncPolicy:
        return self.policy_

    def finished(self, event: PendingEvent, condition: str) -> None:
        self.outcomes.append((self.clock.seconds(), event.request_id, condition, event.attempts))


def _queues(
    answers: list[Any], scale: float = 1.0, **policy: Any
) -> tuple[task.Clock, ScriptedRunner, AsyncInvocations]:
    clock = task.Clock()
    runner = ScriptedRunner(clock, answers, AsyncPolicy(**policy))
    return clock, runner, AsyncInvocations(clock, runner, scale)


FUNCTION = functions.stored("us-east-1")


def test_a_success_runs_once():
    clock, runner, queues = _queues([OK])
    queues.enqueue(FUNCTION, b"{}", "r1")
    assert runner.attempts == [(0, "r1")]
    assert runner.outcomes == [(0, "r1", destinations.SUCCESS, 1)]
    assert queues.pending == 0


def test_function_errors_are_retried_after_one_then_two_minutes():
    clock, runner, queues = _queues([FAILED, FAILED, FAILED])
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.advance(59.9)
    assert len(runner.attempts) == 1
    clock.advance(0.1)
    assert [when for when, _ in runner.attempts] == [0, 60]
    clock.advance(119.9)
    assert len(runner.attempts) == 2
    clock.advance(0.1)
    assert [when for when, _ in runner.attempts] == [0, 60, 180]
    assert runner.outcomes == [(180, "r1", destinations.RETRIES_EXHAUSTED, 3)]
    assert queues.pending == 0 and clock.getDelayedCalls() == []


def test_a_retry_that_succeeds_is_a_success():
    clock, runner, queues = _queues([FAILED, OK])
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.advance(60)
    assert runner.outcomes == [(60, "r1", destinations.SUCCESS, 2)]


def test_maximum_retry_attempts():
    clock, runner, queues = _queues([FAILED, FAILED], retries=1)
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.advance(60)
    assert runner.outcomes == [(60, "r1", destinations.RETRIES_EXHAUSTED, 2)]
    clock, runner, queues = _queues([FAILED], retries=0)
    queues.enqueue(FUNCTION, b"{}", "r1")
    assert runner.outcomes == [(0, "r1", destinations.RETRIES_EXHAUSTED, 1)]


def test_other_events_run_while_one_waits_for_its_retry():
    clock, runner, queues = _queues([FAILED, OK, OK])
    queues.enqueue(FUNCTION, b"{}", "r1")
    queues.enqueue(FUNCTION, b"{}", "r2")
    assert runner.attempts == [(0, "r1"), (0, "r2")]
    clock.advance(60)
    assert runner.attempts[-1] == (60, "r1")


def test_events_of_a_function_run_one_at_a_time_in_order():
    first: defer.Deferred = defer.Deferred()
    clock, runner, queues = _queues([first, OK])
    queues.enqueue(FUNCTION, b"{}", "r1")
    queues.enqueue(FUNCTION, b"{}", "r2")
    assert runner.attempts == [(0, "r1")]
    clock.advance(5)
    first.callback(OK)
    assert runner.attempts == [(0, "r1"), (5, "r2")]


def test_throttles_back_off_exponentially_up_to_five_minutes_and_keep_the_order():
    clock, runner, queues = _queues([THROTTLED] * 12 + [OK, OK])
    queues.enqueue(FUNCTION, b"{}", "r1")
    queues.enqueue(FUNCTION, b"{}", "r2")
    clock.pump([1] * 3000)
    starts = [when for when, request_id in runner.attempts if request_id == "r1"]
    waits = [round(b - a) for a, b in zip(starts, starts[1:], strict=False)]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    # r2 waited behind r1, as the throttled event went back to the head of the queue.
    assert [request_id for _, request_id in runner.attempts][-2:] == ["r1", "r2"]
    assert [outcome[2] for outcome in runner.outcomes] == [destinations.SUCCESS] * 2


def test_an_event_older_than_its_maximum_age_is_not_run_again():
    clock, runner, queues = _queues([FAILED, FAILED], max_age=90)
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.advance(60)
    assert len(runner.attempts) == 2
    # The second retry would be at 180 s: the event is discarded at 90 s instead.
    clock.advance(29.9)
    assert runner.outcomes == []
    clock.advance(0.1)
    assert runner.outcomes == [(90, "r1", destinations.EVENT_AGE_EXCEEDED, 2)]
    assert clock.getDelayedCalls() == []


def test_a_throttled_event_ages_out():
    clock, runner, queues = _queues([THROTTLED] * 100, max_age=60)
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.pump([1] * 100)
    assert runner.outcomes == [(60, "r1", destinations.EVENT_AGE_EXCEEDED, 0)]


def test_other_errors_drop_the_event():
    clock, runner, queues = _queues([AwsError("ResourceConflictException", "Failed", 409)])
    queues.enqueue(FUNCTION, b"{}", "r1")
    assert runner.outcomes == [] and queues.pending == 0


def test_system_errors_are_retried_as_throttles():
    clock, runner, queues = _queues([AwsError("ServiceException", "engine down", 500), OK])
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.advance(1)
    assert runner.outcomes == [(1, "r1", destinations.SUCCESS, 1)]


def test_the_scale_shortens_every_delay_and_age():
    clock, runner, queues = _queues([FAILED, FAILED, FAILED], scale=0.01)
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.advance(0.6)
    clock.advance(1.2)
    assert [round(when, 6) for when, _ in runner.attempts] == [0, 0.6, 1.8]
    clock, runner, queues = _queues([FAILED, FAILED], scale=0.01, max_age=60)
    queues.enqueue(FUNCTION, b"{}", "r1")
    clock.advance(0.6)
    assert runner.outcomes == [(0.6, "r1", destinations.EVENT_AGE_EXCEEDED, 1)]


def test_an_event_of_a_deleted_function_ends_quietly():
    clock, runner, queues = _queues([FAILED])
    queues.enqueue(FUNCTION, b"{}", "r1")
    runner.present = False
    clock.advance(60)
    assert runner.outcomes == [] and len(runner.attempts) == 1


def test_clear_forgets_waiting_and_running_events():
    running: defer.Deferred = defer.Deferred()
    clock, runner, queues = _queues([FAILED, running, FAILED])
    queues.enqueue(FUNCTION, b"{}", "r1")
    queues.enqueue(FUNCTION, b"{}", "r2")
    queues.clear()
    assert clock.getDelayedCalls() == [] and queues.pending == 0
    running.callback(FAILED)
    clock.advance(600)
    assert runner.outcomes == [] and [request_id for _, request_id in runner.attempts] == ["r1", "r2"]


def test_the_record_arn_and_qualifier():
    clock, runner, queues = _queues([OK, OK])
    unqualified = queues.enqueue(FUNCTION, b"{}", "r1")
    assert unqualified.qualifier is None and unqualified.record_arn == f"{FUNCTION.arn}:$LATEST"
    alias = queues.enqueue(FUNCTION, b"{}", "r2", f"{FUNCTION.arn}:live")
    assert alias.qualifier == "live" and alias.record_arn == f"{FUNCTION.arn}:live"


def test_the_record_as_aws_documents_it():
    record = destinations.record("id", "arn:x:$LATEST", "RetriesExhausted", 3, b'{"a": 1}', FAILED, 1573755365.568)
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {
            "requestId": "id",
            "functionArn": "arn:x:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"a": 1},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "no"},
    }
    never_ran = destinations.record("id", "arn:x:1", "EventAgeExceeded", 0, b"", None, 0)
    assert "responseContext" not in never_ran and never_ran["requestPayload"] == {}
