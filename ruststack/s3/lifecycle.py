"""
S3 lifecycle rules as they apply to objects: which objects a rule's filter
selects, when its actions are due, and the C{x-amz-expiration} header that
tells a client when an object will expire. The rules are those
PutBucketLifecycleConfiguration stored (L{ruststack.s3.configs.LIFECYCLE});
L{ruststack.s3.lifecyclesweep} applies them.

Days count as S3 counts them: from the object's creation (a noncurrent
version's: from when it became noncurrent), rounded up to the next midnight
UTC. A "day" is C{day_seconds} long, 86400 unless a test scales it
(C{--s3-lifecycle-day-seconds}); midnight is then a multiple of it since the
epoch. Transitions are stored only: RustStack has one storage class.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

import attrs

from ruststack.s3 import documents
from ruststack.s3.objectmeta import http_date

DAY = 86400.0
KIND = "lifecycle"
_PUT = "PutBucketLifecycleConfiguration"
EXPIRATION_HEADER = "x-amz-expiration"


@attrs.frozen
class Filter:
    """
    What a rule applies to: keys under C{prefix}, objects carrying every tag
    of C{tags}, and sizes strictly between the bounds.
    """

    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    greater_than: int | None = None
    less_than: int | None = None

    def selects_key(self, key: str) -> bool:
        return key.startswith(self.prefix)

    def selects(self, key: str, size: int, tags: Mapping[str, str]) -> bool:
        if not key.startswith(self.prefix):
            return False
        if self.greater_than is not None and not size > self.greater_than:
            return False
        if self.less_than is not None and not size < self.less_than:
            return False
        return all(tags.get(name) == value for name, value in self.tags)

    @property
    def needs_tags(self) -> bool:
        return bool(self.tags)


@attrs.frozen
class Rule:
    """
    One enabled rule's actions (C{None}: not part of the rule).
    """

    rule_id: str
    filter: Filter
    expiration_days: int | None = None
    expiration_date: float | None = None
    expired_object_delete_marker: bool = False
    noncurrent_days: int | None = None
    newer_noncurrent_versions: int | None = None
    abort_days: int | None = None

    @property
    def expires_current(self) -> bool:
        return self.expiration_days is not None or self.expiration_date is not None


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.timestamp()
    return float(value)


def filter_of(rule: Mapping[str, Any]) -> Filter:
    """
    The filter of a stored rule: C{Filter} (one predicate, or C{And}) or
    the legacy C{Prefix}.
    """
    if "Filter" not in rule:
        return Filter(prefix=rule.get("Prefix") or "")
    given = rule["Filter"] or {}
    combined = given.get("And")
    if combined is not None:
        return Filter(
            combined.get("Prefix") or "",
            tuple((tag["Key"], tag["Value"]) for tag in combined.get("Tags", [])),
            combined.get("ObjectSizeGreaterThan"),
            combined.get("ObjectSizeLessThan"),
        )
    tag = given.get("Tag")
    return Filter(
        given.get("Prefix") or "",
        ((tag["Key"], tag["Value"]),) if tag else (),
        given.get("ObjectSizeGreaterThan"),
        given.get("ObjectSizeLessThan"),
    )


def rule_of(rule: Mapping[str, Any]) -> Rule:
    expiration = rule.get("Expiration") or {}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    date = expiration.get("Date")
    return Rule(
        rule.get("ID") or "",
        filter_of(rule),
        expiration.get("Days"),
        None if date is None else _timestamp(date),
        bool(expiration.get("ExpiredObjectDeleteMarker")),
        noncurrent.get("NoncurrentDays"),
        noncurrent.get("NewerNoncurrentVersions"),
        abort.get("DaysAfterInitiation"),
    )


def rules_of(document: str) -> tuple[Rule, ...]:
    """
    The enabled rules of a stored lifecycle configuration, in its order.
    """
    values = documents.values_of(_PUT, document)
    return tuple(rule_of(rule) for rule in values["Rules"] if rule.get("Status") == "Enabled")


def stored_rules(store, bucket: str) -> tuple[Rule, ...]:
    document = store.bucket_config(bucket, KIND)
    return () if document is None else rules_of(document)


def due(start: float, days: int, day_seconds: float = DAY) -> float:
    """
    When an action C{days} days after C{start} is due: that moment rounded
    up to the next midnight (UTC), as S3 rounds it.
    """
    return math.ceil((start + days * day_seconds) / day_seconds) * day_seconds


def expiry(rule: Rule, created: float, day_seconds: float = DAY) -> float | None:
    """
    When C{rule} expires a current object (or marker) made at C{created}.
    """
    if rule.expiration_date is not None:
        return rule.expiration_date
    if rule.expiration_days is not None:
        return due(created, rule.expiration_days, day_seconds)
    return None


def next_expiration(
    rules: tuple[Rule, ...], key: str, size: int, tags: Mapping[str, str], created: float, day_seconds: float = DAY
) -> tuple[float, str] | None:
    """
    The earliest C{(moment, rule id)} at which a rule expires the current
    object C{key}, if one will.
    """
    found: tuple[float, str] | None = None
    for rule in rules:
        if not rule.expires_current or not rule.filter.selects(key, size, tags):
            continue
        moment = expiry(rule, created, day_seconds)
        assert moment is not None
        if found is None or moment < found[0]:
            found = (moment, rule.rule_id)
    return found


def expiration_header(moment: float, rule_id: str) -> str:
    """
    C{x-amz-expiration} as S3 writes it.
    """
    return f'expiry-date="{http_date(moment)}", rule-id="{rule_id}"'


def expiration_headers(ctx, record) -> dict[str, str]:
    """
    C{x-amz-expiration} for an answer about the current object C{record},
    when a rule of its bucket will expire it (empty otherwise).
    """
    rules = stored_rules(ctx.store, record.bucket)
    if not rules:
        return {}
    found = next_expiration(rules, record.key, record.size, record.meta.tags, record.last_modified, ctx.day_seconds)
    return {} if found is None else {EXPIRATION_HEADER: expiration_header(*found)}
