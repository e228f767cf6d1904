"""
Log groups: creation, description (prefix, pattern, paging), deletion,
retention policies and tags, with AWS's answers and errors.
"""

from __future__ import annotations

from tests.cloudwatchlogs.conftest import GROUP_NOT_FOUND, error_of, invalid, put


def test_create_and_describe(logs, group):
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert len(described) == 1
    found = described[0]
    assert found["logGroupName"] == group
    assert found["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    assert found["logGroupArn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    assert found["metricFilterCount"] == 0
    assert found["storedBytes"] == 0
    assert found["logGroupClass"] == "STANDARD"
    assert found["deletionProtectionEnabled"] is False
    assert "retentionInDays" not in found
    assert isinstance(found["creationTime"], int)


def test_create_twice(logs, group):
    assert error_of(logs.create_log_group, logGroupName=group) == (
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
        400,
    )


def test_names_are_checked_by_the_model(logs):
    code, message, status = error_of(logs.create_log_group, logGroupName="has space")
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == (
        "1 validation error detected: Value 'has space' at 'logGroupName' failed to satisfy constraint:"
        " Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
    )


def test_kms_key_and_tags_on_create(logs, group):
    name = group + "-kms"
    key = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000"
    logs.create_log_group(logGroupName=name, kmsKeyId=key, tags={"team": "a"})
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert found["kmsKeyId"] == key  # kept, not used
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "a"}


def test_delete(logs, group):
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    assert error_of(logs.delete_log_group, logGroupName=group) == GROUP_NOT_FOUND


def test_deletion_protection(logs, group):
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=True)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["deletionProtectionEnabled"] is True
    code, _, status = error_of(logs.delete_log_group, logGroupName=group)
    assert (code, status) == ("ValidationException", 400)
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName=group)


def test_describe_pages_in_name_order(logs):
    names = [f"/paging/g{i:02d}" for i in range(7)]
    for name in reversed(names):
        logs.create_log_group(logGroupName=name)
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"logGroupNamePrefix": "/paging/", "limit": 3, **({"nextToken": token} if token else {})}
        page = logs.describe_log_groups(**kwargs)
        seen += [g["logGroupName"] for g in page["logGroups"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert seen == names
    assert pages == 3
    paginated = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/paging/")
    assert [g["logGroupName"] for page in paginated for g in page["logGroups"]] == names


def test_describe_by_pattern(logs):
    for name in ("/pattern/DataLogs", "/pattern/aws/DataLogs", "/pattern/datalogs", "/pattern/GroupDataLogsX"):
        logs.create_log_group(logGroupName=name)
    found = logs.describe_log_groups(logGroupNamePattern="DataLogs")["logGroups"]
    assert [g["logGroupName"] for g in found] == [
        "/pattern/DataLogs",
        "/pattern/GroupDataLogsX",
        "/pattern/aws/DataLogs",
    ]
    # With a pattern AWS leaves storedBytes and the rest out.
    assert set(found[0]) == {"logGroupName", "creationTime", "metricFilterCount", "arn", "logGroupClass", "logGroupArn"}


def test_prefix_and_pattern_together(logs):
    assert error_of(logs.describe_log_groups, logGroupNamePrefix="/a", logGroupNamePattern="b") == invalid(
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
    )


def test_describe_limit_is_checked(logs):
    code, message, _ = error_of(logs.describe_log_groups, limit=51)
    assert code == "InvalidParameterException"
    assert message == (
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint:"
        " Member must have value less than or equal to 50"
    )


def test_retention(logs, group):
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 7
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]


def test_retention_values(logs, group):
    assert error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=2) == invalid(
        "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must"
        " satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,"
        " 2192, 2557, 2922, 3288, 3653]"
    )
    assert error_of(logs.put_retention_policy, logGroupName=group + "-nope", retentionInDays=1) == GROUP_NOT_FOUND
    assert error_of(logs.delete_retention_policy, logGroupName=group + "-nope") == GROUP_NOT_FOUND


def test_retention_hides_and_rejects_old_events(logs, group):
    from tests.cloudwatchlogs.conftest import now_ms

    three_days_ago = now_ms() - 3 * 86_400_000
    put(logs, group, "s", ["old"], start=three_days_ago)
    put(logs, group, "s", ["new"])
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    read = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in read] == ["new"]
    assert [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]] == ["new"]
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream["firstEventTimestamp"] == read[0]["timestamp"]
    # Older than the retention: rejected as expired, the rest stored.
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": three_days_ago, "message": "expired"}, {"timestamp": now_ms(), "message": "kept"}],
    )
    assert answer["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}


def test_tags(logs, group):
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    logs.tag_log_group(logGroupName=group, tags={"c": "3"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2", "c": "3"}
    logs.untag_resource(resourceArn=arn, tagKeys=["a"])
    logs.untag_log_group(logGroupName=group, tags=["c"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"b": "2"}


def test_tags_of_a_missing_group(logs, group):
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}-nope"
    assert error_of(logs.list_tags_for_resource, resourceArn=arn) == GROUP_NOT_FOUND
    assert error_of(logs.tag_resource, resourceArn=arn, tags={"a": "b"}) == GROUP_NOT_FOUND
    assert error_of(logs.list_tags_log_group, logGroupName=group + "-nope") == GROUP_NOT_FOUND


def test_too_many_tags(logs, group):
    logs.tag_log_group(logGroupName=group, tags={f"k{i}": "v" for i in range(50)})
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    code, _, status = error_of(logs.tag_resource, resourceArn=arn, tags={"one-more": "v"})
    assert (code, status) == ("TooManyTagsException", 400)


def test_operations_rustack_lacks(logs, group):
    code, message, status = error_of(
        logs.put_metric_filter,
        logGroupName=group,
        filterName="f",
        filterPattern="x",
        metricTransformations=[{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}],
    )
    assert (code, status) == ("NotImplemented", 501)
    assert message == "RustStack does not implement the operation PutMetricFilter of CloudWatch Logs yet."
