"""
Every stack and change set of every account and region, in memory and, with
C{--data-dir}, in one JSON file rewritten after each change.
"""

from __future__ import annotations

from typing import Any

from ruststack.cloudformation.model import ChangeSet, Stack
from ruststack.state_file import read_json, state_path, write_json

_STATE_FILE = "stacks.json"
# Deleted stacks are kept (DescribeStacks by id, ListStacks) up to this many
# per account and region, as AWS keeps them for 90 days.
_DELETED_KEPT = 200


_INTERRUPTED = "RustStack stopped while this operation ran"
# What an operation cut short by a restart leaves a stack in.
_AFTER_INTERRUPTION = {
    "CREATE_IN_PROGRESS": "CREATE_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
}


def interrupted(stack: Stack) -> None:
    """
    A stack whose operation a restart cut short is left failed (its
    resources as far as they got), never in progress forever.
    """
    settled = _AFTER_INTERRUPTION.get(stack.status)
    if settled is not None:
        stack.status = settled
        stack.reason = _INTERRUPTED


# Writes are gathered: a stack's events come in bursts.
_SAVE_DELAY = 0.05


class StackStore:
    """
    @ivar clock: when given, L{save} writes a moment later, once for all the
        changes made meanwhile (L{flush} writes at once).
    """

    def __init__(self, state_dir: str | None = None, clock: Any = None) -> None:
        self._path = state_path(state_dir, _STATE_FILE)
        self._clock = clock
        self._pending: Any = None
        self.stacks: list[Stack] = []
        self.change_sets: list[ChangeSet] = []
        state = read_json(self._path)
        if state is not None:
            self.stacks = [Stack.from_state(s) for s in state["stacks"]]
            self.change_sets = [ChangeSet.from_state(c) for c in state["changeSets"]]
            for stack in self.stacks:
                interrupted(stack)
            for change_set in self.change_sets:
                if change_set.status in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
                    change_set.status, change_set.reason = "FAILED", _INTERRUPTED
                if change_set.execution_status == "EXECUTE_IN_PROGRESS":
                    change_set.execution_status = "EXECUTE_FAILED"

    def save(self) -> None:
        if self._path is None:
            return
        if self._clock is None:
            self.flush()
        elif self._pending is None or not self._pending.active():
            self._pending = self._clock.callLater(_SAVE_DELAY, self.flush)

    def flush(self) -> None:
        """
        Write the state file now (atomically: a crash leaves the old one).
        """
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None
        write_json(
            self._path,
            {"stacks": [s.to_state() for s in self.stacks], "changeSets": [c.to_state() for c in self.change_sets]},
        )

    def reset(self) -> None:
        self.stacks.clear()
        self.change_sets.clear()
        self.flush()

    def of(self, account: str, region: str) -> list[Stack]:
        return [s for s in self.stacks if s.account == account and s.region == region]

    def find(self, account: str, region: str, name_or_id: str) -> Stack | None:
        """
        The live stack named C{name_or_id}, or the stack (deleted or not)
        whose id it is.
        """
        for stack in self.of(account, region):
            if stack.stack_id == name_or_id or (stack.name == name_or_id and stack.live):
                return stack
        return None

    def add(self, stack: Stack) -> None:
        self.stacks.append(stack)
        deleted = [s for s in self.of(stack.account, stack.region) if not s.live]
        for old in deleted[:-_DELETED_KEPT]:
            self.stacks.remove(old)
        self.save()

    def exports(self, account: str, region: str) -> dict[str, tuple[str, Stack]]:
        """
        Export name -> (value, exporting stack) in an account and region.
        """
        found: dict[str, tuple[str, Stack]] = {}
        for stack in self.of(account, region):
            if stack.live:
                for name, value in stack.exports().items():
                    found[name] = (value, stack)
        return found

    def change_sets_of(self, stack: Stack) -> list[ChangeSet]:
        return [c for c in self.change_sets if c.stack_id == stack.stack_id]

    def find_change_set(self, account: str, region: str, name_or_id: str, stack_name: str | None) -> ChangeSet | None:
        for change_set in self.change_sets:
            if change_set.account != account or change_set.region != region:
                continue
            if change_set.change_set_id == name_or_id:
                return change_set
            if change_set.name == name_or_id and stack_name is not None:
                stack = self.find(account, region, stack_name)
                if stack is not None and stack.stack_id == change_set.stack_id:
                    return change_set
        return None
