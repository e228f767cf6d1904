"""
A rule's targets: PutTargets (a target of the same id replaced, five per
rule, ARNs checked), RemoveTargets, ListTargetsByRule and
ListRuleNamesByTarget with their pages.
"""

from __future__ import annotations

import pytest

from tests.events.conftest import FUNCTION
from tests.ssm.conftest import refused

TRANSFORMER = {"InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"time": <time>, "kwargs": {}}'}


@pytest.fixture
def rule(events):
    events.put_rule(Name="r", ScheduleExpression="rate(4 minutes)")
    return "r"


def test_targets_put_listed_replaced_and_removed(events, rule):
    first = {"Id": "warm", "Arn": FUNCTION, "InputTransformer": TRANSFORMER}
    second = {"Id": "other", "Arn": FUNCTION + "-2", "Input": '{"a": 1}', "RetryPolicy": {"MaximumRetryAttempts": 3}}
    answer = events.put_targets(Rule=rule, Targets=[first, second])
    assert (answer["FailedEntryCount"], answer["FailedEntries"]) == (0, [])
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == [second, first]  # by id
    replaced = {"Id": "warm", "Arn": FUNCTION, "Input": "{}"}
    events.put_targets(Rule=rule, Targets=[replaced])
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == [second, replaced]
    # An id the rule does not have is not a failure.
    answer = events.remove_targets(Rule=rule, Ids=["warm", "never"])
    assert (answer["FailedEntryCount"], answer["FailedEntries"]) == (0, [])
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == [second]


def test_five_targets_per_rule(events, rule):
    events.put_targets(Rule=rule, Targets=[{"Id": f"t{n}", "Arn": FUNCTION} for n in range(5)])
    assert refused(events.put_targets, Rule=rule, Targets=[{"Id": "t5", "Arn": FUNCTION}]) == (
        "LimitExceededException",
        400,
        "The requested resource exceeds the maximum number allowed.",
    )
    # Replacing one of the five is no sixth.
    events.put_targets(Rule=rule, Targets=[{"Id": "t4", "Arn": FUNCTION + "-4"}])
    assert len(events.list_targets_by_rule(Rule=rule)["Targets"]) == 5


def test_target_arns_and_ids_are_checked(events, rule):
    assert refused(events.put_targets, Rule=rule, Targets=[{"Id": "t", "Arn": "notes-dev"}]) == (
        "ValidationException",
        400,
        "Parameter notes-dev is not valid. Reason: Provided Arn is not in correct format.",
    )
    code, status, message = refused(events.put_targets, Rule=rule, Targets=[{"Id": "a b", "Arn": FUNCTION}])
    assert (code, status) == ("ValidationException", 400)
    assert "Value 'a b' at 'targets.1.member.id' failed to satisfy constraint" in message
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []


def test_rule_names_by_target_in_pages(events):
    names = [f"rule-{n}" for n in range(5)]
    for name in names:
        events.put_rule(Name=name, ScheduleExpression="rate(1 day)")
        events.put_targets(Rule=name, Targets=[{"Id": "f", "Arn": FUNCTION}])
    events.put_rule(Name="elsewhere", ScheduleExpression="rate(1 day)")
    events.put_targets(Rule="elsewhere", Targets=[{"Id": "f", "Arn": FUNCTION + "-2"}])
    assert events.list_rule_names_by_target(TargetArn=FUNCTION)["RuleNames"] == names
    pages = events.get_paginator("list_rule_names_by_target").paginate(
        TargetArn=FUNCTION, PaginationConfig={"PageSize": 2}
    )
    assert [page["RuleNames"] for page in pages] == [names[:2], names[2:4], names[4:]]
    assert events.list_rule_names_by_target(TargetArn=FUNCTION + "-3")["RuleNames"] == []


def test_targets_in_pages(events, rule):
    targets = [{"Id": f"t{n}", "Arn": FUNCTION} for n in range(5)]
    events.put_targets(Rule=rule, Targets=targets)
    pages = events.get_paginator("list_targets_by_rule").paginate(Rule=rule, PaginationConfig={"PageSize": 2})
    assert [page["Targets"] for page in pages] == [targets[:2], targets[2:4], targets[4:]]
