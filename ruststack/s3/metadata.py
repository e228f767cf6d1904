"""
S3 Metadata configurations of a general purpose bucket, V1
(C{?metadataTable}: Create/Get/DeleteBucketMetadataTableConfiguration) and
V2 (C{?metadataConfiguration}: Create/Get/Delete, and
C{UpdateBucketMetadataInventoryTableConfiguration} /
C{UpdateBucketMetadataJournalTableConfiguration}), and the bucket's ABAC
setting (Put/GetBucketAbac, a plain L{ruststack.s3.configs.Config}).

A bucket has at most one metadata configuration. It is kept, as the XML of
what GetBucketMetadataConfiguration answers, in the store's
C{bucket_configs} (kind C{metadata}); one made by the V1 operation also
keeps the V1 answer (kind C{metadata-v1}), since the V1 Get answers only a
V1 configuration (405 otherwise, as AWS documents).

Stored and returned only: no S3 Tables table is created or written, and
every table answers C{TableStatus} ACTIVE at once.
"""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

from botocore.model import StructureShape

from ruststack.aws.errors import AwsError
from ruststack.protocol.parse import xml_root, xml_structure
from ruststack.protocol.serialize import xml_element
from ruststack.s3 import configs, documents
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.records import Bucket

V2_KIND = "metadata"
V1_KIND = "metadata-v1"
ACTIVE = "ACTIVE"
# The namespace S3 Metadata V1 writes its table into (V2: b_<bucket>).
V1_NAMESPACE = "aws_s3_metadata"
_TABLE_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3tables:[a-z0-9-]+:\d{12}:bucket/[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_TABLE_NAME = re.compile(r"[a-z0-9_]{1,255}")

ABAC = configs.Config("abac", "PutBucketAbac", default={"Status": "Disabled"})


@functools.cache
def _result_shape(operation: str) -> StructureShape:
    """
    The payload shape of a Get operation's answer (C{GetBucketMetadataConfigurationResult}...).
    """
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    output = model.operation_model(operation).output_shape
    return output.members[output.serialization["payload"]]


def _write(operation: str, values: dict[str, Any]) -> str:
    shape = _result_shape(operation)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    xml_element(shape, values, shape.name, parts, "rest-xml")
    return "".join(parts)


def _read(operation: str, document: str) -> dict[str, Any]:
    shape = _result_shape(operation)
    return xml_structure(shape, xml_root(document.encode("utf-8"), shape.name))


def not_found(bucket: Bucket) -> AwsError:
    return AwsError(
        "MetadataConfigurationNotFound",
        "The metadata table configuration does not exist.",
        404,
        {"BucketName": bucket.name},
    )


def already_exists(bucket: Bucket) -> AwsError:
    return AwsError(
        "MetadataConfigurationAlreadyExists",
        "A metadata table configuration already exists for this bucket.",
        409,
        {"BucketName": bucket.name},
    )


def method_not_allowed(call: S3Call) -> AwsError:
    # AWS: the V1 operations on a V2 configuration are 405 Method Not Allowed.
    return AwsError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        {"Method": call.method, "ResourceType": "METADATACONFIGURATION"},
    )


def _table_arn(table_bucket_arn: str) -> str:
    return f"{table_bucket_arn}/table/{uuid.uuid4()}"


def _check_encryption(encryption: dict[str, Any] | None, table: str) -> None:
    if encryption is None:
        return
    algorithm, key = encryption["SseAlgorithm"], encryption.get("KmsKeyArn")
    if algorithm == "aws:kms" and not key:
        raise invalid_argument(f"KmsKeyArn is required for aws:kms encryption of the {table} table", "KmsKeyArn", "")
    if algorithm == "AES256" and key:
        raise invalid_argument(
            f"KmsKeyArn is not applicable to AES256 encryption of the {table} table", "KmsKeyArn", key
        )


def _check_expiration(expiration: dict[str, Any]) -> None:
    days = expiration.get("Days")
    if expiration["Expiration"] == "ENABLED":
        # S3 Metadata keeps journal records at least 7 days.
        if days is None or days < 7:
            raise invalid_argument(
                "Days must be specified and be at least 7 when Expiration is ENABLED", "Days", str(days)
            )
    elif days is not None:
        raise invalid_argument("Days must not be specified when Expiration is DISABLED", "Days", str(days))


