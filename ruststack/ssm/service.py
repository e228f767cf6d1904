"""
The SSM service object: what the edge renders (Parameter Store's operations
on the service contract) and what other services read parameters through
(L{IParameters}).
"""

from __future__ import annotations

from typing import Any

from twisted.application import service
from zope.interface import implementer

from ruststack.aws import errors
from ruststack.interfaces import IAwsService, IParameters
from ruststack.service_resource import ServiceResource, StoredService
from ruststack.ssm import names, operations
from ruststack.ssm.patterns import PatternChecker
from ruststack.ssm.store import ParameterStore


@implementer(IAwsService, IParameters)
class SsmService(StoredService, service.Service):
    """
    SSM Parameter Store of one RustStack.
    """

    name = "ssm"  # type: ignore[assignment]  # Service declares None

    def __init__(self, store: ParameterStore, reactor: Any) -> None:
        self.store = store
        context = operations.context_of(store, reactor, PatternChecker(reactor))
        self.resource = ServiceResource(operations.PROTOCOL, operations.HANDLERS, context)

    def stopService(self) -> None:
        super().stopService()
        self.store.close()

    # IParameters

    def value(self, account: str, region: str, name: str) -> str | None:
        try:
            reference = names.parse_reference(name, account, region)
        except errors.AwsError:
            return None
        parameter = None if reference.foreign else self.store.find(account, region, reference.key)
        if parameter is None:
            return None
        version = parameter.select(reference.version, reference.label)
        return version.value if version is not None else None


def make_service(context: Any) -> SsmService:
    """
    The SSM service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    return SsmService(ParameterStore(context.state_dir("ssm")), context.reactor)
