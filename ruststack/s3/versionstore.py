"""
The versioning side of the S3 store: each bucket's versioning state, and
the versions of its objects that are not the current object.

The C{objects} table keeps the current version of each key (what GET and
ListObjects see) with its version id (NULL: the C{null} version).
C{object_versions} keeps every other version: noncurrent objects, and
delete markers (the latest version of a key that has no current object is
always a marker, or there is none). A version's place in its key's history
is its C{seq}: a version archived gets a higher one than every version
there, so the current object is newer than all of them, then they go
newest (highest C{seq}) first, as ListObjectVersions lists them.

Old versions' bodies stay in their files (or inline rows): archiving a
version copies its index row, never its bytes. A write updates the current
row in place, and the trigger C{objects_archive} archives the row it
overwrites when that was another version: one statement, and no more work
in sqlite than a versioned write must do.

A scratch index (L{ruststack.s3.store.Store} without a folder) lets the
versions its writes archive wait in memory, in C{archived_versions}, and
moves them into C{object_versions} in batches, by key: one pass along the
by-key index instead of a cold walk to a different leaf at every write.
The history is whole whenever it is used: whatever reads or changes
C{object_versions} starts with L{VersionStore.history}, which moves the
waiting versions in first; each key's in the order they were archived, so
that they take their places (their C{seq}) in it.
"""

from __future__ import annotations

import base64
import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import NamedTuple

import attrs

from ruststack.s3 import listing
from ruststack.s3.records import ObjectMeta, ObjectRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bucket_versioning (bucket TEXT PRIMARY KEY, status TEXT NOT NULL, mfa_delete TEXT);
CREATE TABLE IF NOT EXISTS object_versions (
    seq INTEGER PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, version_id TEXT,
    marker INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, modified REAL NOT NULL,
    meta TEXT NOT NULL, file TEXT, body BLOB
);
CREATE INDEX IF NOT EXISTS object_versions_by_key ON object_versions (bucket, key, seq);
"""
# The columns a version carries from one table to the other (archived, by the trigger too, or promoted).
_COPY_COLUMNS = "bucket, key, version_id, size, etag, modified, meta, file, body"


def _archive_trigger(into: str, temporary: str = "") -> str:
    # A current object overwritten by another version becomes the newest noncurrent one.
    old = ", ".join("OLD." + column for column in _COPY_COLUMNS.split(", "))
    return f"""
CREATE {temporary} TRIGGER IF NOT EXISTS objects_archive BEFORE UPDATE OF version_id ON objects
WHEN OLD.version_id IS NOT NEW.version_id BEGIN
    INSERT INTO {into} (marker, {_COPY_COLUMNS}) VALUES (0, {old});
