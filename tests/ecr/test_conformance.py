"""
ECR against botocore's ecr model, through boto3 over a real socket,
generated from the model: every operation RustStack does not have answers
501 NotImplemented; every one it has refuses an input missing a required
member with ECR's InvalidParameterException, in ECR's words.
"""

from __future__ import annotations

import pytest
from botocore.session import get_session

from tests import conformance

MODEL = get_session().get_service_model("ecr")
# What RustStack's ECR serves (docs/ecr.md).
IMPLEMENTED = sorted(
    """
    CreateRepository DescribeRepositories DeleteRepository ListImages DescribeImages BatchGetImage BatchDeleteImage
    PutLifecyclePolicy GetLifecyclePolicy DeleteLifecyclePolicy SetRepositoryPolicy GetRepositoryPolicy
    DeleteRepositoryPolicy PutImageScanningConfiguration PutImageTagMutability TagResource UntagResource
    ListTagsForResource
    """.split()
)
MISSING = sorted(set(MODEL.operation_names) - set(IMPLEMENTED))


@pytest.fixture(scope="module")
def raw_ecr(ecr_stack):
    return ecr_stack.client("ecr", config=conformance.UNCHECKED)


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_ecr, operation):
    conformance.assert_not_implemented(raw_ecr, MODEL, operation, "ECR")


REQUIRED_MEMBERS = conformance.required_members(MODEL, IMPLEMENTED)


@pytest.mark.parametrize(("operation", "member"), REQUIRED_MEMBERS)
def test_a_missing_required_member_is_refused_as_ecr_does(raw_ecr, operation, member):
    params = conformance.required_input(MODEL, operation)
    if "repositoryName" in params:
        params["repositoryName"] = "notes"  # the placeholder "x" is too short a name
    del params[member]
    error = conformance.refused(raw_ecr, operation, params)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["Error"] == {
        "Code": "InvalidParameterException",
        "Message": f"Invalid parameter at '{member}' failed to satisfy constraint: 'Member must not be null'",
    }


def test_the_generated_cases_cover_the_model():
    from ruststack.ecr import operations

    assert sorted(operations.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("BatchGetImage", "imageIds") in REQUIRED_MEMBERS and ("TagResource", "tags") in REQUIRED_MEMBERS
