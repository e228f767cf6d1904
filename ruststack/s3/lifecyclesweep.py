"""
The lifecycle sweep: every so often, apply each bucket's lifecycle rules
(L{ruststack.s3.lifecycle}) to what is due -- expire current objects (as
DeleteObject would: a delete marker on a versioned bucket), noncurrent
versions and expired delete markers, and abort old multipart uploads.

A sweep never holds the reactor for long: it reads the index in small
batches (keyset paging), each batch evaluated and applied in one step of a
L{task.Cooperator} driven by the reactor's clock, so requests are served
between batches. Each batch reads and deletes in the same step, so nothing
written in between is deleted on stale facts.
"""

from __future__ import annotations

from collections.abc import Iterator

from twisted.internet import defer, task
from twisted.logger import Logger
from twisted.python.failure import Failure

from ruststack.s3 import lifecycle, versions
from ruststack.s3.call import S3Context
from ruststack.s3.lifecycle import Rule
from ruststack.s3.records import ObjectMeta

log = Logger()

BATCH = 100
# How often a sweep starts: hourly for real days, a tenth of a scaled day in
# tests (but no more often than ten times a second).
_LONGEST_INTERVAL = 3600.0
_SHORTEST_INTERVAL = 0.1


def interval(day_seconds: float) -> float:
    return min(_LONGEST_INTERVAL, max(_SHORTEST_INTERVAL, day_seconds / 10))


def _tags(meta: str) -> dict[str, str]:
    return ObjectMeta.from_json(meta).tags


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


