"""
The poller of one event source mapping from a DynamoDB stream, as Lambda's
own poller runs it: shard by shard (a child shard once its parent is read to
its end), records in order within a shard, filtered, gathered into batches
(C{BatchSize}, C{MaximumBatchingWindowInSeconds}), each batch handed to the
function synchronously; a failed batch retried (with back-off), bisected
(C{BisectBatchOnFunctionError}), cut at the first failed item
(C{ReportBatchItemFailures}) and, once C{MaximumRetryAttempts} or
C{MaximumRecordAgeInSeconds} are spent, described to the on-failure
destination; then the shard moves on. Where it stands in each shard (the last
sequence number processed) is kept in the mapping, so a restart with
C{--data-dir} resumes there.

The stream is read through the DynamoDB Streams API (L{StreamReader}: in the
service, RustStack's own edge, as the mapping's account); the function is
invoked through L{Invoker}. Time is the reactor's (a C{task.Clock} in tests).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import attrs
from twisted.internet import defer, task
from twisted.logger import Logger

from ruststack.aws import ids
from ruststack.awslambda import filters

log = Logger()

# GetRecords' largest Limit.
_MOST_RECORDS = 1000
# Lambda polls each DynamoDB stream shard four times a second; a quicker
# poll keeps a write's trip to its function within the 250 ms target.
POLL_INTERVAL = 0.05
# Shards are listed again this often (a stream's shards roll over).
SHARD_REFRESH = 5.0
# A failed batch is retried after this, doubling up to the most.
RETRY_DELAY = 0.1
RETRY_DELAY_MOST = 2.0


class StreamReader(Protocol):
    def __call__(self, operation: str, params: dict[str, Any]) -> Awaitable[dict[str, Any]]:
        """
        Call a DynamoDB Streams operation; its parsed answer.
        """


@attrs.frozen
class Outcome:
    """
    What an invocation of the function by the poller returned.
    """

    payload: bytes
    function_error: str | None
    request_id: str
    executed_version: str = "$LATEST"


class Invoker(Protocol):
    def invoke(self, mapping: Any, payload: bytes) -> Awaitable[Outcome]:
        """
        Invoke the mapping's function (RequestResponse); raises
        L{ruststack.aws.errors.AwsError} when it could not be invoked at all.
        """

    def send_failure(self, mapping: Any, record: dict[str, Any]) -> None:
        """
        Hand an invocation record to the mapping's on-failure destination.
        """


class Stopped(Exception):
    """
    The poller was stopped in the middle of a batch (not processed).
    """


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """
    A stream record (as botocore parsed GetRecords) as the function sees it
    in C{event["Records"]}: blobs in base64, times in epoch seconds, event
    version 1.1 and the stream's ARN, in the order Lambda writes them.
    """
    plain = _plain(record)
    out: dict[str, Any] = {}
    for key in ("eventID", "eventName"):
        if key in plain:
            out[key] = plain[key]
    out["eventVersion"] = "1.1"
    out["eventSource"] = "aws:dynamodb"
    out["awsRegion"] = plain.get("awsRegion")
    dynamodb = plain.get("dynamodb", {})
    out["dynamodb"] = {
        key: dynamodb[key]
        for key in (
            "ApproximateCreationDateTime",
            "Keys",
            "NewImage",
            "OldImage",
            "SequenceNumber",
            "SizeBytes",
            "StreamViewType",
        )
        if key in dynamodb
    }
    if "userIdentity" in plain:
        out["userIdentity"] = plain["userIdentity"]
    out["eventSourceARN"] = stream_arn
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        seconds = value.timestamp()
        return int(seconds) if seconds == int(seconds) else seconds
    return value


def _created(record: dict[str, Any]) -> float | None:
    when = record["dynamodb"].get("ApproximateCreationDateTime")
    return float(when) if when is not None else None


def _iso_seconds(when: float | None) -> str | None:
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@attrs.define
class _Shard:
    shard_id: str
    parent: str | None
    iterator: str | None = None
    done: bool = False
    # Records read and kept for the next batch (batching window).
    buffer: list[dict[str, Any]] = attrs.field(factory=list)
    buffered_since: float | None = None
    last_read: str | None = None


@attrs.define(eq=False)
class StreamPoller:
    """
    Polls C{mapping}'s stream and invokes its function until L{stop}.

    @ivar checkpoint: called after a shard's position moved (to persist it).
    @ivar ready: called once the starting position is fixed (the mapping
        then becomes C{Enabled}).
    """

    mapping: Any
    read: StreamReader
    invoker: Invoker
    clock: Any
    checkpoint: Callable[[], None] = lambda: None
    ready: Callable[[], None] = lambda: None
    poll_interval: float = POLL_INTERVAL
    _shards: dict[str, _Shard] = attrs.field(factory=dict)
    _running: defer.Deferred | None = None
    _stopping: bool = False
    _listed_at: float | None = None
    _sleeping: defer.Deferred | None = None

    def start(self) -> None:
        self._running = defer.ensureDeferred(self._run())
        self._running.addErrback(lambda failure: log.failure("Poller of {uuid}", failure, uuid=self.mapping.uuid))

    def stop(self) -> defer.Deferred:
        """
        Stop after the invocation in progress (if any); fires once stopped.
        """
        self._stopping = True
        if self._sleeping is not None and not self._sleeping.called:
            self._sleeping.cancel()
        if self._running is None:
            return defer.succeed(None)
        done: defer.Deferred = defer.Deferred()
        self._running.addBoth(lambda _: done.callback(None))
        return done

    async def _sleep(self, seconds: float) -> None:
        self._sleeping = task.deferLater(self.clock, seconds, lambda: None)
        try:
            await self._sleeping
        except defer.CancelledError:
            pass
        finally:
            self._sleeping = None
        if self._stopping:
            raise Stopped()

    async def _run(self) -> None:
        delay = RETRY_DELAY
        first = True
        while not self._stopping:
            try:
                await self._list_shards(first)
                if first:
                    first = False
                    self.ready()
                read_any = await self._poll_once()
                delay = RETRY_DELAY
                if not read_any:
                    await self._sleep(self.poll_interval)
            except Stopped:
                return
            except Exception as error:
                log.warn(
                    "Event source mapping {uuid}: reading {arn} failed ({error}); retrying",
                    uuid=self.mapping.uuid,
                    arn=self.mapping.event_source_arn,
                    error=error,
                )
                for shard in self._shards.values():
                    shard.iterator = shard.last_read = None
                    shard.buffer.clear()
                    shard.buffered_since = None
                try:
                    await self._sleep(delay)
                except Stopped:
                    return
                delay = min(delay * 2, RETRY_DELAY_MOST)

    # Shards

    async def _list_shards(self, first: bool) -> None:
        now = self.clock.seconds()
        if not first and self._listed_at is not None and now - self._listed_at < SHARD_REFRESH:
            return
        self._listed_at = now
        params: dict[str, Any] = {"StreamArn": self.mapping.event_source_arn}
        listed: list[dict[str, Any]] = []
        while True:
            answer = await self.read("DescribeStream", params)
            description = answer["StreamDescription"]
            listed.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            params = {**params, "ExclusiveStartShardId": last}
        mapping = self.mapping
        if first and mapping.initial_shards is None:
            # LATEST: what is in the stream now is not for this mapping.
            mapping.initial_shards = [shard["ShardId"] for shard in listed]
            self.checkpoint()
        for shard in listed:
            shard_id = shard["ShardId"]
            if shard_id not in self._shards:
                self._shards[shard_id] = _Shard(
                    shard_id, shard.get("ParentShardId"), done=shard_id in mapping.finished_shards
                )

    def _eligible(self) -> list[_Shard]:
        # A child shard waits until its parent is read to its end.
        return [
            shard
            for shard in self._shards.values()
            if not shard.done
            and (shard.parent is None or shard.parent not in self._shards or self._shards[shard.parent].done)
        ]

    async def _iterator(self, shard: _Shard) -> str | None:
        mapping = self.mapping
        params: dict[str, Any] = {"StreamArn": mapping.event_source_arn, "ShardId": shard.shard_id}
        position = shard.last_read or mapping.positions.get(shard.shard_id)
        if position is not None:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=position)
        elif mapping.starting_position == "LATEST" and shard.shard_id in (mapping.initial_shards or ()):
            params["ShardIteratorType"] = "LATEST"
        else:
            params["ShardIteratorType"] = "TRIM_HORIZON"
        answer = await self.read("GetShardIterator", params)
        return answer.get("ShardIterator")

    # Reading

    async def _poll_once(self) -> bool:
        read_any = False
        for shard in self._eligible():
            if self._stopping:
                raise Stopped()
            read_any = await self._poll_shard(shard) or read_any
        return read_any

    async def _poll_shard(self, shard: _Shard) -> bool:
        mapping = self.mapping
        if shard.iterator is None:
            shard.iterator = await self._iterator(shard)
        closed = False
        records: list[dict[str, Any]] = []
        if shard.iterator is not None:
            limit = min(_MOST_RECORDS, max(1, mapping.batch_size - len(shard.buffer)))
            answer = await self.read("GetRecords", {"ShardIterator": shard.iterator, "Limit": limit})
            records = answer.get("Records", [])
            shard.iterator = answer.get("NextShardIterator")
            closed = shard.iterator is None
        else:
            closed = True
        if records:
            if not shard.buffer:
                shard.buffered_since = self.clock.seconds()
            shard.buffer.extend(lambda_record(record, mapping.event_source_arn) for record in records)
            shard.last_read = shard.buffer[-1]["dynamodb"]["SequenceNumber"]
        full = len(shard.buffer) >= mapping.batch_size
        waited = shard.buffered_since is not None and (
            self.clock.seconds() - shard.buffered_since >= mapping.batching_window
        )
        while shard.buffer and (full or waited or closed):
            batch, shard.buffer = shard.buffer[: mapping.batch_size], shard.buffer[mapping.batch_size :]
            await self._process(shard.shard_id, batch)
            full = len(shard.buffer) >= mapping.batch_size
            shard.buffered_since = self.clock.seconds() if shard.buffer else None
        if closed and not shard.buffer:
            shard.done = True
            if shard.shard_id not in mapping.finished_shards:
                mapping.finished_shards.append(shard.shard_id)
            mapping.positions.pop(shard.shard_id, None)
            self.checkpoint()
        return bool(records)

    # Processing

    async def _process(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        mapping = self.mapping
        kept = [record for record in batch if filters.accepts(mapping.filter_patterns, record)]
        if kept:
            await self._deliver(shard_id, kept, 0)
        mapping.positions[shard_id] = batch[-1]["dynamodb"]["SequenceNumber"]
        self.checkpoint()

    def _expired(self, record: dict[str, Any]) -> bool:
        most = self.mapping.maximum_record_age
        created = _created(record)
        return most is not None and most >= 0 and created is not None and self.clock.seconds() - created > most

    async def _deliver(self, shard_id: str, batch: list[dict[str, Any]], attempts: int) -> None:
        mapping = self.mapping
        delay = RETRY_DELAY
        outcome: Outcome | None = None
        while batch:
            if self._stopping:
                raise Stopped()
            expired = [record for record in batch if self._expired(record)]
            if expired:
                batch = [record for record in batch if not self._expired(record)]
                self._fail(shard_id, expired, "RecordAgeExceeded", outcome, attempts)
                if not batch:
                    return
            try:
                outcome = await self.invoker.invoke(mapping, json.dumps({"Records": batch}).encode())
            except Exception as error:
                # Not invoked (throttled, function gone...): retried, counting nothing.
                mapping.last_processing_result = f"PROBLEM: {getattr(error, 'message', error)}"
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_DELAY_MOST)
                continue
            failed_from = self._failed_from(batch, outcome)
            if failed_from is None:
                mapping.last_processing_result = "OK"
                return
            mapping.last_processing_result = "PROBLEM: Function call failed"
            batch = batch[failed_from:]
            if mapping.bisect and len(batch) > 1:
                # Halves are retried in order; splitting spends no retry.
                half = len(batch) // 2
                await self._deliver(shard_id, batch[:half], attempts)
                await self._deliver(shard_id, batch[half:], attempts)
                return
            attempts += 1
            if mapping.maximum_retries >= 0 and attempts > mapping.maximum_retries:
                self._fail(shard_id, batch, "RetryAttemptsExhausted", outcome, attempts)
                return
            await self._sleep(delay)
            delay = min(delay * 2, RETRY_DELAY_MOST)

    def _failed_from(self, batch: list[dict[str, Any]], outcome: Outcome) -> int | None:
        """
        Where the batch failed: C{None} if it did not, else the index of the
        first record to retry (0 for the whole batch).
        """
        if outcome.function_error:
            return 0
        if "ReportBatchItemFailures" not in self.mapping.function_response_types:
            return None
        try:
            answer = json.loads(outcome.payload or b"null")
        except ValueError:
            return None
        if not isinstance(answer, dict) or not answer.get("batchItemFailures"):
            return None
        failures = answer["batchItemFailures"]
        if not isinstance(failures, list):
            return 0
        sequence = [record["dynamodb"]["SequenceNumber"] for record in batch]
        indexes = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in sequence:
                # A missing or unknown identifier fails the whole batch, as in Lambda.
                return 0
            indexes.append(sequence.index(identifier))
        return min(indexes)

    def _fail(
        self, shard_id: str, batch: list[dict[str, Any]], condition: str, outcome: Outcome | None, attempts: int
    ) -> None:
        mapping = self.mapping
        log.warn(
            "Event source mapping {uuid}: {count} record(s) of {shard} discarded ({condition})",
            uuid=mapping.uuid,
            count=len(batch),
            shard=shard_id,
            condition=condition,
        )
        if not mapping.on_failure:
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        record: dict[str, Any] = {
            "requestContext": {
                "requestId": outcome.request_id if outcome is not None else None,
                "functionArn": mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": outcome.executed_version if outcome is not None else None,
                "functionError": outcome.function_error if outcome is not None else None,
            },
            "version": "1.0",
            "timestamp": ids.iso8601(self.clock.seconds()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso_seconds(_created(batch[0])),
                "approximateArrivalOfLastRecord": _iso_seconds(_created(batch[-1])),
                "batchSize": len(batch),
                "streamArn": mapping.event_source_arn,
            },
        }
        self.invoker.send_failure(mapping, record)
