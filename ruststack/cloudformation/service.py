"""
The CloudFormation service: one leaf resource on the service contract; the
resources of its stacks are made through the other services' APIs over the
edge, signed with a session of the stack's own account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twisted.application import service
from twisted.internet import threads
from twisted.logger import Logger
from zope.interface import implementer

from ruststack.aws import errors
from ruststack.aws.client import AwsClient, ServiceSessions
from ruststack.cloudformation import serverless
from ruststack.cloudformation.calls import PROTOCOL, Call, Service
from ruststack.cloudformation.custom import CustomResources
from ruststack.cloudformation.operations import HANDLERS
from ruststack.cloudformation.stacks import Engine
from ruststack.cloudformation.store import StackStore
from ruststack.interfaces import IAwsService
from ruststack.service_resource import ServiceResource, StoredService

log = Logger()

# The role CloudFormation's calls act as in each account (a session of it:
# arn:aws:sts::<account>:assumed-role/RustStackCloudFormation/CloudFormation).
ROLE_NAME = "RustStackCloudFormation"
SESSION_NAME = "CloudFormation"


@implementer(IAwsService)
class CloudFormationService(StoredService, service.Service):
    name = "cloudformation"

    def __init__(self, context: Any) -> None:
        self.store = StackStore(context.state_dir("cloudformation"), context.reactor)
        self.sessions = ServiceSessions(context.authenticator, ROLE_NAME, SESSION_NAME)
        self.client = AwsClient(context.edge_url, self.sessions.credentials)
        services: Mapping[str, Any] = context.services
        self.engine = Engine(
            store=self.store,
            call=self._call,
            running=lambda: frozenset(services),
            clock=context.reactor,
        )
        self.engine.custom = CustomResources(context.edge_url, self.sessions.credentials)
        self.service = Service(self.store, self.engine, context.reactor)
        self._warm = False
        self.resource = ServiceResource(PROTOCOL, HANDLERS, self._call_of)

    def _call_of(self, request: Any) -> Call:
        if not self._warm:
            # The first call (sam deploy's DescribeStacks) imports the SAM
            # translator in a thread, rather than the first transform, or
            # start-up, waiting for it.
            self._warm = True
            threads.deferToThread(serverless.warm_up).addErrback(
                lambda f: log.failure("CloudFormation: the SAM translator could not be imported", f)
            )
        return Call(self.service, request.caller.account, request.caller.region)

    def _call(self, account: str, region: str, service: str, operation: str, params: Mapping[str, Any]) -> Any:
        return self.client.call(service, operation, params, account, region)

    def stopService(self) -> None:
        super().stopService()
        self.store.flush()

    def reset(self) -> None:
        self.store.reset()
        self.sessions.clear()

    def auth_error(self, failure) -> errors.AwsError:
        return errors.query_auth_error(failure)


def make_service(context: Any) -> CloudFormationService:
    return CloudFormationService(context)
