"""
Managed policies through boto3: the account's own with their versions and
tags, AWS's built-in ones, attaching both to roles, and what IAM refuses,
word for word.
"""

from __future__ import annotations

import json
import re

from tests.iam.conftest import ACCOUNT, ALLOW_LOGS, BASIC_EXECUTION, TRUST, assert_error, assert_not_attachable, refused

DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
AWS_POLICIES = {
    "AWSLambdaBasicExecutionRole": "/service-role/",
    "AWSLambdaVPCAccessExecutionRole": "/service-role/",
    "AWSLambdaRole": "/service-role/",
    "AWSLambdaExecute": "/",
    "AWSXRayDaemonWriteAccess": "/",
    "AmazonDynamoDBFullAccess": "/",
    "AmazonS3FullAccess": "/",
    "AmazonS3ReadOnlyAccess": "/",
    "AmazonAPIGatewayPushToCloudWatchLogs": "/service-role/",
    "CloudWatchLogsFullAccess": "/",
    "AWSCloudFormationReadOnlyAccess": "/",
    "AdministratorAccess": "/",
    "ReadOnlyAccess": "/",
}


def arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


def create_policy(iam, name: str = "app-logs", **extra) -> dict:
    extra.setdefault("PolicyDocument", ALLOW_LOGS)
    return iam.create_policy(PolicyName=name, **extra)["Policy"]


def create_role(iam, name: str = "fn-role") -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)


def test_create_and_get_policy(iam):
    created = create_policy(iam, Path="/app/", Description="logs", Tags=[{"Key": "k", "Value": "v"}])
    assert created["Arn"] == arn("app-logs", "/app/")
    assert re.fullmatch(r"ANPA[A-Z0-9]{17}", created["PolicyId"])
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == ("v1", 0, True)
    assert created["CreateDate"] == created["UpdateDate"]
    policy = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert policy["Description"] == "logs"
    assert policy["Tags"] == [{"Key": "k", "Value": "v"}]
    assert policy["PolicyId"] == created["PolicyId"]
    version = iam.get_policy_version(PolicyArn=created["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(ALLOW_LOGS)
    assert version["IsDefaultVersion"] is True


def test_policy_errors(iam):
    create_policy(iam)
    assert_error(
        refused(iam.create_policy, PolicyName="APP-LOGS", PolicyDocument=ALLOW_LOGS),
        "EntityAlreadyExists",
        409,
        "A policy called APP-LOGS already exists. Duplicate names are not allowed.",
    )
    missing = arn("absent")
    for call in (iam.get_policy, iam.delete_policy, iam.list_policy_versions, iam.list_entities_for_policy):
        assert_not_attachable(refused(call, PolicyArn=missing), missing)
    # The right name on another path is another policy.
    assert_not_attachable(refused(iam.get_policy, PolicyArn=arn("app-logs", "/other/")), arn("app-logs", "/other/"))
    assert_error(
        refused(iam.get_policy, PolicyArn="this-is-not-an-arn-at-all"),
        "InvalidInput",
        400,
        "ARN this-is-not-an-arn-at-all is not valid.",
    )
    assert_error(
        refused(iam.create_policy, PolicyName="p", PolicyDocument="not json"),
        "MalformedPolicyDocument",
        400,
        "This policy contains invalid Json",
    )
    assert_error(
        refused(iam.create_policy, PolicyName="p", PolicyDocument=TRUST),
        "MalformedPolicyDocument",
        400,
        "Policy document should not specify a principal.",
    )
    big = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get"] * 800, "Resource": "*"}]}
    )
    assert_error(
        refused(iam.create_policy, PolicyName="p", PolicyDocument=big),
        "LimitExceeded",
        409,
        "Cannot exceed quota for PolicySize: 6144",
    )
    assert_error(
        refused(iam.create_policy, PolicyName="p", Path="/bad path/", PolicyDocument=ALLOW_LOGS),
        "ValidationError",
        400,
        "1 validation error detected: Value '/bad path/' at 'path' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/",
    )


def test_policy_versions(iam):
    policy_arn = create_policy(iam)["Arn"]
    v2 = iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=DENY_ALL)["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", False)
    assert "Document" not in v2
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"] == "v1"
    v3 = iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=DENY_ALL, SetAsDefault=True)["PolicyVersion"]
    assert (v3["VersionId"], v3["IsDefaultVersion"]) == ("v3", True)
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"] == "v3"
    listed = iam.list_policy_versions(PolicyArn=policy_arn)
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed["Versions"]] == [
        ("v3", True),
        ("v2", False),
        ("v1", False),
    ]
    assert iam.get_policy_version(PolicyArn=policy_arn, VersionId="v2")["PolicyVersion"]["Document"] == json.loads(
        DENY_ALL
    )
    iam.set_default_policy_version(PolicyArn=policy_arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"] == "v1"
    assert_error(
        refused(iam.delete_policy_version, PolicyArn=policy_arn, VersionId="v1"),
        "DeleteConflict",
        409,
        "Cannot delete the default version of a policy.",
    )
    iam.delete_policy_version(PolicyArn=policy_arn, VersionId="v3")
    assert_error(
        refused(iam.get_policy_version, PolicyArn=policy_arn, VersionId="v3"),
        "NoSuchEntity",
        404,
        f"Policy {policy_arn} version v3 does not exist or is not attachable.",
    )
    # Version ids are never reused.
    assert (
        iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=DENY_ALL)["PolicyVersion"]["VersionId"] == "v4"
    )


