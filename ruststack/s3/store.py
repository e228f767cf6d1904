"""
The S3 store: an index in sqlite (keys as BLOBs, so its order is UTF-8 byte
order, as S3 lists them) and object bodies inline in the index when small,
in files named by random ids otherwise (a key never becomes a path).

Committed body files are never modified: a new write goes to a new file and
the old one is unlinked after the index points at the new one, so a reader
that opened the old file still reads a whole object. With a folder the
store survives a restart; without, the index and the files are scratch, in
a temporary folder removed by L{Store.close}.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import BinaryIO

import attrs
from twisted.internet import defer, threads

from ruststack.s3 import listing
from ruststack.s3.records import Bucket, ObjectMeta, ObjectRecord, Part, Staged, Upload
from ruststack.s3.versionstore import VersionStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS bucket_policies (bucket TEXT PRIMARY KEY, policy TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bucket_tags (bucket TEXT PRIMARY KEY, tags TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bucket_configs (
    bucket TEXT NOT NULL, kind TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (bucket, kind)
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    modified REAL NOT NULL, meta TEXT NOT NULL, file TEXT, body BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_by_key ON objects (bucket, key);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated REAL NOT NULL,
    account TEXT NOT NULL, meta TEXT NOT NULL, checksum_algorithm TEXT, checksum_type TEXT, object_lock TEXT,
    acl TEXT
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, initiated);
CREATE TABLE IF NOT EXISTS completed_uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, completed REAL NOT NULL, result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    modified REAL NOT NULL, checksum TEXT, file TEXT, body BLOB, PRIMARY KEY (upload_id, number)
);
"""

_DURABLE = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
# The index of a store that is not kept: a private file, locked for good,
# journaled in memory and never synced, so that it lives in the OS page cache.
# Not ":memory:": there, a commit after a page split walks sqlite's whole page
# cache, which holds the whole index, so every write that adds pages got slower
# as the index grew. Not mmap either: it remaps the file at every page it grows.
_SCRATCH = ("PRAGMA locking_mode=EXCLUSIVE", "PRAGMA journal_mode=MEMORY", "PRAGMA synchronous=OFF")
_OBJECT_COLUMNS = "key, size, etag, modified, meta, file, body, version_id"
_UPLOAD_COLUMNS = (
    "upload_id, bucket, key, initiated, account, meta, checksum_algorithm, checksum_type, object_lock, acl"
)
# Columns uploads gained after their table was first written, added to an older index.
_LATER_UPLOAD_COLUMNS = ("object_lock", "acl")
# Store.transaction of a scratch index: nothing to do.
_SCRATCH_TRANSACTION = nullcontext()


