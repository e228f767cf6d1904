"""
Two accounts on one RustStack never see each other's IAM: roles, policies
and users are per account, whatever the region a request is signed for.
Each test runs on a stack that verifies signatures (each key in an account
through C{aws_account_id}) and on one that does not (accounts named by
12-digit access key ids).
"""

from __future__ import annotations

import pytest

from tests.iam.conftest import ALLOW_LOGS, TRUST, assert_error, assert_not_attachable, refused, root_user
from tests.tenants import ALICE, BOB, tenants_fixture

tenants = tenants_fixture("iam")


@pytest.fixture
def alice(tenants):
    tenants.reset("iam")
    return tenants.client("iam", ALICE)


@pytest.fixture
def bob(tenants):
    return tenants.client("iam", BOB)


def test_roles_are_per_account(alice, bob):
    alice.create_role(RoleName="shared-name", AssumeRolePolicyDocument=TRUST, Description="alice's")
    assert bob.list_roles()["Roles"] == []
    assert_error(
        refused(bob.get_role, RoleName="shared-name"),
        "NoSuchEntity",
        404,
        "The role with name shared-name cannot be found.",
    )
    bob.create_role(RoleName="shared-name", AssumeRolePolicyDocument=TRUST)  # the name is free in bob's account
    assert bob.get_role(RoleName="shared-name")["Role"]["Arn"] == f"arn:aws:iam::{BOB}:role/shared-name"
    assert alice.get_role(RoleName="shared-name")["Role"]["Description"] == "alice's"
    bob.delete_role(RoleName="shared-name")
    assert alice.get_role(RoleName="shared-name")["Role"]["Arn"] == f"arn:aws:iam::{ALICE}:role/shared-name"


def test_policies_are_per_account(alice, bob):
    policy_arn = alice.create_policy(PolicyName="alices", PolicyDocument=ALLOW_LOGS)["Policy"]["Arn"]
    assert bob.list_policies(Scope="Local")["Policies"] == []
    assert_not_attachable(refused(bob.get_policy, PolicyArn=policy_arn), policy_arn)
    assert_not_attachable(refused(bob.delete_policy, PolicyArn=policy_arn), policy_arn)
    bob.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert_not_attachable(refused(bob.attach_role_policy, RoleName="r", PolicyArn=policy_arn), policy_arn)
    # AWS's policies are in both; attachment counts are each account's own.
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    bob.attach_role_policy(RoleName="r", PolicyArn=admin)
    assert bob.get_policy(PolicyArn=admin)["Policy"]["AttachmentCount"] == 1
    assert alice.get_policy(PolicyArn=admin)["Policy"]["AttachmentCount"] == 0
    bob.detach_role_policy(RoleName="r", PolicyArn=admin)
    bob.delete_role(RoleName="r")


def test_users_and_the_caller_are_per_account(tenants, alice, bob):
    alice.create_user(UserName="deployer")
    assert bob.list_users()["Users"] == []
    assert root_user(tenants.process, tenants.keys[ALICE])["Arn"] == f"arn:aws:iam::{ALICE}:root"
    assert root_user(tenants.process, tenants.keys[BOB])["Arn"] == f"arn:aws:iam::{BOB}:root"


def test_iam_is_global_for_an_account(tenants, alice):
    alice.create_role(RoleName="everywhere", AssumeRolePolicyDocument=TRUST)
    elsewhere = tenants.client("iam", ALICE, region="eu-west-1")
    assert [r["RoleName"] for r in elsewhere.list_roles()["Roles"]] == ["everywhere"]


def test_verification_refuses_strangers(tenants, alice):
    if not tenants.verifying:
        pytest.skip("signatures are not verified")
    stranger = tenants.client("iam", aws_access_key_id="AKIASTRANGER", aws_secret_access_key="x")
    assert_error(
        refused(stranger.list_roles),
        "InvalidClientTokenId",
        403,
        "The security token included in the request is invalid.",
    )
    forged = refused(tenants.client("iam", ALICE, secret="wrong").list_roles)
    assert (forged["Error"]["Code"], forged["ResponseMetadata"]["HTTPStatusCode"]) == ("SignatureDoesNotMatch", 403)
