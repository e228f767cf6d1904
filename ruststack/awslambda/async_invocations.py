"""
Asynchronous invocations (Invoke with C{InvocationType=Event}, InvokeAsync)
as Lambda runs them ("How Lambda handles errors and retries with
asynchronous invocation", Lambda developer guide):

- each function (version) has its queue; its events run one at a time in
  order of arrival;
- a function error (the handler raised, timed out, its runtime exited) is
  retried C{MaximumRetryAttempts} times (2 by default), one minute after the
  first attempt and two minutes after the second; meanwhile the queue's
  other events run;
- a throttled attempt (C{TooManyRequestsException}) or a system error (5xx)
  holds its queue: it is retried after 1 s, then twice as long each time up
  to 5 minutes;
- an event older than C{MaximumEventAgeInSeconds} (6 hours by default) is
  not run again;
- the outcome (C{Success}, C{RetriesExhausted}, C{EventAgeExceeded}) goes to
  the configured destination (L{ruststack.awslambda.destinations}).

Every delay is the reactor's (C{callLater}), so a test drives it with
L{twisted.internet.task.Clock}; C{--lambda-async-time-scale} (for tests)
multiplies delays and ages so that a real RustStack retries in milliseconds.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs
from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

from ruststack.aws.errors import AwsError
from ruststack.awslambda import destinations, event_invoke_config, names
from ruststack.awslambda.event_invoke_config import AsyncPolicy
from ruststack.awslambda.functions import LambdaFunction
from ruststack.interfaces import InvokeResult

log = Logger()

# Seconds before the first and the second retry of a function error.
RETRY_DELAYS = (60.0, 120.0)
# Throttles and system errors: the first wait, and the longest.
THROTTLE_DELAY = 1.0
THROTTLE_MAX_DELAY = 300.0


@attrs.define(eq=False)
class PendingEvent:
    """
    One event in a queue.

    @ivar function: the version that runs it (an alias's is drawn when the
        event is queued).
    @ivar invoked_arn: the ARN it was invoked by (an alias's, a version's,
        or the unqualified function's).
    @ivar attempts: invocations made so far (the record's
        C{approximateInvokeCount}).
    """

    request_id: str
    function: LambdaFunction
    invoked_arn: str
    payload: bytes
    enqueued: float
    attempts: int = 0
    throttles: int = 0
    result: InvokeResult | None = None
    epoch: int = 0

    @property
    def qualifier(self) -> str | None:
        """
        The qualifier invoked (C{None}: unqualified), whose event invoke
        configuration applies.
        """
        return names.parse(self.invoked_arn, "", "").qualifier

    @property
    def record_arn(self) -> str:
        # The record names the qualified ARN ($LATEST when invoked unqualified).
        return self.invoked_arn if self.qualifier else f"{self.invoked_arn}:$LATEST"


class Runner(Protocol):
    """
    What the queues need of the Lambda service.
    """

    def exists(self, function: LambdaFunction) -> bool: ...

    def run_event(self, event: PendingEvent) -> Awaitable[InvokeResult]: ...

    def policy(self, event: PendingEvent) -> AsyncPolicy: ...

    def finished(self, event: PendingEvent, condition: str) -> None: ...


def retried_as_throttle(error: AwsError) -> bool:
    """
    Whether an attempt that failed with C{error} goes back to the queue
    (throttles and system errors) rather than being dropped.
    """
    return error.code == "TooManyRequestsException" or error.status >= 500


class AsyncInvocations:
    """
    The queues of a Lambda service's asynchronous invocations.

    @param clock: the reactor (C{seconds}, C{callLater}).
    @param scale: what every delay and event age is multiplied by.
    """

    def __init__(self, clock: Any, runner: Runner, scale: float = 1.0) -> None:
        self.clock = clock
        self.runner = runner
        self.scale = scale
        self._queues: dict[str, collections.deque[PendingEvent]] = {}
        self._draining: set[str] = set()
        self._timers: set[IDelayedCall] = set()
        self._sleeping: set[defer.Deferred] = set()
        self._epoch = 0

    def enqueue(
        self, function: LambdaFunction, payload: bytes, request_id: str | None = None, invoked_arn: str | None = None
    ) -> PendingEvent:
        """
        Queue an event for C{function} ($LATEST or a version).
        """
        event = PendingEvent(
            request_id=request_id or str(uuid.uuid4()),
            function=function,
            invoked_arn=invoked_arn or function.arn,
            payload=payload,
            enqueued=self.clock.seconds(),
            epoch=self._epoch,
        )
        self._append(event)
        return event

    @property
    def pending(self) -> int:
        """
        Events queued or waiting for a retry (not those running).
        """
        return sum(len(queue) for queue in self._queues.values()) + len(self._timers)

    def clear(self) -> None:
        """
        Forget every event: waits are cancelled, and events running now end
        with no retry and no record.
        """
        self._epoch += 1
        for woken in list(self._sleeping):
            woken.cancel()
        for timer in list(self._timers):
            if timer.active():
                timer.cancel()
        self._timers.clear()
        self._queues.clear()

    def _append(self, event: PendingEvent) -> None:
        key = event.function.arn
        queue = self._queues.setdefault(key, collections.deque())
        queue.append(event)
        if key not in self._draining:
            self._draining.add(key)
            defer.ensureDeferred(self._drain(key))

    async def _drain(self, key: str) -> None:
        try:
            while self._queues.get(key):
                event = self._queues[key].popleft()
                try:
                    await self._attempt(event)
                except defer.CancelledError:
                    return
                except Exception:
                    log.failure("Event {request_id} of {arn} failed", request_id=event.request_id, arn=key)
        finally:
            self._draining.discard(key)
            if key in self._queues and not self._queues[key]:
                del self._queues[key]

    def _later(self, delay: float, call: Callable[[], None]) -> IDelayedCall:
        def fire() -> None:
            self._timers.discard(timer)
            call()

        timer = self.clock.callLater(max(0.0, delay), fire)
        self._timers.add(timer)
        return timer

    def _deadline(self, event: PendingEvent, policy: AsyncPolicy) -> float:
        return event.enqueued + policy.max_age * self.scale

    async def _attempt(self, event: PendingEvent) -> None:
        while True:
            if event.epoch != self._epoch or not self.runner.exists(event.function):
                return
            policy = self.runner.policy(event)
            deadline = self._deadline(event, policy)
            if self.clock.seconds() >= deadline:
                self.runner.finished(event, destinations.EVENT_AGE_EXCEEDED)
                return
            try:
                result = await self.runner.run_event(event)
                break
            except AwsError as error:
                if event.epoch != self._epoch:
                    return
                if not retried_as_throttle(error):
                    log.warn(
                        "Event {request_id} of {arn} dropped: {code}: {message}",
                        request_id=event.request_id,
                        arn=event.function.arn,
                        code=error.code,
                        message=error.message,
                    )
                    return
            # Throttled: the queue waits (its other events would be throttled too), never past the event's age.
            event.throttles += 1
            delay = min(THROTTLE_DELAY * 2 ** (event.throttles - 1), THROTTLE_MAX_DELAY) * self.scale
            await self._sleep(min(delay, deadline - self.clock.seconds()))
        if event.epoch != self._epoch:
            return
        event.attempts += 1
        event.result = result
        if not result.function_error:
            self.runner.finished(event, destinations.SUCCESS)
            return
        if event.attempts > policy.retries:
            self.runner.finished(event, destinations.RETRIES_EXHAUSTED)
            return
        delay = RETRY_DELAYS[min(event.attempts, len(RETRY_DELAYS)) - 1] * self.scale
        log.info(
            "Event {request_id} of {arn} failed ({error}); retry {attempt} in {delay:.3f} s",
            request_id=event.request_id,
            arn=event.function.arn,
            error=result.function_error,
            attempt=event.attempts,
            delay=delay,
        )
        self._wait(event, policy, delay)

    def _sleep(self, delay: float) -> defer.Deferred:
        # Cancelled by clear(): the queue's drain then ends.
        timer: IDelayedCall | None = None

        def cancel(_: defer.Deferred) -> None:
            if timer is not None and timer.active():
                timer.cancel()
                self._timers.discard(timer)

        woken: defer.Deferred = defer.Deferred(cancel)
        self._sleeping.add(woken)

        def woke(result: Any) -> Any:
            self._sleeping.discard(woken)
            return result

        woken.addBoth(woke)
        timer = self._later(delay, lambda: woken.callback(None))
        return woken

    def _wait(self, event: PendingEvent, policy: AsyncPolicy, delay: float) -> None:
        # An event never waits past its age: then it is found too old and discarded.
        now = self.clock.seconds()
        wake = min(now + delay, self._deadline(event, policy))
        self._later(wake - now, lambda: self._append(event) if event.epoch == self._epoch else None)


@attrs.frozen
class ServiceRunner:
    """
    L{Runner} over a L{ruststack.awslambda.service.LambdaService}.
    """

    service: Any

    def exists(self, function: LambdaFunction) -> bool:
        return bool(self.service.exists(function))

    async def run_event(self, event: PendingEvent) -> InvokeResult:
        result, _ = await self.service.run(
            event.function, event.payload, request_id=event.request_id, invoked_arn=event.invoked_arn
        )
        return result

    def _latest(self, event: PendingEvent) -> LambdaFunction | None:
        function = event.function
        return self.service.store.get(function.account, function.region, function.name)

    def policy(self, event: PendingEvent) -> AsyncPolicy:
        latest = self._latest(event)
        return AsyncPolicy() if latest is None else event_invoke_config.policy_for(latest, event.qualifier)

    def finished(self, event: PendingEvent, condition: str) -> None:
        policy = self.policy(event)
        if condition != destinations.SUCCESS and event.result is not None:
            log.warn(
                "Event {request_id} of {arn} discarded ({condition}): {payload}",
                request_id=event.request_id,
                arn=event.function.arn,
                condition=condition,
                payload=event.result.payload.decode("utf-8", "replace"),
            )
        elif condition != destinations.SUCCESS:
            log.warn(
                "Event {request_id} of {arn} discarded ({condition})",
                request_id=event.request_id,
                arn=event.function.arn,
                condition=condition,
            )
        target = policy.on_success if condition == destinations.SUCCESS else policy.on_failure
        if target is None:
            return
        document = destinations.record(
            event.request_id,
            event.record_arn,
            condition,
            event.attempts,
            event.payload,
            event.result,
            self.service.reactor.seconds(),
        )
        destinations.deliver(self.service, event.function, target, document)
