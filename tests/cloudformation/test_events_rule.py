"""
AWS::Events::Rule with its Targets, made, updated and deleted through
EventBridge's API; recorded only where RustStack does not run EventBridge.
"""

from __future__ import annotations

import json

import pytest

from tests.cloudformation.helpers import FAST, body
from tests.stacks import ruststack_fixture

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:warm"

events_process = ruststack_fixture("--services", "s3,sts,events,cloudformation")


@pytest.fixture
def process(events_process):
    events_process.reset()
    return events_process


def template(targets: list[dict], schedule: str = "rate(4 minutes)", **more: object) -> dict:
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {"ScheduleExpression": schedule, "Description": "keep warm", "Targets": targets, **more},
    }
    return {
        "Resources": {"Warm": rule},
        "Outputs": {"Name": {"Value": {"Ref": "Warm"}}, "Arn": {"Value": {"Fn::GetAtt": ["Warm", "Arn"]}}},
    }


def _outputs(cfn, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_a_rule_with_targets_made_updated_and_deleted(process):
    cfn, events = process.client("cloudformation"), process.client("events")
    first = [{"Id": "warm", "Arn": FUNCTION, "Input": json.dumps({"warm": True})}]
    cfn.create_stack(StackName="cron", TemplateBody=body(template(first)))
    cfn.get_waiter("stack_create_complete").wait(StackName="cron", WaiterConfig=FAST)
    outputs = _outputs(cfn, "cron")
    name = outputs["Name"]
    assert name.startswith("cron-Warm-") and len(name) <= 64
    rule = events.describe_rule(Name=name)
    assert outputs["Arn"] == rule["Arn"] == f"arn:aws:events:us-east-1:000000000000:rule/{name}"
    described = (rule["ScheduleExpression"], rule["State"], rule["Description"])
    assert described == ("rate(4 minutes)", "ENABLED", "keep warm")
    assert events.list_targets_by_rule(Rule=name)["Targets"] == first
    assert events.list_rule_names_by_target(TargetArn=FUNCTION)["RuleNames"] == [name]

    # An update changes the rule in place and only the targets that changed.
    second = [{"Id": "other", "Arn": FUNCTION + "-2"}]
    pattern = {"source": ["aws.s3"]}
    changed = template(second, "cron(0 12 * * ? *)", EventPattern=pattern, State="DISABLED")
    cfn.update_stack(StackName="cron", TemplateBody=body(changed))
    cfn.get_waiter("stack_update_complete").wait(StackName="cron", WaiterConfig=FAST)
    assert _outputs(cfn, "cron")["Name"] == name
    rule = events.describe_rule(Name=name)
    assert (rule["ScheduleExpression"], rule["State"]) == ("cron(0 12 * * ? *)", "DISABLED")
    assert json.loads(rule["EventPattern"]) == pattern
    assert events.list_targets_by_rule(Rule=name)["Targets"] == second

    cfn.delete_stack(StackName="cron")
    cfn.get_waiter("stack_delete_complete").wait(StackName="cron", WaiterConfig=FAST)
    assert events.list_rules()["Rules"] == []


def test_a_bad_schedule_fails_the_resource_with_eventbridge_s_words(process):
    cfn = process.client("cloudformation")
    cfn.create_stack(StackName="bad", TemplateBody=body(template([], schedule="rate(1 minutes)")))
    with pytest.raises(Exception, match="ROLLBACK"):
        cfn.get_waiter("stack_create_complete").wait(StackName="bad", WaiterConfig=FAST)
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="bad")["StackEvents"]]
    expected = "Parameter ScheduleExpression is not valid. (Service: events, Status Code: 400, Error Code: Validation"
    assert any(expected in reason for reason in reasons), reasons
    assert process.client("events").list_rules()["Rules"] == []
