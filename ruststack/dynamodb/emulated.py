"""
Operations the proxy answers itself because DynamoDB Local lacks them or
answers them unlike AWS: tagging, continuous backups, DescribeEndpoints, and
the read-only views of features RustStack does not offer (global tables,
exports, imports, contributor insights, Kinesis destinations, resource
policies), which infrastructure tools read when they refresh a table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from ruststack.aws.arn import Arn
from ruststack.aws.errors import AwsError
from ruststack.dynamodb.backend import DynamoDBLocalClient
from ruststack.dynamodb.backups import BackupStore
from ruststack.dynamodb.rewrite import Identity, table_name
from ruststack.dynamodb.tables import TableExtras, TableExtrasStore

# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.html
MAX_TAGS = 50


@attrs.define
class Emulation:
    """
    What the emulated operations work with.
    """

    client: DynamoDBLocalClient
    extras: TableExtrasStore
    clock: Any
    backups: BackupStore

    async def table_exists(self, identity: Identity, name: str) -> bool:
        status, document = await self.client.operation(identity.authorization, "DescribeTable", {"TableName": name})
        if status == 200:
            return True
        code = str(document.get("__type", "")).rpartition("#")[2]
        if code == "ResourceNotFoundException":
            return False
        if status == 400:
            # A name DynamoDB Local refuses (empty, too long, bad characters)
            # is refused by AWS in the same words.
            raise AwsError(code, str(document.get("Message") or document.get("message", "")))
        raise AwsError("InternalServerError", "Internal server error", 500)

    async def tagged_table(self, identity: Identity, resource_arn: Any) -> TableExtras:
        """
        The extras of the table C{ResourceArn} names, which must exist in the
        caller's account and region.
        """
        try:
            arn = Arn.parse(str(resource_arn))
        except ValueError:
            raise AwsError(
                "ValidationException", f"Invalid TableArn: Invalid ResourceArn provided as input {resource_arn}"
            ) from None
        name = table_name(str(resource_arn)) if arn.resource.startswith("table/") else ""
        if (
            arn.service != "dynamodb"
            or (arn.region, arn.account) != (identity.region, identity.account)
            or not name
            or not await self.table_exists(identity, name)
        ):
            # AWS's text, its typo included.
            raise AwsError(
                "ResourceNotFoundException", f"Requested resource not found: ResourcArn: {resource_arn} not found"
            )
        return self.extras.get((identity.account, identity.region, name))

    async def existing_table(self, identity: Identity, params: dict) -> str:
        """
        The name of the table C{TableName} names, which must exist.
        """
        name = table_name(str(params.get("TableName", "")))
        if not await self.table_exists(identity, name):
            raise AwsError("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")
        return name

    async def backed_up_table(self, identity: Identity, params: dict) -> TableExtras:
        name = table_name(str(params.get("TableName", "")))
        if not await self.table_exists(identity, name):
            raise AwsError("TableNotFoundException", f"Table not found: {name}")
        return self.extras.get((identity.account, identity.region, name))


Operation = Callable[[Emulation, Identity, dict, str], Awaitable[dict]]


async def tag_resource(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    extras = await emulation.tagged_table(identity, params.get("ResourceArn"))
    tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}
    if len({**extras.tags, **tags}) > MAX_TAGS:
        raise AwsError("ValidationException", "One or more parameter values were invalid: Too many tags")
    extras.tags.update(tags)
    emulation.extras.save()
    return {}


async def untag_resource(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    extras = await emulation.tagged_table(identity, params.get("ResourceArn"))
    for key in params.get("TagKeys", []):
        extras.tags.pop(key, None)
    emulation.extras.save()
    return {}


async def list_tags_of_resource(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    extras = await emulation.tagged_table(identity, params.get("ResourceArn"))
    return {"Tags": [{"Key": key, "Value": value} for key, value in extras.tags.items()]}


def _continuous_backups(extras: TableExtras, now: float) -> dict:
    # DescribeContinuousBackups: backups are always on; PITR as last set.
    if not extras.point_in_time_recovery:
        recovery: dict[str, Any] = {"PointInTimeRecoveryStatus": "DISABLED"}
    else:
        # The retained window: the last RecoveryPeriodInDays, since it was enabled.
        earliest = max(extras.recovery_enabled_at or 0, now - extras.recovery_period_days * 86400)
        recovery = {
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": extras.recovery_period_days,
            "EarliestRestorableDateTime": earliest,
            "LatestRestorableDateTime": now,
        }
    return {
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": recovery,
        }
    }


async def describe_continuous_backups(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    extras = await emulation.backed_up_table(identity, params)
    return _continuous_backups(extras, emulation.clock.seconds())


async def update_continuous_backups(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    extras = await emulation.backed_up_table(identity, params)
    specification = params.get("PointInTimeRecoverySpecification") or {}
    enabled = bool(specification.get("PointInTimeRecoveryEnabled"))
    period = int(specification.get("RecoveryPeriodInDays", 35))
    if not 1 <= period <= 35:
        raise AwsError("ValidationException", "RecoveryPeriodInDays must be between 1 and 35")
    now = emulation.clock.seconds()
    if enabled and not extras.point_in_time_recovery:
        extras.recovery_enabled_at = now
    extras.point_in_time_recovery, extras.recovery_period_days = enabled, period
    if not enabled:
        extras.recovery_enabled_at = None
    emulation.extras.save()
    return _continuous_backups(extras, now)


async def describe_endpoints(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    # Endpoint discovery must lead back here, not to AWS.
    return {"Endpoints": [{"Address": host, "CachePeriodInMinutes": 1440}]}


async def describe_contributor_insights(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    name = await emulation.existing_table(identity, params)
    index = {"IndexName": params["IndexName"]} if params.get("IndexName") else {}
    return {"TableName": name, **index, "ContributorInsightsStatus": "DISABLED"}


async def describe_kinesis_streaming_destination(
    emulation: Emulation, identity: Identity, params: dict, host: str
) -> dict:
    name = await emulation.existing_table(identity, params)
    return {"TableName": name, "KinesisDataStreamDestinations": []}


def _nothing_listed(member: str) -> Operation:
    """
    A listing of features RustStack does not offer (global tables,
    exports...): always empty, as for an account that never used them.
    """

    async def empty(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
        return {member: []}

    return empty


async def get_resource_policy(emulation: Emulation, identity: Identity, params: dict, host: str) -> dict:
    await emulation.tagged_table(identity, params.get("ResourceArn"))
    raise AwsError(
        "PolicyNotFoundException",
        f"Resource-based policy not found for the provided ResourceArn: {params.get('ResourceArn')}",
    )


OPERATIONS: dict[str, Operation] = {
    "DescribeContributorInsights": describe_contributor_insights,
    "DescribeKinesisStreamingDestination": describe_kinesis_streaming_destination,
    "GetResourcePolicy": get_resource_policy,
    "ListContributorInsights": _nothing_listed("ContributorInsightsSummaries"),
    "ListExports": _nothing_listed("ExportSummaries"),
    "ListGlobalTables": _nothing_listed("GlobalTables"),
    "ListImports": _nothing_listed("ImportSummaryList"),
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsOfResource": list_tags_of_resource,
    "DescribeContinuousBackups": describe_continuous_backups,
    "UpdateContinuousBackups": update_continuous_backups,
    "DescribeEndpoints": describe_endpoints,
}