def test_at_most_five_versions(iam):
    policy_arn = create_policy(iam)["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=DENY_ALL)
    assert_error(
        refused(iam.create_policy_version, PolicyArn=policy_arn, PolicyDocument=DENY_ALL),
        "LimitExceeded",
        409,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing"
        " version.",
    )


def test_delete_policy(iam):
    policy_arn = create_policy(iam)["Arn"]
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=DENY_ALL)
    assert_error(
        refused(iam.delete_policy, PolicyArn=policy_arn),
        "DeleteConflict",
        409,
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions."
        " The default version is deleted with the policy.",
    )
    iam.delete_policy_version(PolicyArn=policy_arn, VersionId="v2")
    create_role(iam)
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=policy_arn)
    assert_error(
        refused(iam.delete_policy, PolicyArn=policy_arn),
        "DeleteConflict",
        409,
        "Cannot delete a policy attached to entities.",
    )
    iam.detach_role_policy(RoleName="fn-role", PolicyArn=policy_arn)
    iam.delete_policy(PolicyArn=policy_arn)
    assert_not_attachable(refused(iam.get_policy, PolicyArn=policy_arn), policy_arn)


def test_aws_managed_policies_are_in_every_account(iam):
    listed = iam.list_policies(Scope="AWS")["Policies"]
    assert {p["PolicyName"]: p["Path"] for p in listed} == AWS_POLICIES
    for policy in listed:
        assert policy["Arn"] == f"arn:aws:iam::aws:policy{policy['Path']}{policy['PolicyName']}"
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        assert version["PolicyVersion"]["Document"]["Statement"]
    basic = iam.get_policy(PolicyArn=BASIC_EXECUTION)["Policy"]
    assert (basic["DefaultVersionId"], basic["AttachmentCount"]) == ("v1", 0)
    document = iam.get_policy_version(PolicyArn=BASIC_EXECUTION, VersionId="v1")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    # Another account's path or name is no policy.
    for absent in ("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole", "arn:aws:iam::aws:policy/NoSuchPolicy"):
        assert_not_attachable(refused(iam.get_policy, PolicyArn=absent), absent)


def test_aws_managed_policies_cannot_be_changed(iam):
    message = (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: iam:DeletePolicy on resource: policy {ADMIN}"
    )
    assert_error(refused(iam.delete_policy, PolicyArn=ADMIN), "AccessDenied", 403, message)
    response = refused(iam.create_policy_version, PolicyArn=ADMIN, PolicyDocument=DENY_ALL)
    assert response["Error"]["Code"] == "AccessDenied"


def test_attach_and_detach(iam):
    create_role(iam)
    own = create_policy(iam)["Arn"]
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=BASIC_EXECUTION)
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=own)
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=own)  # twice is once
    attached = iam.list_attached_role_policies(RoleName="fn-role")
    assert attached["AttachedPolicies"] == [
        {"PolicyName": "app-logs", "PolicyArn": own},
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC_EXECUTION},
    ]
    assert attached["IsTruncated"] is False
    only = iam.list_attached_role_policies(RoleName="fn-role", PathPrefix="/service-role/")["AttachedPolicies"]
    assert [p["PolicyName"] for p in only] == ["AWSLambdaBasicExecutionRole"]
    assert iam.get_policy(PolicyArn=own)["Policy"]["AttachmentCount"] == 1
    assert iam.get_policy(PolicyArn=BASIC_EXECUTION)["Policy"]["AttachmentCount"] == 1
    iam.detach_role_policy(RoleName="fn-role", PolicyArn=BASIC_EXECUTION)
    assert_error(
        refused(iam.detach_role_policy, RoleName="fn-role", PolicyArn=BASIC_EXECUTION),
        "NoSuchEntity",
        404,
        f"Policy {BASIC_EXECUTION} was not found.",
    )
    assert iam.get_policy(PolicyArn=BASIC_EXECUTION)["Policy"]["AttachmentCount"] == 0


