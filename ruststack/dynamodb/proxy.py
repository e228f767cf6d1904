"""
The DynamoDB resource: forwards each operation to DynamoDB Local as the
caller's account and region and makes the answer AWS's.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ruststack.aws.errors import AwsError
from ruststack.dynamodb import descriptions, resources, rewrite, shapes
from ruststack.dynamodb.backend import JSON_10, JSON_11, BackendError, BackendResponse, DynamoDBLocalClient
from ruststack.dynamodb.backup_operations import OPERATIONS as BACKUP_OPERATIONS
from ruststack.dynamodb.backups import BackupStore
from ruststack.dynamodb.emulated import OPERATIONS as EMULATED
from ruststack.dynamodb.emulated import Emulation
from ruststack.dynamodb.json_depth import too_deep
from ruststack.dynamodb.local import Unavailable
from ruststack.dynamodb.rewrite import Identity
from ruststack.dynamodb.tables import TableExtrasStore
from ruststack.exchange import WebExchange
from ruststack.interfaces import IExchange
from ruststack.protocol import Protocol

log = Logger()

# Operations whose answer carries a table description to complete:
# operation -> (member, the status AWS reports at that point).
_TABLE_ANSWERS: dict[str, tuple[str, str | None]] = {
    "CreateTable": ("TableDescription", "CREATING"),
    "DescribeTable": ("Table", None),
    "UpdateTable": ("TableDescription", "UPDATING"),
    "DeleteTable": ("TableDescription", "DELETING"),
    "RestoreTableFromBackup": ("TableDescription", "CREATING"),
    "RestoreTableToPointInTime": ("TableDescription", "CREATING"),
}
# Item reads whose answers hold no ARN unless the request named one: when it
# did not, they are passed on as they arrive instead of read whole.
_STREAMED = frozenset(
    {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems", "ExecuteStatement", "BatchExecuteStatement"}
)
# The operations the proxy answers itself.
OPERATIONS = {**EMULATED, **BACKUP_OPERATIONS}
# X-Amz-Target: the JSON protocols' service prefix and operation name.
_TARGET = re.compile(rb"\A(?:DynamoDB_20120810|DynamoDBStreams_20120810)\.[A-Za-z]{1,64}\Z")
_UNKNOWN_OPERATION = rewrite.error_body("UnknownOperationException", "")
_ZERO_THROUGHPUT = {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
# Requests the proxy reads besides forwarding them (CreateTable's tags and
# class complete its answer): checked against the model first, as DynamoDB
# Local takes members it ignores without looking at them.
_CHECKED_FIRST = frozenset({"CreateTable"})
# Table members DynamoDB Local does not know, kept by the proxy (tables.py).
_KEPT = ("TableClass", "OnDemandThroughput", "SSESpecification", "WarmThroughput")
_KEPT_IN_BODY = tuple(b'"%s"' % member.encode() for member in _KEPT)


def answer_headers(crc: bytes) -> list[tuple[bytes, bytes]]:
    """
    The headers of every DynamoDB answer, as AWS sends them.
    """
    return [
        (b"Server", b"Server"),
        (b"Content-Type", JSON_10),
        (b"x-amzn-RequestId", rewrite.aws_request_id().encode()),
        (b"x-amz-crc32", crc),
    ]


def write_answer(exchange, status: int, body: bytes, crc: bytes | None = None) -> None:
    """
    Send a whole DynamoDB answer (unless the client has gone).
    """
    if not exchange.done:
        exchange.respond(status, answer_headers(crc or rewrite.crc32(body)), body)


def _stream_answer(exchange, status: int, headers: dict[bytes, bytes]) -> Any:
    """
    Pass a successful answer on as it arrives: its body is DynamoDB Local's
    unchanged, CRC32 included. Anything else is read whole and rewritten.
    """
    crc = headers.get(b"x-amz-crc32")
    length = headers.get(b"content-length")
    if status != 200 or crc is None or length is None or exchange.done:
        return None
    exchange.start(200, [*answer_headers(crc), (b"Content-Length", length)])
    return exchange


def error_answer(request, error: AwsError) -> bytes:
    """
    Set up the twisted.web C{request} for C{error} and return the body (for
    C{render_error}).
    """
    body = rewrite.error_body(error.code, error.message, **error.fields)
    request.setResponseCode(error.status)
    for name, value in answer_headers(rewrite.crc32(body)):
        request.setHeader(name, value)
    for extra, text in error.headers.items():
        request.setHeader(extra.encode(), text.encode())
    return body


def _compact(document: dict) -> bytes:
    # AWS's JSON has no spaces.
    return json.dumps(document, separators=(",", ":")).encode()


def _parameters(body: bytes) -> dict:
    try:
        params = rewrite.load_json(body or b"{}")
    except ValueError:
        params = None
    if not isinstance(params, dict):
        raise AwsError("SerializationException", "")
    return params


@functools.cache
def _model_operations() -> frozenset[str]:
    return frozenset(Protocol.for_service("dynamodb").model.operation_names)


def _not_implemented(operation: str) -> str:
    return Protocol.for_service("dynamodb").not_implemented(operation).message


def _without_kept(params: dict) -> bytes | None:
    """
    The body DynamoDB Local gets of a request holding members the proxy
    keeps (C{None}: the request as it came).
    """
    if not any(member in params for member in _KEPT):
        return None
    return _compact({name: value for name, value in params.items() if name not in _KEPT})


def _foreign(operation: str, body: bytes, identity: Identity) -> AwsError | None:
    """
    AWS's refusal of a request naming a table or stream of another account
    or region (L{resources.foreign}); C{None} for a body that is no JSON
    object, which is refused further on.
    """
    try:
        params = rewrite.load_json(body)
    except ValueError:
        return None
    return resources.foreign(operation, params, identity)


def _checked(operation: str, body: bytes) -> dict:
    """
    The request document, which must hold the model's types and required
    members (L{shapes.check}).
    """
    params = _parameters(body)
    shapes.check(operation, params)
    return params


def _fix_throughput(throughput: dict) -> None:
    # AWS leaves out the dates of changes that never happened; DynamoDB
    # Local sends the epoch.
    for member in ("LastIncreaseDateTime", "LastDecreaseDateTime"):
        if throughput.get(member) == 0:
            del throughput[member]


class DynamoDBProxy(Resource):
    """
    The leaf resource of the DynamoDB service.

    @ivar identities: every (account, region) served since start, for reset.
    """

    isLeaf = True

    def __init__(
        self, client: DynamoDBLocalClient, extras: TableExtrasStore, clock: Any, token: str, backups: BackupStore
    ) -> None:
        super().__init__()
        self.client = client
        self.extras = extras
        self.token = token
        self.emulation = Emulation(client, extras, clock, backups)
        self.identities: dict[tuple[str, str], Identity] = {}

    def identity(self, account: str, region: str) -> Identity:
        identity = self.identities.get((account, region))
        if identity is None:
            identity = self.identities[(account, region)] = Identity.of(account, region, self.token)
        return identity

    def render(self, request) -> int:
        self.serve(WebExchange(request))
        return NOT_DONE_YET

    def serve(self, exchange: IExchange) -> None:
        target = exchange.header(b"x-amz-target") or b""
        if not _TARGET.match(target):
            # Only a well-formed operation name reaches DynamoDB Local.
            write_answer(exchange, 400, _UNKNOWN_OPERATION)
            return
        body = exchange.body
        if too_deep(body):
            # Neither Python's json nor DynamoDB Local may read it (both
            # recurse per level); AWS's parser refuses it.
            write_answer(exchange, 400, rewrite.SERIALIZATION_ERROR)
            return
        identity = self.identity(exchange.caller.account, exchange.caller.region)
        operation = target.rpartition(b".")[2].decode("ascii")
        if b'"arn:' in body:
            refused = _foreign(operation, body, identity)
            if refused is not None:
                write_answer(exchange, refused.status, rewrite.error_body(refused.code, refused.message))
                return
        emulated = OPERATIONS.get(operation)
        d: Any
        if emulated is not None:
            d = defer.ensureDeferred(self._emulate(exchange, operation, emulated, identity, body))
        elif operation == "UpdateTable" and any(member in body for member in _KEPT_IN_BODY):
            d = defer.ensureDeferred(self._update_kept(exchange, identity, body))
        elif operation in _CHECKED_FIRST:
            d = defer.maybeDeferred(_checked, operation, body)
            d.addCallback(
                lambda params: self._forward(exchange, target, operation, identity, body, _without_kept(params))
            )
        else:
            d = self._forward(exchange, target, operation, identity, body)
        d.addErrback(self._failed, exchange)
        exchange.notify_gone().addCallback(lambda _: d.cancel())

    def _forward(
        self, exchange, target: bytes, operation: str, identity: Identity, body: bytes, forwarded: bytes | None = None
    ) -> defer.Deferred:
        """
        Send the request on to DynamoDB Local (C{forwarded}: the body it gets
        instead, where the proxy keeps members of its own) and answer with
        what it says.
        """
        streams = operation in _STREAMED and identity.arn_prefix not in body
        d = self.client.call(
            identity.authorization,
            target,
            rewrite.request_to_local(body if forwarded is None else forwarded, identity),
            JSON_11 if exchange.header(b"content-type") == JSON_11 else JSON_10,
            partial(_stream_answer, exchange) if streams else None,
        )
        return d.addCallback(self._answer, exchange, operation, identity, body)

    def _answer(self, response: BackendResponse, exchange, operation: str, identity: Identity, sent: bytes) -> None:
        if response.streamed:
            exchange.finish()
            return
        status, body = response.status, response.body
        crc = response.headers.get(b"x-amz-crc32")
        if status == 400 and b"#UnknownOperationException" in body and operation in _model_operations():
            # An operation of AWS's model that DynamoDB Local lacks: RustStack
            # does not have it either (AWS never calls its own operation unknown).
            status, body, crc = 501, rewrite.error_body("NotImplemented", _not_implemented(operation)), None
        elif status >= 400:
            (status, body), crc = rewrite.error_from_local(status, body, operation, sent, identity), None
        elif operation in _TABLE_ANSWERS:
            body, crc = self._complete_table(operation, identity, sent, body), None
        else:
            changed = rewrite.response_from_local(body, identity)
            if changed is not None:
                body, crc = changed, None
            if operation == "GetRecords":
                removals = rewrite.ttl_removals(body)
                if removals is not None:
                    body, crc = removals, None
            if identity.arn_prefix in sent:
                named = rewrite.tables_by_arn(body, sent, identity)
                if named is not None:
                    body, crc = named, None
        write_answer(exchange, status, body, crc)

    async def _update_kept(self, exchange, identity: Identity, body: bytes) -> None:
        """
        UpdateTable with members DynamoDB Local ignores or fails on
        (C{TableClass}: "Nothing to update" when it is the only change;
        C{OnDemandThroughput}: a 500): the proxy keeps them and forwards the
        rest.
        """
        params = _checked("UpdateTable", body)
        kept = {member: params.pop(member) for member in _KEPT if member in params}
        if not kept:
            # A kept member's name was only a name or value somewhere in the request.
            response = await self.client.call(
                identity.authorization, b"DynamoDB_20120810.UpdateTable", rewrite.request_to_local(body, identity)
            )
        elif set(params) - {"TableName"}:
            response = await self.client.call(
                identity.authorization,
                b"DynamoDB_20120810.UpdateTable",
                rewrite.request_to_local(_compact(params), identity),
            )
        else:
            response = await self.client.call(
                identity.authorization,
                b"DynamoDB_20120810.DescribeTable",
                rewrite.request_to_local(_compact({"TableName": params.get("TableName", "")}), identity),
            )
            if response.status == 200:
                table = json.loads(response.body)["Table"]
                response = BackendResponse(200, {}, _compact({"TableDescription": table}))
        if response.status == 200 and kept:
            name = rewrite.table_name(str(params.get("TableName", "")))
            extras = self.extras.get((identity.account, identity.region, name))
            if "TableClass" in kept:
                extras.table_class = kept["TableClass"]
            if "OnDemandThroughput" in kept:
                extras.on_demand_throughput = {**(extras.on_demand_throughput or {}), **kept["OnDemandThroughput"]}
            if "SSESpecification" in kept:
                extras.sse_description = descriptions.sse_description(kept["SSESpecification"], identity)
            if "WarmThroughput" in kept:
                extras.warm_throughput = {**(extras.warm_throughput or {}), **kept["WarmThroughput"]}
            self.extras.save()
        self._answer(response, exchange, "UpdateTable", identity, body)

    def _complete_table(self, operation: str, identity: Identity, sent: bytes, body: bytes) -> bytes:
        """
        A table description as AWS gives it: ARNs, C{TableId}, the status
        of a table being created, restored or deleted, a restore's summary,
        throughput of on-demand indexes, and what L{descriptions.complete}
        adds.
        """
        member, status = _TABLE_ANSWERS[operation]
        document = json.loads(rewrite.response_from_local(body, identity) or body)
        table = document.get(member)
        if not table:
            return _compact(document)
        key = (identity.account, identity.region, table["TableName"])
        if operation == "CreateTable":
            params = json.loads(sent)
            tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags") or []}
            extras = self.extras.created(
                key,
                tags,
                table_class=params.get("TableClass"),
                on_demand_throughput=params.get("OnDemandThroughput"),
                sse_description=descriptions.sse_description(params.get("SSESpecification"), identity),
                warm_throughput=params.get("WarmThroughput"),
            )
        else:
            extras = self.extras.get(key)
        table["TableId"] = extras.table_id
        if extras.table_class:
            table["TableClassSummary"] = {"TableClass": extras.table_class}
        if operation == "DeleteTable":
            self.extras.deleted(key)
        restoring = key in self.emulation.backups.restoring
        if restoring and status is None:
            # Items are still being written back: AWS's table is not yet ACTIVE.
            status = "CREATING"
        if extras.restore_summary is not None:
            table["RestoreSummary"] = {**extras.restore_summary, "RestoreInProgress": restoring}
        if status is not None:
            table["TableStatus"] = status
        descriptions.complete(table, extras, status)
        _fix_throughput(table.get("ProvisionedThroughput", {}))
        on_demand = table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
        for index in table.get("GlobalSecondaryIndexes", []):
            if "ProvisionedThroughput" in index:
                _fix_throughput(index["ProvisionedThroughput"])
            elif on_demand:
                index["ProvisionedThroughput"] = dict(_ZERO_THROUGHPUT)
            if status == "CREATING":
                index["IndexStatus"] = "CREATING"
        return _compact(document)

    async def _emulate(self, exchange, name: str, operation: Callable, identity: Identity, body: bytes) -> None:
        params = _checked(name, body)
        answer = await operation(self.emulation, identity, params, (exchange.header(b"host") or b"").decode("latin-1"))
        if name in _TABLE_ANSWERS:
            # A restore: DynamoDB Local's description of the table it created.
            write_answer(exchange, 200, self._complete_table(name, identity, body, _compact(answer)))
            return
        write_answer(exchange, 200, _compact(answer))

    def _failed(self, failure: Failure, exchange) -> None:
        if failure.check(defer.CancelledError):
            return
        if exchange.started:
            # The answer was being streamed when DynamoDB Local failed: cut
            # the connection, so that the client sees a broken answer (and
            # retries) rather than a short one.
            log.warn("DynamoDB Local failed mid-answer: {error}", error=failure.getErrorMessage())
            exchange.abort()
            return
        error: AwsError
        if isinstance(failure.value, AwsError):
            error = failure.value
        elif failure.check(Unavailable):
            # 503 is retried by every AWS SDK.
            error = AwsError("ServiceUnavailable", f"DynamoDB is not available: {failure.getErrorMessage()}", 503)
        elif failure.check(BackendError):
            log.warn("request to DynamoDB Local failed: {error}", error=failure.getErrorMessage())
            error = AwsError("InternalServerError", "Internal server error", 500)
        else:
            log.failure("DynamoDB request failed", failure)
            error = AwsError("InternalServerError", "Internal server error", 500)
        write_answer(exchange, error.status, rewrite.error_body(error.code, error.message, **error.fields))
