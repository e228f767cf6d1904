"""
DescribeTable as AWS answers it today: WarmThroughput, OnDemandThroughput,
SSEDescription when encryption with a KMS key is asked for, and deletion
protection enforced with AWS's error.
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.dynamodb.helpers import make_table, requires_dynamodb_local

pytestmark = requires_dynamodb_local

WARM = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
UNLIMITED = {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}


def test_an_on_demand_table_has_awss_throughput_members(client):
    created = make_table(client, "plain")
    assert created["WarmThroughput"] == {**WARM, "Status": "CREATING"}
    table = client.describe_table(TableName="plain")["Table"]
    assert table["WarmThroughput"] == WARM
    assert table["OnDemandThroughput"] == UNLIMITED
    assert table["DeletionProtectionEnabled"] is False
    assert "SSEDescription" not in table  # AWS owned key: no member
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["WarmThroughput"] == WARM
    assert index["OnDemandThroughput"] == UNLIMITED


def test_warm_and_on_demand_throughput_asked_for_are_reported(client):
    make_table(
        client,
        "busy",
        WarmThroughput={"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 9000},
        OnDemandThroughput={"MaxReadRequestUnits": 500},
    )
    table = client.describe_table(TableName="busy")["Table"]
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 9000, "Status": "ACTIVE"}
    assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": 500, "MaxWriteRequestUnits": -1}
    client.update_table(TableName="busy", WarmThroughput={"WriteUnitsPerSecond": 15000})
    table = client.describe_table(TableName="busy")["Table"]
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 15000, "Status": "ACTIVE"}


def test_a_provisioned_table_is_warm_for_its_capacity(client):
    client.create_table(
        TableName="provisioned",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 30000, "WriteCapacityUnits": 5},
    )
    table = client.describe_table(TableName="provisioned")["Table"]
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    assert "OnDemandThroughput" not in table


def test_encryption_with_a_kms_key(client, stack):
    account = make_table(client, "managed", gsi=False, lsi=False, SSESpecification={"Enabled": True})["TableArn"]
    account = account.split(":")[4]
    account_key = f"arn:aws:kms:{stack.region}:{account}:key/"
    managed = client.describe_table(TableName="managed")["Table"]["SSEDescription"]
    assert managed["Status"] == "ENABLED" and managed["SSEType"] == "KMS"
    assert managed["KMSMasterKeyArn"].startswith(account_key)
    uuid.UUID(managed["KMSMasterKeyArn"].rpartition("/")[2])

    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    make_table(
        client,
        "mine",
        gsi=False,
        lsi=False,
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_id},
    )
    assert client.describe_table(TableName="mine")["Table"]["SSEDescription"] == {
        "Status": "ENABLED",
        "SSEType": "KMS",
        "KMSMasterKeyArn": account_key + key_id,
    }
    # Back to the AWS owned key: the member goes.
    client.update_table(TableName="mine", SSESpecification={"Enabled": False})
    assert "SSEDescription" not in client.describe_table(TableName="mine")["Table"]
    client.update_table(TableName="mine", SSESpecification={"Enabled": True, "KMSMasterKeyId": "alias/app"})
    assert (
        client.describe_table(TableName="mine")["Table"]["SSEDescription"]["KMSMasterKeyArn"]
        == f"arn:aws:kms:{stack.region}:{account}:alias/app"
    )


def test_deletion_protection_is_enforced_and_toggled(client):
    make_table(client, "kept", gsi=False, lsi=False, DeletionProtectionEnabled=True)
    assert client.describe_table(TableName="kept")["Table"]["DeletionProtectionEnabled"] is True
    with pytest.raises(ClientError) as raised:
        client.delete_table(TableName="kept")
    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Resource cannot be deleted as it is currently protected against deletion. "
        "Disable deletion protection first.",
    }
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    answer = client.update_table(TableName="kept", DeletionProtectionEnabled=False)["TableDescription"]
    assert answer["DeletionProtectionEnabled"] is False
    assert client.delete_table(TableName="kept")["TableDescription"]["TableStatus"] == "DELETING"
