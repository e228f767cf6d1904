"""
With --data-dir, rules (definition, state, tags, targets) survive a
restart; a reset forgets them, on disk too.
"""

from __future__ import annotations

from ruststack.testing import RustStackProcess
from tests.events.conftest import FUNCTION


def test_rules_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "events", "--data-dir", data_dir)
    try:
        events = first.client("events")
        events.put_rule(Name="warm", ScheduleExpression="rate(4 minutes)", Tags=[{"Key": "k", "Value": "v"}])
        events.put_targets(Rule="warm", Targets=[{"Id": "f", "Arn": FUNCTION, "Input": '{"warm": true}'}])
        events.put_rule(Name="s3", EventPattern='{"source": ["aws.s3"]}', State="DISABLED", Description="d")
        events.put_rule(Name="gone", ScheduleExpression="rate(1 day)")
        events.delete_rule(Name="gone")
        before = events.list_rules()["Rules"]
        arn = events.describe_rule(Name="warm")["Arn"]
        other = first.client("events", aws_access_key_id="111122223333")
        other.put_rule(Name="theirs", ScheduleExpression="rate(1 day)")
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "events", "--data-dir", data_dir)
    try:
        events = second.client("events")
        assert events.list_rules()["Rules"] == before
        assert [r["Name"] for r in before] == ["s3", "warm"]
        assert events.list_targets_by_rule(Rule="warm")["Targets"] == [
            {"Id": "f", "Arn": FUNCTION, "Input": '{"warm": true}'}
        ]
        assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
        assert events.list_rule_names_by_target(TargetArn=FUNCTION)["RuleNames"] == ["warm"]
        other = second.client("events", aws_access_key_id="111122223333")
        assert [r["Name"] for r in other.list_rules()["Rules"]] == ["theirs"]
        second.reset("events")
        assert events.list_rules()["Rules"] == []
    finally:
        second.stop()
    third = RustStackProcess.start("--services", "events", "--data-dir", data_dir)
    try:
        assert third.client("events").list_rules()["Rules"] == []
    finally:
        third.stop()