def _optional_table(config: dict[str, Any] | None, name: str, table_bucket_arn: str) -> dict[str, Any] | None:
    """
    The result of an inventory or annotation table configuration: its table
    only when it is ENABLED.
    """
    if config is None:
        return None
    _check_encryption(config.get("EncryptionConfiguration"), name)
    result: dict[str, Any] = {"ConfigurationState": config["ConfigurationState"]}
    if config["ConfigurationState"] == "ENABLED":
        result.update(TableStatus=ACTIVE, TableName=name, TableArn=_table_arn(table_bucket_arn))
    if "Role" in config:
        result["Role"] = config["Role"]
    return result


def _aws_table_bucket(bucket: Bucket) -> str:
    return f"arn:aws:s3tables:{bucket.region}:{bucket.account}:bucket/aws-s3"


def _stored(ctx: S3Context, bucket: Bucket) -> dict[str, Any] | None:
    document = ctx.store.bucket_config(bucket.name, V2_KIND)
    return None if document is None else _read("GetBucketMetadataConfiguration", document)


def _keep(ctx: S3Context, bucket: Bucket, result: dict[str, Any]) -> None:
    ctx.store.set_bucket_config(
        bucket.name, V2_KIND, _write("GetBucketMetadataConfiguration", {"MetadataConfigurationResult": result})
    )


def _xml_answer(call: S3Call, document: str) -> bytes:
    call.set_headers({"Content-Type": "application/xml"})
    return document.encode("utf-8")


# -- V2


