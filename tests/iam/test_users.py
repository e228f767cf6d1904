"""
Users and access keys through boto3, and GetUser without a name: the
caller (the account's root, or the user whose stored key signed).
"""

from __future__ import annotations

import re

from tests.iam.conftest import ACCOUNT, NO_RETRIES, TRUST, assert_error, refused, root_user


def test_create_get_list_delete_user(iam):
    created = iam.create_user(UserName="bob", Path="/people/", Tags=[{"Key": "team", "Value": "a"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/people/bob"
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", created["UserId"])
    user = iam.get_user(UserName="BOB")["User"]
    assert (user["UserName"], user["UserId"], user["Tags"]) == (
        "bob",
        created["UserId"],
        [{"Key": "team", "Value": "a"}],
    )
    iam.create_user(UserName="alice")
    listed = iam.list_users()
    assert [u["UserName"] for u in listed["Users"]] == ["alice", "bob"]
    assert all("Tags" not in u for u in listed["Users"])
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/people/")["Users"]] == ["bob"]
    iam.delete_user(UserName="bob")
    assert_error(refused(iam.get_user, UserName="bob"), "NoSuchEntity", 404, "The user with name bob cannot be found.")
    assert_error(
        refused(iam.delete_user, UserName="bob"), "NoSuchEntity", 404, "The user with name bob cannot be found."
    )
    assert_error(
        refused(iam.create_user, UserName="ALICE"), "EntityAlreadyExists", 409, "User with name ALICE already exists."
    )


def test_get_user_without_a_name_is_the_root(iam, stack):
    user = root_user(stack)
    assert set(user) == {"UserId", "Arn", "CreateDate"}
    assert (user["UserId"], user["Arn"]) == (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")
    assert root_user(stack)["CreateDate"] == user["CreateDate"]


def test_get_user_from_a_role_session_names_no_user(iam, stack):
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=TRUST)
    sts = stack.client("sts", config=NO_RETRIES)
    session = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/deployer", RoleSessionName="ci")["Credentials"]
    as_role = stack.client(
        "iam",
        aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token=session["SessionToken"],
        config=NO_RETRIES,
    )
    message = "Must specify userName when calling with non-User credentials"
    assert_error(refused(as_role.get_user), "ValidationError", 400, message)
    assert_error(refused(as_role.list_access_keys), "ValidationError", 400, message)
    # Everything else serves the role's account.
    assert [r["RoleName"] for r in as_role.list_roles()["Roles"]] == ["deployer"]


def test_access_keys(iam):
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key["AccessKeyId"])
    assert len(key["SecretAccessKey"]) == 40
    assert (key["UserName"], key["Status"]) == ("bob", "Active")
    second = iam.create_access_key(UserName="bob")["AccessKey"]
    assert_error(
        refused(iam.create_access_key, UserName="bob"),
        "LimitExceeded",
        409,
        "Cannot exceed quota for AccessKeysPerUser: 2",
    )
    listed = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]
    assert {k["AccessKeyId"] for k in listed} == {key["AccessKeyId"], second["AccessKeyId"]}
    assert all("SecretAccessKey" not in k for k in listed)
    assert_error(
        refused(iam.delete_user, UserName="bob"),
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete access keys first.",
    )
    iam.delete_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"])
    assert_error(
        refused(iam.delete_access_key, UserName="bob", AccessKeyId=key["AccessKeyId"]),
        "NoSuchEntity",
        404,
        f"The Access Key with id {key['AccessKeyId']} cannot be found.",
    )
    assert_error(
        refused(iam.create_access_key, UserName="nobody"),
        "NoSuchEntity",
        404,
        "The user with name nobody cannot be found.",
    )
    # The root's keys are not kept.
    assert iam.list_access_keys()["AccessKeyMetadata"] == []
    assert_error(
        refused(iam.create_access_key),
        "ValidationError",
        400,
        "Must specify userName when calling with non-User credentials",
    )


def test_a_user_signing_with_its_stored_key_is_the_caller(iam, stack):
    # With --auth off any key is accepted: a stored one makes its user the caller.
    iam.create_user(UserName="deployer")
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    as_user = stack.client(
        "iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], config=NO_RETRIES
    )
    assert as_user.get_user()["User"]["UserName"] == "deployer"
    assert [k["AccessKeyId"] for k in as_user.list_access_keys()["AccessKeyMetadata"]] == [key["AccessKeyId"]]
