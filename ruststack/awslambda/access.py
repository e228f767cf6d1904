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
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.awslambda import names, policy_match
from ruststack.awslambda.functions import Alias, LambdaFunction, not_found
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


@attrs.frozen
class Target:
    """
    What a function name with its qualifier names: C{$LATEST}, a published
    version, or an alias (then C{version} is the alias's main version).

    @ivar function: the function's C{$LATEST}, which holds its versions and
        aliases.
    """

    function: LambdaFunction
    version: LambdaFunction
    alias: Alias | None = None
    qualifier: str | None = None

    @property
    def arn(self) -> str:
        """
        The ARN as it was named: the alias ARN for an alias.
        """
        if self.alias is not None:
            return f"{self.function.function_arn}:{self.alias.name}"
        return self.version.arn

    @property
    def policy_owner(self) -> Any:
        """
        Whose resource policy applies: the alias's or the version's own
        (AWS keeps one per qualifier; C{$LATEST} shares the function's).
        """
        return self.alias if self.alias is not None else self.version


def permitted(
    requester: Requester,
    action: str,
    ref: FunctionRef,
    function: LambdaFunction | None,
    policy: list[dict] | None = None,
    resource: str | None = None,
) -> bool:
    """
    Whether C{requester} may perform C{action} on the function C{ref} names
    (C{function}, or C{None} when there is none); C{policy} is the resource
    policy of the qualifier named, when not the function's.
    """
    own = ref.account == requester.account
    if requester.service is None and own:
        return True
    if requester.service is None and action not in CROSS_ACCOUNT_ACTIONS:
        return False
    if function is None:
        # A service may learn that its own account's function is missing.
        return requester.service is not None and own
    if policy is None:
        return policy_match.allows(function.policy, requester, action, function.arn)
    return policy_match.allows(policy, requester, action, resource or function.arn)


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
    for a function the requester could act on but that is not there. For the
    operations that act on the function as a whole: any qualifier but
    C{$LATEST} names nothing they act on.
    """
    target = find_target(store, requester, region, name, action, qualifier)
    if target.version is not target.function:
        raise not_found(target.arn)
    return target.function


def find_target(
    store: FunctionStore,
    requester: Requester,
    region: str,
    name: str,
    action: str,
    qualifier: str | None = None,
) -> Target:
    """
    As L{find_function}, for the operations that take a qualifier (in the
    name or apart): the version or alias it names, whose own resource policy
    answers for other accounts.
    """
    ref = names.parse(name, requester.account, region, qualifier)
    function = store.get(ref.account, ref.region, ref.name)
    target = None if function is None else qualified(function, ref.qualifier)
    policy = None if target is None else target.policy_owner.policy
    resource = None if target is None else target.arn
    if not permitted(requester, action, ref, function, policy, resource):
        raise access_denied(requester, action, ref.arn)
    if target is None:
        raise not_found(ref.arn)
    return target


def qualified(function: LambdaFunction, qualifier: str | None) -> Target | None:
    """
    What C{qualifier} names among C{function}'s versions and aliases.
    """
    if qualifier is None or qualifier == "$LATEST":
        return Target(function, function, qualifier=qualifier)
    version = function.versions.get(qualifier)
    if version is not None:
        return Target(function, version, qualifier=qualifier)
    alias = function.aliases.get(qualifier)
    if alias is not None:
        return Target(function, version_of(function, alias.function_version), alias, qualifier)
    return None


def version_of(function: LambdaFunction, version: str) -> LambdaFunction:
    """
    C{function}'s version C{version} ($LATEST is the function itself); an
    alias never names one that is gone (DeleteFunction refuses).
    """
    return function if version == "$LATEST" else function.versions[version]


def check_creation(requester: Requester, ref: FunctionRef) -> None:
    """
    CreateFunction names a function in the caller's own account only (no
    policy exists yet that could open another's).
    """
    if ref.account != requester.account:
        raise access_denied(requester, "lambda:CreateFunction", ref.arn)
