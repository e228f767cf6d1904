"""
The ECR service object: what the edge renders.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from ruststack.ecr import operations
from ruststack.ecr.store import RepositoryStore
from ruststack.interfaces import IAwsService
from ruststack.service_resource import ServiceResource, StoredService


@implementer(IAwsService)
class EcrService(StoredService):
    """
    ECR of one RustStack: repositories, no images.
    """

    name = "ecr"

    def __init__(self, store: RepositoryStore) -> None:
        self.store = store
        self.resource = ServiceResource(operations.PROTOCOL, operations.HANDLERS, operations.context_of(store))


def make_service(context: Any) -> EcrService:
    """
    The ECR service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    return EcrService(RepositoryStore(context.state_dir("ecr")))
