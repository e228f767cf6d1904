"""
Accounts and regions: each account's rules in each region are its own, on a
RustStack that verifies signatures and on one that does not; bad signatures
get EventBridge's answers.
"""

from __future__ import annotations

import pytest

from tests.ssm.conftest import refused
from tests.tenants import ALICE, BOB, tenants_fixture

tenants = tenants_fixture("events")


@pytest.fixture
def fresh(tenants):
    tenants.reset("events")
    return tenants


def test_accounts_are_isolated(fresh):
    alice, bob = fresh.client("events", ALICE), fresh.client("events", BOB)
    target = f"arn:aws:lambda:us-east-1:{ALICE}:function:f"
    arn = alice.put_rule(Name="shared", ScheduleExpression="rate(1 day)", Tags=[{"Key": "o", "Value": "a"}])["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{ALICE}:rule/shared"
    alice.put_targets(Rule="shared", Targets=[{"Id": "f", "Arn": target}])
    # Bob has a rule of the same name, his own.
    bob.put_rule(Name="shared", EventPattern='{"source": ["bob"]}')
    assert "ScheduleExpression" not in bob.describe_rule(Name="shared")
    assert bob.describe_rule(Name="shared")["CreatedBy"] == BOB
    assert bob.list_targets_by_rule(Rule="shared")["Targets"] == []
    assert bob.list_rule_names_by_target(TargetArn=target)["RuleNames"] == []
    # Alice's ARNs name nothing of Bob's.
    assert refused(bob.list_tags_for_resource, ResourceARN=arn)[0] == "ResourceNotFoundException"
    assert refused(bob.tag_resource, ResourceARN=arn, Tags=[{"Key": "x", "Value": "y"}])[0] == (
        "ResourceNotFoundException"
    )
    alice_bus = f"arn:aws:events:us-east-1:{ALICE}:event-bus/default"
    assert refused(bob.list_rules, EventBusName=alice_bus)[0] == "ResourceNotFoundException"
    bob.delete_rule(Name="shared")
    assert [r["Name"] for r in alice.list_rules()["Rules"]] == ["shared"]
    assert bob.list_rules()["Rules"] == []
    assert alice.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "o", "Value": "a"}]


def test_regions_are_isolated(fresh):
    east, west = fresh.client("events", ALICE), fresh.client("events", ALICE, region="eu-west-1")
    east.put_rule(Name="r", ScheduleExpression="rate(1 day)")
    assert refused(west.describe_rule, Name="r")[0] == "ResourceNotFoundException"
    assert west.put_rule(Name="r", ScheduleExpression="rate(2 days)")["RuleArn"] == (
        f"arn:aws:events:eu-west-1:{ALICE}:rule/r"
    )
    assert east.describe_rule(Name="r")["ScheduleExpression"] == "rate(1 day)"


@pytest.mark.parametrize("tenants", ["verify"], indirect=True)
def test_bad_signatures_are_refused_as_eventbridge_refuses_them(tenants):
    wrong = tenants.client("events", ALICE, secret="not-the-secret")
    code, status, _ = refused(wrong.list_rules)
    assert (code, status) == ("InvalidSignatureException", 400)
    stranger = tenants.client("events", aws_access_key_id="AKIANOBODY", aws_secret_access_key="x")
    assert refused(stranger.list_rules) == (
        "UnrecognizedClientException",
        400,
        "The security token included in the request is invalid.",
    )
