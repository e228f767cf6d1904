"""
Marker/MaxItems paging, through boto3's own paginators and by hand: every
item once, in order, IsTruncated and Marker as IAM gives them.
"""

from __future__ import annotations

import json

import pytest

from tests.iam.conftest import ALLOW_LOGS, TRUST, assert_error, refused


def pages(iam, operation: str, size: int, **params) -> list[dict]:
    paginator = iam.get_paginator(operation)
    return list(paginator.paginate(PaginationConfig={"PageSize": size}, **params))


def test_list_roles_in_pages(iam):
    names = [f"role-{n:02d}" for n in range(23)]
    for name in reversed(names):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    first = iam.list_roles(MaxItems=10)
    assert first["IsTruncated"] is True and first["Marker"]
    assert [r["RoleName"] for r in first["Roles"]] == names[:10]
    second = iam.list_roles(MaxItems=10, Marker=first["Marker"])
    assert [r["RoleName"] for r in second["Roles"]] == names[10:20]
    last = iam.list_roles(MaxItems=10, Marker=second["Marker"])
    assert [r["RoleName"] for r in last["Roles"]] == names[20:]
    assert last["IsTruncated"] is False and "Marker" not in last
    found = [r["RoleName"] for page in pages(iam, "list_roles", 4) for r in page["Roles"]]
    assert found == names


def test_a_marker_survives_a_deletion(iam):
    for n in range(5):
        iam.create_role(RoleName=f"r{n}", AssumeRolePolicyDocument=TRUST)
    first = iam.list_roles(MaxItems=2)
    iam.delete_role(RoleName="r1")  # the last one given
    rest = iam.list_roles(Marker=first["Marker"])
    assert [r["RoleName"] for r in rest["Roles"]] == ["r2", "r3", "r4"]


@pytest.mark.parametrize(
    ("operation", "key", "setup", "expected"),
    [
        ("list_role_policies", "PolicyNames", "inline", [f"p{n:02d}" for n in range(7)]),
        ("list_attached_role_policies", "AttachedPolicies", "attached", [f"m{n:02d}" for n in range(7)]),
        ("list_users", "Users", "users", [f"u{n:02d}" for n in range(7)]),
        ("list_policies", "Policies", "policies", [f"m{n:02d}" for n in range(7)]),
        ("list_entities_for_policy", "PolicyRoles", "entities", [f"e{n:02d}" for n in range(7)]),
        ("list_policy_versions", "Versions", "versions", ["v5", "v4", "v3", "v2", "v1"]),
        ("list_role_tags", "Tags", "tags", [f"t{n:02d}" for n in range(7)]),
    ],
)
def test_every_listing_pages(iam, operation, key, setup, expected):
    iam.create_role(RoleName="holder", AssumeRolePolicyDocument=TRUST)
    params: dict = {}
    if setup == "inline":
        for name in expected:
            iam.put_role_policy(RoleName="holder", PolicyName=name, PolicyDocument=ALLOW_LOGS)
        params = {"RoleName": "holder"}
    elif setup in ("attached", "policies"):
        for name in expected:
            arn = iam.create_policy(PolicyName=name, PolicyDocument=ALLOW_LOGS)["Policy"]["Arn"]
            if setup == "attached":
                iam.attach_role_policy(RoleName="holder", PolicyArn=arn)
        params = {"RoleName": "holder"} if setup == "attached" else {"Scope": "Local"}
    elif setup == "users":
        for name in expected:
            iam.create_user(UserName=name)
    elif setup == "entities":
        arn = iam.create_policy(PolicyName="shared", PolicyDocument=ALLOW_LOGS)["Policy"]["Arn"]
        for name in expected:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        params = {"PolicyArn": arn}
    elif setup == "versions":
        arn = iam.create_policy(PolicyName="versioned", PolicyDocument=ALLOW_LOGS)["Policy"]["Arn"]
        for _ in range(4):
            iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(json.loads(ALLOW_LOGS)))
        params = {"PolicyArn": arn}
    elif setup == "tags":
        iam.tag_role(RoleName="holder", Tags=[{"Key": name, "Value": "v"} for name in expected])
        params = {"RoleName": "holder"}
    found = []
    marker = None
    while True:
        answer = getattr(iam, operation)(MaxItems=2, **params, **({"Marker": marker} if marker else {}))
        assert len(answer[key]) <= 2
        found.extend(answer[key])
        if not answer["IsTruncated"]:
            assert "Marker" not in answer
            break
        marker = answer["Marker"]
    names = [
        item if isinstance(item, str) else item.get("RoleName") or item.get("PolicyName") or item.get("UserName")
        for item in found
    ]
    if key == "Versions":
        names = [item["VersionId"] for item in found]
    if key == "Tags":
        names = [item["Key"] for item in found]
    assert names == expected


def test_a_marker_ruststack_never_gave_is_refused(iam):
    assert_error(refused(iam.list_roles, Marker="!!not base64!!"), "InvalidInput", 400, "Invalid Marker.")
