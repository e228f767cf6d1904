"""
Accounts and regions: tables live in the caller's account (from the access
key) and region (from the credential scope).
"""

from __future__ import annotations

import pytest

from tests.dynamodb.helpers import client_as, make_table, requires_dynamodb_local

pytestmark = requires_dynamodb_local


def test_two_regions_never_see_each_others_tables(stack):
    east = client_as(stack, "111111111111")
    west = client_as(stack, "111111111111", "eu-west-1")
    east_arn = make_table(east, gsi=False, lsi=False)["TableArn"]
    assert west.list_tables()["TableNames"] == []
    west_arn = make_table(west, gsi=False, lsi=False)["TableArn"]
    assert east_arn == "arn:aws:dynamodb:us-east-1:111111111111:table/items"
    assert west_arn == "arn:aws:dynamodb:eu-west-1:111111111111:table/items"
    east.put_item(TableName="items", Item={"pk": {"S": "p"}, "sk": {"S": "east"}})
    assert west.scan(TableName="items")["Items"] == []


def test_two_accounts_never_see_each_others_tables(stack):
    first = client_as(stack, "111111111111")
    second = client_as(stack, "222222222222")
    make_table(first, gsi=False, lsi=False)
    assert second.list_tables()["TableNames"] == []
    with pytest.raises(second.exceptions.ResourceNotFoundException):
        second.get_item(TableName="items", Key={"pk": {"S": "p"}, "sk": {"S": "s"}})
    make_table(second, gsi=False, lsi=False)
    first.put_item(TableName="items", Item={"pk": {"S": "p"}, "sk": {"S": "first"}})
    assert second.scan(TableName="items")["Count"] == 0
    assert second.describe_table(TableName="items")["Table"]["TableArn"].split(":")[4] == "222222222222"


def test_two_keys_of_one_account_share_tables(stack):
    # Access keys that name no account are in the default account.
    one = client_as(stack, "AKIAEXAMPLEONE")
    other = client_as(stack, "AKIAEXAMPLETWO")
    make_table(one, gsi=False, lsi=False)
    one.put_item(TableName="items", Item={"pk": {"S": "p"}, "sk": {"S": "s"}})
    assert other.list_tables()["TableNames"] == ["items"]
    assert other.get_item(TableName="items", Key={"pk": {"S": "p"}, "sk": {"S": "s"}})["Item"]["sk"] == {"S": "s"}


def test_request_arns_are_read_in_the_callers_account(stack):
    client = client_as(stack, "333333333333", "ap-south-1")
    table_arn = make_table(client, gsi=False, lsi=False)["TableArn"]
    client.put_item(TableName=table_arn, Item={"pk": {"S": "p"}, "sk": {"S": "s"}})
    assert client.get_item(TableName=table_arn, Key={"pk": {"S": "p"}, "sk": {"S": "s"}})["Item"]
    client.tag_resource(ResourceArn=table_arn, Tags=[{"Key": "a", "Value": "b"}])
    assert client.list_tags_of_resource(ResourceArn=table_arn)["Tags"] == [{"Key": "a", "Value": "b"}]


def test_reset_empties_every_account_and_region(stack):
    clients = [
        client_as(stack, "444444444444"),
        client_as(stack, "555555555555", "eu-central-1"),
    ]
    for client in clients:
        make_table(client, gsi=False, lsi=False)
    stack.reset("dynamodb")
    assert [client.list_tables()["TableNames"] for client in clients] == [[], []]
