"""
The IAM service object: what the edge renders, and what other services ask
of roles (L{IRoles}).
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from ruststack.aws import errors
from ruststack.aws.errors import AwsError
from ruststack.aws.identity import Sessions
from ruststack.iam import control
from ruststack.iam.model import Role
from ruststack.iam.names import IamArn
from ruststack.iam.store import IamStore
from ruststack.interfaces import IAwsService, IRoles
from ruststack.service_resource import ServiceResource, StoredService


@implementer(IAwsService, IRoles)
class IamService(StoredService):
    """
    IAM of one RustStack.
    """

    name = "iam"

    def __init__(self, store: IamStore, clock: Any, sessions: Sessions | None = None) -> None:
        self.store = store
        context = control.context_of(store, clock, sessions or Sessions())
        self.resource = ServiceResource(control.PROTOCOL, control.HANDLERS, context)

    def auth_error(self, failure) -> AwsError:
        return errors.query_auth_error(failure)

    def role(self, account: str, arn: str) -> Role | None:
        """
        L{IRoles}: the role C{arn} names, if it is one of C{account}'s.
        """
        try:
            parsed = IamArn.parse(arn)
        except ValueError:
            return None
        if parsed.kind != "role" or parsed.account != account or account not in self.store.accounts:
            return None
        role = self.store.accounts[account].role(parsed.name)
        # Names ignore case, as IAM finds them; the path must be the role's.
        if role is None or role.path != parsed.path:
            return None
        return role


def make_service(context: Any) -> IamService:
    """
    The IAM service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    store = IamStore(context.reactor, context.state_dir("iam"))
    return IamService(store, context.reactor, context.authenticator.sessions)
