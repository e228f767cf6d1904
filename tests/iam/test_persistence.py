"""
With --data-dir, IAM survives a restart; a reset forgets everything, on
disk too.
"""

from __future__ import annotations

from ruststack.testing import RustStackProcess
from tests.iam.conftest import ALLOW_LOGS, BASIC_EXECUTION, TRUST, root_user


def snapshot(iam, stack) -> dict:
    role = iam.get_role(RoleName="kept")["Role"]
    policy_arn = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    return {
        "role": role,
        "inline": iam.get_role_policy(RoleName="kept", PolicyName="logs")["PolicyDocument"],
        "attached": iam.list_attached_role_policies(RoleName="kept")["AttachedPolicies"],
        "policy": iam.get_policy(PolicyArn=policy_arn)["Policy"],
        "versions": iam.list_policy_versions(PolicyArn=policy_arn)["Versions"],
        "user": iam.get_user(UserName="deployer")["User"],
        "keys": iam.list_access_keys(UserName="deployer")["AccessKeyMetadata"],
        "root": root_user(stack),
    }


def test_iam_survives_a_restart_and_a_reset_empties_it(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "iam", "--data-dir", data_dir)
    try:
        iam = first.client("iam")
        iam.create_role(
            RoleName="kept", Path="/app/", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "k", "Value": "v"}]
        )
        iam.put_role_policy(RoleName="kept", PolicyName="logs", PolicyDocument=ALLOW_LOGS)
        iam.attach_role_policy(RoleName="kept", PolicyArn=BASIC_EXECUTION)
        policy_arn = iam.create_policy(PolicyName="own", PolicyDocument=ALLOW_LOGS, Description="mine")["Policy"]["Arn"]
        iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=ALLOW_LOGS, SetAsDefault=True)
        iam.attach_role_policy(RoleName="kept", PolicyArn=policy_arn)
        iam.create_user(UserName="deployer")
        iam.create_access_key(UserName="deployer")
        before = snapshot(iam, first)
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "iam", "--data-dir", data_dir)
    try:
        iam = second.client("iam")
        assert snapshot(iam, second) == before
        # Version ids go on from where they were.
        assert (
            iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=ALLOW_LOGS)["PolicyVersion"]["VersionId"]
            == "v3"
        )
        second.reset("iam")
        assert iam.list_roles()["Roles"] == []
    finally:
        second.stop()
    third = RustStackProcess.start("--services", "iam", "--data-dir", data_dir)
    try:
        iam = third.client("iam")
        assert iam.list_roles()["Roles"] == [] and iam.list_policies(Scope="Local")["Policies"] == []
    finally:
        third.stop()
