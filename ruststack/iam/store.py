"""
Every account's IAM, kept in memory and, with C{--data-dir}, in one JSON
file rewritten (atomically) after each change, as API Gateway's store does:
IAM's state is small and changes only when a deploy tool runs.

AWS's managed policies are one table shared by every account
(L{AWS_POLICIES}); how many of an account's entities use one is counted in
that account (L{usage}).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from ruststack.iam import documents
from ruststack.iam.aws_policies import AWS_MANAGED_POLICIES, AwsManagedPolicy
from ruststack.iam.model import POLICY_ID_PREFIX, Account, ManagedPolicy, PolicyVersion
from ruststack.iam.names import AWS_ACCOUNT, name_key
from ruststack.state_file import read_json, state_path, write_json

_STATE_FILE = "iam.json"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _seconds(when: datetime) -> int:
    return int(when.astimezone(UTC).timestamp())


def _stable_id(name: str) -> str:
    # The same id in every RustStack and across restarts (AWS's own ids of
    # these policies are not published as data): 17 characters from a hash.
    digest = hashlib.sha256(name.encode()).digest()
    return POLICY_ID_PREFIX + "".join(_ID_ALPHABET[b % 32] for b in digest[:17])


def _aws_policy(table: AwsManagedPolicy) -> ManagedPolicy:
    version = PolicyVersion(table.default_version, json.dumps(table.document, indent=4), _seconds(table.updated))
    return ManagedPolicy(
        account=AWS_ACCOUNT,
        name=table.name,
        path=table.path,
        policy_id=_stable_id(table.name),
        created=_seconds(table.created),
        versions=[version],
        default_version=table.default_version,
        next_version=int(table.default_version[1:]) + 1,
    )


# AWS's managed policies by name_key: read only, shared by every account.
AWS_POLICIES = {name_key(p.name): _aws_policy(p) for p in AWS_MANAGED_POLICIES}

for _policy in AWS_POLICIES.values():
    documents.check(_policy.default.document)


class IamStore:
    """
    Accounts by id; an account comes into being when first served.

    @ivar clock: for the date an account is first seen.
    """

    def __init__(self, clock: Any, state_dir: str | None = None) -> None:
        self.clock = clock
        self._path = state_path(state_dir, _STATE_FILE)
        self.accounts: dict[str, Account] = {}
        state = read_json(self._path)
        for account_state in state["accounts"] if state is not None else []:
            account = Account.from_state(account_state)
            self.accounts[account.id] = account

    def account(self, account_id: str) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            account = self.accounts[account_id] = Account(account_id, int(self.clock.seconds()))
        return account

    def save(self) -> None:
        """
        Write the state file, if any (atomically: a crash leaves the old one).
        """
        write_json(self._path, {"accounts": [account.to_state() for account in self.accounts.values()]})

    def reset(self) -> None:
        self.accounts.clear()
        self.save()


def usage(account: Account) -> tuple[Counter[str], Counter[str]]:
    """
    How many of C{account}'s entities use each managed policy (by ARN): as a
    permissions policy (attached), and as a permissions boundary.
    """
    attached: Counter[str] = Counter()
    boundaries: Counter[str] = Counter()
    for role in account.roles.values():
        attached.update(role.attached)
        if role.permissions_boundary:
            boundaries[role.permissions_boundary] += 1
    for user in account.users.values():
        if user.permissions_boundary:
            boundaries[user.permissions_boundary] += 1
    return attached, boundaries
