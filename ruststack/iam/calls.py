"""
What every IAM handler is handed (a L{Call}: the caller's account and the
store) and the helpers they share: finding entities with IAM's errors,
paging with C{Marker}/C{MaxItems}, tags.
"""

from __future__ import annotations

import base64
import binascii
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from ruststack.aws.errors import AwsError
from ruststack.iam.model import Account, ManagedPolicy, Role, Tags, User
from ruststack.iam.names import AWS_ACCOUNT, IamArn, name_key
from ruststack.iam.store import AWS_POLICIES, IamStore
from ruststack.protocol import Protocol

PROTOCOL = Protocol.for_service("iam")
DEFAULT_MAX_ITEMS = 100
T = TypeVar("T")


def error(code: str, message: str) -> AwsError:
    """
    The IAM error C{code} (C{NoSuchEntity}...), its status from the model.
    """
    return PROTOCOL.modeled_error(code, message)


def no_such_entity(message: str) -> AwsError:
    return error("NoSuchEntity", message)


def not_attachable(arn: str) -> AwsError:
    return no_such_entity(f"Policy {arn} does not exist or is not attachable.")


def limit_exceeded(message: str) -> AwsError:
    return error("LimitExceeded", message)


def timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@attrs.frozen
class Call:
    """
    One IAM request: the store, the caller's account and access key, the
    time (whole seconds, as IAM's dates are), and whether the key is a
    session's (STS's temporary credentials of a role).
    """

    store: IamStore
    account_id: str
    access_key: str
    now: int
    session: bool = False

    @property
    def account(self) -> Account:
        return self.store.account(self.account_id)

    def changed(self) -> None:
        self.store.save()

    def role(self, name: str) -> Role:
        role = self.account.role(name)
        if role is None:
            raise no_such_entity(f"The role with name {name} cannot be found.")
        return role

    def user(self, name: str) -> User:
        user = self.account.user(name)
        if user is None:
            raise no_such_entity(f"The user with name {name} cannot be found.")
        return user

    def policy_arn(self, text: str) -> IamArn | None:
        """
        A managed policy's ARN as IAM reads it: C{InvalidInput} if C{text}
        is no ARN at all; C{None} if it is an ARN but of nothing that could
        be one of this account's policies or AWS's.
        """
        try:
            arn = IamArn.parse(text)
        except ValueError:
            if not text.startswith("arn:") or text.count(":") < 5:
                raise error("InvalidInput", f"ARN {text} is not valid.") from None
            return None
        if arn.kind != "policy" or arn.account not in (self.account_id, AWS_ACCOUNT):
            return None
        return arn

    def find_policy(self, text: str) -> ManagedPolicy | None:
        """
        The managed policy C{text} names: the account's own or AWS's (another
        account's policies are never found).
        """
        arn = self.policy_arn(text)
        if arn is None:
            return None
        table = AWS_POLICIES if arn.account == AWS_ACCOUNT else self.account.policies
        policy = table.get(name_key(arn.name))
        if policy is None or policy.path != arn.path:
            return None
        return policy

    def policy(self, text: str) -> ManagedPolicy:
        """
        L{find_policy}, or IAM's C{NoSuchEntity}.
        """
        policy = self.find_policy(text)
        if policy is None:
            raise not_attachable(text)
        return policy

    def own_policy(self, text: str, action: str) -> ManagedPolicy:
        """
        A policy the caller may change: one of AWS's is refused as IAM
        refuses writing another account's resource.
        """
        policy = self.policy(text)
        if policy.aws_managed:
            raise AwsError(
                "AccessDenied",
                f"User: arn:aws:iam::{self.account_id}:root is not authorized to perform: iam:{action}"
                f" on resource: policy {policy.arn}",
                403,
            )
        return policy


def page(items: Sequence[T], key: Callable[[T], str], params: dict[str, Any]) -> tuple[list[T], dict[str, Any]]:
    """
    One page of C{items} (sorted by C{key}) after C{params}' C{Marker}, at
    most C{MaxItems} (100 by default) long, and the C{IsTruncated} and
    C{Marker} members of the answer. A marker is opaque to clients: here
    the key of the last item given, in base64.
    """
    ordered = sorted(items, key=key)
    marker = params.get("Marker")
    if marker is not None:
        try:
            after = base64.urlsafe_b64decode(marker.encode("latin-1")).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            raise error("InvalidInput", "Invalid Marker.") from None
        ordered = [item for item in ordered if key(item) > after]
    limit = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    chosen = ordered[:limit]
    if len(ordered) > limit:
        next_marker = base64.urlsafe_b64encode(key(chosen[-1]).encode("utf-8")).decode("ascii")
        return chosen, {"IsTruncated": True, "Marker": next_marker}
    return chosen, {"IsTruncated": False}


def by_path_prefix(path: str, prefix: str | None) -> bool:
    return prefix is None or path.startswith(prefix)


class _PathNamed(typing.Protocol):
    path: str
    name: str


E = TypeVar("E", bound=_PathNamed)


def page_under_path(entities: Iterable[E], params: dict[str, Any]) -> tuple[list[E], dict[str, Any]]:
    """
    One page (L{page}) of the C{entities} (roles, users) under C{params}'
    C{PathPrefix}, in the order of their names (case ignored).
    """
    prefix = params.get("PathPrefix")
    under = [entity for entity in entities if by_path_prefix(entity.path, prefix)]
    return page(under, lambda entity: name_key(entity.name), params)


def merge_tags(current: Tags, new: Tags, limit_message: str) -> Tags:
    """
    C{current} with C{new} added or replacing the tags of the same key (tag
    keys ignore case): C{InvalidInput} for a key given twice, C{LimitExceeded}
    past 50 tags.
    """
    check_tags(new)
    merged = {tag["Key"].lower(): tag for tag in current}
    for tag in new:
        merged[tag["Key"].lower()] = {"Key": tag["Key"], "Value": tag["Value"]}
    if len(merged) > 50:
        raise limit_exceeded(limit_message)
    return list(merged.values())


def given_tags(params: dict[str, Any]) -> Tags:
    """
    The C{Tags} a create call gives, checked, as they are kept (key and
    value only).
    """
    tags = params.get("Tags") or []
    check_tags(tags)
    return [{"Key": tag["Key"], "Value": tag["Value"]} for tag in tags]


def tags_page(tags: Tags, params: dict[str, Any]) -> dict[str, Any]:
    """
    A C{List*Tags} answer: C{tags} in the order they were given (the keys of
    the page are their positions).
    """
    positions = {id(tag): f"{i:04d}" for i, tag in enumerate(tags)}
    chosen, more = page(tags, lambda tag: positions[id(tag)], params)
    return {"Tags": chosen, **more}


def check_tags(tags: Tags) -> None:
    keys = [tag["Key"].lower() for tag in tags]
    if len(set(keys)) != len(keys):
        raise error("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")


def untag(current: Tags, keys: list[str]) -> Tags:
    gone = {key.lower() for key in keys}
    return [tag for tag in current if tag["Key"].lower() not in gone]
