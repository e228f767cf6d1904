"""
Warm execution environments: reused while idle, multiplied for concurrent
invocations up to C{--lambda-concurrency} (and a function's reserved
concurrency), stopped after C{--lambda-idle-timeout}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet import defer
from twisted.logger import Logger

from ruststack.aws.errors import AwsError
from ruststack.awslambda.environment import ExecutionEnvironment, Executor, FunctionSnapshot, Invocation, Outcome

log = Logger()


def throttled(reason: str) -> AwsError:
    # botocore lambda model, TooManyRequestsException: Reason is a ThrottleReason.
    return AwsError("TooManyRequestsException", "Rate Exceeded.", 429, {"Reason": reason}, {"Retry-After": "1"})


class EnvironmentPool:
    """
    @ivar current_revision: the revision a function's environments must run
        (C{None} once the function is gone); environments of an older
        revision are stopped instead of reused.
    """

    def __init__(
        self,
        reactor: Any,
        executor: Executor,
        limit: int,
        idle_timeout: float,
        current_revision: Callable[[str], str | None],
        logs: Callable[[], Any] = lambda: None,
    ) -> None:
        self.reactor = reactor
        self.executor = executor
        self.limit = limit
        self.idle_timeout = idle_timeout
        self.current_revision = current_revision
        # The log sink new environments write to (None: no CloudWatch Logs).
        self.logs = logs
        self.environments: set[ExecutionEnvironment] = set()
        self._idle: dict[tuple[str, str, str], list[ExecutionEnvironment]] = {}
        self._idle_timers: dict[ExecutionEnvironment, Any] = {}
        self._busy: dict[str, int] = {}

    def busy(self, arn: str) -> int:
        return self._busy.get(arn, 0)

    async def invoke(self, function: FunctionSnapshot, reserved: int | None, invocation: Invocation) -> Outcome:
        # A function's reserved concurrency is shared by all its versions.
        arn = function.arn if function.version == "$LATEST" else function.arn.rpartition(":")[0]
        if reserved is not None and self.busy(arn) >= reserved:
            raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        # Counted before any await, so that concurrent cold starts see each other.
        self._busy[arn] = self.busy(arn) + 1
        try:
            environment = self._take_idle(_snapshot_key(function)) or await self._start(function)
            try:
                return await environment.invoke(invocation)
            finally:
                self._release(environment)
        finally:
            self._busy[arn] -= 1

    def retire(self, arn: str) -> None:
        """
        Stop the idle environments of a function that was updated or deleted
        (busy ones stop when their invocation ends).
        """
        current = self.current_revision(arn)
        for (function_arn, revision, _), idle in list(self._idle.items()):
            if function_arn == arn and revision != current:
                for environment in list(idle):
                    self._discard(environment)

    def stop(self) -> defer.Deferred:
        """
        Stop every environment; fires once all are gone.
        """
        for timer in self._idle_timers.values():
            if timer.active():
                timer.cancel()
        self._idle_timers.clear()
        self._idle.clear()
        return defer.DeferredList([environment.stop() for environment in list(self.environments)])

    def _take_idle(self, key: tuple[str, str, str]) -> ExecutionEnvironment | None:
        idle = self._idle.get(key)
        while idle:
            environment = idle.pop()
            timer = self._idle_timers.pop(environment, None)
            if timer is not None and timer.active():
                timer.cancel()
            if not environment.dead:
                return environment
        return None

    async def _start(self, function: FunctionSnapshot) -> ExecutionEnvironment:
        if len(self.environments) >= self.limit and not self._evict_one():
            raise throttled("ConcurrentInvocationLimitExceeded")
        environment = ExecutionEnvironment(self.reactor, function, self.executor, self.logs())
        self.environments.add(environment)
        environment.ended().addCallback(lambda _: self._forget(environment))
        await environment.start()
        return environment

    def _release(self, environment: ExecutionEnvironment) -> None:
        if environment.dead:
            return
        if self.current_revision(environment.function.arn) != environment.function.revision_id:
            self._discard(environment)
            return
        self._idle.setdefault(_key(environment), []).append(environment)
        self._idle_timers[environment] = self.reactor.callLater(self.idle_timeout, self._discard, environment)

    def _evict_one(self) -> bool:
        # The environment idle the longest makes room for a new one.
        idle = [(timer.getTime(), environment) for environment, timer in self._idle_timers.items() if timer.active()]
        if not idle:
            return False
        self._discard(min(idle, key=lambda pair: pair[0])[1])
        return True

    def _discard(self, environment: ExecutionEnvironment) -> None:
        timer = self._idle_timers.pop(environment, None)
        if timer is not None and timer.active():
            timer.cancel()
        idle = self._idle.get(_key(environment))
        if idle and environment in idle:
            idle.remove(environment)
            if not idle:
                del self._idle[_key(environment)]
        environment.stop()

    def _forget(self, environment: ExecutionEnvironment) -> None:
        self.environments.discard(environment)
        idle = self._idle.get(_key(environment))
        if idle and environment in idle:
            idle.remove(environment)
        timer = self._idle_timers.pop(environment, None)
        if timer is not None and timer.active():
            timer.cancel()


def _snapshot_key(function: FunctionSnapshot) -> tuple[str, str, str]:
    # Environments are reused for the same version (its ARN is qualified)
    # and revision with the same role credentials; renewed credentials start
    # fresh ones.
    return (function.arn, function.revision_id, function.credentials.access_key)


def _key(environment: ExecutionEnvironment) -> tuple[str, str, str]:
    return _snapshot_key(environment.function)