class LifecycleSweeper:
    """
    Applies lifecycle rules on C{ctx}'s reactor clock.
    """

    def __init__(self, ctx: S3Context, batch: int = BATCH) -> None:
        self.ctx = ctx
        self.batch = batch
        self._loop: task.LoopingCall | None = None
        self._running: defer.Deferred | None = None
        clock = ctx.reactor
        self._cooperator = task.Cooperator(scheduler=lambda step: clock.callLater(0, step), started=True)

    def start(self) -> None:
        self._loop = task.LoopingCall(self.sweep)
        self._loop.clock = self.ctx.reactor
        self._loop.start(interval(self.ctx.day_seconds), now=False).addErrback(
            lambda failure: log.failure("lifecycle sweeps stopped", failure)
        )

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._cooperator.stop()

    def sweep(self) -> defer.Deferred:
        """
        Run one sweep in batches (unless one is still running); the
        Deferred fires when it is done.
        """
        if self._running is not None:
            return defer.succeed(None)
        done = self._cooperator.coiterate(self.steps())

        def finished(result: object) -> None:
            self._running = None
            if isinstance(result, Failure) and not result.check(task.SchedulerStopped):
                log.failure("lifecycle sweep failed", result)

        self._running = done
        done.addBoth(finished)
        return defer.succeed(None)

    def sweep_now(self) -> None:
        """
        Run a whole sweep at once (tests).
        """
        for _ in self.steps():
            pass

    def steps(self) -> Iterator[None]:
        """
        One sweep, a batch per step.
        """
        store = self.ctx.store
        configured = store.index.execute(
            "SELECT bucket, document FROM bucket_configs WHERE kind = ? ORDER BY bucket", (lifecycle.KIND,)
        ).fetchall()
        for bucket, document in configured:
            rules = lifecycle.rules_of(document)
            if not rules:
                continue
            if any(rule.expires_current for rule in rules):
                yield from self._current_objects(bucket, rules)
            if any(r.noncurrent_days or r.expires_current or r.expired_object_delete_marker for r in rules):
                yield from self._versions(bucket, rules)
            if any(rule.abort_days for rule in rules):
                yield from self._uploads(bucket, rules)

    def _still_configured(self, bucket: str, rules: tuple[Rule, ...]) -> bool:
        # The bucket and its rules may have changed between two batches.
        return self.ctx.store.get_bucket(bucket) is not None and lifecycle.stored_rules(self.ctx.store, bucket) == rules

    def _current_objects(self, bucket: str, rules: tuple[Rule, ...]) -> Iterator[None]:
        after = b""
        while True:
            if not self._still_configured(bucket, rules):
                return
            rows = self.ctx.store.index.execute(
                "SELECT key, size, modified, meta FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?",
                (bucket, after, self.batch),
            ).fetchall()
            now = self.ctx.now()
            for raw_key, size, modified, meta in rows:
                key = _text(raw_key)
                tags = _tags(meta) if any(rule.filter.needs_tags for rule in rules) else {}
                found = lifecycle.next_expiration(rules, key, size, tags, modified, self.ctx.day_seconds)
                if found is not None and found[0] <= now:
                    versions.delete_key(self.ctx, bucket, key, None)
            if len(rows) < self.batch:
                return
            after = rows[-1][0]
            yield None

    def _versions(self, bucket: str, rules: tuple[Rule, ...]) -> Iterator[None]:
        # Every version that is not the current object, with when it became
        # noncurrent (its successor's time; none for the latest marker), how
        # many versions are newer, whether the key has a current object and
        # how many versions it has.
        sql = (
            "SELECT v.key, v.seq, v.version_id, v.marker, v.size, v.modified, v.meta,"
            " COALESCE((SELECT w.modified FROM object_versions w WHERE w.bucket = v.bucket AND w.key = v.key"
            " AND w.seq > v.seq ORDER BY w.seq LIMIT 1),"
            " (SELECT o.modified FROM objects o WHERE o.bucket = v.bucket AND o.key = v.key)),"
            " (SELECT COUNT(*) FROM object_versions w WHERE w.bucket = v.bucket AND w.key = v.key AND w.seq > v.seq),"
            " EXISTS (SELECT 1 FROM objects o WHERE o.bucket = v.bucket AND o.key = v.key),"
            " (SELECT COUNT(*) FROM object_versions w WHERE w.bucket = v.bucket AND w.key = v.key)"
            " FROM object_versions v WHERE v.bucket = ? AND (v.key, v.seq) > (?, ?) ORDER BY v.key, v.seq LIMIT ?"
        )
        after: tuple[bytes, int] = (b"", -1)
        needs_tags = any(rule.filter.needs_tags for rule in rules)
        while True:
            if not self._still_configured(bucket, rules):
                return
            rows = self.ctx.store.versions.history().execute(sql, (bucket, *after, self.batch)).fetchall()
            now = self.ctx.now()
            for raw_key, _seq, version_id, marker, size, modified, meta, since, newer, current, total in rows:
                key = _text(raw_key)
                if since is None:
                    # The key's latest version, a delete marker: expired when alone.
                    if marker and not current and total == 1 and self._marker_expired(rules, key, modified, now):
                        versions.delete_key(self.ctx, bucket, key, versions.shown(version_id))
                    continue
                newer_noncurrent = newer if current else newer - 1
                tags = _tags(meta) if needs_tags and not marker else {}
                if self._noncurrent_expired(rules, key, size, tags, bool(marker), since, newer_noncurrent, now):
                    versions.delete_key(self.ctx, bucket, key, versions.shown(version_id))
            if len(rows) < self.batch:
                return
            after = (rows[-1][0], rows[-1][1])
            yield None

    def _marker_expired(self, rules: tuple[Rule, ...], key: str, modified: float, now: float) -> bool:
        # ExpiredObjectDeleteMarker removes a lone marker at once; a rule
        # expiring current objects removes it once it is as old as an object
        # it would expire. Tag filters never select markers; size filters
        # do not apply to them.
        for rule in rules:
            if rule.filter.needs_tags or not rule.filter.selects_key(key):
                continue
            if rule.expired_object_delete_marker:
                return True
            moment = lifecycle.expiry(rule, modified, self.ctx.day_seconds)
            if moment is not None and moment <= now:
                return True
        return False

    def _noncurrent_expired(
        self,
        rules: tuple[Rule, ...],
        key: str,
        size: int,
        tags: dict[str, str],
        marker: bool,
        since: float,
        newer_noncurrent: int,
        now: float,
    ) -> bool:
        for rule in rules:
            if rule.noncurrent_days is None:
                continue
            if marker:
                if rule.filter.needs_tags or not rule.filter.selects_key(key):
                    continue
            elif not rule.filter.selects(key, size, tags):
                continue
            if rule.newer_noncurrent_versions is not None and newer_noncurrent < rule.newer_noncurrent_versions:
                continue
            if lifecycle.due(since, rule.noncurrent_days, self.ctx.day_seconds) <= now:
                return True
        return False

    def _uploads(self, bucket: str, rules: tuple[Rule, ...]) -> Iterator[None]:
        after = ""
        while True:
            if not self._still_configured(bucket, rules):
                return
            rows = self.ctx.store.index.execute(
                "SELECT upload_id, key, initiated FROM uploads WHERE bucket = ? AND upload_id > ?"
                " ORDER BY upload_id LIMIT ?",
                (bucket, after, self.batch),
            ).fetchall()
            now = self.ctx.now()
            for upload_id, raw_key, initiated in rows:
                key = _text(raw_key)
                for rule in rules:
                    if rule.abort_days is None or not rule.filter.selects_key(key):
                        continue
                    if lifecycle.due(initiated, rule.abort_days, self.ctx.day_seconds) <= now:
                        self.ctx.store.drop_upload(upload_id)
                        break
            if len(rows) < self.batch:
                return
            after = rows[-1][0]
            yield None
