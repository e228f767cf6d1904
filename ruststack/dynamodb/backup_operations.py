"""
The backup operations (CreateBackup, DescribeBackup, ListBackups,
DeleteBackup, RestoreTableFromBackup, RestoreTableToPointInTime), answered by
the proxy over L{ruststack.dynamodb.backups}.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.dynamodb import backups, descriptions
from ruststack.dynamodb.backups import Backup
from ruststack.dynamodb.emulated import Emulation, Operation
from ruststack.dynamodb.rewrite import Identity, table_name

_BACKUP_NAME = re.compile(r"\A[a-zA-Z0-9_.-]{3,255}\Z")
# Members of a table's description that CreateTable takes back, per index.
_INDEX_MEMBERS = ("IndexName", "KeySchema", "Projection")


def _backup_not_found(arn: Any) -> AwsError:
    return AwsError("BackupNotFoundException", f"Backup not found: {arn}")


def _check_backup_name(name: str) -> None:
    if _BACKUP_NAME.match(name):
        return
    where = f"Value '{name}' at 'backupName' failed to satisfy constraint: "
    if not 3 <= len(name) <= 255:
        bound = "greater than or equal to 3" if len(name) < 3 else "less than or equal to 255"
        raise AwsError("ValidationException", f"1 validation error detected: {where}Member must have length {bound}")
    raise AwsError(
        "ValidationException",
        f"1 validation error detected: {where}Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    )


async def _source(emulation: Emulation, identity: Identity, name: str) -> dict:
    """
    DynamoDB Local's description of the table C{name}, which must exist.
    """
    status, document = await emulation.client.operation(identity.authorization, "DescribeTable", {"TableName": name})
    if status == 200:
        return document["Table"]
    if str(document.get("__type", "")).endswith("ResourceNotFoundException"):
        raise AwsError("TableNotFoundException", f"Table not found: {name}")
    raise backups.local_error(status, _encoded(document))


def _details(backup: Backup) -> dict:
    return {
        "BackupArn": backup.arn,
        "BackupName": backup.name,
        "BackupSizeBytes": backup.size,
        "BackupStatus": backup.status,
        "BackupType": "USER",
        "BackupCreationDateTime": backup.created,
    }


def _description(backup: Backup, identity: Identity, status: str | None = None) -> dict:
    source = backup.source
    billing = source.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    throughput = source.get("ProvisionedThroughput", {})
    table: dict[str, Any] = {
        "TableName": backup.table_name,
        "TableId": backup.table_id,
        "TableArn": identity.arn("table/" + backup.table_name),
        "TableSizeBytes": source.get("TableSizeBytes", 0),
        "KeySchema": source["KeySchema"],
        "TableCreationDateTime": source.get("CreationDateTime"),
        "ProvisionedThroughput": {
            "ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
            "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0),
        },
        "ItemCount": backup.item_count,
        "BillingMode": billing,
    }
    features: dict[str, Any] = {}
    if source.get("LocalSecondaryIndexes"):
        features["LocalSecondaryIndexes"] = [
            {member: index[member] for member in _INDEX_MEMBERS} for index in source["LocalSecondaryIndexes"]
        ]
    if source.get("GlobalSecondaryIndexes"):
        features["GlobalSecondaryIndexes"] = [
            {member: index[member] for member in _INDEX_MEMBERS}
            | ({"ProvisionedThroughput": _throughput(index)} if billing == "PROVISIONED" else {})
            for index in source["GlobalSecondaryIndexes"]
        ]
    if source.get("StreamSpecification"):
        features["StreamDescription"] = source["StreamSpecification"]
    if backup.time_to_live:
        features["TimeToLiveDescription"] = backup.time_to_live
    if backup.sse_description:
        features["SSEDescription"] = backup.sse_description
    details = _details(backup)
    if status is not None:
        details["BackupStatus"] = status
    return {"BackupDetails": details, "SourceTableDetails": table, "SourceTableFeatureDetails": features}


def _throughput(index: dict) -> dict:
    throughput = index.get("ProvisionedThroughput", {})
    return {key: throughput.get(key, 0) for key in ("ReadCapacityUnits", "WriteCapacityUnits")}


async def create_backup(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    name = table_name(str(params["TableName"]))
    _check_backup_name(params["BackupName"])
    source = await _source(emulation, identity, name)
    status, ttl = await emulation.client.operation(identity.authorization, "DescribeTimeToLive", {"TableName": name})
    extras = emulation.extras.get((identity.account, identity.region, name))
    now = emulation.clock.seconds()
    backup = Backup(
        arn=identity.arn(f"table/{name}/backup/{int(now * 1000):014d}-{secrets.token_hex(4)}"),
        name=params["BackupName"],
        account=identity.account,
        region=identity.region,
        table_name=name,
        table_id=extras.table_id,
        created=now,
        source=source,
        time_to_live=ttl.get("TimeToLiveDescription") if status == 200 else None,
        sse_description=extras.sse_description,
        size=source.get("TableSizeBytes", 0),
    )
    store = emulation.backups
    store.add(backup)
    try:
        backup.item_count, _ = await backups.snapshot(emulation.client, identity, name, store.path(backup))
    except BaseException:
        await store.remove(backup)
        raise
    backup.status = "AVAILABLE"
    store.save()
    return {"BackupDetails": _details(backup)}


def _found(emulation: Emulation, identity: Identity, params: dict) -> Backup:
    backup = emulation.backups.get(identity, str(params.get("BackupArn")))
    if backup is None:
        raise _backup_not_found(params.get("BackupArn"))
    return backup


async def describe_backup(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    return {"BackupDescription": _description(_found(emulation, identity, params), identity)}


async def delete_backup(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    backup = _found(emulation, identity, params)
    if backup.status != "AVAILABLE":
        raise AwsError("BackupInUseException", f"Backup is being created: {backup.arn}")
    await emulation.backups.remove(backup)
    return {"BackupDescription": _description(backup, identity, "DELETED")}


async def list_backups(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    listed = emulation.backups.of(identity)
    if params.get("TableName"):
        wanted = table_name(str(params["TableName"]))
        listed = [backup for backup in listed if backup.table_name == wanted]
    if params.get("BackupType") == "SYSTEM":  # RustStack takes none
        listed = []
    lower, upper = params.get("TimeRangeLowerBound"), params.get("TimeRangeUpperBound")
    if lower is not None:
        listed = [backup for backup in listed if backup.created >= float(lower)]
    if upper is not None:
        listed = [backup for backup in listed if backup.created < float(upper)]
    start = params.get("ExclusiveStartBackupArn")
    if start:
        arns = [backup.arn for backup in listed]
        listed = listed[arns.index(start) + 1 :] if start in arns else []
    limit = int(params.get("Limit") or 100)
    page, more = listed[:limit], len(listed) > limit
    summaries = [
        {
            "TableName": backup.table_name,
            "TableId": backup.table_id,
            "TableArn": identity.arn("table/" + backup.table_name),
            **{key: value for key, value in _details(backup).items()},
        }
        for backup in page
    ]
    answer: dict[str, Any] = {"BackupSummaries": summaries}
    if more:
        answer["LastEvaluatedBackupArn"] = page[-1].arn
    return answer


def _create_request(target: str, source: dict, params: dict) -> dict:
    """
    CreateTable of C{target} as the table C{source} describes, with the
    restore's overrides.
    """
    billing = params.get("BillingModeOverride") or source.get("BillingModeSummary", {}).get(
        "BillingMode", "PROVISIONED"
    )
    request: dict[str, Any] = {"TableName": target, "KeySchema": source["KeySchema"], "BillingMode": billing}
    provisioned = billing == "PROVISIONED"
    if provisioned:
        request["ProvisionedThroughput"] = params.get("ProvisionedThroughputOverride") or _throughput(source)
    if "GlobalSecondaryIndexOverride" in params:
        gsis = params["GlobalSecondaryIndexOverride"]
    else:
        gsis = [
            {member: index[member] for member in _INDEX_MEMBERS}
            | ({"ProvisionedThroughput": _throughput(index)} if provisioned else {})
            for index in source.get("GlobalSecondaryIndexes", [])
        ]
    if "LocalSecondaryIndexOverride" in params:
        lsis = params["LocalSecondaryIndexOverride"]
    else:
        lsis = [
            {member: index[member] for member in _INDEX_MEMBERS} for index in source.get("LocalSecondaryIndexes", [])
        ]
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if lsis:
        request["LocalSecondaryIndexes"] = lsis
    used = {key["AttributeName"] for key in source["KeySchema"]}
    for index in [*gsis, *lsis]:
        used.update(key["AttributeName"] for key in index.get("KeySchema", []))
    request["AttributeDefinitions"] = [
        definition for definition in source["AttributeDefinitions"] if definition["AttributeName"] in used
    ]
    return request


async def _create_target(emulation: Emulation, identity: Identity, target: str, source: dict, params: dict) -> dict:
    status, answer = await emulation.client.operation(
        identity.authorization, "CreateTable", _create_request(target, source, params)
    )
    if status == 200:
        return answer
    if str(answer.get("__type", "")).endswith("ResourceInUseException"):
        raise AwsError("TableAlreadyExistsException", f"Table already exists: {target}")
    raise backups.local_error(status, _encoded(answer))


def _encoded(document: dict) -> bytes:
    return json.dumps(document).encode()


def _kept_settings(identity: Identity, params: dict, sse: dict | None) -> dict:
    override = params.get("SSESpecificationOverride")
    return {
        "sse_description": descriptions.sse_description(override, identity) if override is not None else sse,
        "on_demand_throughput": params.get("OnDemandThroughputOverride"),
    }


async def restore_table_from_backup(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    backup = _found(emulation, identity, params)
    if backup.status != "AVAILABLE":
        raise AwsError("BackupInUseException", f"Backup is being created: {backup.arn}")
    target = str(params["TargetTableName"])
    answer = await _create_target(emulation, identity, target, backup.source, params)
    key = (identity.account, identity.region, target)
    emulation.extras.created(
        key,
        {},
        restore_summary={
            "SourceBackupArn": backup.arn,
            "SourceTableArn": identity.arn("table/" + backup.table_name),
            "RestoreDateTime": backup.created,
        },
        **_kept_settings(identity, params, backup.sse_description),
    )
    path = emulation.backups.path(backup)
    emulation.backups.run(key, lambda: backups.restore(emulation.client, identity, target, path))
    return answer


async def restore_table_to_point_in_time(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    named = params.get("SourceTableArn") or params.get("SourceTableName")
    if not named:
        raise AwsError("ValidationException", "Either SourceTableArn or SourceTableName must be specified")
    name = table_name(str(named))
    source = await _source(emulation, identity, name)
    extras = emulation.extras.get((identity.account, identity.region, name))
    if not extras.point_in_time_recovery or extras.recovery_enabled_at is None:
        raise AwsError(
            "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{name}'"
        )
    now = emulation.clock.seconds()
    # Whole seconds: SDKs may send a time to the second.
    earliest = math.floor(max(extras.recovery_enabled_at, now - extras.recovery_period_days * 86400))
    when = now if params.get("UseLatestRestorableTime") else params.get("RestoreDateTime")
    if when is None:
        raise AwsError("ValidationException", "Either RestoreDateTime or UseLatestRestorableTime must be specified")
    if not earliest <= float(when) <= now:
        raise AwsError(
            "InvalidRestoreTimeException",
            "Restore time must be between EarliestRestorableDateTime and LatestRestorableDateTime",
        )
    target = str(params["TargetTableName"])
    answer = await _create_target(emulation, identity, target, source, params)
    key = (identity.account, identity.region, target)
    emulation.extras.created(
        key,
        {},
        restore_summary={
            "SourceTableArn": identity.arn("table/" + name),
            "RestoreDateTime": float(when),
        },
        **_kept_settings(identity, params, extras.sse_description),
    )
    store = emulation.backups
    scratch = store.scratch(identity)

    async def copy() -> None:
        # The table as it is now, whatever time was asked (see the README).
        try:
            await backups.snapshot(emulation.client, identity, name, scratch)
            await backups.restore(emulation.client, identity, target, scratch)
        finally:
            await backups.unlink(scratch)

    store.run(key, copy)
    return answer


OPERATIONS: dict[str, Operation] = {
    "CreateBackup": create_backup,
    "DescribeBackup": describe_backup,
    "DeleteBackup": delete_backup,
    "ListBackups": list_backups,
    "RestoreTableFromBackup": restore_table_from_backup,
    "RestoreTableToPointInTime": restore_table_to_point_in_time,
}