END;
"""


# A scratch index's archived versions wait in a database of the connection's
# own, in memory (a TEMP trigger may write to it; the index's trigger may not).
_WAITING = f"""
ATTACH ':memory:' AS waiting;
CREATE TABLE waiting.archived_versions (marker INTEGER NOT NULL, {_COPY_COLUMNS});
"""
# How many versions may wait at most: each holds its row, inline body included.
WAITING_LIMIT = 64

ENABLED = "Enabled"
SUSPENDED = "Suspended"
NULL = "null"
# A noncurrent version's rank in its key's history: the current object is 0,
# then newest first. Ranks are written in 20 digits in listing positions.
_RANK_BASE = 2**62


def new_version_id() -> str:
    """
    A version id as S3 makes them: 32 URL-safe characters.
    """
    return base64.urlsafe_b64encode(os.urandom(24)).decode("ascii").replace("-", ".")


def _key(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def position(key: bytes, rank: int) -> bytes:
    """
    Where a version sits in ListObjectVersions' order: its key, then its
    rank (0 for the current object, then newest first).
    """
    return b"%s\0%020d" % (key, rank)


def after_key(key: str) -> bytes:
    """
    The listing position past every version of C{key}.
    """
    return _key(key) + b"\0\xff"


@attrs.frozen
class Version:
    """
    One version of a key: an object (C{record}) or a delete marker.
    """

    key: str
    version_id: str | None
    marker: bool
    modified: float
    record: ObjectRecord | None = None

    @property
    def shown_id(self) -> str:
        return self.version_id or NULL


class Write(NamedTuple):
    """
    What a new current version of a key needs: its version id (C{None}: the
    null version), and whether the current object it overwrites, if any,
    is another version, which C{objects_archive} keeps (so its body stays:
    L{ruststack.s3.store.Store.put_object}'s C{keep_previous}).
    """

    version_id: str | None
    archived: bool


class Listed(NamedTuple):
    """
    A row of ListObjectVersions (a tuple: L{listing.list_page} reads its
    position as its first item).
    """

    position: bytes
    key: bytes
    version_id: str | None
    marker: bool
    latest: bool
    size: int
    etag: str
    modified: str
    storage_class: str | None
    checksum_algorithm: str | None
    checksum_type: str | None


class VersionStore:
    """
    Versioning state and version history over the store's sqlite index.
    All methods run in the reactor thread.

    @param unlink: removes a body file nothing will point at any more.
    @param scratch: the index is a scratch one: archived versions may wait
        (at most C{waiting_limit} of them).
    """

    def __init__(self, db: sqlite3.Connection, unlink: Callable[[str], None], scratch: bool = False) -> None:
        self._db = db
        self._unlink = unlink
        self._status: dict[str, tuple[str, str | None] | None] = {}
        self._scratch = scratch
        self.waiting_limit = WAITING_LIMIT
        # Writes since the waiting versions last moved in that may have archived one.
        self._waiting = 0
        db.executescript(_SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(objects)")}
        if "version_id" not in columns:
            # An index written before versioning existed: every object is the null version.
            db.execute("ALTER TABLE objects ADD COLUMN version_id TEXT")
        if scratch:
            db.executescript(_WAITING + _archive_trigger("archived_versions", "TEMP"))
        else:
            db.executescript(_archive_trigger("object_versions"))

    def history(self) -> sqlite3.Connection:
        """
        The index, with every waiting version moved into C{object_versions}:
        for each statement that reads or changes the version history.
        """
        if self._waiting:
            db = self._db
            # All or nothing (a failure leaves the versions waiting, to move at the next use);
            # only a key's own versions need their order (seq), so the batch goes in key order.
            db.execute("SAVEPOINT history")
            try:
                db.execute(
                    f"INSERT INTO object_versions (marker, {_COPY_COLUMNS})"
                    f" SELECT marker, {_COPY_COLUMNS} FROM archived_versions ORDER BY bucket, key, rowid"
                )
                db.execute("DELETE FROM archived_versions")
            except BaseException:
                db.execute("ROLLBACK TO history")
                db.execute("RELEASE history")
                raise
            db.execute("RELEASE history")
            self._waiting = 0
        return self._db

    # Buckets

    def status(self, bucket: str) -> str | None:
        """
        The bucket's versioning status: C{None} if it never had one, else
        L{ENABLED} or L{SUSPENDED}. Asked on every write: kept at hand.
        """
        return self.configuration(bucket)[0]

    def configuration(self, bucket: str) -> tuple[str | None, str | None]:
        """
        C{(status, MFA delete)} of the bucket, each C{None} when never set.
        """
        if bucket not in self._status:
            row = self._db.execute(
                "SELECT status, mfa_delete FROM bucket_versioning WHERE bucket = ?", (bucket,)
            ).fetchone()
            self._status[bucket] = (row[0], row[1]) if row else None
        found = self._status[bucket]
        return (None, None) if found is None else found

    def set_configuration(self, bucket: str, status: str, mfa_delete: str | None) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO bucket_versioning (bucket, status, mfa_delete) VALUES (?, ?, ?)",
            (bucket, status, mfa_delete),
        )
        self._status[bucket] = (status, mfa_delete)

    def forget_bucket(self, bucket: str) -> None:
        self._db.execute("DELETE FROM bucket_versioning WHERE bucket = ?", (bucket,))
        self.history().execute("DELETE FROM object_versions WHERE bucket = ?", (bucket,))
        self._status.pop(bucket, None)

    def reset(self) -> None:
        self.history().executescript("DELETE FROM bucket_versioning; DELETE FROM object_versions;")
        self._status.clear()

    def holds_versions(self, bucket: str) -> bool:
        row = self.history().execute("SELECT 1 FROM object_versions WHERE bucket = ? LIMIT 1", (bucket,)).fetchone()
        return row is not None

    def files(self) -> set[str]:
        return {name for (name,) in self.history().execute("SELECT file FROM object_versions WHERE file IS NOT NULL")}

    # Writes

    def prepare_write(self, bucket: str, key: str) -> Write:
        """
        Make room for a new current version of C{key}. Enabled: the new
        version gets an id, and the current object becomes noncurrent when
        the write lands. Suspended: the null version, wherever it is, is
        deleted (a current null object is left for the write to replace, so
        its file is unlinked once the new one is in), another current one
        becomes noncurrent. Never versioned: nothing to do.
        """
        status = self.status(bucket)
        if status is None:
            return Write(None, False)
        if status == ENABLED:
            self._may_archive()
            return Write(new_version_id(), True)
        current = self._current_version(bucket, key)
        self._drop_noncurrent(bucket, key, None)
        archived = current is not False and current is not None
        if archived:
            self._may_archive()
        return Write(None, archived)

    def _may_archive(self) -> None:
        # The write about to land may leave a version waiting: make room first.
        if self._scratch:
            if self._waiting >= self.waiting_limit:
                self.history()
            self._waiting += 1

    def add_marker(self, bucket: str, key: str, now: float) -> str | None:
        """
        Put a delete marker on top of C{key}'s history (DeleteObject without
        a version id on a versioned bucket); return its version id.
        """
        version_id, archived = self.prepare_write(bucket, key)
        if archived:
            self._archive(bucket, key)
        else:
            # Suspended: a current null version, if any, is the one the marker replaces.
            self._delete_current(bucket, key)
        self.history().execute(
            "INSERT INTO object_versions (bucket, key, version_id, marker, size, etag, modified, meta)"
            " VALUES (?, ?, ?, 1, 0, '', ?, '{}')",
            (bucket, _key(key), version_id, now),
        )
        return version_id

    def delete_version(self, bucket: str, key: str, version_id: str | None) -> Version | None:
        """
        Permanently delete one version of C{key} (the null version for
        C{None}); the newest remaining one becomes current if it is an
        object. Returns what was deleted, if it existed.
        """
        found = self.get_version(bucket, key, version_id)
        if found is None:
            return None
        if found.record is not None and self._current_version(bucket, key) == version_id:
            self._delete_current(bucket, key)
        else:
            self._drop_noncurrent(bucket, key, version_id)
        self._promote(bucket, key)
        return found

    def update_meta(self, bucket: str, key: str, version_id: str | None, meta: ObjectMeta) -> None:
        """
        Replace the metadata of a noncurrent version (tagging by versionId).
        """
        self.history().execute(
            "UPDATE object_versions SET meta = ? WHERE bucket = ? AND key = ? AND version_id IS ? AND marker = 0",
            (meta.to_json(), bucket, _key(key), version_id),
        )

    # Reads

    def get_version(self, bucket: str, key: str, version_id: str | None) -> Version | None:
        """
        The version C{version_id} of C{key} (C{None}: the null version).
        """
        row = self._db.execute(
            "SELECT size, etag, modified, meta, file, body FROM objects"
            " WHERE bucket = ? AND key = ? AND version_id IS ?",
            (bucket, _key(key), version_id),
        ).fetchone()
        if row is not None:
            return self._version(bucket, key, version_id, False, *row)
        history = self.history()
        row = history.execute(
            "SELECT marker, size, etag, modified, meta, file, body FROM object_versions"
            " WHERE bucket = ? AND key = ? AND version_id IS ? ORDER BY seq DESC LIMIT 1",
            (bucket, _key(key), version_id),
        ).fetchone()
        if row is None:
            return None
        return self._version(bucket, key, version_id, bool(row[0]), *row[1:])

    def latest_marker(self, bucket: str, key: str) -> Version | None:
        """
        The delete marker that is C{key}'s latest version, if it has no
        current object and its history ends with one.
        """
        if self._current_version(bucket, key) is not False:
            return None
        history = self.history()
        row = history.execute(
            "SELECT version_id, marker, modified FROM object_versions WHERE bucket = ? AND key = ?"
            " ORDER BY seq DESC LIMIT 1",
            (bucket, _key(key)),
        ).fetchone()
        if row is None or not row[1]:
            return None
        return Version(key, row[0], True, row[2])

    def rank_of(self, bucket: str, key: str, version_id: str | None) -> int | None:
        """
        The rank of a version in its key's history (see L{position}).
        """
        if self._current_version(bucket, key) == version_id:
            return 0
        history = self.history()
        row = history.execute(
            "SELECT MAX(seq) FROM object_versions WHERE bucket = ? AND key = ? AND version_id IS ?",
            (bucket, _key(key), version_id),
        ).fetchone()
        return None if row is None or row[0] is None else _RANK_BASE - row[0]

    def list_versions(self, bucket: str, prefix: str, delimiter: str, after: bytes, max_keys: int) -> listing.Page:
        """
        A page of L{Listed} rows (every version and delete marker, by key
        then newest first) and common prefixes after the position C{after}.
        """

        def seek(lower: bytes, inclusive: bool, upper: bytes | None, limit: int) -> Iterator[Listed]:
            bound = "" if upper is None else " AND key < ?"
            columns = (
                "strftime('%Y-%m-%dT%H:%M:%fZ', modified, 'unixepoch'), json_extract(meta, '$.storage_class'),"
                " json_extract(meta, '$.checksum[0]'), json_extract(meta, '$.checksum[2]')"
            )
            sql = (
                f"SELECT key, 0 AS rank, version_id, 0, 1, size, etag, {columns} FROM objects"
                f" WHERE bucket = ? AND key >= ?{bound}"
                f" UNION ALL SELECT key, ? - seq AS rank, version_id, marker,"
                " NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket = v.bucket AND o.key = v.key)"
                " AND seq = (SELECT MAX(seq) FROM object_versions w WHERE w.bucket = v.bucket AND w.key = v.key),"
                f" size, etag, {columns} FROM object_versions v WHERE bucket = ? AND key >= ?{bound}"
                " ORDER BY key, rank"
            )
            low = lower.split(b"\0", 1)[0]
            parameters: list = [bucket, low] + ([upper] if upper is not None else [])
            parameters += [_RANK_BASE, bucket, low] + ([upper] if upper is not None else [])
            found = 0
            for (
                key,
                rank,
                version_id,
                marker,
                latest,
                size,
                etag,
                modified,
                storage,
                algorithm,
                kind,
            ) in self.history().execute(sql, parameters):
                at = position(key, rank)
                if at > lower or (inclusive and at == lower):
                    yield Listed(
                        at, key, version_id, bool(marker), bool(latest), size, etag, modified, storage, algorithm, kind
                    )
                    found += 1
                    if found == limit:
                        return

        return listing.list_page(seek, _key(prefix), _key(delimiter), after, max_keys, key_of=lambda row: row.key)

    # Helpers

    def _current_version(self, bucket: str, key: str) -> str | None | bool:
        # The current object's version id (None: null), or False if there is none.
        row = self._db.execute(
            "SELECT version_id FROM objects WHERE bucket = ? AND key = ?", (bucket, _key(key))
        ).fetchone()
        return False if row is None else row[0]

    def _archive(self, bucket: str, key: str) -> None:
        # The current object becomes the newest noncurrent version, its bytes untouched
        # (a delete marker on top of it; a write has objects_archive do this).
        self.history().execute(
            f"INSERT INTO object_versions (marker, {_COPY_COLUMNS}) SELECT 0, {_COPY_COLUMNS} FROM objects"
            " WHERE bucket = ? AND key = ?",
            (bucket, _key(key)),
        )
        self._db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, _key(key)))

    def _delete_current(self, bucket: str, key: str) -> None:
        row = self._db.execute("SELECT file FROM objects WHERE bucket = ? AND key = ?", (bucket, _key(key))).fetchone()
        self._db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, _key(key)))
        if row and row[0]:
            self._unlink(row[0])

    def _drop_noncurrent(self, bucket: str, key: str, version_id: str | None) -> None:
        history = self.history()
        rows = history.execute(
            "SELECT seq, file FROM object_versions WHERE bucket = ? AND key = ? AND version_id IS ?",
            (bucket, _key(key), version_id),
        ).fetchall()
        for seq, file in rows:
            history.execute("DELETE FROM object_versions WHERE seq = ?", (seq,))
            if file:
                self._unlink(file)

    def _promote(self, bucket: str, key: str) -> None:
        # After a version is deleted: the newest remaining one is current if it is an object.
        if self._current_version(bucket, key) is not False:
            return
        history = self.history()
        row = history.execute(
            "SELECT seq, marker FROM object_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1",
            (bucket, _key(key)),
        ).fetchone()
        if row is None or row[1]:
            return
        history.execute(
            f"INSERT INTO objects ({_COPY_COLUMNS}) SELECT {_COPY_COLUMNS} FROM object_versions WHERE seq = ?",
            (row[0],),
        )
        history.execute("DELETE FROM object_versions WHERE seq = ?", (row[0],))

    def _version(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        marker: bool,
        size: int,
        etag: str,
        modified: float,
        meta: str,
        file: str | None,
        body: bytes | None,
    ) -> Version:
        record = None
        if not marker:
            record = ObjectRecord(bucket, key, size, etag, modified, ObjectMeta.from_json(meta), body, file, version_id)
        return Version(key, version_id, marker, modified, record)
