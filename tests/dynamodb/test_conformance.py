"""
DynamoDB against botocore's model, generated from it, through boto3 over a
real socket: every operation answers something botocore reads -- a result,
an error DynamoDB has, or 501 NotImplemented for what DynamoDB Local lacks --
never a 5xx of its own nor "unknown operation".
"""

from __future__ import annotations

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from ruststack.protocol import Protocol
from tests.conformance import UNCHECKED, placeholder
from tests.dynamodb.helpers import requires_dynamodb_local

pytestmark = requires_dynamodb_local

MODEL = Protocol.for_service("dynamodb").model
# What DynamoDB Local lacks: 501 NotImplemented, as RustStack does not have it either.
NOT_IN_DYNAMODB_LOCAL = {
    "CancelBulkOperation", "CreateGlobalTable", "DeleteResourcePolicy",
    "DescribeBulkOperation", "DescribeExport", "DescribeGlobalTable",
    "DescribeGlobalTableSettings", "DescribeImport", "DescribeTableReplicaAutoScaling",
    "DisableKinesisStreamingDestination", "EnableKinesisStreamingDestination", "ExportTableToPointInTime",
    "ImportTable", "ListBulkOperations", "PutResourcePolicy",
    "SearchVectors", "StartBulkPutItems", "UpdateContributorInsights", "UpdateGlobalTable",
    "UpdateGlobalTableSettings", "UpdateKinesisStreamingDestination", "UpdateTableReplicaAutoScaling",
}  # fmt: skip


@pytest.fixture(scope="module")
def raw_client(dynamodb_stack):
    # Client-side validation off: placeholders are not meant to be valid.
    return dynamodb_stack.client("dynamodb", config=UNCHECKED)


@pytest.mark.parametrize("operation", MODEL.operation_names)
def test_every_operation_answers_what_botocore_reads(raw_client, operation):
    shape = MODEL.operation_model(operation).input_shape
    params = placeholder(shape) if shape is not None else {}
    try:
        getattr(raw_client, xform_name(operation))(**params)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        if operation in NOT_IN_DYNAMODB_LOCAL:
            assert (status, code) == (501, "NotImplemented")
        else:
            assert status < 500 and code not in ("UnknownOperationException", "NotImplemented"), error.response


def test_the_list_of_operations_missing_is_the_models():
    assert NOT_IN_DYNAMODB_LOCAL <= set(MODEL.operation_names)
