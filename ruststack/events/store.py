"""
Every account's rules in every region, in memory and, with C{--data-dir},
in one JSON file rewritten (atomically) after each change, as IAM's store
does: rules change only when a deploy tool runs.
"""

from __future__ import annotations

from ruststack.events.rules import Rule
from ruststack.state_file import read_json, state_path, write_json

_STATE_FILE = "rules.json"


class RuleStore:
    """
    Rules by (account, region), then by name.
    """

    def __init__(self, state_dir: str | None = None) -> None:
        self._path = state_path(state_dir, _STATE_FILE)
        self._rules: dict[tuple[str, str], dict[str, Rule]] = {}
        state = read_json(self._path)
        for rule_state in state["rules"] if state is not None else []:
            rule = Rule.from_state(rule_state)
            self._rules.setdefault((rule.account, rule.region), {})[rule.name] = rule

    def rules(self, account: str, region: str) -> dict[str, Rule]:
        """
        The rules of C{account} in C{region} by name (a copy: change them
        through L{put} and L{remove}).
        """
        return dict(self._rules.get((account, region), {}))

    def find(self, account: str, region: str, name: str) -> Rule | None:
        return self._rules.get((account, region), {}).get(name)

    def put(self, rule: Rule) -> None:
        """
        Keep C{rule} (new or changed) and write the state file.
        """
        self._rules.setdefault((rule.account, rule.region), {})[rule.name] = rule
        self.save()

    def remove(self, rule: Rule) -> None:
        shard = self._rules.get((rule.account, rule.region), {})
        if shard.pop(rule.name, None) is not None:
            if not shard:
                del self._rules[(rule.account, rule.region)]
            self.save()

    def save(self) -> None:
        rules = [rule.to_state() for shard in self._rules.values() for rule in shard.values()]
        write_json(self._path, {"rules": rules})

    def reset(self) -> None:
        self._rules.clear()
        self.save()
