"""
The HTTP API control plane against botocore's apigatewayv2 model, through
boto3 over a real socket, generated from the model: every operation
RustStack does not have answers 501 NotImplemented; every one it has
refuses an input missing a required body member with API Gateway's
BadRequestException.
"""

from __future__ import annotations

import pytest

from ruststack.apigatewayv2 import operations, service
from tests import conformance

MODEL = operations.PROTOCOL.model
# What RustStack's HTTP APIs serve (docs/apigatewayv2.md).
IMPLEMENTED = sorted(
    """
    CreateApi GetApi GetApis UpdateApi DeleteApi CreateRoute GetRoute GetRoutes UpdateRoute DeleteRoute
    CreateIntegration GetIntegration GetIntegrations UpdateIntegration DeleteIntegration CreateStage GetStage
    GetStages UpdateStage DeleteStage CreateDeployment GetDeployment GetDeployments DeleteDeployment TagResource
    UntagResource GetTags CreateAuthorizer GetAuthorizer GetAuthorizers UpdateAuthorizer DeleteAuthorizer
    ImportApi ReimportApi ExportApi
    """.split()
)
MISSING = sorted(set(MODEL.operation_names) - set(IMPLEMENTED))


@pytest.fixture(scope="module")
def raw_apigw2(http_api_stack):
    # Client-side validation off: the requests are meant to be wrong.
    return http_api_stack.client("apigatewayv2", config=conformance.UNCHECKED)


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_apigw2, operation):
    conformance.assert_not_implemented(raw_apigw2, MODEL, operation)


REQUIRED_BODY_MEMBERS = [
    (operation, member)
    for operation in IMPLEMENTED
    for member, shape in MODEL.operation_model(operation).input_shape.members.items()
    if member in MODEL.operation_model(operation).input_shape.required_members
    and shape.serialization.get("location") is None
]


@pytest.mark.parametrize(("operation", "member"), REQUIRED_BODY_MEMBERS)
def test_a_missing_required_member_is_refused_as_api_gateway_does(raw_apigw2, operation, member):
    conformance.assert_refused_without(raw_apigw2, MODEL, operation, member, "BadRequestException")


def test_the_generated_cases_cover_the_model():
    assert sorted(service.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("CreateApi", "Name") in REQUIRED_BODY_MEMBERS and ("CreateRoute", "RouteKey") in REQUIRED_BODY_MEMBERS
