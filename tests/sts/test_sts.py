"""
STS over real sockets: who the caller is, and temporary credentials that
RustStack then accepts as the role's account -- with and without signature
verification.
"""

from __future__ import annotations

import base64
import json
import time

import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.aws.errors import TOKEN_INVALID
from tests.cli import run_aws
from tests.tenants import ALICE, BOB, NO_RETRIES, tenants_fixture

stack = tenants_fixture("sts,s3")


def error_of(raised: pytest.ExceptionInfo) -> tuple[int, str, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def assert_assume_role_denied(sts, role: str) -> None:
    """
    ALICE may not assume C{role}: 403 AccessDenied in AWS's words.
    """
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=role, RoleSessionName="s1")
    assert error_of(raised) == (
        403,
        "AccessDenied",
        f"User: arn:aws:iam::{ALICE}:root is not authorized to perform: sts:AssumeRole on resource: {role}",
    )


def jwt(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_get_caller_identity_of_an_accounts_key(stack):
    identity = stack.client("sts").get_caller_identity()
    assert (identity["Account"], identity["UserId"]) == (ALICE, ALICE)
    assert identity["Arn"] == f"arn:aws:iam::{ALICE}:root"


def test_assumed_role_credentials_act_as_the_role(stack):
    assumed = stack.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ALICE}:role/app/deployer", RoleSessionName="ci")
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert 3500 < credentials["Expiration"].timestamp() - time.time() <= 3600
    user = assumed["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ALICE}:assumed-role/deployer/ci"
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":ci")

    identity = stack.assumed("sts", credentials).get_caller_identity()
    assert (identity["Account"], identity["Arn"], identity["UserId"]) == (ALICE, user["Arn"], user["AssumedRoleId"])

    # Other services take them too, as the role's account.
    bucket = f"assumed-{stack.verifying}".lower()
    stack.assumed("s3", credentials).create_bucket(Bucket=bucket)
    names = [b["Name"] for b in stack.client("s3", ALICE).list_buckets()["Buckets"]]
    assert bucket in names


def test_the_same_role_has_the_same_id(stack):
    sts = stack.client("sts")
    ids = {
        sts.assume_role(RoleArn=f"arn:aws:iam::{ALICE}:role/r", RoleSessionName=name)["AssumedRoleUser"][
            "AssumedRoleId"
        ].split(":")[0]
        for name in ("one", "two")
    }
    assert len(ids) == 1


def test_session_credentials_need_their_token(stack):
    if not stack.verifying:
        pytest.skip("without --auth verify any key is accepted, token or not")
    credentials = stack.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ALICE}:role/r", RoleSessionName="s1")[
        "Credentials"
    ]
    refusals = [
        ("sts", "get_caller_identity", (403, "InvalidClientTokenId", TOKEN_INVALID)),
        ("s3", "list_buckets", (400, "InvalidToken", "The provided token is malformed or otherwise invalid.")),
    ]
    for token in (None, credentials["SessionToken"][:-2] + "xx"):
        for service, operation, refusal in refusals:
            client = stack.client(
                service,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                **({"aws_session_token": token} if token else {}),
            )
            with pytest.raises(ClientError) as raised:
                getattr(client, operation)()
            assert error_of(raised) == refusal


def test_a_role_of_another_account(stack):
    """
    Under --auth verify accounts are tenants and trust policies are not
    evaluated: a role is only for its own account.
    """
    role = f"arn:aws:iam::{BOB}:role/shared"
    sts = stack.client("sts", ALICE)
    if not stack.verifying:
        assert sts.assume_role(RoleArn=role, RoleSessionName="s1")["AssumedRoleUser"]["Arn"].startswith(
            f"arn:aws:sts::{BOB}:"
        )
        return
    assert_assume_role_denied(sts, role)


