"""
IAM against botocore's model, through boto3 over a real socket, generated
from the model: every operation RustStack does not have answers 501
NotImplemented; every one it has refuses an input missing a required member
with IAM's ValidationError in Coral's words, before anything is looked up.
"""

from __future__ import annotations

import pytest
from botocore.session import get_session

from tests import conformance

MODEL = get_session().get_service_model("iam")
# What RustStack's IAM serves (docs/iam.md); the last test checks that the
# handlers agree.
IMPLEMENTED = sorted(
    """
    CreateRole GetRole ListRoles UpdateRole UpdateRoleDescription UpdateAssumeRolePolicy DeleteRole
    PutRolePermissionsBoundary DeleteRolePermissionsBoundary ListInstanceProfilesForRole
    TagRole UntagRole ListRoleTags PutRolePolicy GetRolePolicy DeleteRolePolicy ListRolePolicies
    CreatePolicy GetPolicy DeletePolicy ListPolicies CreatePolicyVersion GetPolicyVersion ListPolicyVersions
    DeletePolicyVersion SetDefaultPolicyVersion AttachRolePolicy DetachRolePolicy ListAttachedRolePolicies
    ListEntitiesForPolicy TagPolicy UntagPolicy ListPolicyTags
    CreateUser GetUser ListUsers DeleteUser CreateAccessKey ListAccessKeys DeleteAccessKey
    """.split()
)
MISSING = sorted(set(MODEL.operation_names) - set(IMPLEMENTED))


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_iam, operation):
    conformance.assert_not_implemented(raw_iam, MODEL, operation, "IAM")


REQUIRED_MEMBERS = conformance.required_members(MODEL, IMPLEMENTED)


@pytest.mark.parametrize(("operation", "member"), REQUIRED_MEMBERS)
def test_a_missing_required_member_is_refused_as_iam_does(raw_iam, operation, member):
    error = conformance.assert_refused_without(raw_iam, MODEL, operation, member, "ValidationError")
    assert conformance.null_member_message(member) in error.response["Error"]["Message"]


def test_the_generated_cases_cover_the_model():
    from ruststack.iam import control

    assert sorted(control.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("CreateRole", "AssumeRolePolicyDocument") in REQUIRED_MEMBERS and ("TagPolicy", "Tags") in REQUIRED_MEMBERS
