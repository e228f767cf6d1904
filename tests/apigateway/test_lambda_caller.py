"""
Whom API Gateway invokes a function as (lambda_caller), without a stack.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruststack.apigateway.lambda_caller import (
    CALLER_CREDENTIALS,
    SERVICE_PRINCIPAL,
    CannotAssumeRole,
    authorizer_source_arn,
    lambda_call,
)
from ruststack.apigateway.model import RestApi
from ruststack.awslambda import names
from ruststack.interfaces import InvokeSource

API = RestApi(id="abc123defg", account="111111111111", region="eu-west-1", name="api", created=0.0, root_id="r00t")
METHOD_ARN = "arn:aws:execute-api:eu-west-1:111111111111:abc123defg/live/GET/items/1"


def test_without_credentials_api_gateway_invokes_as_itself_for_the_method():
    call = lambda_call(API, "fn", None, None, METHOD_ARN, None)
    assert (call.account, call.region, call.function, call.qualifier) == (
        "111111111111",
        "eu-west-1",
        "arn:aws:lambda:eu-west-1:111111111111:function:fn",
        None,
    )
    assert call.source == InvokeSource(SERVICE_PRINCIPAL, METHOD_ARN)


def test_authorizer_source_arn():
    assert (
        authorizer_source_arn(API, "xyz789")
        == "arn:aws:execute-api:eu-west-1:111111111111:abc123defg/authorizers/xyz789"
    )


def test_a_role_of_the_apis_account_invokes_as_that_account():
    call = lambda_call(API, "fn", "live", "arn:aws:iam::111111111111:role/invoker", METHOD_ARN, None)
    assert (call.account, call.source, call.qualifier) == ("111111111111", None, "live")


@pytest.mark.parametrize(
    "credentials", ["arn:aws:iam::222222222222:role/invoker", "arn:aws:iam::111111111111:user/someone", "nonsense"]
)
def test_credentials_api_gateway_cannot_use(credentials):
    with pytest.raises(CannotAssumeRole) as raised:
        lambda_call(API, "fn", None, credentials, METHOD_ARN, None)
    assert str(raised.value).endswith(f"API Gateway does not have permission to assume the provided role {credentials}")


def test_caller_credentials_invoke_as_the_signer():
    call = lambda_call(API, "fn", None, CALLER_CREDENTIALS, METHOD_ARN, ("AKIA", "333333333333"))
    assert (call.account, call.source) == ("333333333333", None)
    # The function is still the API's: a bare name is not the caller's.
    assert call.function == "arn:aws:lambda:eu-west-1:111111111111:function:fn"
    with pytest.raises(CannotAssumeRole):
        lambda_call(API, "fn", None, CALLER_CREDENTIALS, METHOD_ARN, None)


NAMES = st.from_regex(r"[a-zA-Z0-9_-]{1,20}", fullmatch=True)


@given(
    NAMES,
    st.sampled_from(
        ["{name}", "222222222222:function:{name}", "arn:aws:lambda:us-east-2:222222222222:function:{name}"]
    ),
    st.sampled_from([None, CALLER_CREDENTIALS, "arn:aws:iam::111111111111:role/r"]),
)
def test_the_function_is_the_one_the_uri_names_in_the_apis_account(name, form, credentials):
    text = form.format(name=name)
    call = lambda_call(API, text, None, credentials, METHOD_ARN, ("AKIA", "999999999999"))
    # Whoever invokes, the function is resolved as the API's account would.
    assert names.parse(call.function, call.account, call.region) == names.parse(text, API.account, API.region)
