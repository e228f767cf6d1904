"""
Lambda's control plane against botocore's model, through boto3 over a real
socket, generated from the model: every operation RustStack does not have
answers 501 NotImplemented; every one it has refuses an input missing a
required member (in the body, the query string or a header) with Lambda's
validation error, before anything is looked up.
"""

from __future__ import annotations

import pytest
from botocore.session import get_session

from tests import conformance

MODEL = get_session().get_service_model("lambda")
# What RustStack's Lambda serves (README, Lambda, "What works"); the test
# below checks that the resource agrees.
IMPLEMENTED = sorted(
    """
    CreateFunction ListFunctions GetFunction GetFunctionConfiguration DeleteFunction UpdateFunctionCode
    UpdateFunctionConfiguration ListVersionsByFunction TagResource UntagResource ListTags Invoke InvokeAsync
    AddPermission RemovePermission GetPolicy PutFunctionConcurrency GetFunctionConcurrency
    DeleteFunctionConcurrency GetAccountSettings GetAlias ListAliases ListFunctionUrlConfigs PublishVersion
    CreateFunctionUrlConfig GetFunctionUrlConfig UpdateFunctionUrlConfig DeleteFunctionUrlConfig
    CreateAlias UpdateAlias DeleteAlias
    CreateEventSourceMapping GetEventSourceMapping UpdateEventSourceMapping DeleteEventSourceMapping
    ListEventSourceMappings
    PublishLayerVersion GetLayerVersion GetLayerVersionByArn ListLayers ListLayerVersions DeleteLayerVersion
    AddLayerVersionPermission GetLayerVersionPolicy RemoveLayerVersionPermission
    PutFunctionEventInvokeConfig GetFunctionEventInvokeConfig UpdateFunctionEventInvokeConfig
    DeleteFunctionEventInvokeConfig ListFunctionEventInvokeConfigs
    GetFunctionCodeSigningConfig ListFunctionsByCodeSigningConfig
    GetRuntimeManagementConfig PutRuntimeManagementConfig GetFunctionRecursionConfig PutFunctionRecursionConfig
    GetProvisionedConcurrencyConfig ListProvisionedConcurrencyConfigs
    InvokeWithResponseStream
    """.split()
)
MISSING = sorted(set(MODEL.operation_names) - set(IMPLEMENTED))


@pytest.fixture
def raw_lambda(stack):
    stack.reset("lambda")
    # Client-side validation off: the requests are meant to be wrong.
    return stack.client("lambda", config=conformance.UNCHECKED)


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_lambda, operation):
    conformance.assert_not_implemented(raw_lambda, MODEL, operation, "Lambda")


def _required_members(operation: str) -> list[str]:
    shape = MODEL.operation_model(operation).input_shape
    if shape is None:
        return []
    return [
        member
        for member in shape.required_members
        # A URI label cannot be left out of a path; a payload is the body itself.
        if shape.members[member].serialization.get("location") != "uri" and shape.serialization.get("payload") != member
    ]


REQUIRED_MEMBERS = [(operation, member) for operation in IMPLEMENTED for member in _required_members(operation)]


@pytest.mark.parametrize(("operation", "member"), REQUIRED_MEMBERS)
def test_a_missing_required_member_is_refused_as_lambda_does(raw_lambda, operation, member):
    error = conformance.assert_refused_without(raw_lambda, MODEL, operation, member, "ValidationException")
    wire = MODEL.operation_model(operation).input_shape.members[member].serialization.get("name", member)
    assert conformance.null_member_message(wire) in error.response["Error"]["Message"]


def test_the_generated_cases_cover_the_model():
    from ruststack.awslambda import control

    assert sorted(control.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("CreateFunction", "Role") in REQUIRED_MEMBERS and ("UntagResource", "TagKeys") in REQUIRED_MEMBERS
