"""
What every Lambda handler gets as its first argument: the service, who
calls, and the request's id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ruststack.aws import ids
from ruststack.awslambda import access
from ruststack.awslambda.access import Target
from ruststack.awslambda.functions import LambdaFunction
from ruststack.awslambda.policy_match import Requester

if TYPE_CHECKING:
    from ruststack.awslambda.service import LambdaService


@attrs.frozen
class Call:
    """
    One control-plane request.

    @ivar request_id: the answer's C{x-amzn-RequestId}; an invocation's own
        id too (its function's C{context.aws_request_id}), as in Lambda.
    """

    service: LambdaService
    account: str
    region: str
    request_id: str

    def function(self, name: str, action: str, qualifier: str | None = None) -> LambdaFunction:
        """
        The function C{name} (any of its forms) names, if the caller may
        perform the IAM C{action} on it (L{ruststack.awslambda.access}).
        """
        return self.service.find(Requester(self.account), self.region, name, action, qualifier)

    def target(self, name: str, action: str, qualifier: str | None = None) -> Target:
        """
        The version or alias C{name} and C{qualifier} name (C{$LATEST} when
        neither qualifies it), if the caller may perform C{action} on it.
        """
        return access.find_target(self.service.store, Requester(self.account), self.region, name, action, qualifier)


def context_of(service: LambdaService) -> Callable[[Any], Call]:
    """
    The handlers' context of a twisted.web request (for L{ServiceResource}).
    """

    def context(request: Any) -> Call:
        caller = request.caller
        return Call(service, caller.account, caller.region, ids.request_id())

    return context
