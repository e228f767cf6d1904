"""
Property tests of S3 versioning: the version id parser, the
ListObjectVersions markers, and the version store against a model of S3's
rules (any sequence of writes, deletes, deletes of versions and status
changes gives the history S3 would, listed in S3's order and paged without
loss), in a kept index and in scratch ones whose archived versions wait.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3 import versions
from ruststack.s3.records import Bucket, ObjectMeta, ObjectRecord
from ruststack.s3.store import Store
from ruststack.s3.versionstore import ENABLED, SUSPENDED, new_version_id

# Version ids


@given(st.text())
def test_any_version_id_parses_or_is_invalid_argument(text):
    try:
        parsed = versions.parse_version_id(text)
    except AwsError as e:
        assert (e.code, e.status, e.message) == ("InvalidArgument", 400, "Invalid version id specified")
        assert e.fields == {"ArgumentName": "versionId", "ArgumentValue": text}
        assert text != "null" and not versions.valid_version_id(text)
    else:
        assert parsed == (None if text == "null" else text)
        assert len(text) == 32 or text == "null"


@given(st.integers(0, 50))
def test_made_version_ids_parse(_):
    made = new_version_id()
    assert len(made) == 32 and versions.parse_version_id(made) == made


@attrs.define
class _Context:
    store: Store


@pytest.fixture(scope="module")
def store():
    made = Store()
    made.create_bucket(Bucket("b", "000000000000", "us-east-1", 0.0))
    yield made
    made.close()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=10), st.one_of(st.just(""), st.text(max_size=40)))
def test_listing_markers_parse_or_are_refused(store, key_marker, version_marker):
    ctx = _Context(store)
    try:
        after = versions.start_position(ctx, "b", key_marker, version_marker)  # type: ignore[arg-type]
    except AwsError as e:
        assert (e.code, e.status) == ("InvalidArgument", 400)
        assert e.fields["ArgumentName"] == "version-id-marker"
        assert not key_marker or not versions.valid_version_id(version_marker)
    else:
        assert isinstance(after, bytes)
        assert after == b"" or after.startswith(key_marker.encode("utf-8", "surrogatepass"))


# The store against a model

_KEYS = ["a", "a/b", "b", "c"]
_put = st.tuples(st.just("put"), st.sampled_from(_KEYS))
# Writes three times as often as the rest: runs of them let archived versions wait.
_action = st.one_of(
    _put,
    _put,
    _put,
    st.tuples(st.just("delete"), st.sampled_from(_KEYS)),
    st.tuples(st.just("delete-version"), st.sampled_from(_KEYS), st.integers(0, 5)),
    st.tuples(st.just("status"), st.sampled_from([ENABLED, SUSPENDED])),
)


def _apply(store: Store, bucket: str, model: dict[str, list[tuple[str | None, bool]]], action: tuple, now: float):
    """
    Do C{action} to the store and to the model: each key's versions newest
    first, as (version id, is a marker).
    """
    kind = action[0]
    status = store.versions.status(bucket)
    if kind == "status":
        store.versions.set_configuration(bucket, action[1], None)
        return
    key = action[1]
    history = model.setdefault(key, [])
    if kind == "put":
        # Each body in its own file: a body unlinked too early, or never, shows in _files_match.
        body = uuid.uuid4().hex
        with open(os.path.join(store.files, body), "wb") as f:
            f.write(b"x")
        version_id, archived = store.versions.prepare_write(bucket, key)
        store.put_object(
            ObjectRecord(bucket, key, 1, '"e"', now, ObjectMeta(), None, body, version_id),  # type: ignore[arg-type]
            keep_previous=archived,
        )
        if status is None:
            history[:] = [(None, False)]
        else:
            if status == SUSPENDED:
                history[:] = [v for v in history if v[0] is not None]
            assert (version_id is None) == (status == SUSPENDED)
            history.insert(0, (version_id, False))
    elif kind == "delete":
        if status is None:
            store.delete_object(bucket, key)
            history.clear()
        else:
            made = store.versions.add_marker(bucket, key, now)
            if status == SUSPENDED:
                history[:] = [v for v in history if v[0] is not None]
            history.insert(0, (made, True))
    elif history:
        version_id, marker = history[action[2] % len(history)]
        deleted = store.versions.delete_version(bucket, key, version_id)
        assert deleted is not None and deleted.marker == marker
        history.remove((version_id, marker))


def _files_match(store: Store) -> None:
    # Every version's body file is there, and no other.
    referenced = store.versions.files() | {
        name for (name,) in store.index.execute("SELECT file FROM objects WHERE file IS NOT NULL")
    }
    assert set(os.listdir(store.files)) == referenced


def _expected(model: dict[str, list[tuple[str | None, bool]]]) -> list[tuple[str, str | None, bool, bool]]:
    return [
        (key, version_id, marker, index == 0)
        for key in sorted(model)
        for index, (version_id, marker) in enumerate(model[key])
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([None, ENABLED, SUSPENDED]),
    st.lists(_action, max_size=25),
    st.integers(1, 4),
    st.sampled_from([None, 1, 2, 64]),
)
def test_history_matches_s3s_rules(status, actions, page_size, waiting_limit):
    # A scratch index lets up to waiting_limit archived versions wait; None: a durable index, where none do.
    folder = None if waiting_limit else tempfile.mkdtemp()
    store = Store(folder)
    if waiting_limit:
        store.versions.waiting_limit = waiting_limit
    try:
        store.create_bucket(Bucket("b", "000000000000", "us-east-1", 0.0))
        model: dict[str, list[tuple[str | None, bool]]] = {}
        for step, action in enumerate(([("status", status)] if status else []) + actions):
            _apply(store, "b", model, action, float(step))
        _files_match(store)
        expected = _expected(model)
        listed = store.versions.list_versions("b", "", "", b"", 1000)
        assert [(r.key.decode(), r.version_id, r.marker, r.latest) for r in listed.rows] == expected
        # The current object of each key is its newest version unless that is a marker.
        for key, history in model.items():
            current = store.get_object("b", key)
            if history and not history[0][1]:
                assert current is not None and current.version_id == history[0][0]
            else:
                assert current is None
            marker = store.versions.latest_marker("b", key)
            assert (marker is not None) == bool(history and history[0][1])
        # Pages resumed from (key, version id) markers list everything once.
        ctx = _Context(store)
        seen: list = []
        after = b""
        while True:
            page = store.versions.list_versions("b", "", "", after, page_size)
            seen += [(r.key.decode(), r.version_id, r.marker, r.latest) for r in page.rows]
            if not page.truncated:
                break
            last = page.rows[-1]
            after = versions.start_position(
                ctx,  # type: ignore[arg-type]
                "b",
                last.key.decode(),
                versions.shown(last.version_id),
            )
        assert seen == expected
        # Whatever is left, deleting every version empties the bucket.
        for key, history in model.items():
            for version_id, _ in list(history):
                store.versions.delete_version("b", key, version_id)
        assert store.bucket_is_empty("b")
        assert os.listdir(store.files) == []
    finally:
        store.close()
        if folder:
            shutil.rmtree(folder)
