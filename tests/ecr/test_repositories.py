"""
Repositories through boto3 over a real socket: CreateRepository with its
settings and ECR's name rule, DescribeRepositories by name and by page,
DeleteRepository, the scanning and tag mutability settings, tags; each
error as AWS answers it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conformance import UNCHECKED
from tests.ecr.conftest import ACCOUNT, REGION
from tests.ssm.conftest import refused

ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository"
QUOTED = "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"


def _answer(response: dict) -> dict:
    response.pop("ResponseMetadata")
    return response


def test_a_repository_as_made_described_and_deleted(ecr):
    made = ecr.create_repository(repositoryName="serverless-notes-dev")["repository"]
    assert datetime.now(UTC) - made.pop("createdAt") < timedelta(minutes=1)
    assert made == {
        "repositoryArn": f"{ARN}/serverless-notes-dev",
        "registryId": ACCOUNT,
        "repositoryName": "serverless-notes-dev",
        "repositoryUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/serverless-notes-dev",
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": False},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    }
    # As osls asks before serverless remove: by name, in its own registry.
    described = ecr.describe_repositories(repositoryNames=["serverless-notes-dev"], registryId=ACCOUNT)
    (repository,) = described["repositories"]
    repository.pop("createdAt")
    assert repository == made
    deleted = ecr.delete_repository(repositoryName="serverless-notes-dev")["repository"]
    deleted.pop("createdAt")
    assert deleted == made
    assert ecr.describe_repositories()["repositories"] == []


def test_settings_and_tags_as_given_and_changed(ecr):
    kms = {"encryptionType": "KMS", "kmsKey": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"}
    made = ecr.create_repository(
        repositoryName="team/app",
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration=kms,
        tags=[{"Key": "team", "Value": "a"}],
    )["repository"]
    assert made["repositoryUri"].endswith(".amazonaws.com/team/app")
    assert (made["imageTagMutability"], made["imageScanningConfiguration"], made["encryptionConfiguration"]) == (
        "IMMUTABLE",
        {"scanOnPush": True},
        kms,
    )
    assert _answer(ecr.put_image_tag_mutability(repositoryName="team/app", imageTagMutability="MUTABLE")) == {
        "registryId": ACCOUNT,
        "repositoryName": "team/app",
        "imageTagMutability": "MUTABLE",
    }
    scanning = ecr.put_image_scanning_configuration(
        repositoryName="team/app", imageScanningConfiguration={"scanOnPush": False}
    )
    assert _answer(scanning) == {
        "registryId": ACCOUNT,
        "repositoryName": "team/app",
        "imageScanningConfiguration": {"scanOnPush": False},
    }
    (repository,) = ecr.describe_repositories(repositoryNames=["team/app"])["repositories"]
    assert (repository["imageTagMutability"], repository["imageScanningConfiguration"]) == (
        "MUTABLE",
        {"scanOnPush": False},
    )


def test_tags(ecr):
    ecr.create_repository(repositoryName="app", tags=[{"Key": "team", "Value": "a"}])
    arn = f"{ARN}/app"
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "c1"}])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"Key": "team", "Value": "b"},
        {"Key": "cost", "Value": "c1"},
    ]
    ecr.untag_resource(resourceArn=arn, tagKeys=["team", "never"])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "cost", "Value": "c1"}]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert refused(ecr.tag_resource, resourceArn=arn, tags=too_many) == (
        "TooManyTagsException",
        400,
        "The list of tags on the repository is over the limit. The maximum number of tags that can be applied to a"
        " repository is 50.",
    )
    assert refused(ecr.list_tags_for_resource, resourceArn="arn:aws:s3:::bucket") == (
        "InvalidParameterException",
        400,
        "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
    )
    assert refused(ecr.list_tags_for_resource, resourceArn=f"{ARN}/nope") == (
        "RepositoryNotFoundException",
        400,
        f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'",
    )
    # The same name in another region is another repository.
    elsewhere = f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/app"
    assert refused(ecr.untag_resource, resourceArn=elsewhere, tagKeys=["cost"])[0] == "RepositoryNotFoundException"


def test_a_name_is_taken_once(ecr):
    ecr.create_repository(repositoryName="app")
    assert refused(ecr.create_repository, repositoryName="app") == (
        "RepositoryAlreadyExistsException",
        400,
        f"The repository with name 'app' already exists in the registry with id '{ACCOUNT}'",
    )


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("a", "must have length greater than or equal to 2"),
        ("a" * 257, "must have length less than or equal to 256"),
        ("Upper", f"must satisfy regular expression '{QUOTED}'"),
        ("org/Repo-Name", f"must satisfy regular expression '{QUOTED}'"),
        ("-lead", f"must satisfy regular expression '{QUOTED}'"),
        ("trail.", f"must satisfy regular expression '{QUOTED}'"),
        ("a//b", f"must satisfy regular expression '{QUOTED}'"),
        ("a___b", f"must satisfy regular expression '{QUOTED}'"),
        ("arn:aws:ecr:us-east-1:000000000000:repository/x", f"must satisfy regular expression '{QUOTED}'"),
    ],
)
def test_names_ecr_refuses(stack, name, constraint):
    ecr = stack.client("ecr", config=UNCHECKED)  # botocore would refuse "a" itself
    message = f"Invalid parameter at 'repositoryName' failed to satisfy constraint: '{constraint}'"
    assert refused(ecr.create_repository, repositoryName=name) == ("InvalidParameterException", 400, message)
    assert refused(ecr.delete_repository, repositoryName=name) == ("InvalidParameterException", 400, message)


@pytest.mark.parametrize("name", ["ab", "a.b_c-d", "a__b", "a---b", "org/team/app", "0" * 256])
def test_names_ecr_takes(ecr, name):
    assert ecr.create_repository(repositoryName=name)["repository"]["repositoryName"] == name


def test_constraints_are_answered_in_ecr_s_words(ecr):
    assert refused(ecr.describe_repositories, maxResults=1001) == (
        "InvalidParameterException",
        400,
        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal"
        " to 1000'",
    )


def test_describe_by_name_refuses_one_missing(ecr):
    ecr.create_repository(repositoryName="there")
    assert refused(ecr.describe_repositories, repositoryNames=["there", "missing"]) == (
        "RepositoryNotFoundException",
        400,
        f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'",
    )
    names = ecr.describe_repositories(repositoryNames=["there", "there"])["repositories"]
    assert [r["repositoryName"] for r in names] == ["there"]


def test_pages(ecr):
    for index in range(5):
        ecr.create_repository(repositoryName=f"repo-{index}")
    first = ecr.describe_repositories(maxResults=2)
    assert [r["repositoryName"] for r in first["repositories"]] == ["repo-0", "repo-1"]
    second = ecr.describe_repositories(maxResults=2, nextToken=first["nextToken"])
    assert [r["repositoryName"] for r in second["repositories"]] == ["repo-2", "repo-3"]
    third = ecr.describe_repositories(maxResults=2, nextToken=second["nextToken"])
    assert [r["repositoryName"] for r in third["repositories"]] == ["repo-4"] and "nextToken" not in third
    pages = ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 3})
    assert [r["repositoryName"] for page in pages for r in page["repositories"]] == [f"repo-{i}" for i in range(5)]
    assert refused(ecr.describe_repositories, nextToken="not a token!")[:2] == ("InvalidParameterException", 400)


def test_deleting_what_is_not_there(ecr):
    assert refused(ecr.delete_repository, repositoryName="gone", force=True) == (
        "RepositoryNotFoundException",
        400,
        f"The repository with name 'gone' does not exist in the registry with id '{ACCOUNT}'",
    )


def test_another_registry_is_none_of_the_caller_s(ecr):
    ecr.create_repository(repositoryName="app")
    other = "111122223333"
    assert refused(ecr.describe_repositories, repositoryNames=["app"], registryId=other) == (
        "RepositoryNotFoundException",
        400,
        f"The repository with name 'app' does not exist in the registry with id '{other}'",
    )
    assert ecr.describe_repositories(registryId=other)["repositories"] == []
    assert refused(ecr.create_repository, repositoryName="app", registryId=other) == (
        "AccessDeniedException",
        400,
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: ecr:CreateRepository on resource:"
        f" arn:aws:ecr:{REGION}:{other}:repository/app",
    )