def create_bucket_metadata_configuration(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    values = documents.read("CreateBucketMetadataConfiguration", call.body())
    if ctx.store.bucket_config(bucket.name, V2_KIND) is not None:
        raise already_exists(bucket)
    journal = values["JournalTableConfiguration"]
    _check_expiration(journal["RecordExpiration"])
    _check_encryption(journal.get("EncryptionConfiguration"), "journal")
    table_bucket = _aws_table_bucket(bucket)
    result: dict[str, Any] = {
        "DestinationResult": {
            "TableBucketType": "aws",
            "TableBucketArn": table_bucket,
            "TableNamespace": f"b_{bucket.name}",
        },
        "JournalTableConfigurationResult": {
            "TableStatus": ACTIVE,
            "TableName": "journal",
            "TableArn": _table_arn(table_bucket),
            "RecordExpiration": journal["RecordExpiration"],
        },
    }
    inventory = _optional_table(values.get("InventoryTableConfiguration"), "inventory", table_bucket)
    if inventory is not None:
        result["InventoryTableConfigurationResult"] = inventory
    annotation = _optional_table(values.get("AnnotationTableConfiguration"), "annotation", table_bucket)
    if annotation is not None:
        result["AnnotationTableConfigurationResult"] = annotation
    _keep(ctx, bucket, result)
    return b""


def get_bucket_metadata_configuration(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    document = ctx.store.bucket_config(bucket.name, V2_KIND)
    if document is None:
        raise not_found(bucket)
    return _xml_answer(call, document)


def delete_bucket_metadata_configuration(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    if ctx.store.bucket_config(bucket.name, V2_KIND) is None:
        raise not_found(bucket)
    ctx.store.set_bucket_config(bucket.name, V2_KIND, None)
    ctx.store.set_bucket_config(bucket.name, V1_KIND, None)
    call.request.setResponseCode(204)
    return b""


def _updatable(ctx: S3Context, call: S3Call, bucket: Bucket) -> dict[str, Any]:
    stored = _stored(ctx, bucket)
    if stored is None:
        raise not_found(bucket)
    if ctx.store.bucket_config(bucket.name, V1_KIND) is not None:
        raise method_not_allowed(call)
    return stored["MetadataConfigurationResult"]


def update_inventory_table(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    values = documents.read("UpdateBucketMetadataInventoryTableConfiguration", call.body())
    result = _updatable(ctx, call, bucket)
    table_bucket = result["DestinationResult"]["TableBucketArn"]
    previous = result.get("InventoryTableConfigurationResult", {})
    inventory = _optional_table(values, "inventory", table_bucket)
    assert inventory is not None
    if previous.get("TableArn") and values["ConfigurationState"] == "ENABLED":
        inventory["TableArn"] = previous["TableArn"]  # the same table, enabled again
    result["InventoryTableConfigurationResult"] = inventory
    _keep(ctx, bucket, result)
    return b""


def update_journal_table(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    values = documents.read("UpdateBucketMetadataJournalTableConfiguration", call.body())
    result = _updatable(ctx, call, bucket)
    _check_expiration(values["RecordExpiration"])
    result["JournalTableConfigurationResult"]["RecordExpiration"] = values["RecordExpiration"]
    _keep(ctx, bucket, result)
    return b""


# -- V1


def create_bucket_metadata_table_configuration(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    values = documents.read("CreateBucketMetadataTableConfiguration", call.body())
    if ctx.store.bucket_config(bucket.name, V2_KIND) is not None:
        raise already_exists(bucket)
    destination = values["S3TablesDestination"]
    table_bucket, table_name = destination["TableBucketArn"], destination["TableName"]
    if _TABLE_BUCKET_ARN.fullmatch(table_bucket) is None:
        raise invalid_argument("Invalid table bucket ARN.", "TableBucketArn", table_bucket)
    if _TABLE_NAME.fullmatch(table_name) is None:
        raise invalid_argument(
            "Table names can contain only lowercase letters, numbers and underscores.", "TableName", table_name
        )
    table_arn = _table_arn(table_bucket)
    v1 = {
        "MetadataTableConfigurationResult": {
            "S3TablesDestinationResult": {
                "TableBucketArn": table_bucket,
                "TableName": table_name,
                "TableArn": table_arn,
                "TableNamespace": V1_NAMESPACE,
            }
        },
        "Status": ACTIVE,
    }
    ctx.store.set_bucket_config(bucket.name, V1_KIND, _write("GetBucketMetadataTableConfiguration", v1))
    # What the V2 Get answers for it: a customer table bucket, a journal that never expires.
    _keep(
        ctx,
        bucket,
        {
            "DestinationResult": {
                "TableBucketType": "customer",
                "TableBucketArn": table_bucket,
                "TableNamespace": V1_NAMESPACE,
            },
            "JournalTableConfigurationResult": {
                "TableStatus": ACTIVE,
                "TableName": table_name,
                "TableArn": table_arn,
                "RecordExpiration": {"Expiration": "DISABLED"},
            },
        },
    )
    return b""


def _v1_document(ctx: S3Context, call: S3Call, bucket: Bucket) -> str:
    document = ctx.store.bucket_config(bucket.name, V1_KIND)
    if document is None:
        if ctx.store.bucket_config(bucket.name, V2_KIND) is not None:
            raise method_not_allowed(call)
        raise not_found(bucket)
    return document


def get_bucket_metadata_table_configuration(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    return _xml_answer(call, _v1_document(ctx, call, bucket))


def delete_bucket_metadata_table_configuration(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    _v1_document(ctx, call, bucket)
    ctx.store.set_bucket_config(bucket.name, V1_KIND, None)
    ctx.store.set_bucket_config(bucket.name, V2_KIND, None)
    call.request.setResponseCode(204)
    return b""


def handlers() -> dict[str, Any]:
    return {
        "PutBucketAbac": configs.put_handler(ABAC),
        "GetBucketAbac": configs.get_handler(ABAC),
        "CreateBucketMetadataConfiguration": create_bucket_metadata_configuration,
        "GetBucketMetadataConfiguration": get_bucket_metadata_configuration,
        "DeleteBucketMetadataConfiguration": delete_bucket_metadata_configuration,
        "UpdateBucketMetadataInventoryTableConfiguration": update_inventory_table,
        "UpdateBucketMetadataJournalTableConfiguration": update_journal_table,
        "CreateBucketMetadataTableConfiguration": create_bucket_metadata_table_configuration,
        "GetBucketMetadataTableConfiguration": get_bucket_metadata_table_configuration,
        "DeleteBucketMetadataTableConfiguration": delete_bucket_metadata_table_configuration,
    }
