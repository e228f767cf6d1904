"""
Bucket policies: the JSON document PutBucketPolicy stores, checked as S3
checks it, and evaluated for one request (an account asking for an IAM
action on a resource ARN).

The evaluator understands the common forms: Effect Allow/Deny; Principal
C{"*"} or C{{"AWS": ...}} naming accounts (C{"111122223333"},
C{"arn:aws:iam::111122223333:root"}, lists of them); Action and Resource
patterns with C{*} and C{?}. What it cannot evaluate only ever denies:
an Allow statement with NotPrincipal, NotAction, NotResource or a
Condition it cannot decide, or naming IAM users or roles (RustStack knows
accounts, not users), grants nothing; a Deny statement's Condition is taken
as true where it cannot be decided, and its user or role principals as
their whole account. The one condition it decides is C{Bool} (and
C{BoolIfExists}) on C{aws:SecureTransport}: whether the request came over
TLS, which templates such as SAM CLI's managed bucket deny without.
See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable

import attrs

from ruststack.aws.errors import AwsError
from ruststack.s3.owners import canonical_user_id

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html: 20 KB.
MAX_SIZE = 20 * 1024

_STATEMENT_FIELDS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_POLICY_FIELDS = frozenset({"Version", "Id", "Statement"})
_ACCOUNT = re.compile(r"^\d{12}$")
# arn:aws:iam::ACCOUNT:root | user/... | role/..., arn:aws:sts::ACCOUNT:assumed-role/...
_PRINCIPAL_ARN = re.compile(r"^arn:aws:(?:iam|sts)::(?P<account>\d{12}):(?P<resource>.+)$")
_S3_ARN = "arn:aws:s3:::"


def malformed(message: str) -> AwsError:
    return AwsError("MalformedPolicy", message, 400)


_NOT_JSON = "Policies must be valid JSON and the first byte must be '{'"


@attrs.frozen
class Principals:
    """
    Who a statement names: C{anyone} for C{"*"}; C{accounts} named whole
    (an account id, its C{:root} ARN, its canonical user id); C{partly} the
    accounts of which it names only some users or roles.
    """

    anyone: bool = False
    accounts: frozenset[str] = frozenset()
    canonical: frozenset[str] = frozenset()
    partly: frozenset[str] = frozenset()

    def names(self, account: str, partly: bool) -> bool:
        """
        Whether C{account} is named, counting the accounts named in part
        when C{partly}.
        """
        return (
            self.anyone
            or account in self.accounts
            or (partly and account in self.partly)
            or (bool(self.canonical) and canonical_user_id(account) in self.canonical)
        )


@attrs.frozen
class Statement:
    deny: bool
    principals: Principals
    not_principal: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    # (operator, key, values) of each condition, every one of which must hold.
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def matches(self, account: str, action: str, resource: str, secure: bool = True) -> bool:
        holds = conditions_hold(self.conditions, secure)
        if holds is False or (
            not self.deny and (self.not_principal or self.not_action or self.not_resource or holds is None)
        ):
            return False
        # Where RustStack cannot tell which user calls, a Deny covers the
        # whole account (and a NotPrincipal exempts none of it).
        named = self.principals.names(account, partly=self.deny and not self.not_principal)
        if named == self.not_principal:
            return False
        if any(action_matches(pattern, action) for pattern in self.actions) == self.not_action:
            return False
        # A Deny's Condition that cannot be decided is taken as holding: it can only narrow the statement.
        return any(resource_matches(pattern, resource) for pattern in self.resources) != self.not_resource


@attrs.frozen
class Policy:
    statements: tuple[Statement, ...]

    def denies(self, account: str, action: str, resource: str, secure: bool = True) -> bool:
        return any(s.deny and s.matches(account, action, resource, secure) for s in self.statements)

    def allows(self, account: str, action: str, resource: str, secure: bool = True) -> bool:
        return any(not s.deny and s.matches(account, action, resource, secure) for s in self.statements)


def conditions_hold(conditions: Iterable[tuple[str, str, tuple[str, ...]]], secure: bool) -> bool | None:
    """
    Whether every condition holds for a request (over TLS when C{secure}):
    C{False} if one does not, C{None} if one cannot be decided here.
    See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport
    """
    result: bool | None = True
    for operator, key, values in conditions:
        if operator in ("Bool", "BoolIfExists") and key.lower() == "aws:securetransport":
            # Condition values are compared as strings, case-insensitively for Bool.
            if str(secure).lower() not in {value.lower() for value in values}:
                return False
        else:
            result = None
    return result


def decide(policy: Policy | None, account: str, owner: str, action: str, resource: str, secure: bool = True) -> bool:
    """
    Whether C{account} may do C{action} on C{resource} of a bucket that
    C{owner} owns: an explicit Deny wins, the owner may do the rest, and
    another account only what an Allow grants.
    See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    """
    if policy is not None and policy.denies(account, action, resource, secure):
        return False
    if account == owner:
        return True
    return policy is not None and policy.allows(account, action, resource, secure)


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def action_matches(pattern: str, action: str) -> bool:
    """
    IAM action names match without regard to case; C{*} and C{?} are wildcards.
    """
    return _pattern(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """
    ARNs match case-sensitively; C{*} and C{?} are wildcards (across C{/} too).
    """
    return _pattern(pattern, False).fullmatch(resource) is not None


def bucket_arn(bucket: str) -> str:
    return _S3_ARN + bucket


def object_arn(bucket: str, key: str) -> str:
    return f"{_S3_ARN}{bucket}/{key}"


def _strings(value: object, message: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise malformed(message)
    return tuple(values)


def _principals(value: object) -> Principals:
    if value == "*":
        return Principals(anyone=True)
    if not isinstance(value, dict) or not value:
        raise malformed("Invalid principal in policy")
    anyone = False
    accounts: set[str] = set()
    canonical: set[str] = set()
    partly: set[str] = set()
    for kind, names in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise malformed("Invalid principal in policy")
        for name in _strings(names, "Invalid principal in policy"):
            if kind == "CanonicalUser":
                canonical.add(name)
                continue
            if kind != "AWS":
                # Services and federated identities never call RustStack.
                continue
            if name == "*":
                anyone = True
            elif _ACCOUNT.match(name):
                accounts.add(name)
            elif match := _PRINCIPAL_ARN.match(name):
                (accounts if match.group("resource") == "root" else partly).add(match.group("account"))
            else:
                raise malformed("Invalid principal in policy")
    return Principals(anyone, frozenset(accounts), frozenset(canonical), frozenset(partly))


def _either(statement: dict, name: str) -> tuple[object, bool]:
    """
    The value of C{name} or C{Not<name>}, and whether it was the latter.
    """
    if name in statement:
        return statement[name], False
    if "Not" + name in statement:
        return statement["Not" + name], True
    raise malformed(f"Missing required field {name}")


def _object(raw: object, fields: frozenset[str], required: str) -> dict:
    """
    C{raw} if it is a JSON object of known C{fields} that has the
    C{required} one; MalformedPolicy naming the first fault otherwise.
    """
    if not isinstance(raw, dict):
        raise malformed(_NOT_JSON)
    for field in raw:
        if field not in fields:
            raise malformed(f"Unknown field {field}")
    if required not in raw:
        raise malformed(f"Missing required field {required}")
    return raw


def _statement(raw: object, bucket: str) -> Statement:
    raw = _object(raw, _STATEMENT_FIELDS, "Effect")
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise malformed(f"Invalid effect: {effect}")
    principal, not_principal = _either(raw, "Principal")
    action, not_action = _either(raw, "Action")
    resource, not_resource = _either(raw, "Resource")
    actions = _strings(action, "Policy has invalid action")
    for pattern in actions:
        if pattern != "*" and not pattern.lower().startswith("s3:"):
            raise malformed("Policy has invalid action")
    resources = _strings(resource, "Policy has invalid resource")
    for pattern in resources:
        # Every resource must be this bucket or its objects.
        target = pattern[len(_S3_ARN) :].split("/", 1)[0] if pattern.startswith(_S3_ARN) else None
        if target is None or not resource_matches(target, bucket):
            raise malformed("Policy has invalid resource")
    condition = raw.get("Condition")
    if condition is not None and not isinstance(condition, dict):
        raise malformed(_NOT_JSON)
    conditions = tuple(
        (str(operator), str(key), tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(values)))
        for operator, block in (condition or {}).items()
        for key, values in (block.items() if isinstance(block, dict) else [("", block)])
    )
    return Statement(
        effect == "Deny",
        _principals(principal),
        not_principal,
        actions,
        not_action,
        resources,
        not_resource,
        conditions,
    )


def _listed(values: object) -> list[object]:
    return values if isinstance(values, list) else [values]


def parse(document: bytes, bucket: str) -> Policy:
    """
    The policy a PutBucketPolicy body holds for C{bucket}; MalformedPolicy
    (S3's messages) when it is not one.
    """
    if len(document) > MAX_SIZE:
        raise malformed("Policy exceeds the maximum allowed document size.")
    if not document.startswith(b"{"):
        raise malformed(_NOT_JSON)
    try:
        raw = json.loads(document.decode("utf-8"))
    except (ValueError, RecursionError):
        raise malformed(_NOT_JSON) from None
    statements = _object(raw, _POLICY_FIELDS, "Statement")["Statement"]
    listed: Iterable[object] = statements if isinstance(statements, list) else [statements]
    parsed = tuple(_statement(statement, bucket) for statement in listed)
    if not parsed:
        raise malformed("Missing required field Statement")
    return Policy(parsed)


@functools.lru_cache(maxsize=256)
def stored(document: str, bucket: str) -> Policy:
    """
    A stored policy (already checked when it was put), parsed once.
    """
    return parse(document.encode("utf-8"), bucket)
