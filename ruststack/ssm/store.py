"""
Every parameter of every account and region, in memory, and with
C{--data-dir} also in sqlite: one row per parameter (its name and tags) and
one per version, each change writing only the rows it touched (as S3's
index does, in WAL mode), so that a put costs the same however many
parameters there are.
"""

from __future__ import annotations

import bisect
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator

from ruststack.ssm.parameters import Parameter, Version

_SCHEMA = """
CREATE TABLE IF NOT EXISTS parameters (
    account TEXT NOT NULL, region TEXT NOT NULL, key TEXT NOT NULL, head TEXT NOT NULL,
    PRIMARY KEY (account, region, key)
);
CREATE TABLE IF NOT EXISTS versions (
    account TEXT NOT NULL, region TEXT NOT NULL, key TEXT NOT NULL, number INTEGER NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (account, region, key, number)
);
"""


class Shard:
    """
    One account's parameters in one region, by key, with the keys kept in
    order for paging and for paths.
    """

    def __init__(self) -> None:
        self.parameters: dict[str, Parameter] = {}
        self.keys: list[str] = []

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, key: str) -> Parameter | None:
        return self.parameters.get(key)

    def add(self, parameter: Parameter) -> None:
        key = parameter.key
        if key not in self.parameters:
            bisect.insort(self.keys, key)
        self.parameters[key] = parameter

    def remove(self, parameter: Parameter) -> None:
        key = parameter.key
        if self.parameters.pop(key, None) is not None:
            del self.keys[bisect.bisect_left(self.keys, key)]

    def after(self, key: str | None) -> Iterator[Parameter]:
        """
        The parameters in key order, from the first after C{key}.
        """
        start = 0 if key is None else bisect.bisect_right(self.keys, key)
        for index in range(start, len(self.keys)):
            yield self.parameters[self.keys[index]]

    def under(self, prefix: str, after: str | None = None) -> Iterator[Parameter]:
        """
        The parameters below the path whose key prefix is C{prefix} (C{""}:
        the root), at any depth, in key order, from the first after C{after}.
        """
        start = prefix + "/" if prefix else ""
        first = bisect.bisect_left(self.keys, start)
        if after is not None:
            first = max(first, bisect.bisect_right(self.keys, after))
        for index in range(first, len(self.keys)):
            key = self.keys[index]
            if not key.startswith(start):
                return
            yield self.parameters[key]


class ParameterStore:
    """
    Parameters by (account, region) and key; C{folder}: where they are kept
    across restarts (C{None}: in memory only).
    """

    def __init__(self, folder: str | None = None) -> None:
        self._shards: dict[tuple[str, str], Shard] = {}
        self._db: sqlite3.Connection | None = None
        if folder is not None:
            self._db = sqlite3.connect(os.path.join(folder, "parameters.sqlite"), isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._load()

    def _load(self) -> None:
        assert self._db is not None
        versions: dict[tuple[str, str, str], list[Version]] = {}
        rows = self._db.execute("SELECT account, region, key, state FROM versions ORDER BY number")
        for account, region, key, state in rows:
            versions.setdefault((account, region, key), []).append(Version.from_state(json.loads(state)))
        for account, region, key, head in self._db.execute("SELECT account, region, key, head FROM parameters"):
            found = versions.get((account, region, key))
            if not found:
                continue
            state = json.loads(head)
            parameter = Parameter(account, region, state["name"], found, dict(state["tags"]))
            self.shard(account, region).add(parameter)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # Reading

    def shard(self, account: str, region: str) -> Shard:
        """
        The parameters of C{account} in C{region} (created on first write:
        reads use L{find} and L{listing}).
        """
        shard = self._shards.get((account, region))
        if shard is None:
            shard = self._shards[(account, region)] = Shard()
        return shard

    def listing(self, account: str, region: str) -> Shard:
        return self._shards.get((account, region)) or Shard()

    def find(self, account: str, region: str, key: str) -> Parameter | None:
        shard = self._shards.get((account, region))
        return shard.get(key) if shard is not None else None

    # Writing: memory first, then the rows that changed.

    def create(self, parameter: Parameter) -> None:
        self.shard(parameter.account, parameter.region).add(parameter)
        self.save(parameter, parameter.versions)

    def save(self, parameter: Parameter, versions: Iterable[Version] = (), dropped: Iterable[int] = ()) -> None:
        """
        Write C{parameter}'s name and tags, the given versions, and forget
        the C{dropped} version numbers.
        """
        if self._db is None:
            return
        where = (parameter.account, parameter.region, parameter.key)
        with _transaction(self._db) as db:
            db.execute(
                "INSERT OR REPLACE INTO parameters VALUES (?, ?, ?, ?)", (*where, json.dumps(parameter.head_state()))
            )
            db.executemany(
                "INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?)",
                [(*where, version.number, json.dumps(version.to_state())) for version in versions],
            )
            db.executemany(
                "DELETE FROM versions WHERE account = ? AND region = ? AND key = ? AND number = ?",
                [(*where, number) for number in dropped],
            )

    def remove(self, parameter: Parameter) -> None:
        shard = self._shards.get((parameter.account, parameter.region))
        if shard is not None:
            shard.remove(parameter)
            if not shard:
                del self._shards[(parameter.account, parameter.region)]
        if self._db is None:
            return
        where = (parameter.account, parameter.region, parameter.key)
        with _transaction(self._db) as db:
            db.execute("DELETE FROM parameters WHERE account = ? AND region = ? AND key = ?", where)
            db.execute("DELETE FROM versions WHERE account = ? AND region = ? AND key = ?", where)

    def reset(self) -> None:
        self._shards.clear()
        if self._db is not None:
            self._db.executescript("DELETE FROM parameters; DELETE FROM versions;")


class _transaction:
    # sqlite3 in autocommit mode: one explicit transaction per change.
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN")
        return self.db

    def __exit__(self, kind, value, traceback) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
