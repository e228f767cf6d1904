"""
Rules of the default event bus through boto3 over a real socket: PutRule's
checks (schedule expressions, event patterns, buses), the replacement of a
rule's definition, DescribeRule, ListRules with its pages, DeleteRule,
EnableRule and DisableRule, tags, and DescribeEventBus; each error as AWS
answers it.
"""

from __future__ import annotations

import json

import pytest

from tests.events.conftest import ACCOUNT, FUNCTION, REGION
from tests.ssm.conftest import refused

ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule"
OTHER_BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders"


def test_a_scheduled_rule_as_described_and_listed(events):
    made = events.put_rule(
        Name="notes-dev-keep-warm",
        ScheduleExpression="rate(4 minutes)",
        Description="keeps it warm",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/zappa",
        State="DISABLED",
    )
    assert made["RuleArn"] == f"{ARN}/notes-dev-keep-warm"
    described = events.describe_rule(Name="notes-dev-keep-warm")
    described.pop("ResponseMetadata")
    assert described == {
        "Name": "notes-dev-keep-warm",
        "Arn": f"{ARN}/notes-dev-keep-warm",
        "ScheduleExpression": "rate(4 minutes)",
        "State": "DISABLED",
        "Description": "keeps it warm",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/zappa",
        "EventBusName": "default",
        "CreatedBy": ACCOUNT,
    }
    del described["CreatedBy"]
    assert events.list_rules()["Rules"] == [described]
    # The default bus by name and by ARN is the same bus.
    by_arn = events.describe_rule(Name="notes-dev-keep-warm", EventBusName=f"{OTHER_BUS[:-6]}default")
    assert by_arn["Arn"] == described["Arn"]


def test_put_rule_replaces_the_definition_and_keeps_targets_and_tags(events):
    events.put_rule(Name="r", EventPattern='{"source": ["aws.s3"]}', Tags=[{"Key": "team", "Value": "a"}])
    events.put_targets(Rule="r", Targets=[{"Id": "f", "Arn": FUNCTION}])
    events.disable_rule(Name="r")
    events.put_rule(Name="r", ScheduleExpression="cron(0 12 * * ? *)", Tags=[{"Key": "team", "Value": "b"}])
    rule = events.describe_rule(Name="r")
    # What the second PutRule left out is gone: the pattern; State is ENABLED again.
    assert "EventPattern" not in rule and rule["State"] == "ENABLED"
    assert rule["ScheduleExpression"] == "cron(0 12 * * ? *)"
    assert events.list_targets_by_rule(Rule="r")["Targets"] == [{"Id": "f", "Arn": FUNCTION}]
    assert events.list_tags_for_resource(ResourceARN=f"{ARN}/r")["Tags"] == [{"Key": "team", "Value": "a"}]


def test_an_event_pattern_is_kept_as_written(events):
    pattern = json.dumps({"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "pending"}]}}, indent=1)
    events.put_rule(Name="p", EventPattern=pattern, ScheduleExpression="rate(1 day)")
    assert events.describe_rule(Name="p")["EventPattern"] == pattern


def test_a_rule_needs_a_schedule_or_a_pattern(events):
    assert refused(events.put_rule, Name="r") == (
        "ValidationException",
        400,
        "Parameter(s) EventPattern or ScheduleExpression must be specified.",
    )


@pytest.mark.parametrize(
    "expression",
    # AWS's refusals, as LocalStack recorded them against AWS, and more.
    [
        "rate(10 seconds)",
        "rate(10 years)",
        "rate(1 minutes)",
        "rate(1 hours)",
        "rate(1 days)",
        "rate(10 minute)",
        "rate(10 hour)",
        "rate(10 day)",
        "rate()",
        "rate(10)",
        "rate(10 minutess)",
        "rate(foo minutes)",
        "rate(0 minutes)",
        "rate(-10 minutes)",
        "rate(10 MINUTES)",
        "rate( 10 minutes )",
        " rate(10 minutes)",
        "cron(0 12 * * * *)",
        "cron(0 12 ? * ? *)",
        "cron(0 12 * * ?)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 * 13 ? *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 ? * MON#6 *)",
        "cron(0 12 L * MON *)",
        "cron(0/0 * * * ? *)",
        "every 5 minutes",
    ],
)
def test_schedule_expressions_aws_refuses(events, expression):
    assert refused(events.put_rule, Name="r", ScheduleExpression=expression) == (
        "ValidationException",
        400,
        "Parameter ScheduleExpression is not valid.",
    )
    assert events.list_rules()["Rules"] == []


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 L * ? *)",
        "cron(0 9 15W * ? *)",
        "cron(0 9 ? * 6L *)",
        "cron(0 9 ? * 3#2 *)",
        "cron(0,30 1,13 ? JAN,JUL SUN 2026-2030)",
    ],
)
def test_schedule_expressions_aws_takes(events, expression):
    events.put_rule(Name="r", ScheduleExpression=expression)
    assert events.describe_rule(Name="r")["ScheduleExpression"] == expression


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ('{"source": [}', "Filter is not valid JSON"),
        ('["aws.s3"]', "Filter is not an object"),
        ('{"source": []}', "Empty arrays are not allowed"),
        ('{"source": "aws.s3"}', '"source" must be an object or an array'),
        ('{"detail": {"size": [{"numeric": [">", "big"]}]}}', "Value of > must be numeric"),
        ('{"detail": {"size": [{"numeric": [">", 5, "<", 1]}]}}', "Bottom must be less than top"),
        ('{"source": [{"glob": "aws.*"}]}', "Unrecognized match type glob"),
        ('{"source": [{"prefix": "a", "suffix": "b"}]}', "Only one key allowed in match expression"),
        ('{"source": [{"exists": "yes"}]}', "exists match pattern must be either true or false."),
        ('{"source": [["nested"]]}', "Match value must be String, number, true, false, or null"),
    ],
)
def test_event_patterns_aws_refuses(events, pattern, reason):
    assert refused(events.put_rule, Name="r", EventPattern=pattern) == (
        "InvalidEventPatternException",
        400,
        f"Event pattern is not valid. Reason: {reason}",
    )