def test_web_identity(stack):
    sts = stack.client("sts", config=NO_RETRIES.merge(Config(signature_version=botocore.UNSIGNED)))
    role = f"arn:aws:iam::{BOB}:role/web"
    token = jwt({"iss": "https://issuer.example", "sub": "user-7", "aud": ["app"], "exp": time.time() + 600})
    if stack.verifying:
        with pytest.raises(ClientError) as raised:
            sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
        assert error_of(raised)[:2] == (403, "AccessDenied")
        return
    answer = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=token)
    assert (answer["SubjectFromWebIdentityToken"], answer["Audience"], answer["Provider"]) == (
        "user-7",
        "app",
        "issuer.example",
    )
    assert stack.assumed("sts", answer["Credentials"]).get_caller_identity()["Account"] == BOB

    with pytest.raises(ClientError) as raised:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken="not-a-jwt")
    assert error_of(raised)[:2] == (400, "InvalidIdentityToken")
    expired = jwt({"sub": "u", "exp": time.time() - 60})
    with pytest.raises(ClientError) as raised:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="web", WebIdentityToken=expired)
    assert error_of(raised)[:2] == (400, "ExpiredTokenException")


def test_get_session_token(stack):
    credentials = stack.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    assert 800 < credentials["Expiration"].timestamp() - time.time() <= 900
    identity = stack.assumed("sts", credentials).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (ALICE, f"arn:aws:iam::{ALICE}:root")
    with pytest.raises(ClientError) as raised:
        stack.assumed("sts", credentials).get_session_token()
    assert error_of(raised) == (403, "AccessDenied", "Cannot call GetSessionToken with session credentials")


def test_get_access_key_info(stack):
    sts = stack.client("sts")
    temporary = sts.assume_role(RoleArn=f"arn:aws:iam::{ALICE}:role/r", RoleSessionName="s1")["Credentials"]
    assert sts.get_access_key_info(AccessKeyId=temporary["AccessKeyId"])["Account"] == ALICE
    # A key RustStack does not know is in the default account.
    assert sts.get_access_key_info(AccessKeyId="AKIA0000000000000000")["Account"] == "000000000000"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda sts: sts.assume_role(RoleArn=f"arn:aws:iam::{ALICE}:role/r", RoleSessionName="s1", DurationSeconds=60),
         "ValidationError"),
        (lambda sts: sts.assume_role(RoleArn="arn:aws:iam::1:user/not-a-role", RoleSessionName="s1"),
         "ValidationError"),
        (lambda sts: sts.assume_role(RoleArn=f"arn:aws:iam::{ALICE}:role/r", RoleSessionName="has space"),
         "ValidationError"),
    ],
)  # fmt: skip
def test_invalid_input(stack, call, code):
    unchecked = NO_RETRIES.merge(Config(parameter_validation=False))
    with pytest.raises(ClientError) as raised:
        call(stack.client("sts", config=unchecked))
    assert error_of(raised)[:2] == (400, code)


def test_operations_not_built_answer_not_implemented(stack):
    with pytest.raises(ClientError) as raised:
        stack.client("sts").get_federation_token(Name="federated")
    assert error_of(raised)[:2] == (501, "NotImplemented")


def test_the_aws_cli(stack):
    result = run_aws(stack.endpoint_url, "sts", "get-caller-identity", keys=stack.keys[ALICE], timeout=60)
    assert json.loads(result.stdout)["Account"] == ALICE


with_iam = tenants_fixture("sts,iam", verify=False)


def test_with_iam_a_role_must_exist(with_iam):
    """
    Where RustStack runs IAM, AssumeRole answers for a role that does not
    exist as AWS does, honours its MaxSessionDuration and names its id.
    """
    sts, iam = with_iam.client("sts"), with_iam.client("iam")
    arn = f"arn:aws:iam::{ALICE}:role/deployer"
    assert_assume_role_denied(sts, arn)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}],
        }
    )
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust, MaxSessionDuration=3600)["Role"]
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=7200)
    assert error_of(raised) == (
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="s1")["AssumedRoleUser"]
    assert assumed["AssumedRoleId"] == f"{role['RoleId']}:s1"
