"""
What a provisioner is: how one resource type is created, updated and
deleted through its service's API (L{ruststack.aws.client}), its Ref value
(the physical id) and the attributes C{Fn::GetAtt} reads.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from ruststack.aws.client import ServiceCallError

_SUFFIX_CHARACTERS = string.ascii_uppercase + string.digits


class ResourceFailed(Exception):
    """
    A resource could not be created, updated or deleted; the message is the
    event's ResourceStatusReason.
    """


@attrs.frozen
class Made:
    """
    A resource as it now exists: its physical id (its Ref value) and its
    attributes (by C{Fn::GetAtt} name).
    """

    physical_id: str
    attributes: Mapping[str, Any] = attrs.field(factory=dict)
    # Why the resource was only recorded (a type RustStack does not emulate).
    note: str | None = None


Caller = Callable[[str, str, Mapping[str, Any]], Awaitable[dict[str, Any]]]


@attrs.frozen
class ResourceContext:
    """
    What a provisioner knows of the resource it works on and how it calls
    services: as the stack's account, in its region.
    """

    account: str
    region: str
    stack_name: str
    stack_id: str
    logical_id: str
    caller: Caller
    running: frozenset[str]
    sleep: Callable[[float], Awaitable[None]]
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def partition(self) -> str:
        return "aws-cn" if self.region.startswith("cn-") else "aws"

    async def call(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """
        Call a service; its error becomes L{ResourceFailed} with the service's
        own message, as CloudFormation reports it.
        """
        try:
            return await self.caller(service, operation, params)
        except ServiceCallError as e:
            raise ResourceFailed(
                f"{e.message or e.code} (Service: {service}, Status Code: {e.status}, Error Code: {e.code})"
            ) from None

    def physical_name(self, max_length: int = 255, lower: bool = False, separator: str = "-") -> str:
        """
        A name CloudFormation makes for a resource the template does not
        name: C{<stack>-<logical id>-<random>}, shortened to fit.
        """
        suffix = "".join(secrets.choice(_SUFFIX_CHARACTERS) for _ in range(12))
        if lower:
            suffix = suffix.lower()
        room = max_length - len(suffix) - 2 * len(separator)
        stack, logical = self.stack_name, self.logical_id
        while len(stack) + len(logical) > room:
            if len(stack) >= len(logical):
                stack = stack[:-1]
            else:
                logical = logical[:-1]
        name = separator.join([stack, logical, suffix])
        return name.lower() if lower else name


class Provisioner:
    """
    One resource type. Subclasses override L{create} and L{delete}, and
    L{update} for the properties that change in place; a change to any of
    C{replace_on} (or, without an L{update}, to anything) replaces the
    resource: a new one is made and the old one deleted in clean-up.
    """

    type_name: str = ""
    replace_on: frozenset[str] | None = None  # None: every property

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        raise NotImplementedError

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        raise NotImplementedError

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def needs_replacement(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        if not changed:
            return False
        if self.replace_on is None:
            return True
        return bool(changed & self.replace_on)


def required(props: Mapping[str, Any], name: str, type_name: str) -> Any:
    if name not in props:
        raise ResourceFailed(f"Property validation failure: [The property {{/{name}}} is required]")
    return props[name]


def integer(value: Any, name: str) -> int:
    """
    A property CloudFormation's schema types as an integer (templates and
    parameters often give strings).
    """
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ResourceFailed(
            f"Property validation failure: [Value of property {{/{name}}} does not match type {{Integer}}]"
        ) from None


def boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def tags_map(tags: Any) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in tags or [] if isinstance(t, dict) and "Key" in t}


def pick(props: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: props[name] for name in names if name in props}
