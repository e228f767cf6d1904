"""
Parameter Store against botocore's ssm model, through boto3 over a real
socket, generated from the model: every operation RustStack does not have
answers 501 NotImplemented; every one it has refuses an input missing a
required member with SSM's validation error, before anything is looked up.
"""

from __future__ import annotations

import pytest
from botocore.session import get_session

from tests import conformance

MODEL = get_session().get_service_model("ssm")
# What RustStack's SSM serves (docs/ssm.md); the last test checks that the
# service agrees.
IMPLEMENTED = sorted(
    """
    PutParameter GetParameter GetParameters GetParametersByPath DeleteParameter DeleteParameters
    DescribeParameters GetParameterHistory LabelParameterVersion UnlabelParameterVersion AddTagsToResource
    RemoveTagsFromResource ListTagsForResource
    """.split()
)
MISSING = sorted(set(MODEL.operation_names) - set(IMPLEMENTED))


@pytest.fixture(scope="module")
def raw_ssm(ssm_stack):
    # One client for every case: these requests are refused before any lookup.
    return ssm_stack.client("ssm", config=conformance.UNCHECKED)


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_ssm, operation):
    conformance.assert_not_implemented(raw_ssm, MODEL, operation, "SSM")


REQUIRED_MEMBERS = conformance.required_members(MODEL, IMPLEMENTED)


@pytest.mark.parametrize(("operation", "member"), REQUIRED_MEMBERS)
def test_a_missing_required_member_is_refused_as_ssm_does(raw_ssm, operation, member):
    error = conformance.assert_refused_without(raw_ssm, MODEL, operation, member, "ValidationException")
    assert conformance.null_member_message(member) in error.response["Error"]["Message"]


def test_the_generated_cases_cover_the_model():
    from ruststack.ssm import operations

    assert sorted(operations.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("PutParameter", "Value") in REQUIRED_MEMBERS and ("AddTagsToResource", "Tags") in REQUIRED_MEMBERS
