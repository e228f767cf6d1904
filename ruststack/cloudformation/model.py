"""
CloudFormation's state: stacks, their resources and events, change sets.
Plain attrs classes, written to and read from JSON as they are.
"""

from __future__ import annotations

import uuid
from typing import Any

import attrs

# Statuses of a stack that is gone (DescribeStacks by name no longer finds it).
DELETED = "DELETE_COMPLETE"
# Statuses in which a stack is at rest (no operation running).
SETTLED = frozenset(
    {
        "CREATE_COMPLETE",
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "DELETE_COMPLETE",
        "DELETE_FAILED",
        "REVIEW_IN_PROGRESS",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)


def stack_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid.uuid4()}"


def change_set_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{account}:changeSet/{name}/{uuid.uuid4()}"


@attrs.define
class Event:
    event_id: str
    logical_id: str
    physical_id: str
    type: str
    status: str
    timestamp: float
    reason: str | None = None
    properties: str | None = None


@attrs.define
class StackResource:
    """
    One resource of a stack as it now is.

    @ivar properties: its properties as last applied (functions evaluated).
    @ivar note: why it is only recorded (a type RustStack does not emulate).
    """

    logical_id: str
    type: str
    status: str
    timestamp: float
    physical_id: str = ""
    reason: str | None = None
    properties: dict[str, Any] = attrs.field(factory=dict)
    attributes: dict[str, Any] = attrs.field(factory=dict)
    note: str | None = None
    depends_on: list[str] = attrs.field(factory=list)
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"
    metadata: Any = None


@attrs.define
class Stack:
    stack_id: str
    name: str
    account: str
    region: str
    status: str
    created: float
    template_body: str = "{}"
    template: dict[str, Any] = attrs.field(factory=dict)
    reason: str | None = None
    updated: float | None = None
    deleted: float | None = None
    description: str | None = None
    given_parameters: list[dict[str, Any]] = attrs.field(factory=list)
    parameters: list[dict[str, Any]] = attrs.field(factory=list)
    parameter_values: dict[str, Any] = attrs.field(factory=dict)
    outputs: list[dict[str, Any]] = attrs.field(factory=list)
    tags: list[dict[str, str]] = attrs.field(factory=list)
    capabilities: list[str] = attrs.field(factory=list)
    notification_arns: list[str] = attrs.field(factory=list)
    disable_rollback: bool = False
    on_failure: str = "ROLLBACK"
    role_arn: str | None = None
    timeout: int | None = None
    termination_protection: bool = False
    change_set_id: str | None = None
    resources: dict[str, StackResource] = attrs.field(factory=dict)
    events: list[Event] = attrs.field(factory=list)
    imports: list[str] = attrs.field(factory=list)

    @property
    def live(self) -> bool:
        return self.status != DELETED

    def exports(self) -> dict[str, str]:
        return {o["ExportName"]: o["OutputValue"] for o in self.outputs if o.get("ExportName")}

    def to_state(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Stack:
        state = dict(state)
        state["resources"] = {k: StackResource(**v) for k, v in state.get("resources", {}).items()}
        state["events"] = [Event(**e) for e in state.get("events", [])]
        return cls(**state)


@attrs.define
class ChangeSet:
    change_set_id: str
    name: str
    stack_id: str
    stack_name: str
    account: str
    region: str
    type: str
    created: float
    template_body: str
    template: dict[str, Any] = attrs.field(factory=dict)
    status: str = "CREATE_PENDING"
    execution_status: str = "UNAVAILABLE"
    reason: str | None = None
    description: str | None = None
    given_parameters: list[dict[str, Any]] = attrs.field(factory=list)
    parameters: list[dict[str, Any]] = attrs.field(factory=list)
    parameter_values: dict[str, Any] = attrs.field(factory=dict)
    capabilities: list[str] = attrs.field(factory=list)
    tags: list[dict[str, str]] = attrs.field(factory=list)
    notification_arns: list[str] = attrs.field(factory=list)
    changes: list[dict[str, Any]] = attrs.field(factory=list)
    role_arn: str | None = None

    def to_state(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ChangeSet:
        return cls(**state)
