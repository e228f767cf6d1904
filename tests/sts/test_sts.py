"""
STS over real sockets: who the caller is, and temporary credentials that
RustStack then accepts as the role's account -- with and without signature
verification.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time

import attrs
import boto3
import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.aws.errors import TOKEN_INVALID
from ruststack.testing import RustStackProcess

ALICE, BOB = "111111111111", "222222222222"
REGION = "us-east-1"
NO_RETRIES = Config(retries={"max_attempts": 1})


@attrs.frozen
class Stack:
    process: RustStackProcess
    verifying: bool
    keys: dict[str, tuple[str, str]]

    def client(self, service: str, account: str = ALICE, config: Config = NO_RETRIES, **credentials: str):
        if not credentials:
            key, secret = self.keys[account]
            credentials = {"aws_access_key_id": key, "aws_secret_access_key": secret}
        return boto3.client(
            service, endpoint_url=self.process.endpoint_url, region_name=REGION, config=config, **credentials
        )

    def assumed(self, service: str, credentials: dict) -> object:
        return self.client(
            service,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )


@pytest.fixture(scope="module", params=["verify", "off"])
def stack(request, tmp_path_factory):
    if request.param == "verify":
        credentials = tmp_path_factory.mktemp("sts") / "credentials"
        credentials.write_text(
            f"[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = alice-secret\naws_account_id = {ALICE}\n"
            f"[bob]\naws_access_key_id = AKIABOB\naws_secret_access_key = bob-secret\naws_account_id = {BOB}\n"
        )
        keys = {ALICE: ("AKIAALICE", "alice-secret"), BOB: ("AKIABOB", "bob-secret")}
        args = ["--auth", "verify", "--credentials-file", str(credentials)]
    else:
        keys = {ALICE: (ALICE, "any"), BOB: (BOB, "any")}
        args = []
    process = RustStackProcess.start("--services", "sts,s3", *args)
    yield Stack(process, request.param == "verify", keys)
    process.stop()


def error_of(raised: pytest.ExceptionInfo) -> tuple[int, str, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


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
    for token in (None, credentials["SessionToken"][:-2] + "xx"):
        sts = stack.client(
            "sts",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            **({"aws_session_token": token} if token else {}),
        )
        with pytest.raises(ClientError) as raised:
            sts.get_caller_identity()
        assert error_of(raised) == (403, "InvalidClientTokenId", TOKEN_INVALID)
        s3 = stack.client(
            "s3",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            **({"aws_session_token": token} if token else {}),
        )
        with pytest.raises(ClientError) as raised:
            s3.list_buckets()
        assert error_of(raised) == (400, "InvalidToken", "The provided token is malformed or otherwise invalid.")


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
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=role, RoleSessionName="s1")
    assert error_of(raised) == (
        403,
        "AccessDenied",
        f"User: arn:aws:iam::{ALICE}:root is not authorized to perform: sts:AssumeRole on resource: {role}",
    )


def test_web_identity(stack):
    sts = boto3.client(
        "sts",
        endpoint_url=stack.process.endpoint_url,
        region_name=REGION,
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
    )
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
    key, secret = stack.keys[ALICE]
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--endpoint-url", stack.process.endpoint_url],
        env={"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": REGION, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout)["Account"] == ALICE


@pytest.fixture(scope="module")
def with_iam():
    process = RustStackProcess.start("--services", "sts,iam")
    yield Stack(process, False, {ALICE: (ALICE, "any")})
    process.stop()


def test_with_iam_a_role_must_exist(with_iam):
    """
    Where RustStack runs IAM, AssumeRole answers for a role that does not
    exist as AWS does, honours its MaxSessionDuration and names its id.
    """
    sts, iam = with_iam.client("sts"), with_iam.client("iam")
    arn = f"arn:aws:iam::{ALICE}:role/deployer"
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert error_of(raised) == (
        403,
        "AccessDenied",
        f"User: arn:aws:iam::{ALICE}:root is not authorized to perform: sts:AssumeRole on resource: {arn}",
    )
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
