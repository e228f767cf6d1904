"""
API Gateway's control plane against botocore's model, through boto3 over a
real socket, generated from the model: every operation RustStack does not
have answers 501 NotImplemented; every one it has refuses an input missing a
required member with API Gateway's validation error.
"""

from __future__ import annotations

import pytest

from ruststack.apigateway import control
from ruststack.testing import RustStackProcess
from tests import conformance

MODEL = control.PROTOCOL.model
IMPLEMENTED = sorted(control.HANDLERS)
MISSING = sorted(set(MODEL.operation_names) - set(control.HANDLERS))


@pytest.fixture(scope="module")
def apigw():
    stack = RustStackProcess.start("--services", "apigateway")
    try:
        # Client-side validation off: the requests are meant to be wrong.
        yield stack.client("apigateway", config=conformance.UNCHECKED)
    finally:
        stack.stop()


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(apigw, operation):
    conformance.assert_not_implemented(apigw, MODEL, operation)


REQUIRED_BODY_MEMBERS = [
    (operation, member)
    for operation in IMPLEMENTED
    for member, shape in (MODEL.operation_model(operation).input_shape.members.items())
    if member in MODEL.operation_model(operation).input_shape.required_members
    and shape.serialization.get("location") is None
    and MODEL.operation_model(operation).input_shape.serialization.get("payload") != member
]


@pytest.mark.parametrize(("operation", "member"), REQUIRED_BODY_MEMBERS)
def test_a_missing_required_member_is_refused_as_api_gateway_does(apigw, operation, member):
    conformance.assert_refused_without(apigw, MODEL, operation, member, "BadRequestException")


def test_the_generated_cases_cover_the_model():
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert len(IMPLEMENTED) >= 92 and REQUIRED_BODY_MEMBERS


def test_tags_updates_account_exports_and_domains_are_implemented():
    wanted = {
        *("TagResource", "UntagResource", "GetTags", "GetAccount", "UpdateAccount", "GetExport"),
        *("UpdateDeployment", "UpdateMethodResponse", "UpdateIntegrationResponse"),
        *("CreateDomainName", "GetDomainName", "GetDomainNames", "UpdateDomainName", "DeleteDomainName"),
        *("CreateBasePathMapping", "GetBasePathMapping", "GetBasePathMappings"),
        *("UpdateBasePathMapping", "DeleteBasePathMapping"),
    }
    assert wanted <= set(IMPLEMENTED)
