"""
The stack state machine without a server: a provisioner whose work the test
finishes by hand shows that independent resources are made at the same time,
that a resource waits for those it needs, and what a failure rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest_twisted
from twisted.internet import defer, task

from ruststack.cloudformation.model import Stack
from ruststack.cloudformation.provisioners.base import Made, Provisioner, ResourceContext, ResourceFailed
from ruststack.cloudformation.stacks import Engine
from ruststack.cloudformation.store import StackStore


class ByHand(Provisioner):
    """
    Each create waits for the test to finish it; deletes are recorded.
    """

    def __init__(self) -> None:
        self.pending: dict[str, defer.Deferred] = {}
        self.deleted: list[str] = []

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        d: defer.Deferred = defer.Deferred()
        self.pending[ctx.logical_id] = d
        await d
        return Made(f"{ctx.logical_id}-id", {"Arn": f"arn:{ctx.logical_id}"})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        self.deleted.append(current.physical_id)


def _engine() -> tuple[Engine, ByHand]:
    async def call(*args: Any) -> dict[str, Any]:
        raise AssertionError("no service is called")

    provisioner = ByHand()
    engine = Engine(StackStore(None), call, lambda: frozenset(), task.Clock(), custom=provisioner)
    return engine, provisioner


def _stack(resources: dict[str, Any]) -> Stack:
    return Stack(
        stack_id="arn:aws:cloudformation:us-east-1:000000000000:stack/s/1",
        name="s",
        account="000000000000",
        region="us-east-1",
        status="CREATE_IN_PROGRESS",
        created=0.0,
        template={
            "Resources": resources,
            "Outputs": {"C": {"Value": {"Fn::GetAtt": ["C", "Arn"]}}},
        },
    )


RESOURCES = {
    "A": {"Type": "Custom::T"},
    "B": {"Type": "Custom::T"},
    "C": {"Type": "Custom::T", "Properties": {"Needs": [{"Ref": "A"}, {"Fn::GetAtt": ["B", "Arn"]}]}},
}


@pytest_twisted.ensureDeferred
async def test_independent_resources_made_at_once():
    engine, provisioner = _engine()
    stack = _stack(RESOURCES)
    done = defer.ensureDeferred(engine.create(stack))
    assert set(provisioner.pending) == {"A", "B"}  # both in flight, C waits
    provisioner.pending.pop("A").callback(None)
    assert set(provisioner.pending) == {"B"}
    provisioner.pending.pop("B").callback(None)
    assert set(provisioner.pending) == {"C"}
    assert stack.resources["C"].properties == {"Needs": ["A-id", "arn:B"]}
    provisioner.pending.pop("C").callback(None)
    await done
    assert stack.status == "CREATE_COMPLETE"
    assert stack.outputs == [{"OutputKey": "C", "OutputValue": "arn:C"}]


@pytest_twisted.ensureDeferred
async def test_a_failure_stops_what_has_not_started_and_rolls_back():
    engine, provisioner = _engine()
    stack = _stack(RESOURCES)
    done = defer.ensureDeferred(engine.create(stack))
    provisioner.pending.pop("A").errback(ResourceFailed("A broke"))
    provisioner.pending.pop("B").callback(None)  # in flight: finishes
    await done
    assert "C" not in stack.resources and not provisioner.pending
    assert stack.status == "ROLLBACK_COMPLETE"
    assert provisioner.deleted == ["B-id"]
    statuses = [(e.logical_id, e.status, e.reason) for e in stack.events]
    assert ("A", "CREATE_FAILED", "A broke") in statuses
    rollback = statuses.index(
        ("s", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [A]. Rollback requested by user.")
    )
    assert set(statuses[rollback + 1 : -1]) == {
        ("A", "DELETE_COMPLETE", None),
        ("B", "DELETE_IN_PROGRESS", None),
        ("B", "DELETE_COMPLETE", None),
    }
    assert statuses[-1] == ("s", "ROLLBACK_COMPLETE", None)


def test_a_restart_leaves_interrupted_operations_failed(tmp_path):
    store = StackStore(str(tmp_path))
    for status in ("CREATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "CREATE_COMPLETE"):
        stack = _stack({})
        stack.stack_id += status
        stack.status = status
        store.add(stack)
    reloaded = StackStore(str(tmp_path))
    assert [(s.status, s.reason) for s in reloaded.stacks] == [
        ("CREATE_FAILED", "RustStack stopped while this operation ran"),
        ("UPDATE_COMPLETE", "RustStack stopped while this operation ran"),
        ("CREATE_COMPLETE", None),
    ]
