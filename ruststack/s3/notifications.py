"""
S3 event notifications to Lambda: after a write is committed, each of the
bucket's C{LambdaFunctionConfigurations} whose events and key filter match
gets an asynchronous (Event) invocation of its function carrying S3's event
record ("Event message structure", S3 user guide), queued by Lambda and
retried as Lambda retries any Event invocation.

A configuration is checked when it is put, as S3 checks it: the function
must exist and its resource policy let C{s3.amazonaws.com} invoke it for
this bucket (C{aws:SourceArn} C{arn:aws:s3:::<bucket>},
C{aws:SourceAccount} the bucket owner's). RustStack has no SQS and no SNS:
a queue or topic destination never validates. EventBridge's flag is stored,
nothing is sent to EventBridge.

Events leave once the answer has been handed to the connection, never
before: a write's answer never waits for them. As on AWS, events of one key
may arrive out of order (each record's C{sequencer} orders them).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
from twisted.logger import Logger

from ruststack.aws.errors import AwsError
from ruststack.interfaces import ILambdaInvoker, InvokeSource
from ruststack.s3 import documents
from ruststack.s3.records import Bucket

log = Logger()

S3_PRINCIPAL = "s3.amazonaws.com"
CONFIGURATION = "PutBucketNotificationConfiguration"
KIND = "notification"

# The operations that make events, and the event each makes.
CREATED = {
    "PutObject": "ObjectCreated:Put",
    "PostObject": "ObjectCreated:Post",
    "CopyObject": "ObjectCreated:Copy",
    "CompleteMultipartUpload": "ObjectCreated:CompleteMultipartUpload",
}
REMOVED = ("DeleteObject", "DeleteObjects")
SOURCES = frozenset([*CREATED, *REMOVED])

_UNVALIDATED = "Unable to validate the following destination configurations"


@attrs.frozen
class Change:
    """
    One committed change to a key: what an event record tells.

    @ivar event: the event name without its C{s3:} (C{ObjectCreated:Put}).
    @ivar etag: unquoted; C{None} for removals.
    @ivar version_id: C{None} on a bucket that never had versioning.
    """

    event: str
    key: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None


@attrs.frozen
class Origin:
    """
    The request a change came from, as the record names it.
    """

    principal_id: str
    source_ip: str
    request_id: str
    host_id: str


# -- Matching


def event_matches(configured: str, event: str) -> bool:
    """
    Whether the configured event type (C{s3:ObjectCreated:*},
    C{s3:ObjectRemoved:Delete}...) covers C{event} (C{ObjectCreated:Put}).
    """
    name = configured.removeprefix("s3:")
    if name.endswith(":*"):
        return event.startswith(name[:-1])
    return name == event


def key_matches(rules: list[dict[str, str]], key: str) -> bool:
    """
    Whether C{key} (as stored, not URL-encoded) passes a filter's prefix and
    suffix rules (rule names in any case; values case-sensitive).
    """
    for rule in rules:
        name, value = rule.get("Name", "").lower(), rule.get("Value", "")
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


def filter_rules(entry: Mapping[str, Any]) -> list[dict[str, str]]:
    return entry.get("Filter", {}).get("Key", {}).get("FilterRules", [])


def matching(values: Mapping[str, Any], change: Change) -> Iterator[Mapping[str, Any]]:
    """
    The Lambda configurations of C{values} that C{change} triggers.
    """
    for entry in values.get("LambdaFunctionConfigurations", []):
        if any(event_matches(configured, change.event) for configured in entry.get("Events", [])) and key_matches(
            filter_rules(entry), change.key
        ):
            yield entry


# -- The record


def encode_key(key: str) -> str:
    """
    The key as S3's records carry it: form-encoded (a space is C{+}),
    C{/} left as it is.
    """
    return urllib.parse.quote_plus(key, safe="/*", encoding="utf-8", errors="surrogatepass").replace("~", "%7E")


def customer_id(account: str) -> str:
    """
    A stable stand-in for the Amazon customer id S3 names an account by in
    records (C{A} and 13 upper-case letters and digits).
    """
    digest = hashlib.sha256(f"ruststack-customer:{account}".encode()).digest()
    return "A" + base64.b32encode(digest).decode()[:13]


def event_time(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def record(
    bucket: Bucket, change: Change, origin: Origin, configuration_id: str, when: float, sequencer: str
) -> dict[str, Any]:
    """
    S3's event record (event version 2.1) of C{change}.
    """
    obj: dict[str, Any] = {"key": encode_key(change.key)}
    if change.size is not None:
        obj["size"] = change.size
    if change.etag is not None:
        obj["eTag"] = change.etag
    if change.version_id is not None:
        obj["versionId"] = change.version_id
    obj["sequencer"] = sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region,
        "eventTime": event_time(when),
        "eventName": change.event,
        "userIdentity": {"principalId": origin.principal_id},
        "requestParameters": {"sourceIPAddress": origin.source_ip},
        "responseElements": {"x-amz-request-id": origin.request_id, "x-amz-id-2": origin.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": customer_id(bucket.account)},
                "arn": f"arn:aws:s3:::{bucket.name}",
            },
            "object": obj,
        },
    }


# -- What a request changed


def _header(request: Any, name: bytes) -> str | None:
    values = request.responseHeaders.getRawHeaders(name)
    return None if not values else values[0].decode("utf-8", "replace")


def changes_of(store: Any, call: Any, operation: str) -> list[Change]:
    """
    What C{call} committed: read from its answer's headers, the deletions
    it recorded and the store as it is now (the write has just been
    committed).
    """
    request = call.request
    version = _header(request, b"x-amz-version-id")
    if operation in CREATED:
        found = store.get_object(call.bucket, call.key)
        if found is None:
            return []
        return [Change(CREATED[operation], call.key, found.size, found.etag.strip('"'), version)]
    if operation == "DeleteObject":
        asked = call.query.get("versionId")
        if asked is None and _header(request, b"x-amz-delete-marker") == "true":
            return [Change("ObjectRemoved:DeleteMarkerCreated", call.key, version_id=version)]
        return [Change("ObjectRemoved:Delete", call.key, version_id=asked)]
    if operation == "DeleteObjects":
        return [
            Change("ObjectRemoved:DeleteMarkerCreated", key, version_id=deletion.marker_version_id)
            if asked is None and deletion.marker_version_id is not None
            else Change("ObjectRemoved:Delete", key, version_id=asked)
            for key, asked, deletion in call.deletions
        ]
    return []


# -- Delivery and validation


@attrs.define
class Notifier:
    """
    Sends a bucket's events to Lambda (found among C{services} when needed:
    it may start after S3, or not run at all).
    """

    reactor: Any
    services: Mapping[str, Any]
    _last_sequence: int = 0

    def invoker(self) -> Any:
        return ILambdaInvoker(self.services.get("lambda"), None)

    def sequencer(self) -> str:
        # Increasing over the whole store, so increasing for each key.
        self._last_sequence = max(self._last_sequence + 1, time.time_ns())
        return f"{self._last_sequence:018X}"

    def after(self, store: Any, call: Any, operation: str) -> None:
        """
        Called once C{call}'s write is committed: queue the events it makes, to leave once the answer is on its way.
        """
        if operation not in SOURCES or call.request.code >= 300:
            return
        document = store.bucket_config(call.bucket, KIND)
        if document is None:
            return
        values = documents.values_of(CONFIGURATION, document)
        if not values.get("LambdaFunctionConfigurations"):
            return
        bucket = store.get_bucket(call.bucket)
        if bucket is None:
            return
        changes = changes_of(store, call, operation)
        if not changes:
            return
        request = call.request
        origin = Origin(
            customer_id(call.caller.account),
            getattr(request.getClientAddress(), "host", "127.0.0.1"),
            _header(request, b"x-amz-request-id") or "",
            _header(request, b"x-amz-id-2") or "",
        )
        when = self.reactor.seconds()
        events = []
        for change in changes:
            sequencer = self.sequencer()
            for entry in matching(values, change):
                payload = {"Records": [record(bucket, change, origin, entry.get("Id", ""), when, sequencer)]}
                events.append((entry["LambdaFunctionArn"], json.dumps(payload).encode("utf-8")))
        if not events:
            return
        # Once the answer is finished (or the client gone: the write stands),
        # and one reactor turn later: that turn's I/O sends the answer's bytes
        # before any work for the events is done.
        request.notifyFinish().addBoth(
            lambda _: self.reactor.callLater(0, self.reactor.callLater, 0, self.send, bucket, events)
        )

    def send(self, bucket: Bucket, events: list[tuple[str, bytes]]) -> None:
        invoker = self.invoker()
        source = InvokeSource(S3_PRINCIPAL, f"arn:aws:s3:::{bucket.name}")
        for function, payload in events:
            if invoker is None:
                log.warn("S3 event for {function} dropped: Lambda is not running", function=function)
                continue
            try:
                invoker.invoke_event(bucket.account, bucket.region, function, payload, source)
            except AwsError as error:
                # As on AWS: the event is lost (S3 counts it in its metrics).
                log.warn(
                    "S3 event of {bucket} for {function} dropped: {code}: {message}",
                    bucket=bucket.name,
                    function=function,
                    code=error.code,
                    message=error.message,
                )

    def check(self, bucket: Bucket, values: dict[str, Any]) -> None:
        """
        S3's checks of a notification configuration about to be put: filter
        rules, then every destination (numbered C{ArgumentName<n>} /
        C{ArgumentValue<n>} for each that does not validate). Gives an Id to
        each configuration put without one, as S3 does.
        """
        for listed in ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations"):
            for entry in values.get(listed, []):
                check_filter(filter_rules(entry))
                entry.setdefault("Id", base64.b64encode(str(uuid.uuid4()).encode()).decode().rstrip("="))
        check_overlaps(values)
        failed: dict[str, str] = {}
        invoker = self.invoker()
        source = InvokeSource(S3_PRINCIPAL, f"arn:aws:s3:::{bucket.name}")
        for entry in values.get("QueueConfigurations", []):
            failed[entry["QueueArn"]] = "The destination queue does not exist"
        for entry in values.get("TopicConfigurations", []):
            failed[entry["TopicArn"]] = "The destination topic does not exist"
        for entry in values.get("LambdaFunctionConfigurations", []):
            function = entry["LambdaFunctionArn"]
            try:
                if invoker is None:
                    raise AwsError("ResourceNotFoundException", "Lambda is not running", 404)
                parts = function.split(":")
                if function.startswith("arn:") and len(parts) > 3 and parts[3] != bucket.region:
                    # S3 notifies functions of its bucket's region only.
                    raise AwsError("ResourceNotFoundException", "another region", 404)
                invoker.invoke_event(bucket.account, bucket.region, function, b"", source, dry_run=True)
            except AwsError:
                failed[f"{function}, null"] = f"Not authorized to invoke function [{function}]"
        if failed:
            fields: dict[str, object] = {}
            for number, (name, value) in enumerate(failed.items(), 1):
                fields[f"ArgumentName{number}"] = name
                fields[f"ArgumentValue{number}"] = value
            raise AwsError("InvalidArgument", _UNVALIDATED, 400, fields)


def events_overlap(one: str, other: str) -> bool:
    """
    Whether two configured event types cover a common event.
    """
    one, other = one.removeprefix("s3:"), other.removeprefix("s3:")
    if one == other:
        return True
    family = one.split(":")[0] == other.split(":")[0]
    return family and (one.endswith(":*") or other.endswith(":*"))


def affixes(entry: Mapping[str, Any]) -> tuple[str, str]:
    """
    A configuration's key prefix and suffix (C{""} when it has none).
    """
    found = {rule.get("Name", "").lower(): rule.get("Value", "") for rule in filter_rules(entry)}
    return found.get("prefix", ""), found.get("suffix", "")


def check_overlaps(values: Mapping[str, Any]) -> None:
    """
    S3 refuses two configurations (of any destinations) that one change
    could both match: an event type in common, and prefixes one of which
    starts the other, and suffixes one of which ends the other.
    """
    entries = [
        entry
        for listed in ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations")
        for entry in values.get(listed, [])
    ]
    for index, entry in enumerate(entries):
        prefix, suffix = affixes(entry)
        for other in entries[index + 1 :]:
            other_prefix, other_suffix = affixes(other)
            if (
                any(events_overlap(a, b) for a in entry.get("Events", []) for b in other.get("Events", []))
                and (prefix.startswith(other_prefix) or other_prefix.startswith(prefix))
                and (suffix.endswith(other_suffix) or other_suffix.endswith(suffix))
            ):
                raise AwsError(
                    "InvalidArgument",
                    "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the"
                    " prefixes are overlapping for the same event type.",
                    400,
                )


def check_filter(rules: list[dict[str, str]]) -> None:
    """
    S3's rules for a key filter: C{prefix} and C{suffix} only (any case),
    each at most once.
    """
    seen: set[str] = set()
    for rule in rules:
        name = rule.get("Name", "")
        lowered = name.lower()
        if lowered not in ("prefix", "suffix"):
            raise AwsError(
                "InvalidArgument",
                "filter rule name must be either prefix or suffix",
                400,
                {"ArgumentName": "FilterRule", "ArgumentValue": name},
            )
        if lowered in seen:
            raise AwsError(
                "InvalidArgument",
                f"Cannot specify more than one {lowered} rule in a filter.",
                400,
                {"ArgumentName": "FilterRule", "ArgumentValue": name},
            )
        seen.add(lowered)
