"""
The store on its own: the ordered index (100,000 keys, 1,000-key pages),
replacement semantics of body files, reset, an index from before versioning.
"""

from __future__ import annotations

import json
import os
import sqlite3
from types import SimpleNamespace

import pytest

from ruststack.s3 import versions
from ruststack.s3.records import Bucket, ObjectMeta, ObjectRecord, Staged, Upload
from ruststack.s3.store import Store


@pytest.fixture
def store():
    made = Store()
    made.create_bucket(Bucket("bkt", "000000000000", "us-east-1", 0.0))
    yield made
    made.close()
    assert not os.path.exists(made.folder)


def record(key: str, inline: bytes | None = b"x", file: str | None = None) -> ObjectRecord:
    return ObjectRecord("bkt", key, 1, '"etag"', 0.0, ObjectMeta(), inline, file)


def test_pages_of_100_000_keys_come_from_the_index(store):
    """
    Every page is a seek in the primary key's order: no scan of the bucket
    and no sort (how fast that is, is measured in bench/, not here).
    """
    store._db.executemany(
        "INSERT INTO objects (bucket, key, size, etag, modified, meta, body)"
        " VALUES ('bkt', ?, 1, '\"e\"', 0, '{}', x'78')",
        ((b"key/%06d" % i,) for i in range(100_000)),
    )
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    after, pages = "", 0
    while True:
        page = store.list_objects("bkt", "", "", after, 1000)
        pages += 1
        if not page.truncated:
            break
        after = page.next_after
    store._db.set_trace_callback(None)
    assert pages == 100
    assert page.rows[-1][0] == b"key/099999"
    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) == pages
    plan = " / ".join(row[-1] for row in store._db.execute("EXPLAIN QUERY PLAN " + selects[-1]))
    assert plan.startswith("SEARCH objects USING"), plan
    assert "TEMP B-TREE" not in plan, plan


def test_replacing_a_file_backed_object_keeps_open_readers_whole(store, tmp_path):
    name = _placed(store, b"one")
    store.put_object(record("k", None, name))
    reader = store.open_body(store.get_object("bkt", "k"))
    store.put_object(record("k", None, _placed(store, b"two")))
    assert not os.path.exists(os.path.join(store.files, name))
    assert reader.read() == b"one"
    reader.close()
    assert store.open_body(store.get_object("bkt", "k")).read() == b"two"


def _placed(store: Store, data: bytes) -> str:
    """
    Place C{data} as a body file (a store without a reactor does it at once)
    and return the file's name.
    """
    placed: list[tuple[bytes | None, str | None]] = []
    store.place(Staged(len(data), b"", path=_temporary(store, data))).addCallback(placed.append)
    ((_, name),) = placed
    assert name is not None
    return name


def _temporary(store: Store, data: bytes) -> str:
    f, path = store.new_temporary()
    with f:
        f.write(data)
    return path


def test_keys_never_become_paths(store):
    store.put_object(record("../../etc/passwd"))
    assert store.get_object("bkt", "../../etc/passwd").inline == b"x"
    assert os.listdir(store.files) == []


def test_reset_empties_everything(store):
    store.put_object(record("k"))
    store.reset()
    assert store.get_bucket("bkt") is None
    assert store.get_object("bkt", "k") is None


def test_bucket_configurations_are_read_once_and_follow_every_change(store):
    """
    Every request asks for several configurations of its bucket: a second
    read runs no SQL, and a put, a delete of the bucket and a reset are seen
    at once.
    """
    statements: list[str] = []
    store.index.set_trace_callback(statements.append)
    assert store.bucket_config("bkt", "cors") is None
    store.set_bucket_config("bkt", "cors", "<one/>")
    del statements[:]
    assert store.bucket_config("bkt", "cors") == "<one/>"
    assert store.bucket_config("bkt", "cors") == "<one/>"
    assert statements == []
    store.set_bucket_config("bkt", "cors", None)
    assert store.bucket_config("bkt", "cors") is None
    store.set_bucket_config("bkt", "cors", "<two/>")
    store.delete_bucket("bkt")
    assert store.bucket_config("bkt", "cors") is None
    store.create_bucket(Bucket("bkt", "000000000000", "us-east-1", 0.0))
    assert store.bucket_config("bkt", "cors") is None
    store.set_bucket_config("bkt", "cors", "<three/>")
    store.reset()
    assert store.bucket_config("bkt", "cors") is None
    # A bucket that does not exist has no configuration, and is not remembered.
    assert store.bucket_config("nothing-here", "cors") is None
    assert "nothing-here" not in store._configs


