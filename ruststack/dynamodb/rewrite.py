"""
What the proxy changes between the caller and DynamoDB Local: the identity
sent, the ARNs in both directions, and error bodies.

The hot path (items in, items out) touches bytes only: a body is decoded as
JSON only when it must change (an error, a table description).
"""

from __future__ import annotations

import json
import random
import re
import zlib
from typing import Any

import attrs

from ruststack.dynamodb import shapes
from ruststack.dynamodb.json_depth import too_deep

# DynamoDB Local names every resource in this fake region and account.
LOCAL_ARN_PREFIX = b"arn:aws:dynamodb:ddblocal:000000000000:"
LOCAL_MARKER = b"ddblocal"
TYPE_PREFIX = "com.amazonaws.dynamodb.v20120810#"

# AWS reports these framework errors under coral namespaces, not DynamoDB's.
_CORAL_TYPES = {
    "ValidationException": "com.amazon.coral.validate#",
    "UnknownOperationException": "com.amazon.coral.service#",
    "SerializationException": "com.amazon.coral.service#",
    "UnrecognizedClientException": "com.amazon.coral.service#",
    "InvalidSignatureException": "com.amazon.coral.service#",
    "IncompleteSignatureException": "com.amazon.coral.service#",
    "MissingAuthenticationTokenException": "com.amazon.coral.service#",
    "AccessDeniedException": "com.amazon.coral.service#",
}
# botocore's model names the text member of these errors "Message", of all
# others "message" (dynamodb/2012-08-10/service-2.json).
_CAPITALISED_MESSAGE = {
    "TransactionCanceledException",
    "IdempotentParameterMismatchException",
    "TransactionInProgressException",
}
# Control-plane operations whose "not found" names the table, as AWS does.
_NAMES_MISSING_TABLE = {"DescribeTable", "DeleteTable", "UpdateTable"}
_KEY_MISMATCH = "The provided key element does not match the schema"
# DynamoDB Local's message -> AWS's (None: computed from the request).
_MESSAGES: dict[tuple[str, str], str | None] = {
    ("ResourceNotFoundException", "Cannot do operations on a non-existent table"): None,
    ("ResourceInUseException", "Cannot create preexisting table"): None,
    ("ValidationException", "One of the required keys was not given a value"): _KEY_MISMATCH,
    ("ValidationException", "One or more parameter values were invalid: Type mismatch for key"): _KEY_MISMATCH,
}
# Said of a key missing its sort key; AWS says so only of Query conditions.
_CONDITION_COUNT = ("ValidationException", "The number of conditions on the keys is invalid")
# DynamoDB Local words a constraint on a member as AWS does, without the
# count AWS puts first ("1 validation error detected: Value null at
# 'tableName' failed to satisfy constraint: Member must not be null").
_CONSTRAINT = re.compile(r"^Value .* at '[^']*' failed to satisfy constraint: ", re.S)


def authorization(access_key: str, region: str, token: str) -> bytes:
    """
    The C{Authorization} header of a request to DynamoDB Local: it reads the
    access key and region from the credential scope and ignores the
    signature, where RustStack's launcher wants the backend's C{token}
    (L{ruststack.dynamodb.launcher}).
    """
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/20120810/{region}/dynamodb/aws4_request, "
        f"SignedHeaders=host, Signature={token}"
    ).encode()


@attrs.frozen
class Identity:
    """
    Who DynamoDB Local sees: it keys its databases by access key and region,
    so the proxy sends the account id as the access key. Two keys of one
    account then share tables; accounts and regions stay apart. It does not
    verify signatures: the signature carries the token that proves a
    request comes from RustStack (see L{authorization}).
    """

    account: str
    region: str
    arn_prefix: bytes
    authorization: bytes
    request_arns: re.Pattern[bytes]
    table_arns: re.Pattern[bytes]
    named_tables: re.Pattern[bytes]

    @classmethod
    def of(cls, account: str, region: str, token: str) -> Identity:
        arn_prefix = f"arn:aws:dynamodb:{region}:{account}:".encode()
        return cls(
            account=account,
            region=region,
            arn_prefix=arn_prefix,
            request_arns=re.compile(_resource_positions(re.escape(arn_prefix)) + re.escape(arn_prefix)),
            table_arns=re.compile(
                _resource_positions(re.escape(arn_prefix)) + re.escape(arn_prefix) + rb"table/([A-Za-z0-9_.-]+)"
            ),
            named_tables=re.compile(
                rb'("TableName"\s*:\s*")' + re.escape(arn_prefix) + rb'table/([A-Za-z0-9_.-]+)(?=")'
            ),
            authorization=authorization(account, region, token),
        )

    def arn(self, resource: str) -> str:
        return self.arn_prefix.decode() + resource