def test_only_the_default_bus_exists(events):
    events.put_rule(Name="r", ScheduleExpression="rate(1 day)")
    not_found = ("ResourceNotFoundException", 400, "Event bus orders does not exist.")
    assert refused(events.put_rule, Name="r", EventPattern='{"a": [1]}', EventBusName="orders") == not_found
    assert refused(events.describe_rule, Name="r", EventBusName="orders") == not_found
    assert refused(events.list_rules, EventBusName=OTHER_BUS) == not_found
    assert refused(events.list_targets_by_rule, Rule="r", EventBusName="orders") == not_found
    assert refused(events.describe_event_bus, Name="orders") == not_found
    assert refused(events.put_rule, Name="r", ScheduleExpression="rate(1 day)", EventBusName="orders") == (
        "ValidationException",
        400,
        "ScheduleExpression is supported only on the default event bus.",
    )
    bus = events.describe_event_bus()
    assert (bus["Name"], bus["Arn"]) == ("default", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")
    assert events.describe_event_bus(Name=bus["Arn"])["Name"] == "default"


def test_a_rule_that_does_not_exist(events):
    missing = ("ResourceNotFoundException", 400, "Rule nope does not exist on EventBus default.")
    assert refused(events.describe_rule, Name="nope") == missing
    assert refused(events.enable_rule, Name="nope") == missing
    assert refused(events.disable_rule, Name="nope") == missing
    assert refused(events.put_targets, Rule="nope", Targets=[{"Id": "f", "Arn": FUNCTION}]) == missing
    assert refused(events.remove_targets, Rule="nope", Ids=["f"]) == missing
    assert refused(events.list_targets_by_rule, Rule="nope") == missing
    assert refused(events.list_tags_for_resource, ResourceARN=f"{ARN}/nope") == missing
    # Deleting it succeeds, as on AWS.
    events.delete_rule(Name="nope")


def test_rule_names_are_checked_by_the_model(events):
    code, status, message = refused(events.put_rule, Name="bad name!", ScheduleExpression="rate(1 day)")
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: Member must satisfy"
        " regular expression pattern: [\\.\\-_A-Za-z0-9]+"
    )


def test_enable_disable_delete(events):
    events.put_rule(Name="r", ScheduleExpression="rate(1 day)")
    events.disable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "DISABLED"
    events.enable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "ENABLED"
    events.put_targets(Rule="r", Targets=[{"Id": "f", "Arn": FUNCTION}])
    assert refused(events.delete_rule, Name="r") == (
        "ValidationException",
        400,
        "Rule can't be deleted since it has targets.",
    )
    # Force is for AWS's managed rules only.
    assert refused(events.delete_rule, Name="r", Force=True)[0] == "ValidationException"
    events.remove_targets(Rule="r", Ids=["f"])
    events.delete_rule(Name="r")
    assert events.list_rules()["Rules"] == []


def test_list_rules_by_prefix_in_pages(events):
    names = [f"app-{n:02}" for n in range(7)] + ["other"]
    for name in reversed(names):
        events.put_rule(Name=name, ScheduleExpression="rate(1 day)")
    assert [r["Name"] for r in events.list_rules()["Rules"]] == names
    first = events.list_rules(NamePrefix="app-", Limit=3)
    assert [r["Name"] for r in first["Rules"]] == names[:3]
    pages = events.get_paginator("list_rules").paginate(NamePrefix="app-", PaginationConfig={"PageSize": 3})
    assert [[r["Name"] for r in page["Rules"]] for page in pages] == [names[:3], names[3:6], names[6:7]]
    assert events.list_rules(NamePrefix="zzz")["Rules"] == []
    assert refused(events.list_rules, NextToken="not a token")[:2] == ("ValidationException", 400)


def test_tags(events):
    arn = events.put_rule(Name="r", ScheduleExpression="rate(1 day)", Tags=[{"Key": "a", "Value": "1"}])["RuleArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "a", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    events.untag_resource(ResourceARN=arn, TagKeys=["a", "missing"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    elsewhere = arn.replace(REGION, "eu-west-1")
    assert refused(events.tag_resource, ResourceARN=elsewhere, Tags=[{"Key": "c", "Value": "4"}]) == (
        "ResourceNotFoundException",
        400,
        "Rule r does not exist on EventBus default.",
    )
    assert refused(events.list_tags_for_resource, ResourceARN=f"{ARN}/orders/r") == (
        "ResourceNotFoundException",
        400,
        "Rule r does not exist on EventBus orders.",
    )
