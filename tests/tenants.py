"""
Several accounts on one RustStack child process, for the tests of what one
account may see of another's. Under C{--auth verify} each account has a key
in a credentials file (its C{aws_account_id}), with an operator key that may
reset the stack; without it accounts are named by 12-digit access key ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import boto3
import pytest
from botocore.config import Config

from ruststack.testing import RustStackProcess

ALICE, BOB, CAROL = "111111111111", "222222222222", "333333333333"
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}
REGION = "us-east-1"
NO_RETRIES = Config(retries={"max_attempts": 1})
OPERATOR = ("AKIAOPS", "ops-secret")


@attrs.frozen
class Tenants:
    """
    A running RustStack and each account's keys (access key, secret key);
    C{operator} is the operator's keys where signatures are verified.
    """

    process: RustStackProcess
    keys: dict[str, tuple[str, str]]
    operator: tuple[str, str] | None = None

    @property
    def verifying(self) -> bool:
        return self.operator is not None

    @property
    def endpoint_url(self) -> str:
        return self.process.endpoint_url

    def client(
        self,
        service: str,
        account: str = ALICE,
        *,
        region: str = REGION,
        secret: str | None = None,
        config: Config = NO_RETRIES,
        **credentials: Any,
    ):
        """
        A boto3 client of C{service} signing with C{account}'s key (and
        C{secret} in place of its secret when given), or with the
        C{credentials} given (C{aws_access_key_id}...) instead.
        """
        if not credentials:
            key, known_secret = self.keys[account]
            credentials = {"aws_access_key_id": key, "aws_secret_access_key": secret or known_secret}
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=region, config=config, **credentials)

    def assumed(self, service: str, credentials: dict[str, Any]):
        """
        A boto3 client of C{service} signing with STS's temporary
        C{credentials} (as AssumeRole answers them).
        """
        return self.client(
            service,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def reset(self, *services: str) -> None:
        """
        Forget the state of the named services (all by default), as the
        operator where signatures are verified.
        """
        self.process.reset(*services, operator=self.operator)

    def stop(self) -> None:
        self.process.stop()


def start_tenants(folder: Path, services: str, verify: bool, accounts: tuple[str, ...] = (ALICE, BOB)) -> Tenants:
    """
    RustStack running C{services} for C{accounts}: under C{--auth verify} with their keys (and the operator's)
    written to a credentials file in C{folder} when C{verify}, else with
    signatures not verified.
    """
    if not verify:
        process = RustStackProcess.start("--services", services)
        return Tenants(process, {account: (account, "any") for account in accounts})
    keys = {account: (f"AKIA{NAMES[account].upper()}", f"{NAMES[account]}-secret") for account in accounts}
    profiles = [
        f"[{NAMES[account]}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_account_id = {account}\n"
        for account, (key, secret) in keys.items()
    ]
    profiles.append(
        f"[ops]\naws_access_key_id = {OPERATOR[0]}\naws_secret_access_key = {OPERATOR[1]}\nruststack_operator = true\n"
    )
    credentials = folder / "credentials"
    credentials.write_text("".join(profiles))
    process = RustStackProcess.start("--services", services, "--auth", "verify", "--credentials-file", str(credentials))
    return Tenants(process, keys, OPERATOR)


def tenants_fixture(services: str, accounts: tuple[str, ...] = (ALICE, BOB), verify: bool | None = None):
    """
    A module-wide pytest fixture (named as the attribute it is assigned to):
    L{Tenants} on a RustStack running C{services}, verifying signatures or
    not as C{verify} says; by default once each way (params C{"verify"} and
    C{"off"}).
    """

    @pytest.fixture(scope="module", params=["verify", "off"] if verify is None else None)
    def tenants(request, tmp_path_factory):
        verifying = request.param == "verify" if verify is None else verify
        started = start_tenants(tmp_path_factory.mktemp("tenants"), services, verifying, accounts)
        yield started
        started.stop()

    return tenants