def _key(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


def upload_position(upload: Upload) -> bytes:
    """
    Where a multipart upload sits in ListMultipartUploads' order: its key,
    then its initiation time, then its id.
    """
    return b"%s\0%020d\0%s" % (_key(upload.key), int(upload.initiated * 1e6), upload.upload_id.encode())


class Store:
    """
    Buckets, objects and multipart uploads of one RustStack.

    All methods run in the reactor thread; only the bulk copying of bytes
    and fsync run in threads (the ones returning Deferreds).
    """

    def __init__(self, folder: str | None = None, reactor=None) -> None:
        self.durable = folder is not None
        self._reactor = reactor
        self.folder = folder if folder is not None else tempfile.mkdtemp(prefix="ruststack-s3-")
        self.files = os.path.join(self.folder, "objects")
        self.temporary = os.path.join(self.folder, "tmp")
        os.makedirs(self.files, exist_ok=True)
        shutil.rmtree(self.temporary, ignore_errors=True)
        os.makedirs(self.temporary)
        index = os.path.join(self.folder, "index.sqlite")
        self._db = sqlite3.connect(index, isolation_level=None, check_same_thread=False)
        self._buckets: dict[str, Bucket] = {}
        # bucket -> kind -> document (None: not configured): several asked by every request.
        self._configs: dict[str, dict[str, str | None]] = {}
        for pragma in _DURABLE if self.durable else _SCRATCH:
            self._db.execute(pragma)
        self._db.executescript(_SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(uploads)")}
        for column in _LATER_UPLOAD_COLUMNS:
            if column not in present:
                self._db.execute(f"ALTER TABLE uploads ADD COLUMN {column} TEXT")
        self.versions = VersionStore(self._db, self._unlink, scratch=not self.durable)
        if self.durable:
            self._adopt_object_acls()
            self._sweep()

    def _adopt_object_acls(self) -> None:
        # An index written before object ACLs lived in their objects' metadata kept
        # each as a bucket configuration "object-acl:<key in JSON>", stamped with the
        # object's ETag and time: the current objects they still belong to take them.
        legacy = "FROM bucket_configs WHERE kind >= 'object-acl:' AND kind < 'object-acl;'"
        rows = self._db.execute(f"SELECT bucket, kind, document {legacy}").fetchall()
        with self.transaction():
            for bucket, kind, document in rows:
                acl = json.loads(document)
                stamp = acl.pop("stamp", None)
                record = self.get_object(bucket, json.loads(kind[len("object-acl:") :]))
                if record is not None and stamp == [record.etag, record.last_modified]:
                    self.update_meta(bucket, record.key, attrs.evolve(record.meta, acl=acl))
            self._db.execute(f"DELETE {legacy}")

    def _sweep(self) -> None:
        # A crash between placing a body and committing the index leaves a
        # file nothing points at: remove those at startup.
        referenced = {
            name
            for table in ("objects", "parts")
            for (name,) in self._db.execute(f"SELECT file FROM {table} WHERE file IS NOT NULL")
        } | self.versions.files()
        for name in os.listdir(self.files):
            if name not in referenced:
                self._unlink(name)

    @property
    def index(self) -> sqlite3.Connection:
        """
        The sqlite index, for the store's modules that query it their own
        way (L{ruststack.s3.lifecyclesweep}); in the reactor thread only.
        """
        return self._db

    def close(self) -> None:
        self._db.close()
        if not self.durable:
            shutil.rmtree(self.folder, ignore_errors=True)

    def reset(self) -> None:
        self._db.executescript(
            "DELETE FROM buckets; DELETE FROM bucket_policies; DELETE FROM bucket_tags; DELETE FROM bucket_configs;"
            " DELETE FROM objects;"
            " DELETE FROM uploads; DELETE FROM parts; DELETE FROM completed_uploads;"
        )
        self.versions.reset()
        self._buckets.clear()
        self._configs.clear()
        shutil.rmtree(self.files, ignore_errors=True)
        os.makedirs(self.files, exist_ok=True)

    # Buckets

    def get_bucket(self, name: str) -> Bucket | None:
        # Every request asks; buckets are few and change rarely: keep them at hand.
        if name not in self._buckets:
            row = self._db.execute(
                "SELECT name, account, region, created, policy FROM buckets"
                " LEFT JOIN bucket_policies ON bucket_policies.bucket = buckets.name WHERE name = ?",
                (name,),
            ).fetchone()
            if row is None:
                return None
            self._buckets[name] = Bucket(*row)
        return self._buckets[name]

    def create_bucket(self, bucket: Bucket) -> None:
        self._db.execute(
            "INSERT INTO buckets (name, account, region, created) VALUES (?, ?, ?, ?)",
            (bucket.name, bucket.account, bucket.region, bucket.created),
        )

    def delete_bucket(self, name: str) -> None:
        self._db.execute("DELETE FROM buckets WHERE name = ?", (name,))
        self._db.execute("DELETE FROM bucket_policies WHERE bucket = ?", (name,))
        self._db.execute("DELETE FROM bucket_tags WHERE bucket = ?", (name,))
        self._db.execute("DELETE FROM bucket_configs WHERE bucket = ?", (name,))
        self._db.execute("DELETE FROM completed_uploads WHERE bucket = ?", (name,))
        self.versions.forget_bucket(name)
        self._buckets.pop(name, None)
        self._configs.pop(name, None)

    def set_bucket_policy(self, name: str, policy: str | None) -> None:
        """
        Keep C{policy} as the bucket's policy (C{None}: remove it).
        """
        if policy is None:
            self._db.execute("DELETE FROM bucket_policies WHERE bucket = ?", (name,))
        else:
            self._db.execute("INSERT OR REPLACE INTO bucket_policies (bucket, policy) VALUES (?, ?)", (name, policy))
        self._buckets.pop(name, None)

    def bucket_tags(self, name: str) -> list[tuple[str, str]] | None:
        """
        The bucket's tag set in the order it was put, or C{None} if it has none.
        """
        row = self._db.execute("SELECT tags FROM bucket_tags WHERE bucket = ?", (name,)).fetchone()
        return None if row is None else [(key, value) for key, value in json.loads(row[0])]

    def set_bucket_tags(self, name: str, tags: list[tuple[str, str]] | None) -> None:
        """
        Keep C{tags} as the bucket's tag set (C{None}: remove it).
        """
        if tags is None:
            self._db.execute("DELETE FROM bucket_tags WHERE bucket = ?", (name,))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO bucket_tags (bucket, tags) VALUES (?, ?)", (name, json.dumps(tags))
            )

    def bucket_config(self, name: str, kind: str) -> str | None:
        """
        The bucket's configuration document of C{kind} (see
        L{ruststack.s3.configs}), or C{None} if it has none.
        """
        configs = self._configs.get(name)
        if configs is None:
            if self.get_bucket(name) is None:
                return None  # kept only for buckets that exist, so unknown names cost nothing
            configs = self._configs[name] = {}
        if kind not in configs:
            row = self._db.execute(
                "SELECT document FROM bucket_configs WHERE bucket = ? AND kind = ?", (name, kind)
            ).fetchone()
            configs[kind] = None if row is None else row[0]
        return configs[kind]

    def set_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        """
        Keep C{document} as the bucket's configuration of C{kind} (C{None}: remove it).
        """
        if document is None:
            self._db.execute("DELETE FROM bucket_configs WHERE bucket = ? AND kind = ?", (name, kind))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO bucket_configs (bucket, kind, document) VALUES (?, ?, ?)",
                (name, kind, document),
            )
        self._configs.setdefault(name, {})[kind] = document

    def bucket_configs_between(self, name: str, lower: str, upper: str, limit: int) -> list[tuple[str, str]]:
        """
        The bucket's configurations whose kind sorts after C{lower} and
        before C{upper}, as C{(kind, document)} in that order, at most
        C{limit} (the configurations S3 keeps by id: C{analytics/<id>}...).
        """
        return self._db.execute(
            "SELECT kind, document FROM bucket_configs WHERE bucket = ? AND kind > ? AND kind < ?"
            " ORDER BY kind LIMIT ?",
            (name, lower, upper, limit),
        ).fetchall()

    def buckets_of(self, account: str) -> list[Bucket]:
        rows = self._db.execute(
            "SELECT name, account, region, created, policy FROM buckets"
            " LEFT JOIN bucket_policies ON bucket_policies.bucket = buckets.name WHERE account = ? ORDER BY name",
            (account,),
        )
        return [Bucket(*row) for row in rows]

    def bucket_is_empty(self, name: str) -> bool:
        for table in ("objects", "uploads"):
            if self._db.execute(f"SELECT 1 FROM {table} WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                return False
        return not self.versions.holds_versions(name)

    # Objects

    def get_object(self, bucket: str, key: str) -> ObjectRecord | None:
        row = self._db.execute(
            f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ?", (bucket, _key(key))
        ).fetchone()
        return self._object(bucket, row) if row else None

    def _object(self, bucket: str, row) -> ObjectRecord:
        key, size, etag, modified, meta, file, body, version_id = row
        return ObjectRecord(
            bucket,
            key.decode("utf-8", "surrogatepass"),
            size,
            etag,
            modified,
            ObjectMeta.from_json(meta),
            body,
            file,
            version_id,
        )

    def place(self, staged: Staged) -> defer.Deferred:
        """
        Move a staged body where committed bodies live: a Deferred firing
        with C{(inline bytes, None)} or C{(None, file name)}. Durable stores
        fsync the file (in a thread) before renaming it into place.
        """
        if staged.path is None:
            return defer.succeed((staged.data if staged.data is not None else b"", None))
        name = uuid.uuid4().hex
        target = os.path.join(self.files, name)
        if not self.durable:
            os.rename(staged.path, target)
            return defer.succeed((None, name))

        path = staged.path

        def durable_rename() -> tuple[None, str]:
            with open(path, "rb+") as f:
                os.fsync(f.fileno())
            os.rename(path, target)
            return None, name

        return self.run_in_thread(durable_rename)

    def transaction(self) -> AbstractContextManager[None]:
        """
        The index changes made within, all or none: a versioned write moves
        the previous object to its versions and commits the new one at once.
        A scratch index dies with the process: nothing to keep whole across
        a crash, and no statements to spend on it.
        """
        return self._durable_transaction() if self.durable else _SCRATCH_TRANSACTION

    @contextmanager
    def _durable_transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def put_object(self, record: ObjectRecord, keep_previous: bool = False) -> None:
        """
        Commit C{record} (its body already placed) in place of the key's
        current object, whose file is then unlinked; C{keep_previous} when
        that object is another version, which lives on as a noncurrent one
        (the versions' trigger archives it), so its body stays.
        """
        key = _key(record.key)
        previous = (
            None
            if keep_previous
            else self._db.execute(
                "SELECT file FROM objects WHERE bucket = ? AND key = ?", (record.bucket, key)
            ).fetchone()
        )
        values = (
            record.size,
            record.etag,
            record.last_modified,
            record.meta.to_json(),
            record.file,
            record.inline,
            record.version_id,
            record.bucket,
            key,
        )
        # An UPDATE rewrites the row where it is; INSERT OR REPLACE would delete
        # and reinsert it and its index entry (three times the cost in a WAL index).
        updated = self._db.execute(
            "UPDATE objects SET size = ?, etag = ?, modified = ?, meta = ?, file = ?, body = ?, version_id = ?"
            " WHERE bucket = ? AND key = ?",
            values,
        ).rowcount
        if not updated:
            self._db.execute(
                "INSERT INTO objects (size, etag, modified, meta, file, body, version_id, bucket, key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        if previous and previous[0] and previous[0] != record.file:
            self._unlink(previous[0])

    def update_meta(self, bucket: str, key: str, meta: ObjectMeta) -> None:
        self._db.execute(
            "UPDATE objects SET meta = ? WHERE bucket = ? AND key = ?", (meta.to_json(), bucket, _key(key))
        )

    def replace_meta(self, record: ObjectRecord, meta: ObjectMeta) -> None:
        """
        Give the object C{record} (the current object of its key, or one of
        its noncurrent versions) the metadata C{meta}: PutObjectTagging,
        PutObjectAcl.
        """
        current = self.get_object(record.bucket, record.key)
        if current is not None and current.version_id == record.version_id:
            self.update_meta(record.bucket, record.key, meta)
        else:
            self.versions.update_meta(record.bucket, record.key, record.version_id, meta)

    def delete_object(self, bucket: str, key: str) -> bool:
        row = self._db.execute("SELECT file FROM objects WHERE bucket = ? AND key = ?", (bucket, _key(key))).fetchone()
        if row is None:
            return False
        self._db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, _key(key)))
        if row[0]:
            self._unlink(row[0])
        return True

    def open_body(self, record: ObjectRecord | Part) -> BinaryIO:
        """
        The bytes of an object or part, as an open file: once open, they
        stay readable whatever later writes do to the key.
        """
        if record.file is None:
            return io.BytesIO(record.inline or b"")
        return open(os.path.join(self.files, record.file), "rb", buffering=0)

    def link_copy(self, record: ObjectRecord) -> str | None:
        """
        A new file name holding the same bytes as C{record}'s file (a hard
        link: committed files never change), or C{None} for inline bodies.
        """
        if record.file is None:
            return None
        name = uuid.uuid4().hex
        os.link(os.path.join(self.files, record.file), os.path.join(self.files, name))
        return name

    def list_objects(self, bucket: str, prefix: str, delimiter: str, after: str | bytes, max_keys: int) -> listing.Page:
        """
        A page of C{(key bytes, size, etag, ISO 8601 modified, storage class,
        checksum algorithm, checksum type)} rows and common prefixes; see
        L{listing.list_page}.
        """

        def seek(lower: bytes, inclusive: bool, upper: bytes | None, limit: int) -> Iterator:
            sql = (
                # LastModified formatted by sqlite (ISO 8601 with milliseconds), the
                # listed members read out of the metadata by sqlite's JSON functions.
                "SELECT key, size, etag, strftime('%Y-%m-%dT%H:%M:%fZ', modified, 'unixepoch'),"
                " json_extract(meta, '$.storage_class'), json_extract(meta, '$.checksum[0]'),"
                " json_extract(meta, '$.checksum[2]') FROM objects WHERE bucket = ? AND key "
            ) + (">= ?" if inclusive else "> ?")
            parameters: list = [bucket, lower]
            if upper is not None:
                sql += " AND key < ?"
                parameters.append(upper)
            sql += " ORDER BY key LIMIT ?"
            parameters.append(limit)
            return self._db.execute(sql, parameters)

        after_bytes = after if isinstance(after, bytes) else _key(after)
        return listing.list_page(seek, _key(prefix), _key(delimiter), after_bytes, max_keys)

    # Multipart uploads

    def create_upload(self, upload: Upload) -> None:
        self._db.execute(
            f"INSERT INTO uploads ({_UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                upload.upload_id,
                upload.bucket,
                _key(upload.key),
                upload.initiated,
                upload.account,
                upload.meta.to_json(),
                upload.checksum_algorithm,
                upload.checksum_type,
                upload.object_lock,
                upload.acl,
            ),
        )

    def get_upload(self, upload_id: str) -> Upload | None:
        row = self._db.execute(
            f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?",
            (upload_id,),
        ).fetchone()
        return self._upload(row) if row else None

    def _upload(self, row) -> Upload:
        upload_id, bucket, key, initiated, account, meta, algorithm, checksum_type, object_lock, acl = row
        return Upload(
            upload_id,
            bucket,
            key.decode("utf-8", "surrogatepass"),
            initiated,
            account,
            ObjectMeta.from_json(meta),
            algorithm,
            checksum_type,
            object_lock,
            acl,
        )

    def list_uploads(self, bucket: str, prefix: str, delimiter: str, after: bytes, max_uploads: int) -> listing.Page:
        """
        A page of C{(position, Upload)} rows, one per upload, in key then
        initiation order; see L{listing.list_page} and L{upload_position}.
        """

        def seek(lower: bytes, inclusive: bool, upper: bytes | None, limit: int) -> Iterator:
            sql = f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND key >= ?"
            parameters: list = [bucket, lower.split(b"\0", 1)[0]]
            if upper is not None:
                sql += " AND key < ?"
                parameters.append(upper)
            sql += " ORDER BY key, initiated, upload_id"
            found = 0
            for row in self._db.execute(sql, parameters):
                upload = self._upload(row)
                position = upload_position(upload)
                if position > lower or (inclusive and position == lower):
                    yield position, upload
                    found += 1
                    if found == limit:
                        return

        return listing.list_page(
            seek, _key(prefix), _key(delimiter), after, max_uploads, key_of=lambda row: _key(row[1].key)
        )

    def put_part(self, upload_id: str, part: Part) -> None:
        previous = self._db.execute(
            "SELECT file FROM parts WHERE upload_id = ? AND number = ?", (upload_id, part.number)
        ).fetchone()
        self._db.execute(
            "INSERT OR REPLACE INTO parts (upload_id, number, size, etag, modified, checksum, file, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (upload_id, part.number, part.size, part.etag, part.last_modified, part.checksum, part.file, part.inline),
        )
        if previous and previous[0]:
            self._unlink(previous[0])

    def parts(self, upload_id: str, after: int = 0, limit: int = 10001) -> list[Part]:
        rows = self._db.execute(
            "SELECT number, size, etag, modified, checksum, body, file FROM parts"
            " WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
            (upload_id, after, limit),
        )
        return [Part(*row) for row in rows]

    def drop_upload(self, upload_id: str, keep_files: frozenset[str] = frozenset()) -> None:
        """
        Forget an upload and its parts (their files too, but C{keep_files}).
        """
        files = self._db.execute("SELECT file FROM parts WHERE upload_id = ? AND file IS NOT NULL", (upload_id,))
        for (name,) in list(files):
            if name not in keep_files:
                self._unlink(name)
        self._db.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
        self._db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))

    # Completed uploads: a repeated CompleteMultipartUpload (an SDK's retry)
    # answers with the first one's result.

    def remember_completion(
        self, upload: Upload, completed: float, result: dict, keep: int, for_seconds: float
    ) -> None:
        """
        Keep C{result} of completing C{upload}; forget completions older
        than C{for_seconds}, and all but the C{keep} latest.
        """
        self._db.execute(
            "INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, key, completed, result)"
            " VALUES (?, ?, ?, ?, ?)",
            (upload.upload_id, upload.bucket, _key(upload.key), completed, json.dumps(result)),
        )
        self._db.execute("DELETE FROM completed_uploads WHERE completed < ?", (completed - for_seconds,))
        self._db.execute(
            "DELETE FROM completed_uploads WHERE upload_id NOT IN"
            " (SELECT upload_id FROM completed_uploads ORDER BY completed DESC LIMIT ?)",
            (keep,),
        )

    def completion(self, upload_id: str, bucket: str, key: str, since: float) -> dict | None:
        """
        The result remembered of completing C{upload_id} of C{bucket}/C{key}
        no earlier than C{since}, if any.
        """
        row = self._db.execute(
            "SELECT result FROM completed_uploads WHERE upload_id = ? AND bucket = ? AND key = ? AND completed >= ?",
            (upload_id, bucket, _key(key), since),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    # Helpers

    def new_temporary(self) -> tuple[BinaryIO, str]:
        descriptor, path = tempfile.mkstemp(dir=self.temporary, prefix="copy-")
        return os.fdopen(descriptor, "wb"), path

    def run_in_thread(self, function, *args) -> defer.Deferred:
        """
        Run blocking file work (copies, fsync) off the reactor thread (in
        it, when the store has no reactor: tests).
        """
        if self._reactor is None:
            return defer.maybeDeferred(function, *args)
        return threads.deferToThreadPool(self._reactor, self._reactor.getThreadPool(), function, *args)

    def unlink(self, name: str) -> None:
        """
        Remove a body file that was placed but will not be committed.
        """
        self._unlink(name)

    def _unlink(self, name: str) -> None:
        try:
            os.unlink(os.path.join(self.files, name))
        except FileNotFoundError:
            pass
