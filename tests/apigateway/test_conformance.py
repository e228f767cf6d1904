"""
API Gateway's control plane against botocore's model, through boto3 over a
real socket, generated from the model: every operation RustStack does not
have answers 501 NotImplemented; every one it has refuses an input missing a
required member with API Gateway's validation error.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from ruststack.apigateway import control
from ruststack.testing import RustStackProcess

MODEL = control.PROTOCOL.model
IMPLEMENTED = sorted(control.HANDLERS)
MISSING = sorted(set(MODEL.operation_names) - set(control.HANDLERS))


def placeholder(shape) -> Any:
    """
    A value of C{shape}'s type (the content does not matter: these requests
    are refused before any lookup).
    """
    kind = shape.type_name
    if kind == "structure":
        return {name: placeholder(member) for name, member in shape.members.items() if name in shape.required_members}
    if kind == "list":
        return []
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return 1
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"{}"
    if kind == "timestamp":
        return 0
    return "x" if not shape.enum else shape.enum[0]


def required_input(operation: str) -> dict[str, Any]:
    shape = MODEL.operation_model(operation).input_shape
    return placeholder(shape) if shape is not None else {}


@pytest.fixture(scope="module")
def apigw():
    stack = RustStackProcess.start("--services", "apigateway")
    try:
        # Client-side validation off: the requests are meant to be wrong.
        yield stack.client(
            "apigateway", config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
        )
    finally:
        stack.stop()


def call(client, operation: str, params: dict[str, Any]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        getattr(client, xform_name(operation))(**params)
    return raised.value


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(apigw, operation):
    error = call(apigw, operation, required_input(operation))
    assert error.response["Error"]["Code"] == "NotImplemented"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501


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
    params = required_input(operation)
    del params[member]
    error = call(apigw, operation, params)
    assert error.response["Error"]["Code"] == "BadRequestException", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_generated_cases_cover_the_model():
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert len(IMPLEMENTED) >= 40 and REQUIRED_BODY_MEMBERS