def test_attach_errors(iam):
    create_role(iam)
    absent = arn("absent")
    assert_not_attachable(refused(iam.attach_role_policy, RoleName="fn-role", PolicyArn=absent), absent)
    other = "arn:aws:iam::111122223333:policy/theirs"
    assert_not_attachable(refused(iam.attach_role_policy, RoleName="fn-role", PolicyArn=other), other)
    for n in range(10):
        iam.attach_role_policy(RoleName="fn-role", PolicyArn=create_policy(iam, f"p{n}")["Arn"])
    assert_error(
        refused(iam.attach_role_policy, RoleName="fn-role", PolicyArn=ADMIN),
        "LimitExceeded",
        409,
        "Cannot exceed quota for PoliciesPerRole: 10",
    )


def test_list_policies_filters(iam):
    create_role(iam)
    own = create_policy(iam, Path="/app/")["Arn"]
    create_policy(iam, "unused")
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=own)
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=ADMIN)
    local = iam.list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in local] == ["app-logs", "unused"]
    assert all("Description" not in p and "Tags" not in p for p in local)
    everything = [p["PolicyName"] for p in iam.list_policies()["Policies"]]
    assert len(everything) == len(AWS_POLICIES) + 2 and everything == sorted(everything, key=str.lower)
    attached = iam.list_policies(OnlyAttached=True)["Policies"]
    assert {(p["PolicyName"], p["AttachmentCount"]) for p in attached} == {("app-logs", 1), ("AdministratorAccess", 1)}
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local", PathPrefix="/app/")["Policies"]] == ["app-logs"]
    used = iam.list_policies(Scope="Local", PolicyUsageFilter="PermissionsPolicy")["Policies"]
    assert [p["PolicyName"] for p in used] == ["app-logs"]
    assert iam.list_policies(PolicyUsageFilter="PermissionsBoundary")["Policies"] == []


def test_permissions_boundary(iam):
    boundary = create_policy(iam, "boundary")["Arn"]
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary)
    role = iam.get_role(RoleName="bounded")["Role"]
    assert role["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    policy = iam.get_policy(PolicyArn=boundary)["Policy"]
    assert (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]) == (0, 1)
    assert [p["PolicyName"] for p in iam.list_policies(PolicyUsageFilter="PermissionsBoundary")["Policies"]] == [
        "boundary"
    ]
    assert_error(
        refused(iam.delete_policy, PolicyArn=boundary),
        "DeleteConflict",
        409,
        "Cannot delete a policy attached to entities.",
    )
    iam.delete_role_permissions_boundary(RoleName="bounded")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="bounded")["Role"]
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=ADMIN)
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == ADMIN
    absent = arn("absent")
    assert_not_attachable(
        refused(iam.put_role_permissions_boundary, RoleName="bounded", PermissionsBoundary=absent), absent
    )
    assert_not_attachable(
        refused(iam.create_role, RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=absent), absent
    )


def test_list_entities_for_policy(iam):
    own = create_policy(iam)["Arn"]
    for name in ("b-role", "a-role"):
        create_role(iam, name)
        iam.attach_role_policy(RoleName=name, PolicyArn=own)
    iam.create_role(RoleName="c-role", Path="/other/", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=own)
    iam.create_user(UserName="bob", PermissionsBoundary=own)
    entities = iam.list_entities_for_policy(PolicyArn=own)
    roles = {r["RoleName"]: r["RoleId"] for r in entities["PolicyRoles"]}
    assert list(roles) == ["a-role", "b-role", "c-role"]
    assert roles["a-role"] == iam.get_role(RoleName="a-role")["Role"]["RoleId"]
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["bob"]
    assert entities["PolicyGroups"] == [] and entities["IsTruncated"] is False
    only_roles = iam.list_entities_for_policy(PolicyArn=own, EntityFilter="Role", PolicyUsageFilter="PermissionsPolicy")
    assert [r["RoleName"] for r in only_roles["PolicyRoles"]] == ["a-role", "b-role"]
    assert only_roles["PolicyUsers"] == []
    boundaries = iam.list_entities_for_policy(PolicyArn=own, PathPrefix="/other/")
    assert [r["RoleName"] for r in boundaries["PolicyRoles"]] == ["c-role"]
    assert iam.list_entities_for_policy(PolicyArn=ADMIN)["PolicyRoles"] == []


def test_policy_tags(iam):
    policy_arn = create_policy(iam, Tags=[{"Key": "a", "Value": "1"}])["Arn"]
    iam.tag_policy(PolicyArn=policy_arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    assert iam.list_policy_tags(PolicyArn=policy_arn)["Tags"] == [
        {"Key": "A", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    iam.untag_policy(PolicyArn=policy_arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=policy_arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["Tags"] == [{"Key": "b", "Value": "2"}]
    absent = arn("absent")
    assert_not_attachable(refused(iam.tag_policy, PolicyArn=absent, Tags=[{"Key": "k", "Value": "v"}]), absent)
    assert iam.list_policy_tags(PolicyArn=ADMIN)["Tags"] == []
