"""
What every CloudFormation handler works with: the protocol, the call (the
caller's account and region, the store, the engine), AWS's errors and pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from twisted.internet import defer
from twisted.logger import Logger

from ruststack.aws.errors import AwsError
from ruststack.cloudformation.model import ChangeSet, Stack
from ruststack.cloudformation.stacks import Engine
from ruststack.cloudformation.store import StackStore
from ruststack.protocol import Protocol

PROTOCOL = Protocol.for_service("cloudformation")
log = Logger()

_PAGE = 100


def validation(message: str) -> AwsError:
    return PROTOCOL.modeled_error("ValidationError", message)


@attrs.define
class Service:
    """
    What the handlers share: the store, the engine, and how to read S3 and
    SSM as an account.
    """

    store: StackStore
    engine: Engine
    reactor: Any
    running: list[defer.Deferred] = attrs.field(factory=list)

    def now(self) -> float:
        return self.reactor.seconds()

    def start(self, work: Any) -> None:
        """
        Run C{work} (a coroutine) once the call that asked for it has been
        answered.
        """
        d: defer.Deferred = defer.Deferred()
        d.addCallback(lambda _: defer.ensureDeferred(work))
        d.addErrback(lambda f: log.failure("CloudFormation: a stack operation failed", f))
        d.addBoth(lambda _: self.running.remove(d) if d in self.running else None)
        self.running.append(d)
        self.reactor.callLater(0, d.callback, None)


@attrs.frozen
class Call:
    service: Service
    account: str
    region: str

    @property
    def store(self) -> StackStore:
        return self.service.store

    def stack(self, name: str) -> Stack:
        found = self.store.find(self.account, self.region, name)
        if found is None:
            raise validation(f"Stack with id {name} does not exist")
        return found

    async def aws(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self.service.engine.call(self.account, self.region, service, operation, params)

    def change_set(self, name: str, stack_name: str | None) -> ChangeSet:
        """
        A change set by ARN, or by name and stack; AWS's errors otherwise.
        """
        if not name.startswith("arn:") and not stack_name:
            raise validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
        found = self.store.find_change_set(self.account, self.region, name, stack_name)
        if found is None:
            raise PROTOCOL.modeled_error("ChangeSetNotFoundException", f"ChangeSet [{name}] does not exist")
        return found


def paged(items: list[Any], token: str | None) -> tuple[list[Any], str | None]:
    start = 0
    if token:
        try:
            start = int(token)
        except ValueError:
            raise validation("Invalid NextToken") from None
    page = items[start : start + _PAGE]
    following = str(start + _PAGE) if start + _PAGE < len(items) else None
    return page, following
