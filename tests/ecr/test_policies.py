"""
A repository's lifecycle policy and repository policy through boto3:
checked as ECR checks them, stored, answered back, deleted; their
not-found errors as AWS answers them.
"""

from __future__ import annotations

import json

import pytest

from tests.ecr.conftest import ACCOUNT, LIFECYCLE, POLICY
from tests.ssm.conftest import refused


@pytest.fixture
def app(ecr):
    ecr.create_repository(repositoryName="app")
    return "app"


def _answer(response: dict) -> dict:
    response.pop("ResponseMetadata")
    return response


def test_a_lifecycle_policy_stored_and_deleted(ecr, app):
    missing = (
        "LifecyclePolicyNotFoundException",
        400,
        f"Lifecycle policy does not exist for the repository with name 'app' in the registry with id '{ACCOUNT}'",
    )
    assert refused(ecr.get_lifecycle_policy, repositoryName=app) == missing
    assert refused(ecr.delete_lifecycle_policy, repositoryName=app) == missing
    named = {"registryId": ACCOUNT, "repositoryName": app, "lifecyclePolicyText": LIFECYCLE}
    assert _answer(ecr.put_lifecycle_policy(repositoryName=app, lifecyclePolicyText=LIFECYCLE)) == named
    assert _answer(ecr.get_lifecycle_policy(repositoryName=app)) == named
    assert _answer(ecr.delete_lifecycle_policy(repositoryName=app)) == named
    assert refused(ecr.get_lifecycle_policy, repositoryName=app) == missing


def _rule(**changes: object) -> dict:
    rule = json.loads(LIFECYCLE)["rules"][0]
    rule.update(changes)
    return rule


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ("{" + " " * 100, "Could not map policyString into LifecyclePolicy."),
        (json.dumps({"rulez": [], "pad": "x" * 100}), 'object has missing required properties (["rules"])'),
        (
            json.dumps({"rules": [{"rulePriority": 1, "description": "x" * 100}]}),
            'object has missing required properties (["action","selection"])',
        ),
        (
            json.dumps({"rules": [_rule(action={"type": "delete"})]}),
            'instance value ("delete") not found in enum (possible values: ["expire","transition"])',
        ),
        (
            json.dumps({"rules": [_rule(rulePriority=0)]}),
            "numeric instance is lower than the required minimum (minimum: 1, found: 0)",
        ),
        (
            json.dumps({"rules": ["x" * 100]}),
            'instance type (string) does not match any allowed primitive type (allowed: ["object"])',
        ),
    ],
)
def test_a_lifecycle_policy_ecr_refuses(ecr, app, policy, reason):
    assert refused(ecr.put_lifecycle_policy, repositoryName=app, lifecyclePolicyText=policy) == (
        "InvalidParameterException",
        400,
        f"Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation"
        f" failure: {reason}'",
    )


def test_a_repository_policy_stored_and_deleted(ecr, app):
    missing = (
        "RepositoryPolicyNotFoundException",
        400,
        f"Repository policy does not exist for the repository with name 'app' in the registry with id '{ACCOUNT}'",
    )
    assert refused(ecr.get_repository_policy, repositoryName=app) == missing
    assert refused(ecr.delete_repository_policy, repositoryName=app) == missing
    named = {"registryId": ACCOUNT, "repositoryName": app, "policyText": POLICY}
    assert _answer(ecr.set_repository_policy(repositoryName=app, policyText=POLICY)) == named
    assert _answer(ecr.get_repository_policy(repositoryName=app)) == named
    assert _answer(ecr.delete_repository_policy(repositoryName=app)) == named
    assert refused(ecr.delete_repository_policy, repositoryName=app) == missing


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        "[]",
        json.dumps({"Version": "2012-10-17", "Statement": []}),
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "ecr:*"}]}),  # no principal
        json.dumps({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "ecr:*"}]}),
        json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}),
        json.dumps({"Version": "2020-01-01", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]}),
    ],
)
def test_a_repository_policy_ecr_refuses(ecr, app, policy):
    assert refused(ecr.set_repository_policy, repositoryName=app, policyText=policy) == (
        "InvalidParameterException",
        400,
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
    )


def test_policies_of_a_repository_that_is_not_there(ecr):
    message = f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'"
    assert refused(ecr.put_lifecycle_policy, repositoryName="nope", lifecyclePolicyText=LIFECYCLE)[2] == message
    assert refused(ecr.set_repository_policy, repositoryName="nope", policyText=POLICY)[2] == message
    assert refused(ecr.get_repository_policy, repositoryName="nope")[0] == "RepositoryNotFoundException"