def _resource_positions(prefix: bytes) -> bytes:
    """
    Where requests name resources by ARN: the members below, and the keys of
    BatchGetItem's and BatchWriteItem's RequestItems (a string after "{" or
    "," that a ":" follows; a list element is followed by "," or "]").
    """
    members = rb'"(?:TableName|ResourceArn|StreamArn|ShardIterator|ExclusiveStartStreamArn)"\s*:\s*"'
    map_keys = rb'[{,]\s*"(?=' + prefix + rb'[^"]*"\s*:)'
    return rb"(" + members + rb"|" + map_keys + rb")"


def request_to_local(body: bytes, identity: Identity) -> bytes:
    """
    The caller's ARNs where a request names a resource (tables, indexes,
    streams, shard iterators, the table keys of batch requests) as DynamoDB
    Local names them; ARNs in item data stay as they are.
    """
    if identity.arn_prefix not in body:
        return body
    # A table's ARN as TableName becomes its name: TransactGetItems and
    # TransactWriteItems of DynamoDB Local know no ARN, not even its own.
    body = identity.named_tables.sub(rb"\1\2", body)
    return identity.request_arns.sub(lambda found: found.group(1) + LOCAL_ARN_PREFIX, body)


def response_from_local(body: bytes, identity: Identity) -> bytes | None:
    """
    DynamoDB Local's ARNs and stream records' C{awsRegion} as the caller's;
    C{None} when there is nothing to change.
    """
    if LOCAL_MARKER not in body:
        return None
    return body.replace(LOCAL_ARN_PREFIX, identity.arn_prefix).replace(
        b'"awsRegion":"ddblocal"', b'"awsRegion":"' + identity.region.encode() + b'"'
    )


# DynamoDB Local's stream record of an item TTL deleted: its Java SDK's
# stand-in for an event name it lacks, and no userIdentity.
_TTL_EVENT = b'"eventName":"UNKNOWN_TO_SDK_VERSION"'
# AWS's: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html
_TTL_REMOVE = b'"eventName":"REMOVE","userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}'


def ttl_removals(body: bytes) -> bytes | None:
    """
    GetRecords' records of items TTL deleted as AWS writes them (REMOVE,
    by the service C{dynamodb.amazonaws.com}); C{None} when there is none.
    A string in an item cannot hold these bytes (its quotes are escaped).
    """
    if _TTL_EVENT not in body:
        return None
    return body.replace(_TTL_EVENT, _TTL_REMOVE)


# Batch answers keyed by table: "a map of table name or table ARN to ...".
_TABLE_MAPS = ("Responses", "UnprocessedKeys", "UnprocessedItems", "ItemCollectionMetrics")


def tables_by_arn(body: bytes, sent: bytes, identity: Identity) -> bytes | None:
    """
    An answer names a table by its ARN where the request did (see
    ConsumedCapacity.TableName and BatchGetItem's Responses in the API
    reference); DynamoDB Local always gives the name. C{None} when there is
    nothing to change.
    """
    named = {name.decode() for _, name in identity.table_arns.findall(sent)}
    document = load_json(body)
    if not isinstance(document, dict):
        return None
    changed = False
    consumed = document.get("ConsumedCapacity")
    for entry in consumed if isinstance(consumed, list) else [consumed]:
        if isinstance(entry, dict) and entry.get("TableName") in named:
            entry["TableName"] = identity.arn("table/" + entry["TableName"])
            changed = True
    for member in _TABLE_MAPS:
        tables = document.get(member)
        if isinstance(tables, dict) and named & set(tables):
            document[member] = {
                (identity.arn("table/" + name) if name in named else name): value for name, value in tables.items()
            }
            changed = True
    return json.dumps(document, separators=(",", ":")).encode() if changed else None


