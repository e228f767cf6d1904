"""
IAM against botocore's model, through boto3 over a real socket, generated
from the model: every operation RustStack does not have answers 501
NotImplemented; every one it has refuses an input missing a required member
with IAM's ValidationError in Coral's words, before anything is looked up.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
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


def required_input(operation: str) -> dict[str, Any]:
    return conformance.required_input(MODEL, operation)


@pytest.fixture
def raw_iam(stack):
    stack.reset("iam")
    return stack.client("iam", config=conformance.UNCHECKED)


def call(client, operation: str, params: dict[str, Any]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        getattr(client, xform_name(operation))(**params)
    return raised.value


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_iam, operation):
    error = call(raw_iam, operation, required_input(operation))
    assert error.response["Error"]["Code"] == "NotImplemented", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error.response["Error"]["Message"] == f"RustStack does not implement the operation {operation} of IAM yet."


REQUIRED_MEMBERS = [
    (operation, member)
    for operation in IMPLEMENTED
    for member in (
        MODEL.operation_model(operation).input_shape.required_members
        if MODEL.operation_model(operation).input_shape
        else []
    )
]


@pytest.mark.parametrize(("operation", "member"), REQUIRED_MEMBERS)
def test_a_missing_required_member_is_refused_as_iam_does(raw_iam, operation, member):
    params = required_input(operation)
    del params[member]
    error = call(raw_iam, operation, params)
    assert error.response["Error"]["Code"] == "ValidationError", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Coral's words, the path in lower camel case: "Value null at 'roleName' ...".
    expected = f"Value null at '{member[0].lower() + member[1:]}' failed to satisfy constraint: Member must not be null"
    assert expected in error.response["Error"]["Message"]


def test_the_generated_cases_cover_the_model():
    from ruststack.iam import control

    assert sorted(control.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("CreateRole", "AssumeRolePolicyDocument") in REQUIRED_MEMBERS and ("TagPolicy", "Tags") in REQUIRED_MEMBERS
