"""
Who may do what to a function.

An account does what it likes with its own functions (RustStack has no IAM
identity policies to consult). Another account, or an AWS service invoking
for one of its resources, gets only what the function's resource-based
policy allows it; and another account only through the APIs Lambda shares
across accounts, whatever the policy says ("Granting function access to
other accounts", Lambda developer guide). Anything else is AWS's 403
C{AccessDeniedException}; a missing function of another account is denied
too, so that no account learns which functions another one has.
"""

from __future__ import annotations

import json

from ruststack.aws.errors import AwsError
from ruststack.awslambda import names, policy_match
from ruststack.awslambda.functions import LambdaFunction, not_found
from ruststack.awslambda.names import FunctionRef
from ruststack.awslambda.policy_match import Requester
from ruststack.awslambda.store import FunctionStore

# The IAM action of Invoke (and of the deprecated InvokeAsync); every other
# operation's action is its own name ("Resources and conditions for Lambda
# actions", Lambda developer guide).
INVOKE = "lambda:InvokeFunction"

# "Cross-account APIs" (Lambda developer guide, "Using resource-based
# policies for Lambda"): what a resource policy can open to another account.
CROSS_ACCOUNT_ACTIONS = frozenset(
    f"lambda:{name}"
    for name in (
        "InvokeFunction GetFunction GetFunctionConfiguration UpdateFunctionCode DeleteFunction PublishVersion"
        " ListVersionsByFunction CreateAlias GetAlias ListAliases UpdateAlias DeleteAlias GetPolicy"
        " PutFunctionConcurrency DeleteFunctionConcurrency ListTags TagResource UntagResource"
    ).split()
)


class AccessDenied(AwsError):
    """
    The 403 AWS's authorization layer answers with: its body carries only
    C{Message} (not the C{Type} / C{message} of Lambda's own errors).
    """

    def to_rest_json(self) -> bytes:
        return json.dumps({"Message": self.message}).encode("utf-8")


def access_denied(requester: Requester, action: str, resource: str) -> AccessDenied:
    return AccessDenied(
        "AccessDeniedException",
        f"User: {requester.name} is not authorized to perform: {action} on resource: {resource}"
        f" because no resource-based policy allows the {action} action",
        403,
    )


def permitted(requester: Requester, action: str, ref: FunctionRef, function: LambdaFunction | None) -> bool:
    """
    Whether C{requester} may perform C{action} on the function C{ref} names
    (C{function}, or C{None} when there is none).
    """
    own = ref.account == requester.account
    if requester.service is None and own:
        return True
    if requester.service is None and action not in CROSS_ACCOUNT_ACTIONS:
        return False
    if function is None:
        # A service may learn that its own account's function is missing.
        return requester.service is not None and own
    return policy_match.allows(function.policy, requester, action, function.arn)


def find_function(
    store: FunctionStore,
    requester: Requester,
    region: str,
    name: str,
    action: str,
    qualifier: str | None = None,
) -> LambdaFunction:
    """
    The function C{name} (any of its forms; a bare name is in the
    requester's account and C{region}), if C{requester} may perform
    C{action} on it; raise L{AccessDenied}, or C{ResourceNotFoundException}
    for a function the requester could act on but that is not there (only
    C{$LATEST} has a qualifier here).
    """
    ref = names.parse(name, requester.account, region, qualifier)
    function = store.get(ref.account, ref.region, ref.name)
    if not permitted(requester, action, ref, function):
        raise access_denied(requester, action, ref.arn)
    if function is None or ref.qualifier not in (None, "$LATEST"):
        raise not_found(ref.arn)
    return function


def check_creation(requester: Requester, ref: FunctionRef) -> None:
    """
    CreateFunction names a function in the caller's own account only (no
    policy exists yet that could open another's).
    """
    if ref.account != requester.account:
        raise access_denied(requester, "lambda:CreateFunction", ref.arn)
