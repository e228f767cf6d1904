"""
With --data-dir, repositories (settings, policies, tags) survive a
restart; a reset forgets them, on disk too.
"""

from __future__ import annotations

from ruststack.testing import RustStackProcess
from tests.ecr.conftest import LIFECYCLE, POLICY


def test_repositories_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "ecr", "--data-dir", data_dir)
    try:
        ecr = first.client("ecr")
        ecr.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE", tags=[{"Key": "k", "Value": "v"}])
        ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=LIFECYCLE)
        ecr.set_repository_policy(repositoryName="app", policyText=POLICY)
        ecr.create_repository(repositoryName="team/other")
        ecr.create_repository(repositoryName="gone")
        ecr.delete_repository(repositoryName="gone")
        before = ecr.describe_repositories()["repositories"]
        other = first.client("ecr", aws_access_key_id="111122223333")
        other.create_repository(repositoryName="theirs")
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "ecr", "--data-dir", data_dir)
    try:
        ecr = second.client("ecr")
        assert ecr.describe_repositories()["repositories"] == before
        assert [r["repositoryName"] for r in before] == ["app", "team/other"]
        assert ecr.get_lifecycle_policy(repositoryName="app")["lifecyclePolicyText"] == LIFECYCLE
        assert ecr.get_repository_policy(repositoryName="app")["policyText"] == POLICY
        arn = before[0]["repositoryArn"]
        assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "k", "Value": "v"}]
        other = second.client("ecr", aws_access_key_id="111122223333")
        assert [r["repositoryName"] for r in other.describe_repositories()["repositories"]] == ["theirs"]
        second.reset("ecr")
        assert ecr.describe_repositories()["repositories"] == []
    finally:
        second.stop()
    third = RustStackProcess.start("--services", "ecr", "--data-dir", data_dir)
    try:
        assert third.client("ecr").describe_repositories()["repositories"] == []
    finally:
        third.stop()
