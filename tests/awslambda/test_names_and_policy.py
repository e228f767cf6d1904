"""
Function name forms and policy statements, without a stack.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.awslambda import names, policy
from ruststack.awslambda.policy_match import arn_like
from tests.awslambda import functions


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
        functions.stored("eu-west-1"), {"StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": principal}
    )
    assert entry["Principal"] == written


def test_conditions_and_revision_checks():
    function = functions.stored("eu-west-1")
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


@pytest.mark.parametrize(
    "member, value, constraint",
    [
        # Wildcards stand for a resource, never for a region or an account.
        ("SourceArn", "arn:aws:execute-api:*:111111111111:abc/*", "regular expression pattern: arn:"),
        ("SourceArn", "arn:aws:execute-api:us-east-1:*:abc/*", "regular expression pattern: arn:"),
        ("SourceArn", "execute-api/abc", "regular expression pattern: arn:"),
        ("SourceArn", "arn:aws:s3:::" + "b" * 10000, "length less than or equal to 10000"),
        ("SourceAccount", "1234", "regular expression pattern: \\d{12}"),
        ("SourceAccount", "1234567890123", "length less than or equal to 12"),
    ],
)
def test_source_arn_and_account_are_checked_as_the_model_says(member, value, constraint):
    body = {"StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"}
    with pytest.raises(AwsError) as raised:
        policy.statement(functions.stored("eu-west-1"), {**body, member: value})
    assert raised.value.code == "ValidationException" and raised.value.status == 400
    member_name = member[0].lower() + member[1:]
    assert raised.value.message.startswith(f"1 validation error detected: Value '{value}' at '{member_name}'")
    assert constraint in raised.value.message


SOURCE_ARNS = st.one_of(
    st.text(alphabet="arnws:-*/?ex.ci1p2", max_size=40),
    st.builds(
        "arn:{}:{}:{}:{}:{}".format,
        st.sampled_from(["aws", "aws-cn", "*", ""]),
        st.sampled_from(["execute-api", "s3", "", "*"]),
        st.sampled_from(["us-east-1", "eu-west-3", "", "*", "us-east"]),
        st.sampled_from(["111111111111", "", "*", "1111"]),
        st.text(alphabet="ab/*?:{}\n", max_size=12),
    ),
)


@given(SOURCE_ARNS)
def test_an_accepted_source_arn_is_an_arn_the_policy_can_match(text):
    body = {"StatementId": "s", "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"}
    try:
        entry = policy.statement(functions.stored("eu-west-1"), {**body, "SourceArn": text})
    except AwsError as error:
        assert error.code == "ValidationException"
        return
    pattern = entry["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert pattern == text and len(pattern.split(":", 5)) == 6
    # And it matches itself, wildcards or not.
    assert arn_like(pattern, pattern)
