"""
Two accounts on one RustStack never see each other's IAM: roles, policies
and users are per account, whatever the region a request is signed for.
Each test runs on a stack that verifies signatures (each key in an account
through C{aws_account_id}) and on one that does not (accounts named by
12-digit access key ids).
"""

from __future__ import annotations

import attrs
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.iam.conftest import ALLOW_LOGS, TRUST, assert_error, refused, root_user

ALICE, BOB = "111111111111", "222222222222"


@attrs.frozen
class Tenants:
    stack: RustStackProcess
    keys: dict[str, tuple[str, str]]
    operator: tuple[str, str] | None = None

    def client(self, account: str, region: str = "us-east-1"):
        key, secret = self.keys[account]
        return boto3.client(
            "iam",
            endpoint_url=self.stack.endpoint_url,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )


@pytest.fixture(scope="module", params=["verify", "off"])
def tenants(request, tmp_path_factory):
    if request.param == "verify":
        credentials = tmp_path_factory.mktemp("tenants") / "credentials"
        credentials.write_text(
            f"[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = alice-secret\naws_account_id = {ALICE}\n"
            f"[bob]\naws_access_key_id = AKIABOB\naws_secret_access_key = bob-secret\naws_account_id = {BOB}\n"
            "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = ops-secret\nruststack_operator = true\n"
        )
        stack = RustStackProcess.start("--services", "iam", "--auth", "verify", "--credentials-file", str(credentials))
        keys = {ALICE: ("AKIAALICE", "alice-secret"), BOB: ("AKIABOB", "bob-secret")}
        operator: tuple[str, str] | None = ("AKIAOPS", "ops-secret")
    else:
        stack = RustStackProcess.start("--services", "iam")
        keys = {account: (account, "any") for account in (ALICE, BOB)}
        operator = None
    yield Tenants(stack, keys, operator)
    stack.stop()


@pytest.fixture
def alice(tenants):
    tenants.stack.reset("iam", operator=tenants.operator)
    return tenants.client(ALICE)


@pytest.fixture
def bob(tenants):
    return tenants.client(BOB)


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
    message = f"Policy {policy_arn} does not exist or is not attachable."
    assert_error(refused(bob.get_policy, PolicyArn=policy_arn), "NoSuchEntity", 404, message)
    assert_error(refused(bob.delete_policy, PolicyArn=policy_arn), "NoSuchEntity", 404, message)
    bob.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert_error(refused(bob.attach_role_policy, RoleName="r", PolicyArn=policy_arn), "NoSuchEntity", 404, message)
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
    assert root_user(tenants.stack, tenants.keys[ALICE])["Arn"] == f"arn:aws:iam::{ALICE}:root"
    assert root_user(tenants.stack, tenants.keys[BOB])["Arn"] == f"arn:aws:iam::{BOB}:root"


def test_iam_is_global_for_an_account(tenants, alice):
    alice.create_role(RoleName="everywhere", AssumeRolePolicyDocument=TRUST)
    elsewhere = tenants.client(ALICE, region="eu-west-1")
    assert [r["RoleName"] for r in elsewhere.list_roles()["Roles"]] == ["everywhere"]


def test_verification_refuses_strangers(tenants, alice):
    if tenants.operator is None:
        pytest.skip("signatures are not verified")
    stranger = boto3.client(
        "iam",
        endpoint_url=tenants.stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIASTRANGER",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as raised:
        stranger.list_roles()
    assert_error(
        raised.value.response, "InvalidClientTokenId", 403, "The security token included in the request is invalid."
    )
    forger = boto3.client(
        "iam",
        endpoint_url=tenants.stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIAALICE",
        aws_secret_access_key="wrong",
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as raised:
        forger.list_roles()
    assert raised.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
