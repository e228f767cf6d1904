"""
What the proxy keeps about tables because DynamoDB Local does not: table
ids, tags, table classes, on-demand throughput limits, encryption and warm
throughput settings, point-in-time recovery settings and where a restored
table came from, per account, region and table; in a JSON file in the state folder when RustStack keeps state.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import attrs


@attrs.define
class TableExtras:
    table_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    tags: dict[str, str] = attrs.field(factory=dict)
    point_in_time_recovery: bool = False
    recovery_period_days: int = 35
    recovery_enabled_at: float | None = None
    table_class: str | None = None
    on_demand_throughput: dict[str, int] | None = None
    # SSEDescription, when encryption with a KMS key was asked for.
    sse_description: dict[str, str] | None = None
    # The warm throughput asked for (WarmThroughput of CreateTable/UpdateTable).
    warm_throughput: dict[str, int] | None = None
    # RestoreSummary of a table restored from a backup or a point in time
    # (without RestoreInProgress, which only the running restore knows).
    restore_summary: dict | None = None


TableKey = tuple[str, str, str]  # account, region, table name


@attrs.define
class TableExtrasStore:
    """
    L{TableExtras} by table, created on first use.

    @ivar path: the JSON file they are kept in, or C{None} in memory.
    """

    path: str | None = None
    _tables: dict[TableKey, TableExtras] = attrs.field(factory=dict)

    @classmethod
    def load(cls, path: str | None) -> TableExtrasStore:
        store = cls(path)
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for entry in json.load(f):
                    key = (entry.pop("account"), entry.pop("region"), entry.pop("table"))
                    store._tables[key] = TableExtras(**entry)
        return store

    def get(self, key: TableKey) -> TableExtras:
        extras = self._tables.get(key)
        if extras is None:
            extras = self._tables[key] = TableExtras()
            self.save()
        return extras

    def created(
        self,
        key: TableKey,
        tags: dict[str, str],
        **fields: Any,
    ) -> TableExtras:
        self._tables[key] = extras = TableExtras(tags=tags, **fields)
        self.save()
        return extras

    def deleted(self, key: TableKey) -> None:
        if self._tables.pop(key, None) is not None:
            self.save()

    def clear(self) -> None:
        self._tables.clear()
        self.save()

    def save(self) -> None:
        """
        Write the file (small: a few lines per table, changed only by the
        control plane) atomically.
        """
        if not self.path:
            return
        entries = [
            {"account": a, "region": r, "table": t, **attrs.asdict(extras)}
            for (a, r, t), extras in self._tables.items()
        ]
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(entries, f)
        os.replace(temporary, self.path)
