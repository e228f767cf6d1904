"""
Where a request names tables and streams, read from its document.

AWS takes a table's ARN wherever a table name goes. DynamoDB Local reads the
name out of any ARN, whoever's it is, and looks in the caller's own
database: an ARN of another account would reach the caller's table of that
name. The proxy finds such ARNs first and answers as AWS does for a table
of another account without a resource policy (RustStack has none).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.dynamodb.rewrite import Identity

# Members naming a resource, at the top of a request.
_NAMING = ("TableName", "ResourceArn", "StreamArn", "ExclusiveStartStreamArn", "ShardIterator", "SourceTableArn")
# TransactWriteItems' and TransactGetItems' entries.
_TRANSACT_ACTIONS = ("Get", "Put", "Update", "Delete", "ConditionCheck")
_DYNAMODB_ARN = re.compile(r"\Aarn:([a-z-]+):dynamodb:([a-z0-9-]*):([^:]*):")


def named(params: dict) -> Iterator[str]:
    """
    Every table or stream C{params} names: top-level members, the keys of
    C{RequestItems} (BatchGetItem, BatchWriteItem), the C{TableName} of each
    of C{TransactItems}.
    """
    for member in _NAMING:
        value = params.get(member)
        if isinstance(value, str):
            yield value
    items = params.get("RequestItems")
    if isinstance(items, dict):
        yield from items
    transact = params.get("TransactItems")
    if isinstance(transact, list):
        for entry in transact:
            if not isinstance(entry, dict):
                continue
            for action in _TRANSACT_ACTIONS:
                inner = entry.get(action)
                if isinstance(inner, dict) and isinstance(inner.get("TableName"), str):
                    yield inner["TableName"]


def foreign(operation: str, params: Any, identity: Identity) -> AwsError | None:
    """
    AWS's refusal of the first DynamoDB ARN in C{params} outside the
    caller's account and region, else C{None}: another account's is
    C{AccessDeniedException} (no resource policy allows it), another
    region's is not found there.
    """
    if not isinstance(params, dict):
        return None
    own = identity.arn_prefix.decode()
    for value in named(params):
        found = _DYNAMODB_ARN.match(value)
        if found is None or value.startswith(own):
            continue
        if found.group(3) != identity.account:
            action = f"dynamodb:{operation}"
            return AwsError(
                "AccessDeniedException",
                f"User: arn:aws:iam::{identity.account}:root is not authorized to perform: {action} on resource: "
                f"{value} because no resource-based policy allows the {action} action",
            )
        return AwsError("ResourceNotFoundException", "Requested resource not found")
    return None
