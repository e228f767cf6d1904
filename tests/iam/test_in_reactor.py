"""
IAM in the test's own reactor (start_stack), and what it offers the other
services: L{IRoles}, which Lambda will ask whether a role exists.
"""

from __future__ import annotations

import pytest_twisted

from ruststack.interfaces import IRoles
from ruststack.testing import start_stack
from tests.iam.conftest import TRUST

ALICE, BOB = "111111111111", "222222222222"


@pytest_twisted.ensureDeferred
async def test_roles_through_the_interface():
    stack = await start_stack(services=("iam",))
    try:
        roles = IRoles(stack.stack.aws_services["iam"])
        iam = stack.deferred_client("iam", aws_access_key_id=ALICE, aws_secret_access_key="x")
        created = (await iam.create_role(RoleName="Fn-Role", Path="/lambda/", AssumeRolePolicyDocument=TRUST))["Role"]
        arn = f"arn:aws:iam::{ALICE}:role/lambda/Fn-Role"
        found = roles.role(ALICE, arn)
        assert found is not None
        assert (found.arn, found.role_id, found.trust_policy) == (arn, created["RoleId"], TRUST)
        # Its name regardless of case, as IAM finds roles; its path exactly.
        assert roles.role(ALICE, f"arn:aws:iam::{ALICE}:role/lambda/fn-role") is found
        assert roles.role(ALICE, f"arn:aws:iam::{ALICE}:role/Fn-Role") is None
        # Another account never learns of it, nor does anything that is no role's ARN.
        assert roles.role(BOB, arn) is None
        for text in ("", "Fn-Role", f"arn:aws:iam::{ALICE}:user/lambda/Fn-Role", f"arn:aws:iam::{ALICE}:role/nobody"):
            assert roles.role(ALICE, text) is None
        assert roles.role(BOB, f"arn:aws:iam::{BOB}:role/anything") is None
        await stack.reset("iam")
        assert roles.role(ALICE, arn) is None
    finally:
        await stack.stop()
