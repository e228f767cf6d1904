"""
CloudWatch Logs' operations on the service contract: C{async def op(call,
params) -> output}, inputs already read and validated from botocore's
C{logs} model (its constraint violations are C{InvalidParameterException}).
Messages are AWS's, as its answers give them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import Any

import attrs

from ruststack.aws.arn import Arn
from ruststack.aws.errors import AwsError
from ruststack.cloudwatchlogs import patterns
from ruststack.cloudwatchlogs.events import StreamEvents
from ruststack.cloudwatchlogs.store import DAY_MS, RETENTION_DAYS, LogGroup, LogStore, LogStream, group_not_found
from ruststack.cloudwatchlogs.tokens import Position, event_id, parse_stream_token, stream_token
from ruststack.protocol import Handler

# PutLogEvents (botocore logs model, PutLogEvents): a batch is at most
# 1,048,576 bytes, counting 26 bytes per event; events more than 14 days
# old or 2 hours ahead are rejected, the rest stored; a batch spans at most
# 24 hours.
MAX_BATCH_BYTES = 1_048_576
EVENT_BYTES = 26
TOO_OLD_MS = 14 * DAY_MS
TOO_NEW_MS = 2 * 3_600_000
MAX_SPAN_MS = DAY_MS
# A page of events: 10,000 events or 1 MB, whichever comes first.
MAX_EVENTS = 10_000
MAX_PAGE_BYTES = 1_048_576
# FilterLogEvents' startFromHead false needs a startTime on or after
# 2024-01-01 00:00:00 UTC (botocore logs model, FilterLogEvents).
DESCENDING_SINCE_MS = 1_704_067_200_000
DESCRIBE_LIMIT = 50


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message, 400)


@attrs.frozen
class Call:
    """
    One request: the store, who calls, and the time (ms) it arrived.
    """

    store: LogStore
    account: str
    region: str
    now: int


# Log groups.


def _group_of(call: Call, params: dict[str, Any]) -> LogGroup:
    """
    The group C{logGroupName} or C{logGroupIdentifier} (a name or an ARN)
    names, in the caller's account and region.
    """
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise AwsError("ValidationException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.", 400)
    if name is None and identifier is None:
        raise AwsError("ValidationException", "Either LogGroup name or LogGroup ARN must be provided.", 400)
    if name is None:
        assert identifier is not None
        name = _group_name_of(call, identifier)
    return call.store.group(call.account, call.region, name)


def _group_name_of(call: Call, identifier: str) -> str:
    if not identifier.startswith("arn:"):
        return identifier
    try:
        arn = Arn.parse(identifier)
    except ValueError:
        raise group_not_found() from None
    kind, _, rest = arn.resource.partition(":")
    name = rest.removesuffix(":*")
    # Another account's or region's group is, to this caller, no group.
    if arn.service != "logs" or kind != "log-group" or arn.account != call.account or arn.region != call.region:
        raise group_not_found()
    return name


async def create_log_group(call: Call, params: dict[str, Any]) -> None:
    name = params["logGroupName"]
    if name in call.store.groups_of(call.account, call.region):
        raise AwsError("ResourceAlreadyExistsException", "The specified log group already exists", 400)
    call.store.add_group(
        LogGroup(
            call.account,
            call.region,
            name,
            call.now,
            tags=dict(params.get("tags") or {}),
            kms_key_id=params.get("kmsKeyId"),
            log_group_class=params.get("logGroupClass") or "STANDARD",
            deletion_protection=bool(params.get("deletionProtectionEnabled")),
        )
    )


async def delete_log_group(call: Call, params: dict[str, Any]) -> None:
    group = call.store.group(call.account, call.region, params["logGroupName"])
    if group.deletion_protection:
        raise AwsError("ValidationException", "Log group deletion protection is enabled.", 400)
    call.store.delete_group(group)


def _describe_group(group: LogGroup, brief: bool) -> dict[str, Any]:
    described: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created,
        "metricFilterCount": 0,
        "arn": group.arn + ":*",
        "logGroupClass": group.log_group_class,
        "logGroupArn": group.arn,
    }
    if brief:  # logGroupNamePattern: AWS leaves the rest out
        return described
    if group.retention_days:
        described["retentionInDays"] = group.retention_days
    if group.kms_key_id:
        described["kmsKeyId"] = group.kms_key_id
    described["storedBytes"] = group.stored_bytes()
    described["deletionProtectionEnabled"] = group.deletion_protection
    return described


async def describe_log_groups(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
    if prefix is not None and pattern is not None:
        raise invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
    wanted = set(params.get("logGroupIdentifiers") or ())
    names = {_group_name_of(call, i) if i.startswith("arn:") else i for i in wanted}
    group_class = params.get("logGroupClass")
    # AWS's token is the name of the first group of the next page.
    after = params.get("nextToken") or ""
    limit = params.get("limit") or DESCRIBE_LIMIT
    chosen = [
        group
        for name, group in sorted(call.store.groups_of(call.account, call.region).items())
        if name >= after
        and (prefix is None or name.startswith(prefix))
        and (pattern is None or pattern in name)
        and (not wanted or name in names)
        and (group_class is None or group.log_group_class == group_class)
    ]
    output: dict[str, Any] = {"logGroups": [_describe_group(g, pattern is not None) for g in chosen[:limit]]}
    if len(chosen) > limit:
        output["nextToken"] = chosen[limit].name
    return output


async def put_log_group_deletion_protection(call: Call, params: dict[str, Any]) -> None:
    name = _group_name_of(call, params["logGroupIdentifier"])
    call.store.group(call.account, call.region, name).deletion_protection = params["deletionProtectionEnabled"]


async def put_retention_policy(call: Call, params: dict[str, Any]) -> None:
    days = params["retentionInDays"]
    if days not in RETENTION_DAYS:
        raise invalid(
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint:"
            f" Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]"
        )
    call.store.group(call.account, call.region, params["logGroupName"]).retention_days = days


async def delete_retention_policy(call: Call, params: dict[str, Any]) -> None:
    call.store.group(call.account, call.region, params["logGroupName"]).retention_days = None


# Tags: TagResource and its kin name a group by ARN (without ":*"); the
# older TagLogGroup family by name.


def _tagged_group(call: Call, arn_text: str) -> LogGroup:
    try:
        arn = Arn.parse(arn_text)
    except ValueError:
        raise invalid(f"Invalid resource ARN: {arn_text}") from None
    kind, _, name = arn.resource.partition(":")
    if arn.service != "logs" or kind != "log-group" or name.endswith(":*"):
        raise AwsError("ResourceNotFoundException", f"The specified resource does not exist: {arn_text}", 400)
    if arn.account != call.account or arn.region != call.region:
        raise group_not_found()
    return call.store.group(call.account, call.region, name)


def _add_tags(group: LogGroup, tags: dict[str, str]) -> None:
    merged = {**group.tags, **tags}
    if len(merged) > 50:
        raise AwsError("TooManyTagsException", f"A resource can have no more than 50 tags: {group.arn}", 400)
    group.tags = merged


async def tag_resource(call: Call, params: dict[str, Any]) -> None:
    _add_tags(_tagged_group(call, params["resourceArn"]), params["tags"])


async def untag_resource(call: Call, params: dict[str, Any]) -> None:
    group = _tagged_group(call, params["resourceArn"])
    for key in params["tagKeys"]:
        group.tags.pop(key, None)


async def list_tags_for_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": dict(_tagged_group(call, params["resourceArn"]).tags)}


async def tag_log_group(call: Call, params: dict[str, Any]) -> None:
    _add_tags(call.store.group(call.account, call.region, params["logGroupName"]), params["tags"])


async def untag_log_group(call: Call, params: dict[str, Any]) -> None:
    group = call.store.group(call.account, call.region, params["logGroupName"])
    for key in params["tags"]:
        group.tags.pop(key, None)


async def list_tags_log_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": dict(call.store.group(call.account, call.region, params["logGroupName"]).tags)}


# Log streams.


async def create_log_stream(call: Call, params: dict[str, Any]) -> None:
    group = call.store.group(call.account, call.region, params["logGroupName"])
    name = params["logStreamName"]
    if name in group.streams:
        raise AwsError("ResourceAlreadyExistsException", "The specified log stream already exists", 400)
    group.streams[name] = LogStream(name, call.now)


async def delete_log_stream(call: Call, params: dict[str, Any]) -> None:
    group = call.store.group(call.account, call.region, params["logGroupName"])
    call.store.delete_stream(group, group.stream(params["logStreamName"]))


def _describe_stream(group: LogGroup, stream: LogStream, oldest: int) -> dict[str, Any]:
    described: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created,
        "arn": f"{group.arn}:log-stream:{stream.name}",
        # AWS no longer counts a stream's bytes (botocore logs model, LogStream).
        "storedBytes": 0,
    }
    events = stream.events
    first = events.first_at(oldest)
    if first < len(events):
        described["firstEventTimestamp"] = events.times[first]
        described["lastEventTimestamp"] = events.times[-1]
    if stream.last_ingestion is not None:
        described["lastIngestionTime"] = stream.last_ingestion
        described["uploadSequenceToken"] = _sequence_token(stream)
    return described


def _sequence_token(stream: LogStream) -> str:
    return f"{stream.uploads:056d}"


def _stream_key(stream: LogStream, by_time: bool) -> tuple[int, str]:
    return (stream.last_time() or 0, stream.name) if by_time else (0, stream.name)


async def describe_log_streams(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_of(call, params)
    prefix = params.get("logStreamNamePrefix")
    by_time = params.get("orderBy") == "LastEventTime"
    if by_time and prefix is not None:
        raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    descending = bool(params.get("descending"))
    limit = params.get("limit") or DESCRIBE_LIMIT
    token = params.get("nextToken")
    start = parse_stream_token(token) if token is not None else None
    keyed = sorted(
        ((_stream_key(s, by_time), s) for s in group.streams.values() if prefix is None or s.name.startswith(prefix)),
        key=lambda pair: pair[0],
        reverse=descending,
    )
    if start is not None:
        keyed = [(k, s) for k, s in keyed if (k <= start if descending else k >= start)]
    oldest = group.oldest_kept(call.now)
    output: dict[str, Any] = {"logStreams": [_describe_stream(group, s, oldest) for _, s in keyed[:limit]]}
    if len(keyed) > limit:
        output["nextToken"] = stream_token(keyed[limit][0])
    return output


# Events in.


async def put_log_events(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group = call.store.group(call.account, call.region, params["logGroupName"])
    stream = group.stream(params["logStreamName"])
    given = params["logEvents"]
    size = 0
    previous = None
    for event in given:
        if previous is not None and event["timestamp"] < previous:
            raise invalid("Log events in a single PutLogEvents request must be in chronological order.")
        previous = event["timestamp"]
        size += len(event["message"].encode("utf-8")) + EVENT_BYTES
    if size > MAX_BATCH_BYTES:
        raise invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    # Chronological, so each kind of rejected event is a run: too old, then
    # expired (older than the retention), then kept, then too new.
    too_old = call.now - TOO_OLD_MS
    expired = max(too_old, group.oldest_kept(call.now))
    too_new = call.now + TOO_NEW_MS
    times = [event["timestamp"] for event in given]
    old_end = _count_below(times, too_old)
    expired_end = max(old_end, _count_below(times, expired))
    new_start = next((i for i, t in enumerate(times) if t > too_new), len(times))
    kept = given[expired_end:new_start]
    if kept and kept[-1]["timestamp"] - kept[0]["timestamp"] > MAX_SPAN_MS:
        raise invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    call.store.ingest(group, stream, [(e["timestamp"], e["message"].encode("utf-8")) for e in kept], call.now)
    stream.uploads += 1
    output: dict[str, Any] = {"nextSequenceToken": _sequence_token(stream)}
    rejected = {}
    if new_start < len(times):
        rejected["tooNewLogEventStartIndex"] = new_start
    if old_end:
        rejected["tooOldLogEventEndIndex"] = old_end
    if expired_end > old_end:
        rejected["expiredLogEventEndIndex"] = expired_end
    if rejected:
        output["rejectedLogEventsInfo"] = rejected
    return output


def _count_below(times: list[int], limit: int) -> int:
    count = 0
    while count < len(times) and times[count] < limit:
        count += 1
    return count


# Events out.


def _page_size(events: StreamEvents, indexes: Iterator[int], limit: int) -> list[int]:
    """
    The first of C{indexes} that fit a page: C{limit} events and 1 MB.
    """
    chosen: list[int] = []
    size, messages = 0, events.messages
    for index in islice(indexes, limit):
        size += len(messages[index]) + EVENT_BYTES
        if size > MAX_PAGE_BYTES and chosen:
            break
        chosen.append(index)
    return chosen


async def get_log_events(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_of(call, params)
    stream = group.stream(params["logStreamName"])
    events = stream.events
    limit = params.get("limit") or MAX_EVENTS
    start = max(params.get("startTime") or 0, group.oldest_kept(call.now))
    end = params.get("endTime")
    # The window the time range allows: [lo, hi).
    lo = events.first_at(start)
    hi = events.first_at(end) if end is not None else len(events)
    token = params.get("nextToken")
    if token is not None:
        position = Position.parse(token)
        forward = position.forward
        if forward:
            lo = max(lo, events.after(position.time, position.seq))
        else:
            hi = min(hi, events.position(position.time, position.seq))
    else:
        forward = bool(params.get("startFromHead"))
    if forward:
        chosen = _page_size(events, iter(range(lo, hi)), limit)
    else:
        chosen = _page_size(events, iter(range(hi - 1, lo - 1, -1)), limit)
        chosen.reverse()
    if chosen:
        first, last = chosen[0], chosen[-1]
        backward = Position(False, events.times[first], events.seqs[first])
        onward = Position(True, events.times[last], events.seqs[last])
    else:
        # Nothing there: both tokens name where the reader stands, so that
        # reading on from either answers the same token (AWS's end).
        at = Position.parse(token) if token is not None else _edge(events, start, end, forward)
        backward, onward = Position(False, at.time, at.seq), Position(True, at.time, at.seq)
    times, ingested, messages = events.times, events.ingested, events.messages
    return {
        "events": [
            {"timestamp": times[i], "message": messages[i].decode("utf-8", "replace"), "ingestionTime": ingested[i]}
            for i in chosen
        ],
        "nextForwardToken": onward.token(),
        "nextBackwardToken": backward.token(),
    }


def _edge(events: StreamEvents, start: int, end: int | None, forward: bool) -> Position:
    """
    Where a first read that found nothing stands: the start of the time
    range reading forward, else its end (or after the last event).
    """
    if forward:
        return Position(True, start, 0)
    if end is not None:
        return Position(True, end, 0)
    if len(events):
        return Position(True, events.times[-1], events.seqs[-1])
    return Position(True, start, 0)


def _streams_for(group: LogGroup, params: dict[str, Any]) -> list[LogStream]:
    names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise invalid("Cannot specify both logStreamNames and logStreamNamePrefix.")
    if names is not None:
        return [group.streams[name] for name in dict.fromkeys(names) if name in group.streams]
    return [s for s in group.streams.values() if prefix is None or s.name.startswith(prefix)]


async def filter_log_events(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_of(call, params)
    streams = _streams_for(group, params)
    test = patterns.parse(params.get("filterPattern") or "").test()
    limit = params.get("limit") or MAX_EVENTS
    start = params.get("startTime")
    end = params.get("endTime")
    token = params.get("nextToken")
    position = Position.parse(token) if token is not None else None
    if position is not None:
        forward = position.forward
    else:
        forward = params.get("startFromHead", True)
        if not forward and start is not None and start < DESCENDING_SINCE_MS:
            raise invalid("startFromHead false is supported only with a startTime on or after 2024-01-01T00:00:00Z.")
    since = max(start or 0, group.oldest_kept(call.now))
    # Each stream's first limit + 1 matches (in reading order) are all a page
    # can take from it; then the streams' matches are merged by key.
    found: list[tuple[int, int, int, LogStream]] = []
    for stream in streams:
        events = stream.events
        lo = events.first_at(since)
        hi = len(events) if end is None else events.first_at(end + 1)  # endTime is inclusive here
        if position is not None:
            if forward:
                lo = max(lo, events.after(position.time, position.seq))
            else:
                hi = min(hi, events.position(position.time, position.seq))
        window = range(lo, hi) if forward else range(hi - 1, lo - 1, -1)
        messages = events.messages
        matching = window if test is None else (i for i in window if test(messages[i]))
        times, seqs = events.times, events.seqs
        found.extend((times[i], seqs[i], i, stream) for i in islice(matching, limit + 1))
    ordered = (
        heapq.nsmallest(limit + 1, found, key=lambda f: (f[0], f[1]))
        if forward
        else heapq.nlargest(limit + 1, found, key=lambda f: (f[0], f[1]))
    )
    page: list[tuple[int, int, int, LogStream]] = []
    size = 0
    for time, seq, index, stream in ordered[:limit]:
        message = stream.events.messages[index]
        size += len(message) + EVENT_BYTES
        if size > MAX_PAGE_BYTES and page:
            break
        page.append((time, seq, index, stream))
    output: dict[str, Any] = {
        "events": [
            {
                "logStreamName": stream.name,
                "timestamp": time,
                "message": stream.events.messages[index].decode("utf-8", "replace"),
                "ingestionTime": stream.events.ingested[index],
                "eventId": event_id(time, seq),
            }
            for time, seq, index, stream in page
        ],
        # No longer supported by AWS, which answers an empty list.
        "searchedLogStreams": [],
    }
    if len(page) < len(ordered):
        last = page[-1]
        output["nextToken"] = Position(forward, last[0], last[1]).token()
    return output


_OPERATIONS = {
    "CreateLogGroup": create_log_group,
    "DeleteLogGroup": delete_log_group,
    "DescribeLogGroups": describe_log_groups,
    "PutLogGroupDeletionProtection": put_log_group_deletion_protection,
    "PutRetentionPolicy": put_retention_policy,
    "DeleteRetentionPolicy": delete_retention_policy,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "TagLogGroup": tag_log_group,
    "UntagLogGroup": untag_log_group,
    "ListTagsLogGroup": list_tags_log_group,
    "CreateLogStream": create_log_stream,
    "DeleteLogStream": delete_log_stream,
    "DescribeLogStreams": describe_log_streams,
    "PutLogEvents": put_log_events,
    "GetLogEvents": get_log_events,
    "FilterLogEvents": filter_log_events,
}
HANDLERS: dict[str, Handler] = dict(_OPERATIONS)
