"""
Function name forms and policy statements, without a stack.
"""

from __future__ import annotations

import pytest

from ruststack.aws.errors import AwsError
from ruststack.awslambda import names, policy
from ruststack.awslambda.functions import FunctionCode, LambdaFunction


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fn", ("111111111111", "eu-west-1", "fn", None)),
        ("fn:$LATEST", ("111111111111", "eu-west-1", "fn", "$LATEST")),
        ("222222222222:function:fn", ("222222222222", "eu-west-1", "fn", None)),
        ("arn:aws:lambda:us-east-2:333333333333:function:fn:7", ("333333333333", "us-east-2", "fn", "7")),
    ],
)
def test_function_name_forms(text, expected):
    ref = names.parse(text, "111111111111", "eu-west-1")
    assert (ref.account, ref.region, ref.name, ref.qualifier) == expected


def test_not_a_function_name():
    with pytest.raises(AwsError) as raised:
        names.parse("arn:aws:s3:::bucket", "111111111111", "eu-west-1")
    assert raised.value.code == "ResourceNotFoundException"


def _function() -> LambdaFunction:
    return LambdaFunction(
        account="111111111111",
        region="eu-west-1",
        name="fn",
        runtime="python3.11",
        role="arn:aws:iam::111111111111:role/r",
        handler="app.handler",
        code=FunctionCode(sha256="x", size=1, key="k"),
    )


@pytest.mark.parametrize(
    "principal, written",
    [
        ("apigateway.amazonaws.com", {"Service": "apigateway.amazonaws.com"}),
        ("444444444444", {"AWS": "arn:aws:iam::444444444444:root"}),
        ("arn:aws:iam::444444444444:role/x", {"AWS": "arn:aws:iam::444444444444:role/x"}),
        ("*", "*"),
    ],
)
def test_principals_are_written_as_lambda_writes_them(principal, written):
    entry = policy.statement(
        _function(), {"StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": principal}
    )
    assert entry["Principal"] == written


def test_conditions_and_revision_checks():
    function = _function()
    entry = policy.add_permission(
        function,
        {
            "StatementId": "s",
            "Action": "lambda:*",
            "Principal": "s3.amazonaws.com",
            "SourceArn": "arn:aws:s3:::bucket",
            "SourceAccount": "111111111111",
        },
    )
    assert entry["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": "111111111111"},
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"},
    }
    with pytest.raises(AwsError) as raised:
        policy.remove_permission(function, "s", "not-the-revision")
    assert raised.value.code == "PreconditionFailedException" and raised.value.status == 412
    with pytest.raises(AwsError) as raised:
        policy.statement(function, {"StatementId": "s", "Action": "s3:GetObject", "Principal": "*"})
    assert raised.value.code == "InvalidParameterValueException"
