"""
Members of AWS's table descriptions that DynamoDB Local does not write:
warm throughput, on-demand throughput limits, server-side encryption with a
KMS key, deletion protection's default.
"""

from __future__ import annotations

import uuid
from typing import Any

from ruststack.dynamodb.rewrite import Identity
from ruststack.dynamodb.tables import TableExtras

# What a new table or index is ready for: "12,000 read units per second and
# 4,000 write units per second" (developerguide/warm-throughput.html).
_WARM = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}
# On-demand tables without limits: AWS reports -1 for "none".
_UNLIMITED = {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}
# The warm throughput's status while the table is created or deleted.
_PHASES = {"CREATING", "DELETING"}


def sse_description(specification: Any, identity: Identity) -> dict[str, str] | None:
    """
    The C{SSEDescription} of an C{SSESpecification}: C{None} unless it is
    enabled (AWS leaves the member out for its owned key). Without a key,
    the account's AWS managed key C{aws/dynamodb}, whose id here is derived
    from the account and region (stable, as AWS's is).
    """
    if not isinstance(specification, dict) or not specification.get("Enabled"):
        return None
    key = specification.get("KMSMasterKeyId")
    prefix = f"arn:aws:kms:{identity.region}:{identity.account}:"
    if not isinstance(key, str) or not key:
        arn = prefix + "key/" + str(uuid.uuid5(uuid.NAMESPACE_URL, prefix + "alias/aws/dynamodb"))
    elif key.startswith("arn:"):
        arn = key
    elif key.startswith("alias/"):
        arn = prefix + key
    else:
        arn = prefix + "key/" + key
    return {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": arn}


def warm_throughput(asked: dict | None, provisioned: dict | None, status: str | None) -> dict[str, Any]:
    """
    A table's or index's warm throughput: the larger of what was asked, its
    provisioned capacity and what every new table gets.
    """
    asked, provisioned = asked or {}, provisioned or {}
    read = max(
        _WARM["ReadUnitsPerSecond"], asked.get("ReadUnitsPerSecond") or 0, provisioned.get("ReadCapacityUnits") or 0
    )
    write = max(
        _WARM["WriteUnitsPerSecond"], asked.get("WriteUnitsPerSecond") or 0, provisioned.get("WriteCapacityUnits") or 0
    )
    return {
        "ReadUnitsPerSecond": read,
        "WriteUnitsPerSecond": write,
        "Status": status if status in _PHASES else "ACTIVE",
    }


def complete(table: dict, extras: TableExtras, status: str | None) -> None:
    """
    Add to the table description C{table} what AWS's has and DynamoDB
    Local's lacks.
    """
    on_demand = table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
    if on_demand or extras.on_demand_throughput is not None:
        table["OnDemandThroughput"] = {**_UNLIMITED, **(extras.on_demand_throughput or {})}
    table["WarmThroughput"] = warm_throughput(extras.warm_throughput, table.get("ProvisionedThroughput"), status)
    if extras.sse_description is not None:
        table["SSEDescription"] = dict(extras.sse_description)
    table.setdefault("DeletionProtectionEnabled", False)
    for index in table.get("GlobalSecondaryIndexes", []):
        if on_demand:
            index.setdefault("OnDemandThroughput", dict(_UNLIMITED))
        index.setdefault("WarmThroughput", warm_throughput(None, index.get("ProvisionedThroughput"), status))
