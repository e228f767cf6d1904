"""
Parameter Store against botocore's ssm model, through boto3 over a real
socket, generated from the model: every operation RustStack does not have
answers 501 NotImplemented; every one it has refuses an input missing a
required member with SSM's validation error, before anything is looked up.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
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


def call(client, operation: str, params: dict[str, Any]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        getattr(client, xform_name(operation))(**params)
    return raised.value


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_ssm, operation):
    error = call(raw_ssm, operation, conformance.required_input(MODEL, operation))
    assert error.response["Error"]["Code"] == "NotImplemented", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error.response["Error"]["Message"] == f"RustStack does not implement the operation {operation} of SSM yet."


REQUIRED_MEMBERS = [
    (operation, member)
    for operation in IMPLEMENTED
    for member in MODEL.operation_model(operation).input_shape.required_members
]


@pytest.mark.parametrize(("operation", "member"), REQUIRED_MEMBERS)
def test_a_missing_required_member_is_refused_as_ssm_does(raw_ssm, operation, member):
    params = conformance.required_input(MODEL, operation)
    del params[member]
    error = call(raw_ssm, operation, params)
    assert error.response["Error"]["Code"] == "ValidationException", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Coral's words, the path in lower camel case: "Value null at 'name' ...".
    path = member[0].lower() + member[1:]
    assert (
        f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
        in (error.response["Error"]["Message"])
    )


def test_the_generated_cases_cover_the_model():
    from ruststack.ssm import operations

    assert sorted(operations.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("PutParameter", "Value") in REQUIRED_MEMBERS and ("AddTagsToResource", "Tags") in REQUIRED_MEMBERS