def test_a_durable_store_survives_reopening_and_sweeps_orphans(tmp_path):
    first = Store(str(tmp_path))
    first.create_bucket(Bucket("bkt", "000000000000", "us-east-1", 0.0))
    name = _placed(first, b"one")
    first.put_object(record("k", None, name))
    # A body placed but never committed, as a crash would leave it.
    orphan = _placed(first, b"two")
    first.close()
    again = Store(str(tmp_path))
    try:
        kept = again.get_object("bkt", "k")
        assert kept is not None
        assert again.open_body(kept).read() == b"one"
        assert os.listdir(again.files) == [name]
        assert orphan != name
    finally:
        again.close()
    assert os.path.exists(os.path.join(str(tmp_path), "index.sqlite"))


def test_an_index_from_before_versioning_opens_and_versions(tmp_path):
    """
    An index written before versioning existed (no version_id column) gets
    the column and the archiving trigger: its objects are null versions, and
    a versioned write keeps them as noncurrent ones, their files untouched.
    """
    os.makedirs(tmp_path / "objects")
    (tmp_path / "objects" / "old-body").write_bytes(b"old")
    db = sqlite3.connect(tmp_path / "index.sqlite")
    db.executescript(
        "CREATE TABLE objects (bucket TEXT NOT NULL, key BLOB NOT NULL, size INTEGER NOT NULL,"
        " etag TEXT NOT NULL, modified REAL NOT NULL, meta TEXT NOT NULL, file TEXT, body BLOB);"
        " CREATE UNIQUE INDEX objects_by_key ON objects (bucket, key);"
        " INSERT INTO objects VALUES ('bkt', x'6b', 3, '\"old\"', 0, '{}', 'old-body', NULL);"
    )
    db.commit()
    db.close()
    store = Store(str(tmp_path))
    try:
        before = store.get_object("bkt", "k")
        assert before is not None and before.version_id is None
        store.versions.set_configuration("bkt", "Enabled", None)
        version_id, archived = store.versions.prepare_write("bkt", "k")
        store.put_object(record("k").as_version(version_id), keep_previous=archived)
        listed = store.versions.list_versions("bkt", "", "", b"", 10).rows
        assert [(row.version_id, row.latest) for row in listed] == [(version_id, True), (None, False)]
        old = store.versions.get_version("bkt", "k", None)
        assert old is not None and old.record is not None and old.record.file == "old-body"
        assert (tmp_path / "objects" / "old-body").read_bytes() == b"old"
    finally:
        store.close()


def test_an_index_from_before_uploads_kept_their_lock_opens_and_keeps_it(tmp_path):
    """
    An index whose uploads table has neither the object_lock nor the acl
    column gets them: its uploads read back without either, and a new
    upload's are kept across reopening.
    """
    db = sqlite3.connect(tmp_path / "index.sqlite")
    db.executescript(
        "CREATE TABLE uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,"
        " initiated REAL NOT NULL, account TEXT NOT NULL, meta TEXT NOT NULL, checksum_algorithm TEXT,"
        " checksum_type TEXT);"
        " INSERT INTO uploads VALUES ('old', 'bkt', x'6b', 0, '000000000000', '{}', NULL, NULL);"
    )
    db.commit()
    db.close()
    lock, acl = '{"retention": {}, "hold": "ON"}', '{"Owner": {}, "Grants": []}'
    store = Store(str(tmp_path))
    try:
        old = store.get_upload("old")
        assert old is not None and (old.key, old.object_lock, old.acl) == ("k", None, None)
        store.create_upload(Upload("new", "bkt", "k", 1.0, "000000000000", ObjectMeta(), object_lock=lock, acl=acl))
    finally:
        store.close()
    again = Store(str(tmp_path))
    try:
        kept = again.get_upload("new")
        assert kept is not None and (kept.object_lock, kept.acl) == (lock, acl)
    finally:
        again.close()


