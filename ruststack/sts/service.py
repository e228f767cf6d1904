"""
The STS service: one leaf resource on the service contract.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from ruststack.aws import errors
from ruststack.aws.identity import Authenticator
from ruststack.interfaces import RUNNING, IAwsService, IPublicRequests, IRoles, ServiceStatus
from ruststack.protocol.request import query_pairs
from ruststack.service_resource import ServiceResource
from ruststack.sts.operations import HANDLERS, PROTOCOL, StsCall

# Called unsigned by design: the token is the proof of identity.
_UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


@implementer(IAwsService, IPublicRequests)
class StsService:
    """
    STS of one RustStack: its temporary credentials live in the edge's
    authenticator, which accepts them.
    """

    name = "sts"

    def __init__(self, authenticator: Authenticator, services: dict[str, Any] | None = None) -> None:
        self.authenticator = authenticator
        self._services = services if services is not None else {}
        self.resource = ServiceResource(PROTOCOL, HANDLERS, self._call)

    def _call(self, request: Any) -> StsCall:
        # IAM may be built after STS: looked up per call.
        return StsCall(request.caller, self.authenticator, IRoles(self._services.get("iam"), None))

    def is_public(self, request) -> bool:
        if request.method != b"POST" or request.content is None:
            return False
        request.content.seek(0)
        form = request.content.read(64 * 1024).decode("latin-1")
        request.content.seek(0)
        try:
            # Read as the protocol layer will read it to find the operation.
            actions = [value for name, value in query_pairs(form) if name == "Action"]
        except UnicodeDecodeError:
            return False
        return len(actions) == 1 and actions[0] in _UNSIGNED_ACTIONS

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.authenticator.sessions.clear()

    def render_error(self, request, error: errors.AwsError) -> bytes:
        return self.resource.render_error(request, error)

    def auth_error(self, failure) -> errors.AwsError:
        return errors.query_auth_error(failure)


def make_service(context: Any) -> StsService:
    return StsService(context.authenticator, context.services)
