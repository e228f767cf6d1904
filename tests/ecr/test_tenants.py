"""
Accounts and regions: each account's repositories in each region are its
own, on a RustStack that verifies signatures and on one that does not;
bad signatures get ECR's answers.
"""

from __future__ import annotations

import pytest

from tests.ecr.conftest import POLICY
from tests.ssm.conftest import refused
from tests.tenants import ALICE, BOB, tenants_fixture

tenants = tenants_fixture("ecr")


@pytest.fixture
def fresh(tenants):
    tenants.reset("ecr")
    return tenants


def test_accounts_are_isolated(fresh):
    alice, bob = fresh.client("ecr", ALICE), fresh.client("ecr", BOB)
    made = alice.create_repository(repositoryName="shared", tags=[{"Key": "o", "Value": "a"}])["repository"]
    assert made["repositoryUri"] == f"{ALICE}.dkr.ecr.us-east-1.amazonaws.com/shared"
    alice.set_repository_policy(repositoryName="shared", policyText=POLICY)
    # Bob has a repository of the same name, his own.
    assert bob.create_repository(repositoryName="shared")["repository"]["registryId"] == BOB
    assert refused(bob.get_repository_policy, repositoryName="shared")[0] == "RepositoryPolicyNotFoundException"
    # Alice's registry and ARNs name nothing of Bob's.
    assert refused(bob.describe_repositories, repositoryNames=["shared"], registryId=ALICE) == (
        "RepositoryNotFoundException",
        400,
        f"The repository with name 'shared' does not exist in the registry with id '{ALICE}'",
    )
    assert bob.describe_repositories(registryId=ALICE)["repositories"] == []
    assert refused(bob.delete_repository, repositoryName="shared", registryId=ALICE)[0] == (
        "RepositoryNotFoundException"
    )
    assert refused(bob.list_tags_for_resource, resourceArn=made["repositoryArn"])[0] == "RepositoryNotFoundException"
    assert refused(bob.create_repository, repositoryName="mine", registryId=ALICE)[0] == "AccessDeniedException"
    bob.delete_repository(repositoryName="shared")
    assert [r["repositoryName"] for r in alice.describe_repositories()["repositories"]] == ["shared"]
    assert bob.describe_repositories()["repositories"] == []
    assert alice.list_tags_for_resource(resourceArn=made["repositoryArn"])["tags"] == [{"Key": "o", "Value": "a"}]


def test_regions_are_isolated(fresh):
    east, west = fresh.client("ecr", ALICE), fresh.client("ecr", ALICE, region="eu-west-1")
    east.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    assert refused(west.describe_repositories, repositoryNames=["app"])[0] == "RepositoryNotFoundException"
    made = west.create_repository(repositoryName="app")["repository"]
    assert made["repositoryArn"] == f"arn:aws:ecr:eu-west-1:{ALICE}:repository/app"
    assert made["repositoryUri"] == f"{ALICE}.dkr.ecr.eu-west-1.amazonaws.com/app"
    assert east.describe_repositories()["repositories"][0]["imageTagMutability"] == "IMMUTABLE"


@pytest.mark.parametrize("tenants", ["verify"], indirect=True)
def test_bad_signatures_are_refused_as_ecr_refuses_them(tenants):
    wrong = tenants.client("ecr", ALICE, secret="not-the-secret")
    code, status, _ = refused(wrong.describe_repositories)
    assert (code, status) == ("InvalidSignatureException", 400)
    stranger = tenants.client("ecr", aws_access_key_id="AKIANOBODY", aws_secret_access_key="x")
    assert refused(stranger.describe_repositories) == (
        "UnrecognizedClientException",
        400,
        "The security token included in the request is invalid.",
    )