def test_object_acls_kept_beside_their_objects_move_into_them(tmp_path):
    """
    An index from before object ACLs lived in their objects' metadata kept
    them as bucket configurations stamped with the object's ETag and time:
    reopened, the object the stamp still names takes its ACL, a stale one
    (the key written again since) is dropped, and no such row is left.
    """
    acl = {"Owner": {"ID": "owner"}, "Grants": [{"Grantee": {"Type": "Group", "URI": "u"}, "Permission": "READ"}]}
    first = Store(str(tmp_path))
    try:
        first.create_bucket(Bucket("bkt", "000000000000", "us-east-1", 0.0))
        for key in ("kept", "stale"):
            first.put_object(record(key))
            stamp = ['"etag"', 0.0 if key == "kept" else 1.0]
            first.set_bucket_config("bkt", f"object-acl:{json.dumps(key)}", json.dumps({**acl, "stamp": stamp}))
    finally:
        first.close()
    again = Store(str(tmp_path))
    try:
        kept, stale = again.get_object("bkt", "kept"), again.get_object("bkt", "stale")
        assert kept is not None and kept.meta.acl == acl
        assert stale is not None and stale.meta.acl is None
        left = again.index.execute("SELECT COUNT(*) FROM bucket_configs WHERE kind LIKE 'object-acl:%'").fetchone()
        assert left == (0,)
    finally:
        again.close()


def _overwrite(store: Store, key: str, times: int) -> list[str | None]:
    # Through the write path S3's operations take.
    ctx = SimpleNamespace(store=store)
    return [versions.commit_object(ctx, record(key))[0].version_id for _ in range(times)]  # type: ignore[arg-type]


def _waiting(store: Store) -> int:
    return store.index.execute("SELECT COUNT(*) FROM waiting.archived_versions").fetchone()[0]


def test_a_scratch_index_lets_at_most_the_limit_of_versions_wait(store):
    """
    Overwrites on a versioned bucket leave their predecessors waiting in
    memory, never more than the limit; a read finds every one of them, in
    the order they were archived, and nothing waits afterwards.
    """
    store.versions.set_configuration("bkt", "Enabled", None)
    store.versions.waiting_limit = 3
    made: list[str | None] = []
    for _ in range(10):
        made += _overwrite(store, "k", 1)
        assert _waiting(store) <= 3
    assert _waiting(store) > 0
    listed = store.versions.list_versions("bkt", "", "", b"", 100).rows
    assert [row.version_id for row in listed] == made[::-1]
    assert _waiting(store) == 0


def test_versions_that_cannot_move_keep_waiting_whole(store):
    """
    Moving the waiting versions is all or nothing: when it fails (a full
    disk, here a trigger refusing the last step, once the versions are
    copied), they all stay waiting and the history is untouched; the next
    use moves them, in their order.
    """
    store.versions.set_configuration("bkt", "Enabled", None)
    made = _overwrite(store, "k", 4)
    assert _waiting(store) == 3
    store.index.execute(
        "CREATE TEMP TRIGGER refuse BEFORE DELETE ON waiting.archived_versions BEGIN SELECT RAISE(ABORT, 'full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        store.versions.get_version("bkt", "k", made[0])
    assert _waiting(store) == 3
    assert store.index.execute("SELECT COUNT(*) FROM object_versions").fetchone()[0] == 0
    assert not store.index.in_transaction
    store.index.execute("DROP TRIGGER refuse")
    listed = store.versions.list_versions("bkt", "", "", b"", 100).rows
    assert [row.version_id for row in listed] == made[::-1]


def test_a_durable_index_archives_at_once(tmp_path):
    # Nothing waits in a kept index: each version is in its history when its write returns.
    durable = Store(str(tmp_path))
    try:
        durable.create_bucket(Bucket("bkt", "000000000000", "us-east-1", 0.0))
        durable.versions.set_configuration("bkt", "Enabled", None)
        _overwrite(durable, "k", 3)
        assert durable.index.execute("SELECT COUNT(*) FROM object_versions").fetchone()[0] == 2
        assert [name for (_, name, _) in durable.index.execute("PRAGMA database_list")] == ["main"]
    finally:
        durable.close()
