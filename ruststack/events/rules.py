"""
A rule as EventBridge keeps it: its definition (what PutRule last said),
its state, its tags and its targets (by id, in the order they were first
put), and their forms on the wire and in the state file.
"""

from __future__ import annotations

from typing import Any

import attrs

DEFAULT_BUS = "default"


def rule_arn(account: str, region: str, name: str) -> str:
    # A rule of the default bus has no bus in its ARN; others would have.
    return f"arn:aws:events:{region}:{account}:rule/{name}"


def bus_arn(account: str, region: str, name: str = DEFAULT_BUS) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


@attrs.define
class Rule:
    account: str
    region: str
    name: str
    state: str = "ENABLED"
    schedule: str | None = None
    pattern: str | None = None
    description: str | None = None
    role_arn: str | None = None
    tags: dict[str, str] = attrs.field(factory=dict)
    targets: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    @property
    def arn(self) -> str:
        return rule_arn(self.account, self.region, self.name)

    def shape(self) -> dict[str, Any]:
        """
        The rule as ListRules lists it (DescribeRule adds C{CreatedBy}).
        """
        shape: dict[str, Any] = {"Name": self.name, "Arn": self.arn}
        if self.pattern is not None:
            shape["EventPattern"] = self.pattern
        shape["State"] = self.state
        for key, value in (
            ("Description", self.description),
            ("ScheduleExpression", self.schedule),
            ("RoleArn", self.role_arn),
        ):
            if value is not None:
                shape[key] = value
        shape["EventBusName"] = DEFAULT_BUS
        return shape

    def to_state(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Rule:
        return cls(**state)
