"""
The reads Terraform and the CDK make of a function on every plan, answered
as Lambda answers for a function without such settings; a name that is no
function name is refused with the model's ValidationException by every
operation.
"""

from __future__ import annotations

import pytest
from botocore import xform_name
from botocore.session import get_session
from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.awslambda import control, names
from ruststack.protocol import patterns
from tests import conformance
from tests.awslambda import functions
from tests.awslambda.functions import create

MODEL = get_session().get_service_model("lambda")
ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn"


@pytest.fixture
def fn(lambda_client):
    create(lambda_client, "fn", functions.ECHO)
    return lambda_client


def _body(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def test_reads_of_a_function_without_settings(fn):
    assert _body(fn.get_function_code_signing_config(FunctionName="fn")) == {
        "CodeSigningConfigArn": "",
        "FunctionName": "fn",
    }
    assert _body(fn.get_runtime_management_config(FunctionName="fn")) == {"UpdateRuntimeOn": "Auto", "FunctionArn": ARN}
    assert _body(fn.get_function_recursion_config(FunctionName="fn")) == {"RecursiveLoop": "Terminate"}
    assert _body(fn.get_function_concurrency(FunctionName="fn")) == {}
    assert _body(fn.list_tags(Resource=ARN)) == {"Tags": {}}
    assert _body(fn.list_provisioned_concurrency_configs(FunctionName="fn")) == {"ProvisionedConcurrencyConfigs": []}
    assert _body(fn.list_function_event_invoke_configs(FunctionName="fn")) == {"FunctionEventInvokeConfigs": []}


def test_provisioned_concurrency_config(fn):
    fn.publish_version(FunctionName="fn")
    with pytest.raises(fn.exceptions.ProvisionedConcurrencyConfigNotFoundException) as raised:
        fn.get_provisioned_concurrency_config(FunctionName="fn", Qualifier="1")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Message"] == "No Provisioned Concurrency Config found for this function"
    with pytest.raises(fn.exceptions.InvalidParameterValueException) as raised:
        fn.get_provisioned_concurrency_config(FunctionName="fn", Qualifier="$LATEST")
    assert raised.value.response["Error"]["Message"] == (
        "The function resource provided must be an alias or a published version."
    )
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.get_provisioned_concurrency_config(FunctionName="fn", Qualifier="9")
    assert raised.value.response["Error"]["Message"] == f"Function not found: {ARN}:9"


def test_runtime_management_and_recursion_are_stored(fn):
    arn = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef"
    answer = fn.put_runtime_management_config(FunctionName="fn", UpdateRuntimeOn="Manual", RuntimeVersionArn=arn)
    assert _body(answer) == {"UpdateRuntimeOn": "Manual", "FunctionArn": ARN, "RuntimeVersionArn": arn}
    assert _body(fn.get_runtime_management_config(FunctionName="fn", Qualifier="$LATEST")) == {
        "UpdateRuntimeOn": "Manual",
        "FunctionArn": ARN,
        "RuntimeVersionArn": arn,
    }
    fn.put_runtime_management_config(FunctionName="fn", UpdateRuntimeOn="FunctionUpdate")
    assert fn.get_runtime_management_config(FunctionName="fn")["UpdateRuntimeOn"] == "FunctionUpdate"
    with pytest.raises(fn.exceptions.InvalidParameterValueException):
        fn.put_runtime_management_config(FunctionName="fn", UpdateRuntimeOn="Manual")
    assert fn.put_function_recursion_config(FunctionName="fn", RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert fn.get_function_recursion_config(FunctionName="fn")["RecursiveLoop"] == "Allow"


def test_missing_function_and_code_signing_config(fn):
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.get_function_code_signing_config(FunctionName="nope")
    assert raised.value.response["Error"]["Message"] == "Function not found: " + ARN.replace(":fn", ":nope")
    csc = "arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdefg"
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.list_functions_by_code_signing_config(CodeSigningConfigArn=csc)
    assert raised.value.response["Error"]["Message"] == f"The Lambda code signing configuration {csc} can not be found."


def _named_operations() -> list[tuple[str, str]]:
    named = []
    for operation in sorted(control.HANDLERS):
        members = MODEL.operation_model(operation).input_shape.members
        for member in ("FunctionName", "Resource"):
            if member in members:
                named.append((operation, member))
    return named


@pytest.mark.parametrize(("operation", "member"), _named_operations())
def test_a_bad_name_is_a_validation_error_everywhere(stack, operation, member):
    client = stack.client("lambda", config=conformance.UNCHECKED)
    params = conformance.required_input(MODEL, operation)
    params[member] = "bad name!"
    with pytest.raises(client.exceptions.ClientError) as raised:
        getattr(client, xform_name(operation))(**params)
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationException", error
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"Value 'bad name!' at '{member[0].lower() + member[1:]}'" in error["Error"]["Message"]


def test_a_name_the_model_admits_is_looked_up(lambda_client):
    # A dot is allowed by the model's pattern, and names no function.
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.get_function(FunctionName="us-east-1:000000000000:function:a.b")
    assert raised.value.response["Error"]["Message"] == "Function not found: " + ARN.replace(":fn", ":a.b")


@given(st.text(alphabet=st.sampled_from("abc-_.:$0123456789 !/"), max_size=40))
def test_parse_refuses_exactly_what_the_model_refuses(text):
    admitted = patterns.matches(names.NAME_PATTERN, text)
    try:
        ref = names.parse(text, "111111111111", "eu-west-1")
    except AwsError as error:
        expected = "ResourceNotFoundException" if text.startswith("arn:") else "ValidationException"
        assert error.code == expected
        assert not admitted or text.startswith("arn:")
        return
    assert ref.name and ":" not in ref.name


@given(
    st.from_regex(r"\A(us-east-1:)?(\d{12}:)?(function:)?[a-zA-Z0-9_.-]{1,20}(:[a-zA-Z0-9_-]{1,5})?\Z"),
)
def test_every_name_the_model_admits_parses(text):
    ref = names.parse(text, "111111111111", "eu-west-1")
    assert ref.name in text
