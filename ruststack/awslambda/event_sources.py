"""
Event source mappings (Create/Get/Update/Delete/ListEventSourceMappings)
from DynamoDB streams: the mappings as Lambda keeps them, per account and
region (persisted with C{--data-dir}), their states, and
L{EventSourceMappings}, which runs a L{StreamPoller} for each enabled one
and invokes its function.

Only DynamoDB streams are sources here. A source AWS accepts and RustStack
does not run (Kinesis, SQS, Kafka, MQ, DocumentDB) answers 501
C{NotImplemented}; anything else AWS's C{InvalidParameterValueException}.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import uuid
from typing import Any

import attrs
from twisted.internet import defer
from twisted.logger import Logger

from ruststack.aws import errors
from ruststack.awslambda import access, filters
from ruststack.awslambda.calls import Call
from ruststack.awslambda.functions import invalid
from ruststack.awslambda.policy_match import Requester
from ruststack.awslambda.stream_poller import Outcome, StreamPoller
from ruststack.protocol.errors import NOT_IMPLEMENTED_STATUS

log = Logger()

_STREAM = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):dynamodb:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"table/(?P<table>[a-zA-Z0-9_.-]{3,255})/stream/(?P<label>[^/]+)$"
)
# Sources AWS maps and RustStack does not run (by the ARN's service).
_OTHER_SOURCES = {"kinesis": "Kinesis", "sqs": "SQS", "kafka": "Kafka", "mq": "Amazon MQ", "rds": "DocumentDB"}
_PAGE = 100
_DEFAULT_BATCH = 100
# LastProcessingResult before anything ran.
_NOTHING_YET = "No records processed"
STORE_FILE = "event-source-mappings.json"


@attrs.define(eq=False)
class EventSourceMapping:
    """
    One mapping, with where its poller stands in each shard.

    @ivar positions: shard id -> the last sequence number processed.
    @ivar initial_shards: the shards of the stream when the mapping first
        read it (C{LATEST} starts at their ends), C{None} until then.
    """

    uuid: str
    account: str
    region: str
    function_arn: str
    event_source_arn: str
    starting_position: str
    batch_size: int = _DEFAULT_BATCH
    batching_window: int = 0
    filter_texts: list[str] = attrs.field(factory=list)
    bisect: bool = False
    maximum_retries: int = -1
    maximum_record_age: int = -1
    on_failure: str | None = None
    function_response_types: list[str] = attrs.field(factory=list)
    parallelization_factor: int = 1
    tumbling_window: int = 0
    enabled: bool = True
    state: str = "Creating"
    state_reason: str = "USER_INITIATED"
    last_modified: float = 0.0
    last_processing_result: str = _NOTHING_YET
    tags: dict[str, str] = attrs.field(factory=dict)
    positions: dict[str, str] = attrs.field(factory=dict)
    finished_shards: list[str] = attrs.field(factory=list)
    initial_shards: list[str] | None = None
    filter_patterns: list[dict[str, Any]] = attrs.field(factory=list, eq=False)

    @property
    def arn(self) -> str:
        partition = self.function_arn.split(":")[1]
        return f"arn:{partition}:lambda:{self.region}:{self.account}:event-source-mapping:{self.uuid}"

    def configuration(self) -> dict[str, Any]:
        """
        The mapping as Lambda describes it (EventSourceMappingConfiguration).
        """
        body: dict[str, Any] = {
            "UUID": self.uuid,
            "StartingPosition": self.starting_position,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.batching_window,
            "ParallelizationFactor": self.parallelization_factor,
            "EventSourceArn": self.event_source_arn,
        }
        if self.filter_texts:
            body["FilterCriteria"] = {"Filters": [{"Pattern": text} for text in self.filter_texts]}
        body.update(
            {
                "FunctionArn": self.function_arn,
                "LastModified": self.last_modified,
                "LastProcessingResult": self.last_processing_result,
                "State": self.state,
                "StateTransitionReason": "User action" if self.state_reason == "USER_INITIATED" else self.state_reason,
                "DestinationConfig": {"OnFailure": {"Destination": self.on_failure} if self.on_failure else {}},
                "MaximumRecordAgeInSeconds": self.maximum_record_age,
                "BisectBatchOnFunctionError": self.bisect,
                "MaximumRetryAttempts": self.maximum_retries,
                "TumblingWindowInSeconds": self.tumbling_window,
                "FunctionResponseTypes": list(self.function_response_types),
                "EventSourceMappingArn": self.arn,
            }
        )
        return body

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        del data["filter_patterns"]
        # A transition in progress has ended by the time it is read back.
        data["state"] = "Enabled" if self.enabled else "Disabled"
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventSourceMapping:
        mapping = cls(**data)
        mapping.filter_patterns = [json.loads(text) for text in mapping.filter_texts]
        return mapping


class MappingStore:
    """
    Mappings by UUID (unique across accounts), saved to
    C{<state dir>/event-source-mappings.json} when persistent.
    """

    def __init__(self, folder: str | None) -> None:
        self.path = os.path.join(folder, STORE_FILE) if folder is not None else None
        self.mappings: dict[str, EventSourceMapping] = {}
        if self.path is not None and os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                for data in json.load(f):
                    mapping = EventSourceMapping.from_json(data)
                    self.mappings[mapping.uuid] = mapping

    def get(self, account: str, region: str, mapping_uuid: str) -> EventSourceMapping | None:
        mapping = self.mappings.get(mapping_uuid)
        if mapping is None or (mapping.account, mapping.region) != (account, region):
            return None
        return mapping

    def list(self, account: str, region: str) -> list[EventSourceMapping]:
        listed = [m for m in self.mappings.values() if (m.account, m.region) == (account, region)]
        return sorted(listed, key=lambda m: m.uuid)

    def save(self) -> None:
        if self.path is None:
            return
        temporary = f"{self.path}.{uuid.uuid4().hex}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump([mapping.to_json() for mapping in self.mappings.values()], f)
        os.replace(temporary, self.path)

    def clear(self) -> None:
        self.mappings.clear()
        self.save()


class EventSourceMappings:
    """
    The mappings of one Lambda service and their pollers.

    @ivar reader: C{(account, region) -> StreamReader}: how a poller reads
        DynamoDB Streams as the mapping's account.
    """

    def __init__(self, service: Any, store: MappingStore, reader: Any, clock: Any) -> None:
        self.service = service
        self.store = store
        self.reader = reader
        self.clock = clock
        self.pollers: dict[str, StreamPoller] = {}
        self.poll_interval: float | None = None

    # Pollers

    def start(self) -> None:
        """
        Resume the enabled mappings (read back from C{--data-dir}).
        """
        for mapping in self.store.mappings.values():
            if mapping.enabled:
                self._run(mapping)

    def _run(self, mapping: EventSourceMapping) -> None:
        if mapping.uuid in self.pollers:
            return

        def ready() -> None:
            if mapping.state in ("Creating", "Enabling", "Updating") and mapping.enabled:
                mapping.state = "Enabled"

        poller = StreamPoller(
            mapping,
            self.reader(mapping.account, mapping.region),
            self,
            self.clock,
            checkpoint=self.store.save,
            ready=ready,
        )
        if self.poll_interval is not None:
            poller.poll_interval = self.poll_interval
        self.pollers[mapping.uuid] = poller
        poller.start()

    def _halt(self, mapping: EventSourceMapping) -> defer.Deferred:
        poller = self.pollers.pop(mapping.uuid, None)
        return poller.stop() if poller is not None else defer.succeed(None)

    def settle(self, mapping: EventSourceMapping) -> None:
        """
        Move C{mapping} to where its C{enabled} says, from the transitional
        state just answered (Creating, Enabling, Disabling, Updating).
        """
        if mapping.enabled:
            if mapping.uuid in self.pollers:
                # Already polling: a change of settings takes effect at once.
                mapping.state = "Enabled"
            self._run(mapping)
        else:

            def disabled(_: Any) -> None:
                if not mapping.enabled and mapping.uuid in self.store.mappings:
                    mapping.state = "Disabled"
                    self.store.save()

            self._halt(mapping).addCallback(disabled)

    def delete(self, mapping: EventSourceMapping) -> None:
        def gone(_: Any) -> None:
            if self.store.mappings.get(mapping.uuid) is mapping:
                del self.store.mappings[mapping.uuid]
                self.store.save()

        self._halt(mapping).addCallback(gone)

    def stop(self) -> defer.Deferred:
        stopping = [poller.stop() for poller in self.pollers.values()]
        self.pollers.clear()
        return defer.DeferredList(stopping, consumeErrors=True)

    async def reset(self) -> None:
        await self.stop()
        self.store.clear()

    # Invoker (for the pollers)

    async def invoke(self, mapping: EventSourceMapping, payload: bytes) -> Outcome:
        target = access.find_target(
            self.service.store, Requester(mapping.account), mapping.region, mapping.function_arn, access.INVOKE
        )
        result, request_id = await self.service.run(self.service.pick(target), payload, invoked_arn=target.arn)
        return Outcome(result.payload, result.function_error, request_id, result.executed_version)

    def send_failure(self, mapping: EventSourceMapping, record: dict[str, Any]) -> None:
        # An on-failure destination here is a function (no SQS or SNS), invoked asynchronously.
        if mapping.on_failure is None:
            return
        try:
            target = access.find_target(
                self.service.store, Requester(mapping.account), mapping.region, mapping.on_failure, access.INVOKE
            )
        except errors.AwsError as error:
            log.warn(
                "Event source mapping {uuid}: on-failure destination {destination}: {error}",
                uuid=mapping.uuid,
                destination=mapping.on_failure,
                error=error.message,
            )
            return
        self.service.enqueue_event(self.service.pick(target), json.dumps(record).encode(), invoked_arn=target.arn)


# Checking requests


def _mappings(call: Call) -> EventSourceMappings:
    mappings = call.service.event_sources
    if mappings is None:
        raise errors.AwsError("ServiceException", "Event source mappings are not available.", 500)
    return mappings


def _not_found() -> errors.AwsError:
    return errors.AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)


def _check_source(call: Call, arn: str | None) -> re.Match[str]:
    if not arn:
        raise invalid("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
    found = _STREAM.match(arn)
    if found is not None:
        return found
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service in _OTHER_SOURCES:
        raise errors.AwsError(
            "NotImplemented",
            f"RustStack maps only DynamoDB streams to functions; {_OTHER_SOURCES[service]} is not emulated here.",
            NOT_IMPLEMENTED_STATUS,
        )
    raise invalid("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")


async def _check_stream(call: Call, arn: str) -> None:
    found = _check_source(call, arn)
    if (found.group("account"), found.group("region")) != (call.account, call.region):
        raise invalid(
            f"Cannot access stream {arn}. Please ensure the role can perform the GetRecords, GetShardIterator,"
            " DescribeStream, and ListStreams Actions on your stream in IAM."
        )
    try:
        await _mappings(call).reader(call.account, call.region)("DescribeStream", {"StreamArn": arn})
    except Exception:
        raise invalid(f"Stream not found: {arn}") from None


def _check_destination(call: Call, config: dict[str, Any] | None) -> str | None:
    if not config:
        return None
    if config.get("OnSuccess", {}).get("Destination"):
        raise invalid("Unsupported DestinationConfig parameter for given event source mapping type.")
    destination = (config.get("OnFailure") or {}).get("Destination")
    if not destination:
        return None
    service = destination.split(":")[2] if destination.count(":") >= 5 else ""
    if service in ("sqs", "sns", "s3", "kafka"):
        raise errors.AwsError(
            "NotImplemented",
            f"RustStack has no {service.upper()}: an on-failure destination here must be a Lambda function.",
            NOT_IMPLEMENTED_STATUS,
        )
    if service != "lambda":
        raise invalid(
            "The provided destination config DestinationConfig(onSuccess=null,"
            f" onFailure=OnFailure(destination={destination})) is invalid."
        )
    call.target(destination, access.INVOKE)
    return destination


def _settings(call: Call, params: dict[str, Any], mapping: EventSourceMapping | None) -> dict[str, Any]:
    """
    The settings a Create or Update request gives, checked.
    """
    values: dict[str, Any] = {}
    if "BatchSize" in params:
        values["batch_size"] = params["BatchSize"]
    if "MaximumBatchingWindowInSeconds" in params:
        values["batching_window"] = params["MaximumBatchingWindowInSeconds"]
    if "FilterCriteria" in params:
        patterns = filters.read(params["FilterCriteria"])
        values["filter_patterns"] = patterns
        values["filter_texts"] = [item["Pattern"] for item in (params["FilterCriteria"] or {}).get("Filters") or []]
    if "BisectBatchOnFunctionError" in params:
        values["bisect"] = params["BisectBatchOnFunctionError"]
    if "MaximumRetryAttempts" in params:
        values["maximum_retries"] = params["MaximumRetryAttempts"]
    if "MaximumRecordAgeInSeconds" in params:
        age = params["MaximumRecordAgeInSeconds"]
        if age != -1 and age < 60:
            raise invalid(
                "Value "
                f"{age} at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value greater"
                " than or equal to 60"
            )
        values["maximum_record_age"] = age
    if "DestinationConfig" in params:
        values["on_failure"] = _check_destination(call, params["DestinationConfig"])
    if "FunctionResponseTypes" in params:
        values["function_response_types"] = list(params["FunctionResponseTypes"])
    if "ParallelizationFactor" in params:
        values["parallelization_factor"] = params["ParallelizationFactor"]
    if "TumblingWindowInSeconds" in params:
        values["tumbling_window"] = params["TumblingWindowInSeconds"]
    batch = values.get("batch_size", mapping.batch_size if mapping else _DEFAULT_BATCH)
    window = values.get("batching_window", mapping.batching_window if mapping else 0)
    if batch > 1000 and window < 1:
        # DynamoDB streams: above 1,000 records a batch needs a window (AWS's rule and words).
        raise invalid(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 1000"
        )
    return values


def _function_arn(call: Call, name: str) -> str:
    target = call.target(name, "lambda:CreateEventSourceMapping")
    return target.arn if target.qualifier not in (None, "$LATEST") else target.function.function_arn


# Handlers


async def create_event_source_mapping(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    mappings = _mappings(call)
    arn = params.get("EventSourceArn")
    _check_source(call, arn)
    function_arn = _function_arn(call, params["FunctionName"])
    if not params.get("StartingPosition"):
        raise invalid(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint:"
            " Member must not be null."
        )
    if params["StartingPosition"] == "AT_TIMESTAMP":
        raise invalid("Unsupported starting position for the given event source: AT_TIMESTAMP")
    assert arn is not None
    values = _settings(call, params, None)
    for mapping in mappings.store.list(call.account, call.region):
        if mapping.event_source_arn == arn and mapping.function_arn == function_arn:
            raise errors.AwsError(
                "ResourceConflictException",
                f'The event source arn (" {arn} ") and function (" {function_arn.split(":")[6]} ") provided mapping'
                f" already exists. Please update or delete the existing mapping with UUID {mapping.uuid}",
                409,
            )
    await _check_stream(call, arn)
    mapping = EventSourceMapping(
        uuid=str(uuid.uuid4()),
        account=call.account,
        region=call.region,
        function_arn=function_arn,
        event_source_arn=arn,
        starting_position=params["StartingPosition"],
        enabled=params.get("Enabled", True),
        last_modified=call.service.reactor.seconds(),
        tags=dict(params.get("Tags") or {}),
        **values,
    )
    mappings.store.mappings[mapping.uuid] = mapping
    mappings.store.save()
    answer = mapping.configuration()
    mappings.settle(mapping)
    return answer


async def get_event_source_mapping(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    mapping = _mappings(call).store.get(call.account, call.region, params["UUID"])
    if mapping is None:
        raise _not_found()
    return mapping.configuration()


async def update_event_source_mapping(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    mappings = _mappings(call)
    mapping = mappings.store.get(call.account, call.region, params["UUID"])
    if mapping is None:
        raise _not_found()
    if mapping.state in ("Deleting", "Creating", "Enabling", "Disabling", "Updating"):
        raise errors.AwsError(
            "ResourceInUseException",
            f"Cannot update the event source mapping because it is in use. Current state: {mapping.state}",
            400,
        )
    values = _settings(call, params, mapping)
    if params.get("FunctionName"):
        values["function_arn"] = _function_arn(call, params["FunctionName"])
    enabled = params.get("Enabled", mapping.enabled)
    if enabled != mapping.enabled:
        mapping.state = "Enabling" if enabled else "Disabling"
    elif values or "Enabled" in params:
        mapping.state = "Updating" if enabled else "Disabled"
    for field, value in values.items():
        setattr(mapping, field, value)
    mapping.enabled = enabled
    mapping.state_reason = "USER_INITIATED"
    mapping.last_modified = call.service.reactor.seconds()
    mappings.store.save()
    answer = mapping.configuration()
    mappings.settle(mapping)
    return answer


async def delete_event_source_mapping(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    mappings = _mappings(call)
    mapping = mappings.store.get(call.account, call.region, params["UUID"])
    if mapping is None:
        raise _not_found()
    if mapping.state == "Deleting":
        raise errors.AwsError(
            "ResourceInUseException",
            f"Cannot delete the event source mapping because it is in use. Current state: {mapping.state}",
            400,
        )
    mapping.state = "Deleting"
    answer = mapping.configuration()
    mappings.delete(mapping)
    return answer


async def list_event_source_mappings(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    listed = _mappings(call).store.list(call.account, call.region)
    if params.get("EventSourceArn"):
        listed = [m for m in listed if m.event_source_arn == params["EventSourceArn"]]
    if params.get("FunctionName"):
        target = call.target(params["FunctionName"], "lambda:ListEventSourceMappings")
        if target.qualifier in (None, "$LATEST") and ":" not in params["FunctionName"].split("function:")[-1]:
            # An unqualified name lists the mappings of every version and alias of the function.
            prefix = target.function.function_arn
            listed = [m for m in listed if m.function_arn == prefix or m.function_arn.startswith(prefix + ":")]
        else:
            listed = [m for m in listed if m.function_arn == _function_arn(call, params["FunctionName"])]
    start = 0
    if params.get("Marker"):
        try:
            after = base64.urlsafe_b64decode(params["Marker"].encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise invalid("Invalid Marker") from None
        start = next((index for index, m in enumerate(listed) if m.uuid > after), len(listed))
    size = params.get("MaxItems", _PAGE)
    page = listed[start : start + size]
    body: dict[str, Any] = {"EventSourceMappings": [m.configuration() for m in page]}
    if start + size < len(listed):
        body["NextMarker"] = base64.urlsafe_b64encode(page[-1].uuid.encode()).decode()
    return body
