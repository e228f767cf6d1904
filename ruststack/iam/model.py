"""
IAM's entities as RustStack keeps them -- roles, managed policies and their
versions, users and their access keys, each account's set of them -- and
the ids IAM gives them.

Times are whole epoch seconds (IAM's dates carry no fraction). Every record
is made of strings, numbers, lists and dicts, so that L{to_state} and the
C{from_state} class methods are the form kept on disk with C{--data-dir}.
"""

from __future__ import annotations

import os
import string
from typing import Any

import attrs

from ruststack.iam.names import AWS_ACCOUNT, IamArn, name_key

_UPPER = string.ascii_uppercase + string.digits
_SECRET = string.ascii_letters + string.digits + "+/"

# IAM's unique ids: a prefix naming the kind of entity, then 17 characters.
ROLE_ID_PREFIX = "AROA"
USER_ID_PREFIX = "AIDA"
POLICY_ID_PREFIX = "ANPA"
ACCESS_KEY_PREFIX = "AKIA"


def _random(alphabet: str, length: int) -> str:
    # 256 is a multiple of neither alphabet: the bias is negligible here.
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(length))


def new_id(prefix: str) -> str:
    """
    A unique id as IAM makes them: C{AROA} (roles), C{AIDA} (users),
    C{ANPA} (managed policies) followed by 17 upper-case letters and digits.
    """
    return prefix + _random(_UPPER, 17)


def new_access_key() -> tuple[str, str]:
    """
    An access key id (C{AKIA} and 16 characters) and its 40-character secret.
    """
    return ACCESS_KEY_PREFIX + _random(_UPPER, 16), _random(_SECRET, 40)


Tags = list[dict[str, str]]


def to_state(record: Any) -> dict[str, Any]:
    return attrs.asdict(record)


@attrs.define
class InlinePolicy:
    """
    An inline policy of a role: its name as given and its document's text.
    """

    name: str
    document: str


@attrs.define
class Role:
    """
    @ivar trust_policy: the AssumeRolePolicyDocument, as sent.
    @ivar inline_policies: by L{name_key}.
    @ivar attached: the ARNs of the managed policies attached, in order.
    """

    account: str
    name: str
    path: str
    role_id: str
    created: int
    trust_policy: str
    description: str | None = None
    max_session_duration: int = 3600
    permissions_boundary: str | None = None
    tags: Tags = attrs.field(factory=list)
    inline_policies: dict[str, InlinePolicy] = attrs.field(factory=dict)
    attached: list[str] = attrs.field(factory=list)

    @property
    def arn(self) -> str:
        return str(IamArn(self.account, "role", self.path, self.name))

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Role:
        inline = {key: InlinePolicy(**value) for key, value in state.pop("inline_policies").items()}
        return cls(**state, inline_policies=inline)


@attrs.define
class PolicyVersion:
    version_id: str
    document: str
    created: int


@attrs.define
class ManagedPolicy:
    """
    A managed policy: the account's own (customer managed), or AWS's
    (account C{aws}, from L{ruststack.iam.aws_policies}).

    @ivar versions: oldest first.
    @ivar next_version: the number of the next version: ids are never
        reused, as in IAM.
    """

    account: str
    name: str
    path: str
    policy_id: str
    created: int
    versions: list[PolicyVersion]
    default_version: str = "v1"
    next_version: int = 2
    description: str | None = None
    tags: Tags = attrs.field(factory=list)

    @property
    def arn(self) -> str:
        return str(IamArn(self.account, "policy", self.path, self.name))

    @property
    def aws_managed(self) -> bool:
        return self.account == AWS_ACCOUNT

    @property
    def updated(self) -> int:
        """
        IAM's UpdateDate: when the newest version was made.
        """
        return max(version.created for version in self.versions)

    def version(self, version_id: str) -> PolicyVersion | None:
        return next((v for v in self.versions if v.version_id == version_id), None)

    @property
    def default(self) -> PolicyVersion:
        found = self.version(self.default_version)
        assert found is not None
        return found

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ManagedPolicy:
        versions = [PolicyVersion(**version) for version in state.pop("versions")]
        return cls(**state, versions=versions)


@attrs.define
class AccessKey:
    key_id: str
    secret: str
    created: int
    status: str = "Active"


@attrs.define
class User:
    account: str
    name: str
    path: str
    user_id: str
    created: int
    permissions_boundary: str | None = None
    tags: Tags = attrs.field(factory=list)
    access_keys: list[AccessKey] = attrs.field(factory=list)

    @property
    def arn(self) -> str:
        return str(IamArn(self.account, "user", self.path, self.name))

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> User:
        keys = [AccessKey(**key) for key in state.pop("access_keys")]
        return cls(**state, access_keys=keys)


@attrs.define
class Account:
    """
    One account's IAM: entities by L{name_key} of their names.

    @ivar created: when RustStack first served the account (the date
        GetUser gives its root).
    """

    id: str
    created: int
    roles: dict[str, Role] = attrs.field(factory=dict)
    policies: dict[str, ManagedPolicy] = attrs.field(factory=dict)
    users: dict[str, User] = attrs.field(factory=dict)

    def role(self, name: str) -> Role | None:
        return self.roles.get(name_key(name))

    def user(self, name: str) -> User | None:
        return self.users.get(name_key(name))

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "roles": [to_state(role) for role in self.roles.values()],
            "policies": [to_state(policy) for policy in self.policies.values()],
            "users": [to_state(user) for user in self.users.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Account:
        account = cls(state["id"], state["created"])
        for role_state in state["roles"]:
            role = Role.from_state(role_state)
            account.roles[name_key(role.name)] = role
        for policy_state in state["policies"]:
            policy = ManagedPolicy.from_state(policy_state)
            account.policies[name_key(policy.name)] = policy
        for user_state in state["users"]:
            user = User.from_state(user_state)
            account.users[name_key(user.name)] = user
        return account