def crc32(body: bytes) -> bytes:
    """
    The C{x-amz-crc32} header botocore checks a DynamoDB body against.
    """
    return str(zlib.crc32(body)).encode()


def aws_request_id() -> str:
    """
    DynamoDB's request ids: 52 upper-case letters and digits. They need to
    be unique, not secret: no system call for entropy on the hot path.
    """
    return f"{random.getrandbits(208):052X}"


def table_name(value: str) -> str:
    """
    A C{TableName} member, which may also be the table's ARN.
    """
    if value.startswith("arn:"):
        return value.split(":table/", 1)[-1].split("/", 1)[0]
    return value


def error_body(code: str, message: str, **fields: Any) -> bytes:
    """
    A DynamoDB error body, with the namespace and message member AWS uses.
    """
    key = "Message" if code in _CAPITALISED_MESSAGE else "message"
    document: dict[str, Any] = {"__type": _CORAL_TYPES.get(code, TYPE_PREFIX) + code}
    document.update(fields)
    if message:
        document[key] = message
    return json.dumps(document, separators=(",", ":")).encode()


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def load_json(body: bytes) -> Any:
    """
    The JSON document C{body}; C{ValueError} if it is not one (Python's
    C{NaN} and C{Infinity} included) or is nested too deep to read
    (L{ruststack.dynamodb.json_depth}).
    """
    if too_deep(body):
        raise ValueError("JSON nested too deep")
    return json.loads(body, parse_constant=_not_json)


# AWS's answer to a body that is not a JSON object: a bare type, no message.
SERIALIZATION_ERROR = error_body("SerializationException", "")


def error_from_local(
    status: int, body: bytes, operation: str, request_body: bytes, identity: Identity
) -> tuple[int, bytes]:
    """
    DynamoDB Local's error as AWS gives it: the namespaced C{__type}, the
    model's message member name, AWS's message text, other members (C{Item},
    C{CancellationReasons}) kept. DynamoDB Local fails a body that is not a
    JSON object, or whose members have the wrong JSON types, with a 500
    C{InternalFailure}; AWS refuses it with a 400 C{SerializationException}
    (a C{ValidationException} for a required member missing).
    """
    try:
        document = load_json(body)
        code = document.pop("__type").rpartition("#")[2] if isinstance(document, dict) else None
    except (ValueError, KeyError, AttributeError):
        code = None
    if not code:
        return 500, error_body("InternalServerError", "Internal server error")
    if code == "InternalFailure":
        try:
            params = load_json(request_body)
        except ValueError:
            params = None
        if not isinstance(params, dict):
            return 400, SERIALIZATION_ERROR
        # DynamoDB Local also fails this way on some missing members.
        refused = shapes.refusal(operation, params)
        if refused is not None:
            return 400, error_body(refused.code, refused.message)
    message = document.pop("Message", None) or document.pop("message", "")
    for taken in ("message", "code"):  # error_body's own arguments
        document.pop(taken, None)
    if not isinstance(message, str):
        message = json.dumps(message)
    if (code, message) in _MESSAGES:
        message = _MESSAGES[(code, message)] or _computed_message(code, operation, request_body)
    elif (code, message) == _CONDITION_COUNT and operation != "Query":
        message = _KEY_MISMATCH
    elif code == "ValidationException" and _CONSTRAINT.match(message):
        message = "1 validation error detected: " + message
    rewritten = error_body(code, message, **document)
    return status, response_from_local(rewritten, identity) or rewritten


def _computed_message(code: str, operation: str, request_body: bytes) -> str:
    try:
        name = table_name(str(load_json(request_body).get("TableName", "")))
    except (ValueError, AttributeError):
        name = ""
    if code == "ResourceInUseException":
        return f"Table already exists: {name}"
    if operation in _NAMES_MISSING_TABLE and name:
        return f"Requested resource not found: Table: {name} not found"
    return "Requested resource not found"
