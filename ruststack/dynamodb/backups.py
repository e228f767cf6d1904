"""
On-demand backups over DynamoDB Local, which has none: a backup is a Scan of
the table written to a file, page by page; a restore creates the table and
writes the items back with BatchWriteItem, a page at a time. Neither holds
more than one page (at most 1 MB, as DynamoDB bounds a Scan) in memory, and
files are read, written and decoded in threads, off the reactor.

Files: C{<root>/<account>/<region>/<backup id>.jsonl}, one JSON array of
items per line; what is known of each backup in C{<root>/backups.json}.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from typing import IO, Any

import attrs
from twisted.internet import defer, threads
from twisted.logger import Logger
from twisted.python.failure import Failure

from ruststack.aws.errors import AwsError
from ruststack.dynamodb.backend import DynamoDBLocalClient
from ruststack.dynamodb.rewrite import Identity

log = Logger()

INDEX_FILE = "backups.json"
# BatchWriteItem's limit.
BATCH = 25
# Items per Scan page: a smaller page than DynamoDB's 1 MB, as the thread
# that decodes it holds the GIL (json is C) and so pauses the reactor for
# as long as one page takes to read (about 1 ms for 250 items of 200 bytes).
PAGE = 250
# Batches of a page sent at once: DynamoDB Local serves a few in parallel.
IN_FLIGHT = 4
_SCAN = b"DynamoDB_20120810.Scan"
_BATCH_WRITE = b"DynamoDB_20120810.BatchWriteItem"

TableKey = tuple[str, str, str]


@attrs.define(eq=False)
class Backup:
    """
    What is known of a backup; C{source} is the table's description when it
    was taken (as DynamoDB Local gave it), C{time_to_live} its TTL's.
    """

    arn: str
    name: str
    account: str
    region: str
    table_name: str
    table_id: str
    created: float
    source: dict
    time_to_live: dict | None = None
    sse_description: dict | None = None
    status: str = "CREATING"
    size: int = 0
    item_count: int = 0

    @property
    def file_name(self) -> str:
        return os.path.join(self.account, self.region, self.arn.rpartition("/")[2] + ".jsonl")


def _write_page(out: IO[bytes], body: bytes) -> tuple[int, int, Any]:
    # In a thread: one Scan answer's items as a line of the file.
    page = json.loads(body)
    items = page.get("Items") or []
    written = 0
    if items:
        line = json.dumps(items, separators=(",", ":")).encode() + b"\n"
        out.write(line)
        written = len(line)
    return len(items), written, page.get("LastEvaluatedKey")


def _read_batches(source: IO[bytes], table: str) -> list[bytes] | None:
    # In a thread: the next line of a backup as BatchWriteItem bodies; None at the end.
    line = source.readline()
    if not line:
        return None
    items = json.loads(line)
    return [
        json.dumps(
            {"RequestItems": {table: [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH]]}},
            separators=(",", ":"),
        ).encode()
        for start in range(0, len(items), BATCH)
    ]


def _open_new(path: str) -> IO[bytes]:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return open(path, "wb")


def _finish(out: IO[bytes], temporary: str, path: str) -> None:
    out.flush()
    os.fsync(out.fileno())
    out.close()
    os.replace(temporary, path)


def _discard(out: IO[bytes], temporary: str) -> None:
    out.close()
    try:
        os.unlink(temporary)
    except FileNotFoundError:
        pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def unlink(path: str) -> defer.Deferred:
    """
    Remove the file C{path} if it is there, in a thread.
    """
    return threads.deferToThread(_unlink, path)


def _remove_files(root: str) -> None:
    for entry in os.listdir(root):
        if entry != INDEX_FILE:
            shutil.rmtree(os.path.join(root, entry), ignore_errors=True)


def local_error(status: int, body: bytes) -> AwsError:
    try:
        document = json.loads(body)
        code = str(document.get("__type", "")).rpartition("#")[2]
        message = str(document.get("Message") or document.get("message") or "")
    except (ValueError, AttributeError):
        code, message = "", ""
    if status == 400 and code:
        return AwsError(code, message)
    return AwsError("InternalServerError", "Internal server error", 500)


async def snapshot(client: DynamoDBLocalClient, identity: Identity, table: str, path: str) -> tuple[int, int]:
    """
    Scan C{table} (strongly consistent) into the file C{path}, written whole
    or not at all; the number of items and bytes.
    """
    temporary = path + ".tmp"
    out = await threads.deferToThread(_open_new, temporary)
    count = size = 0
    start: Any = None
    try:
        while True:
            request: dict[str, Any] = {"TableName": table, "ConsistentRead": True, "Limit": PAGE}
            if start is not None:
                request["ExclusiveStartKey"] = start
            response = await client.call(identity.authorization, _SCAN, json.dumps(request).encode())
            if response.status != 200:
                raise local_error(response.status, response.body)
            items, written, start = await threads.deferToThread(_write_page, out, response.body)
            count, size = count + items, size + written
            if start is None:
                break
        await threads.deferToThread(_finish, out, temporary, path)
    except BaseException:
        await threads.deferToThread(_discard, out, temporary)
        raise
    return count, size


async def _write_batch(client: DynamoDBLocalClient, identity: Identity, body: bytes) -> None:
    while True:
        response = await client.call(identity.authorization, _BATCH_WRITE, body)
        if response.status != 200:
            raise local_error(response.status, response.body)
        if b'"UnprocessedItems":{}' in response.body:
            return
        unprocessed = json.loads(response.body).get("UnprocessedItems")
        if not unprocessed:
            return
        body = json.dumps({"RequestItems": unprocessed}, separators=(",", ":")).encode()


async def restore(client: DynamoDBLocalClient, identity: Identity, table: str, path: str) -> None:
    """
    Write the items of the backup file C{path} into C{table}, a line (a page
    of the Scan) at a time, L{IN_FLIGHT} batches at once.
    """
    source = await threads.deferToThread(open, path, "rb")
    try:
        while True:
            batches = await threads.deferToThread(_read_batches, source, table)
            if batches is None:
                return
            for start in range(0, len(batches), IN_FLIGHT):
                await defer.gatherResults(
                    [
                        defer.ensureDeferred(_write_batch(client, identity, body))
                        for body in batches[start : start + IN_FLIGHT]
                    ],
                    consumeErrors=True,
                )
    finally:
        await threads.deferToThread(source.close)


@attrs.define(eq=False)
class BackupStore:
    """
    The backups of every account and region, in the folder C{root}
    (removed by L{close} when C{temporary}: RustStack keeps no state).

    @ivar restoring: the tables being written back, which are C{CREATING}.
    """

    root: str
    temporary: bool = False
    _backups: dict[str, Backup] = attrs.field(factory=dict)
    restoring: set[TableKey] = attrs.field(factory=set)
    _tasks: set[defer.Deferred] = attrs.field(factory=set)

    @classmethod
    def open(cls, root: str, temporary: bool = False) -> BackupStore:
        os.makedirs(root, exist_ok=True)
        store = cls(root, temporary)
        index = os.path.join(root, INDEX_FILE)
        if os.path.exists(index):
            with open(index, encoding="utf-8") as f:
                for entry in json.load(f):
                    backup = Backup(**entry)
                    if backup.status == "AVAILABLE":  # one being taken at a stop is lost
                        store._backups[backup.arn] = backup
        return store

    def path(self, backup: Backup) -> str:
        return os.path.join(self.root, backup.file_name)

    def scratch(self, identity: Identity) -> str:
        """
        A file name for a snapshot that is no backup (a point-in-time restore's).
        """
        return os.path.join(self.root, identity.account, identity.region, f"restore-{secrets.token_hex(8)}.jsonl")

    def add(self, backup: Backup) -> None:
        self._backups[backup.arn] = backup
        self.save()

    def get(self, identity: Identity, arn: str) -> Backup | None:
        backup = self._backups.get(arn)
        if backup is None or (backup.account, backup.region) != (identity.account, identity.region):
            return None
        return backup

    def of(self, identity: Identity) -> list[Backup]:
        """
        The caller's backups, oldest first.
        """
        mine = [b for b in self._backups.values() if (b.account, b.region) == (identity.account, identity.region)]
        return sorted(mine, key=lambda backup: (backup.created, backup.arn))

    async def remove(self, backup: Backup) -> None:
        self._backups.pop(backup.arn, None)
        self.save()
        await unlink(self.path(backup))

    def save(self) -> None:
        # A few hundred bytes per backup, changed only by the control plane.
        entries = [attrs.asdict(backup) for backup in self._backups.values() if backup.status == "AVAILABLE"]
        index = os.path.join(self.root, INDEX_FILE)
        with open(index + ".tmp", "w", encoding="utf-8") as f:
            json.dump(entries, f)
        os.replace(index + ".tmp", index)

    def run(self, key: TableKey, work: Callable[[], Any]) -> None:
        """
        Write back the table C{key} with C{work} (a coroutine function) in
        the background; the table is C{CREATING} until it is done.
        """
        self.restoring.add(key)
        task = defer.ensureDeferred(work())
        self._tasks.add(task)

        def done(result: Any) -> None:
            self._tasks.discard(task)
            self.restoring.discard(key)
            if isinstance(result, Failure) and not result.check(defer.CancelledError):
                log.failure("restoring DynamoDB table {table} failed", result, table=key[2])

        task.addBoth(done)

    async def clear(self) -> None:
        """
        Forget every backup and stop every restore (reset).
        """
        for task in list(self._tasks):
            task.cancel()
        self._backups.clear()
        self.save()
        await threads.deferToThread(_remove_files, self.root)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)
