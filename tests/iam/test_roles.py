"""
Roles through boto3 over a real socket: creating, reading, listing,
changing and deleting them, their tags and their inline policies, with
IAM's errors word for word; and policy documents as IAM sends them (the
text given, URL-encoded), read on the wire.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.iam.conftest import ACCOUNT, ALLOW_LOGS, BASIC_EXECUTION, TRUST, assert_error, raw_call, refused


def create(iam, name: str = "fn-role", **extra):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, **extra)["Role"]


def test_create_role_answers_the_role(iam):
    before = datetime.now(UTC).replace(microsecond=0)
    role = create(iam, Description="runs fn", Tags=[{"Key": "team", "Value": "a"}])
    assert role["RoleName"] == "fn-role"
    assert role["Path"] == "/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/fn-role"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", role["RoleId"])
    assert before - timedelta(seconds=1) <= role["CreateDate"] <= datetime.now(UTC) + timedelta(seconds=1)
    assert role["CreateDate"].microsecond == 0  # IAM's dates are whole seconds
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert role["Description"] == "runs fn"
    assert role["Tags"] == [{"Key": "team", "Value": "a"}]


def test_get_role(iam):
    created = create(iam, Path="/service/", MaxSessionDuration=7200)
    role = iam.get_role(RoleName="fn-role")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/fn-role"
    assert role["RoleId"] == created["RoleId"]
    assert role["MaxSessionDuration"] == 7200
    assert role["RoleLastUsed"] == {}
    assert "Tags" not in role and "Description" not in role


def test_role_names_ignore_case(iam):
    create(iam, "MyRole")
    assert iam.get_role(RoleName="myrole")["Role"]["RoleName"] == "MyRole"
    assert_error(
        refused(iam.create_role, RoleName="MYROLE", AssumeRolePolicyDocument=TRUST),
        "EntityAlreadyExists",
        409,
        "Role with name MYROLE already exists.",
    )


def test_a_missing_role(iam):
    message = "The role with name nobody cannot be found."
    calls: list[tuple[Any, dict[str, Any]]] = [
        (iam.get_role, {}),
        (iam.delete_role, {}),
        (iam.update_role, {}),
        (iam.update_role_description, {"Description": "x"}),
        (iam.update_assume_role_policy, {"PolicyDocument": TRUST}),
        (iam.tag_role, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (iam.untag_role, {"TagKeys": ["k"]}),
        (iam.list_role_tags, {}),
        (iam.put_role_policy, {"PolicyName": "p", "PolicyDocument": ALLOW_LOGS}),
        (iam.list_role_policies, {}),
        (iam.attach_role_policy, {"PolicyArn": BASIC_EXECUTION}),
        (iam.list_attached_role_policies, {}),
        (iam.list_instance_profiles_for_role, {}),
        (iam.put_role_permissions_boundary, {"PermissionsBoundary": BASIC_EXECUTION}),
        (iam.delete_role_permissions_boundary, {}),
    ]
    for call, extra in calls:
        assert_error(refused(call, RoleName="nobody", **extra), "NoSuchEntity", 404, message)


def test_names_and_paths_the_model_refuses(iam):
    assert_error(
        refused(iam.create_role, RoleName="bad name", AssumeRolePolicyDocument=TRUST),
        "ValidationError",
        400,
        "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    )
    assert_error(
        refused(iam.create_role, RoleName="r", Path="no-slashes", AssumeRolePolicyDocument=TRUST),
        "ValidationError",
        400,
        "1 validation error detected: Value 'no-slashes' at 'path' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
    )
    long_name = "r" * 65
    assert_error(
        refused(iam.get_role, RoleName=long_name),
        "ValidationError",
        400,
        f"1 validation error detected: Value '{long_name}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )


def test_trust_policy_must_be_json(iam):
    assert_error(
        refused(iam.create_role, RoleName="r", AssumeRolePolicyDocument="{not json"),
        "MalformedPolicyDocument",
        400,
        "This policy contains invalid Json",
    )
    assert_error(
        refused(iam.create_role, RoleName="r", AssumeRolePolicyDocument='["a list"]'),
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    )
    create(iam, "r")
    assert_error(
        refused(iam.update_assume_role_policy, RoleName="r", PolicyDocument="nope"),
        "MalformedPolicyDocument",
        400,
        "This policy contains invalid Json",
    )


def test_trust_policy_size_quota(iam):
    principals = [f"arn:aws:iam::{n:012d}:root" for n in range(60)]
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}],
        }
    )
    assert_error(
        refused(iam.create_role, RoleName="r", AssumeRolePolicyDocument=big),
        "LimitExceeded",
        409,
        "Cannot exceed quota for ACLSizePerRole: 2048",
    )
    # White space does not count.
    create(iam, "spacious")
    iam.update_assume_role_policy(RoleName="spacious", PolicyDocument=TRUST + " " * 4000)


def test_list_roles(iam):
    for name, path in [("b-role", "/"), ("a-role", "/app/"), ("c-role", "/app/deep/")]:
        create(iam, name, Path=path, Tags=[{"Key": "k", "Value": "v"}])
    listed = iam.list_roles()
    assert [r["RoleName"] for r in listed["Roles"]] == ["a-role", "b-role", "c-role"]
    assert listed["IsTruncated"] is False and "Marker" not in listed
    # Listings leave tags and RoleLastUsed out, as IAM's do.
    assert all("Tags" not in r and "RoleLastUsed" not in r for r in listed["Roles"])
    assert listed["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/app/")["Roles"]] == ["a-role", "c-role"]
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/app/deep")["Roles"]] == ["c-role"]


def test_update_role_and_description(iam, raw_iam):
    create(iam)
    iam.update_role(RoleName="fn-role", Description="first", MaxSessionDuration=43200)
    role = iam.get_role(RoleName="fn-role")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("first", 43200)
    updated = iam.update_role_description(RoleName="fn-role", Description="second")["Role"]
    assert updated["Description"] == "second"
    assert iam.get_role(RoleName="fn-role")["Role"]["Description"] == "second"
    assert_error(
        refused(raw_iam.update_role, RoleName="fn-role", MaxSessionDuration=60),
        "ValidationError",
        400,
        "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: "
        "Member must have value greater than or equal to 3600",
    )


def test_update_assume_role_policy(iam):
    create(iam)
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:*"}]}
    iam.update_assume_role_policy(RoleName="fn-role", PolicyDocument=json.dumps(document))
    assert iam.get_role(RoleName="fn-role")["Role"]["AssumeRolePolicyDocument"] == document


def test_delete_role(iam):
    create(iam)
    assert iam.list_instance_profiles_for_role(RoleName="fn-role")["InstanceProfiles"] == []
    iam.delete_role(RoleName="FN-ROLE")
    assert_error(
        refused(iam.get_role, RoleName="fn-role"), "NoSuchEntity", 404, "The role with name fn-role cannot be found."
    )
    create(iam)  # the name is free again


def test_delete_role_with_policies_conflicts(iam):
    create(iam)
    iam.attach_role_policy(RoleName="fn-role", PolicyArn=BASIC_EXECUTION)
    iam.put_role_policy(RoleName="fn-role", PolicyName="logs", PolicyDocument=ALLOW_LOGS)
    message = "Cannot delete entity, must detach all policies first."
    assert_error(refused(iam.delete_role, RoleName="fn-role"), "DeleteConflict", 409, message)
    iam.detach_role_policy(RoleName="fn-role", PolicyArn=BASIC_EXECUTION)
    message = "Cannot delete entity, must delete policies first."
    assert_error(refused(iam.delete_role, RoleName="fn-role"), "DeleteConflict", 409, message)
    iam.delete_role_policy(RoleName="fn-role", PolicyName="logs")
    iam.delete_role(RoleName="fn-role")


def test_role_tags(iam):
    create(iam, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
    iam.tag_role(RoleName="fn-role", Tags=[{"Key": "ENV", "Value": "prod"}, {"Key": "cost", "Value": "1"}])
    assert iam.list_role_tags(RoleName="fn-role")["Tags"] == [
        {"Key": "team", "Value": "a"},
        {"Key": "ENV", "Value": "prod"},
        {"Key": "cost", "Value": "1"},
    ]
    iam.untag_role(RoleName="fn-role", TagKeys=["Team", "absent"])
    tags = iam.list_role_tags(RoleName="fn-role")
    assert tags["Tags"] == [{"Key": "ENV", "Value": "prod"}, {"Key": "cost", "Value": "1"}]
    assert tags["IsTruncated"] is False
    assert iam.get_role(RoleName="fn-role")["Role"]["Tags"] == tags["Tags"]
    assert_error(
        refused(iam.tag_role, RoleName="fn-role", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]),
        "InvalidInput",
        400,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    many = [{"Key": f"k{n}", "Value": "v"} for n in range(49)]
    assert_error(
        refused(iam.tag_role, RoleName="fn-role", Tags=many),
        "LimitExceeded",
        409,
        "Cannot exceed quota for TagsPerRole: 50",
    )
    assert_error(
        refused(iam.tag_role, RoleName="fn-role", Tags=[{"Key": "bad*key", "Value": "v"}]),
        "ValidationError",
        400,
        "1 validation error detected: Value 'bad*key' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
    )


def test_inline_policies(iam):
    create(iam)
    iam.put_role_policy(RoleName="fn-role", PolicyName="Logs", PolicyDocument=ALLOW_LOGS)
    iam.put_role_policy(RoleName="fn-role", PolicyName="another", PolicyDocument=ALLOW_LOGS)
    got = iam.get_role_policy(RoleName="FN-ROLE", PolicyName="logs")
    assert (got["RoleName"], got["PolicyName"]) == ("fn-role", "Logs")
    assert got["PolicyDocument"] == json.loads(ALLOW_LOGS)
    listed = iam.list_role_policies(RoleName="fn-role")
    assert listed["PolicyNames"] == ["another", "Logs"]
    assert listed["IsTruncated"] is False
    # Putting again replaces the document.
    replacement = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="fn-role", PolicyName="logs", PolicyDocument=json.dumps(replacement))
    assert iam.get_role_policy(RoleName="fn-role", PolicyName="Logs")["PolicyDocument"] == replacement
    iam.delete_role_policy(RoleName="fn-role", PolicyName="logs")
    assert iam.list_role_policies(RoleName="fn-role")["PolicyNames"] == ["another"]


def test_inline_policy_errors(iam):
    create(iam)
    message = "The role policy with name absent cannot be found."
    assert_error(refused(iam.get_role_policy, RoleName="fn-role", PolicyName="absent"), "NoSuchEntity", 404, message)
    assert_error(refused(iam.delete_role_policy, RoleName="fn-role", PolicyName="absent"), "NoSuchEntity", 404, message)
    assert_error(
        refused(iam.put_role_policy, RoleName="fn-role", PolicyName="p", PolicyDocument="{"),
        "MalformedPolicyDocument",
        400,
        "This policy contains invalid Json",
    )
    assert_error(
        refused(iam.put_role_policy, RoleName="fn-role", PolicyName="p", PolicyDocument=TRUST),
        "MalformedPolicyDocument",
        400,
        "Policy document should not specify a principal.",
    )
    statement = {"Effect": "Allow", "Action": [f"s3:GetObject{n}" for n in range(600)], "Resource": "*"}
    big = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    assert_error(
        refused(iam.put_role_policy, RoleName="fn-role", PolicyName="p", PolicyDocument=big),
        "LimitExceeded",
        409,
        "Maximum policy size of 10240 bytes exceeded for role fn-role",
    )


# The wire: what botocore's json_decode_policies handler decodes.


@pytest.mark.parametrize(
    "document",
    [
        TRUST,
        # As sent, white space, key order and all; characters outside
        # RFC 3986's unreserved ones encoded from their UTF-8.
        '{ "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Principal": {"Service": "a~b.c_d-e"},'
        ' "Action": "sts:AssumeRole", "Sid": "caf\u00e9 +*!"}]}',
    ],
)
def test_documents_travel_url_encoded_as_sent(iam, stack, document):
    iam.create_role(RoleName="wire", AssumeRolePolicyDocument=document)
    iam.put_role_policy(RoleName="wire", PolicyName="p", PolicyDocument=ALLOW_LOGS)
    answer = raw_call(stack, "GetRole", RoleName="wire")
    found = re.search(r"<AssumeRolePolicyDocument>(.*)</AssumeRolePolicyDocument>", answer)
    assert found is not None, answer
    encoded = found.group(1)
    assert encoded == quote(document, safe="")
    assert "%20" in encoded and "+" not in encoded
    answer = raw_call(stack, "GetRolePolicy", RoleName="wire", PolicyName="p")
    assert f"<PolicyDocument>{quote(ALLOW_LOGS, safe='')}</PolicyDocument>" in answer
    # boto3 reads them back as the JSON that was sent.
    assert iam.get_role(RoleName="wire")["Role"]["AssumeRolePolicyDocument"] == json.loads(document)
