"""
IAM's ARNs: C{arn:aws:iam::<account>:<kind><path><name>}, where the path is
C{/} or C{/a/b/} and the account is twelve digits, or C{aws} for AWS's
managed policies.

IAM names are unique per account regardless of case ("you cannot create
roles named both PRODROLE and prodrole"), and found regardless of case:
L{name_key} is what state is indexed by.
"""

from __future__ import annotations

import re

import attrs

from ruststack.aws.arn import Arn

PARTITION = "aws"
AWS_ACCOUNT = "aws"  # the account of AWS's managed policies in their ARNs
_ACCOUNT = re.compile(r"^(\d{12}|aws)$")
KINDS = ("role", "policy", "user")


def name_key(name: str) -> str:
    """
    The key an entity is stored under: IAM names ignore case.
    """
    return name.lower()


@attrs.frozen
class IamArn:
    """
    The ARN of a role, a managed policy or a user.

    @ivar path: C{/} or C{/a/b/} (starts and ends with a slash).
    """

    account: str
    kind: str
    path: str
    name: str

    def __str__(self) -> str:
        return f"arn:{PARTITION}:iam::{self.account}:{self.kind}{self.path}{self.name}"

    @classmethod
    def parse(cls, text: str) -> IamArn:
        """
        Read an IAM ARN; C{ValueError} if C{text} is not one (of a role,
        policy or user, in partition C{aws}, without a region).
        """
        arn = Arn.parse(text)
        if arn.partition != PARTITION or arn.service != "iam" or arn.region or not _ACCOUNT.match(arn.account):
            raise ValueError(f"not an IAM ARN: {text!r}")
        kind, slash, rest = arn.resource.partition("/")
        if kind not in KINDS or not slash:
            raise ValueError(f"not an IAM ARN of a role, policy or user: {text!r}")
        folders, _, name = rest.rpartition("/")
        if not name:
            raise ValueError(f"an IAM ARN without a name: {text!r}")
        path = f"/{folders}/" if folders else "/"
        if "//" in path:
            raise ValueError(f"an IAM ARN with an empty path segment: {text!r}")
        return cls(arn.account, kind, path, name)
