"""
The EventBridge service object: what the edge renders.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from ruststack.events import operations
from ruststack.events.store import RuleStore
from ruststack.interfaces import IAwsService
from ruststack.service_resource import ServiceResource, StoredService


@implementer(IAwsService)
class EventsService(StoredService):
    """
    EventBridge of one RustStack: rules are stored, never fired.
    """

    name = "events"

    def __init__(self, store: RuleStore) -> None:
        self.store = store
        self.resource = ServiceResource(operations.PROTOCOL, operations.HANDLERS, operations.context_of(store))


def make_service(context: Any) -> EventsService:
    """
    The EventBridge service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    return EventsService(RuleStore(context.state_dir("events")))
