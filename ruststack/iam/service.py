"""
The IAM service object: what the edge renders, and what other services ask
of roles (L{IRoles}).
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from ruststack.aws.errors import SIGNATURE_MISMATCH, AwsError
from ruststack.aws.identity import AuthFailure
from ruststack.iam import control
from ruststack.iam.model import Role
from ruststack.iam.names import IamArn
from ruststack.iam.store import IamStore
from ruststack.interfaces import RUNNING, IAwsService, IRoles, ServiceStatus
from ruststack.service_resource import ServiceResource


def auth_error(failure: Any) -> AwsError:
    """
    IAM's answers to a refused signature: the query services' codes
    (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).
    """
    kind = failure.failure
    if kind is AuthFailure.UNKNOWN_KEY:
        return AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    if kind is AuthFailure.SKEWED:
        return AwsError("SignatureDoesNotMatch", failure.detail, 403)
    if kind is AuthFailure.BAD_REGION:
        region = failure.signature.scope.region if failure.signature is not None else ""
        return AwsError(
            "SignatureDoesNotMatch", f"Credential should be scoped to a valid region, not '{region}'. ", 403
        )
    if kind in (AuthFailure.BAD_SIGNATURE, AuthFailure.EXPIRED, AuthFailure.BAD_EXPIRES):
        return AwsError(
            "SignatureDoesNotMatch",
            SIGNATURE_MISMATCH
            + " Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            403,
        )
    if kind is AuthFailure.MALFORMED:
        return AwsError("IncompleteSignature", failure.detail, 400)
    return AwsError(
        "MissingAuthenticationToken",
        "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.",
        403,
    )


@implementer(IAwsService, IRoles)
class IamService:
    """
    IAM of one RustStack.
    """

    name = "iam"

    def __init__(self, store: IamStore, clock: Any) -> None:
        self.store = store
        self.resource = ServiceResource(control.PROTOCOL, control.HANDLERS, control.context_of(store, clock))

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.store.reset()

    def render_error(self, request, error: AwsError) -> bytes:
        return self.resource.render_error(request, error)

    def auth_error(self, failure) -> AwsError:
        return auth_error(failure)

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
    return IamService(IamStore(context.reactor, context.state_dir("iam")), context.reactor)
