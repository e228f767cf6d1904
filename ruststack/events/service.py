"""
The EventBridge service object: what the edge renders.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from ruststack.aws import errors
from ruststack.events import operations
from ruststack.events.store import RuleStore
from ruststack.interfaces import RUNNING, IAwsService, ServiceStatus
from ruststack.service_resource import ServiceResource


@implementer(IAwsService)
class EventsService:
    """
    EventBridge of one RustStack: rules are stored, never fired.
    """

    name = "events"

    def __init__(self, store: RuleStore) -> None:
        self.store = store
        self.resource = ServiceResource(operations.PROTOCOL, operations.HANDLERS, operations.context_of(store))

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.store.reset()

    def render_error(self, request, error: errors.AwsError) -> bytes:
        return self.resource.render_error(request, error)

    def auth_error(self, failure) -> errors.AwsError:
        # A JSON service that refuses signatures with 400s, as SSM does.
        return errors.json_auth_error(failure, 400)


def make_service(context: Any) -> EventsService:
    """
    The EventBridge service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    return EventsService(RuleStore(context.state_dir("events")))
