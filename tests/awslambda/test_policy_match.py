"""
Resource policy evaluation (policy_match) and the decisions built on it
(access), without a stack: hypothesis properties and AWS's examples.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.awslambda import access, names, policy
from ruststack.awslambda.policy_match import Requester, allows, arn_like, like
from tests.awslambda import functions

# Characters that matter: the wildcards, ARN and path separators, and
# characters a regular expression would read specially.
TEXT = st.text(alphabet="ab:/.*?[]\\$^{}+-", max_size=12)
PLAIN = st.text(alphabet="ab:/.[]\\$^{}+-", max_size=12)
ACCOUNTS = st.sampled_from(["111111111111", "222222222222", "333333333333"])
ACTIONS = st.sampled_from(sorted(access.CROSS_ACCOUNT_ACTIONS | {"lambda:UpdateFunctionConfiguration"}))


def reference_like(pattern: str, value: str) -> bool:
    # The textbook translation; fine for the short strings generated here.
    translated = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(translated, value, re.DOTALL) is not None


@given(TEXT, st.text(alphabet="ab:/.*?[]\\$^{}+-", max_size=16))
def test_like_agrees_with_a_regular_expression(pattern, value):
    assert like(pattern, value) == reference_like(pattern, value)


@given(PLAIN, PLAIN)
def test_without_wildcards_like_is_equality(pattern, value):
    assert like(pattern, value) == (pattern == value)


@given(st.text(max_size=20), st.data())
def test_a_value_matches_itself_with_any_parts_wildcarded(value, data):
    # Replace random runs by * and random characters by ?: still a match.
    pattern, i = [], 0
    while i < len(value):
        choice = data.draw(st.sampled_from(["keep", "one", "run"]))
        if choice == "run":
            length = data.draw(st.integers(0, len(value) - i))
            pattern.append("*")
            i += length
            continue
        pattern.append("?" if choice == "one" else value[i])
        i += 1
    assert like("".join(pattern), value)


@given(PLAIN, PLAIN)
def test_without_wildcards_arn_like_never_grants_what_equality_refuses(pattern, value):
    if arn_like(pattern, value):
        assert pattern == value


@given(st.lists(PLAIN.filter(lambda s: ":" not in s), min_size=6, max_size=6), st.integers(0, 4))
def test_a_star_stays_within_its_part_of_the_arn(parts, star):
    value = ":".join(parts)
    pattern = parts.copy()
    pattern[star] = "*"
    assert arn_like(":".join(pattern), value)
    # The same pattern does not reach across a colon into the next part.
    spread = parts.copy()
    spread[star] = parts[star] + ":x"
    assert not arn_like(":".join(pattern), ":".join(spread))


def test_arn_like_examples():
    method = "arn:aws:execute-api:us-east-1:111111111111:abc123/live/GET/items/7"
    assert arn_like("arn:aws:execute-api:us-east-1:111111111111:abc123/*", method)
    assert arn_like("arn:aws:execute-api:us-east-1:111111111111:abc123/*/GET/items/*", method)
    assert arn_like("arn:aws:execute-api:us-east-1:*:abc123/*/*/*", method)
    assert not arn_like("arn:aws:execute-api:us-east-1:111111111111:abc123/*/POST/*", method)
    assert not arn_like("arn:aws:execute-api:us-east-1:111111111111:abc123/*/GET/items/{id}", method)
    assert not arn_like("arn:aws:execute-api:us-east-1:222222222222:abc123/*", method)
    # Fewer than six parts is not an ARN: it matches nothing.
    assert not arn_like("arn:aws:execute-api:*", method)
    # Case matters.
    assert not arn_like("arn:aws:execute-api:us-east-1:111111111111:ABC123/*", method)


def test_like_is_fast_on_hostile_patterns():
    # Many stars and holes against a long value that almost matches: no
    # backtracking blow-up (a translated regular expression takes ages here).
    started = time.monotonic()
    assert not like(("*" + "a?" * 50 + "b") * 20 + "*c", "a" * 20000 + "c")
    assert like("*" + "a?" * 50 + "*", "x" * 5000 + "ab" * 50 + "y")
    assert like("*a" * 5000 + "*b", "a" * 10000 + "b")
    assert not like("*a" * 5000 + "*b*c", "a" * 10000 + "c")
    assert time.monotonic() - started < 1.0


FUNCTION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


def statement(**fields) -> dict:
    entry = {"Sid": "s", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": FUNCTION_ARN}
    entry.update(fields)
    return entry


def requesters():
    accounts = ACCOUNTS.map(Requester)
    services = st.builds(
        Requester,
        ACCOUNTS,
        st.sampled_from(["apigateway.amazonaws.com", "s3.amazonaws.com"]),
        st.sampled_from(
            [
                "arn:aws:execute-api:us-east-1:111111111111:abc/live/GET/x",
                "arn:aws:execute-api:us-east-1:222222222222:def/live/GET/x",
            ]
        ),
    )
    return st.one_of(accounts, services)


def principals():
    return st.one_of(
        st.just("*"),
        ACCOUNTS.map(lambda a: {"AWS": f"arn:aws:iam::{a}:root"}),
        ACCOUNTS.map(lambda a: {"AWS": a}),
        st.sampled_from([{"Service": "apigateway.amazonaws.com"}, {"Service": "s3.amazonaws.com"}]),
    )


def conditions():
    return st.fixed_dictionaries(
        {},
        optional={
            "ArnLike": st.fixed_dictionaries(
                {
                    "AWS:SourceArn": st.sampled_from(
                        [
                            "arn:aws:execute-api:us-east-1:111111111111:abc/*",
                            "arn:aws:execute-api:us-east-1:111111111111:abc/live/GET/x",
                            "arn:aws:execute-api:us-east-1:*:*",
                        ]
                    )
                }
            ),
            "StringEquals": st.fixed_dictionaries({"AWS:SourceAccount": ACCOUNTS}),
        },
    )


@given(requesters(), principals(), conditions())
def test_a_condition_never_widens_a_statement(requester, principal, condition):
    bare = statement(Principal=principal)
    if allows([statement(Principal=principal, Condition=condition)], requester, "lambda:InvokeFunction", FUNCTION_ARN):
        assert allows([bare], requester, "lambda:InvokeFunction", FUNCTION_ARN)


@given(ACCOUNTS, ACCOUNTS, conditions())
def test_an_account_principal_grants_that_account_only(granted, caller, condition):
    for principal in ({"AWS": granted}, {"AWS": f"arn:aws:iam::{granted}:root"}):
        entry = statement(Principal=principal, Condition=condition) if condition else statement(Principal=principal)
        if allows([entry], Requester(caller), "lambda:InvokeFunction", FUNCTION_ARN):
            assert caller == granted


@given(requesters(), principals())
def test_services_and_accounts_are_never_confused(requester, principal):
    if allows([statement(Principal=principal)], requester, "lambda:InvokeFunction", FUNCTION_ARN) and principal != "*":
        assert ("Service" in principal) == (requester.service is not None)


@given(requesters(), principals(), conditions())
def test_a_matching_deny_wins(requester, principal, condition):
    allow = statement(Principal="*")
    deny = statement(Sid="d", Effect="Deny", Principal=principal, Condition=condition)
    denies = allows([{**deny, "Effect": "Allow"}], requester, "lambda:InvokeFunction", FUNCTION_ARN)
    assert allows([allow, deny], requester, "lambda:InvokeFunction", FUNCTION_ARN) is not denies


@given(st.sampled_from(["lambda:*", "*", "LAMBDA:invokefunction", "lambda:InvokeFunction"]))
def test_actions_match_case_insensitively_with_wildcards(action):
    assert allows([statement(Principal="*", Action=action)], Requester("2" * 12), "lambda:InvokeFunction", FUNCTION_ARN)
    assert not allows(
        [statement(Principal="*", Action="lambda:GetFunction")],
        Requester("2" * 12),
        "lambda:InvokeFunction",
        FUNCTION_ARN,
    )


@pytest.mark.parametrize(
    "entry",
    [
        statement(Principal="*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        statement(Principal="*", Condition={"StringEquals": {"lambda:EventSourceToken": "t"}}),
        statement(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.1"}}),
        statement(Principal="*", Condition="nonsense"),
        {**statement(Principal="*"), "NotAction": "lambda:GetFunction"},
        statement(Principal="*", Resource="arn:aws:lambda:us-east-1:111111111111:function:other"),
        statement(Principal="*", Effect="Maybe"),
    ],
)
def test_what_is_not_understood_allows_nothing(entry):
    for requester in (Requester("2" * 12), Requester("1" * 12, "apigateway.amazonaws.com", "arn:aws:x:::y")):
        assert not allows([entry], requester, "lambda:InvokeFunction", FUNCTION_ARN)


@given(ACCOUNTS, ACTIONS, st.lists(st.builds(lambda p, a: statement(Principal=p, Action=a), principals(), ACTIONS)))
def test_another_account_gets_only_shared_actions_and_only_by_grant(caller, action, statements):
    function = functions.stored("us-east-1", statements)
    ref = names.parse(FUNCTION_ARN, caller, "us-east-1")
    permitted = access.permitted(Requester(caller), action, ref, function)
    if caller == function.account:
        assert permitted
    elif permitted:
        assert action in access.CROSS_ACCOUNT_ACTIONS
        assert allows(statements, Requester(caller), action, function.arn)


@given(ACCOUNTS, ACTIONS)
def test_a_missing_function_is_denied_to_other_accounts(caller, action):
    assume(caller != "111111111111")
    assert not access.permitted(Requester(caller), action, names.parse(FUNCTION_ARN, caller, "us-east-1"), None)


def test_access_denied_is_aws_s_message_and_body():
    denied = access.access_denied(Requester("222222222222"), "lambda:GetFunction", FUNCTION_ARN)
    assert (denied.code, denied.status) == ("AccessDeniedException", 403)
    assert denied.message == (
        "User: arn:aws:iam::222222222222:root is not authorized to perform: lambda:GetFunction on resource:"
        f" {FUNCTION_ARN} because no resource-based policy allows the lambda:GetFunction action"
    )
    assert denied.to_rest_json() == ('{"Message": "' + denied.message + '"}').encode()
    service = access.access_denied(Requester("1" * 12, "apigateway.amazonaws.com"), "lambda:InvokeFunction", "x")
    assert service.message.startswith("User: apigateway.amazonaws.com is not authorized")


def test_policy_written_by_add_permission_is_what_evaluation_reads():
    function = functions.stored("us-east-1", [])
    for sid, body in {
        "account": {"Principal": "222222222222"},
        "apigateway": {
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": "arn:aws:execute-api:us-east-1:111111111111:abc/*/GET/*",
            "SourceAccount": "111111111111",
        },
    }.items():
        policy.add_permission(function, {"StatementId": sid, "Action": "lambda:InvokeFunction", **body})
    assert allows(function.policy, Requester("222222222222"), "lambda:InvokeFunction", function.arn)
    assert not allows(function.policy, Requester("333333333333"), "lambda:InvokeFunction", function.arn)
    gateway = Requester(
        "111111111111", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:111111111111:abc/live/GET/x"
    )
    assert allows(function.policy, gateway, "lambda:InvokeFunction", function.arn)
    for source_arn in (
        "arn:aws:execute-api:us-east-1:111111111111:abc/live/POST/x",
        "arn:aws:execute-api:us-east-1:111111111111:abd/live/GET/x",
    ):
        elsewhere = Requester("111111111111", "apigateway.amazonaws.com", source_arn)
        assert not allows(function.policy, elsewhere, "lambda:InvokeFunction", function.arn)
    # Same API ARN pattern, but another account's resource: SourceAccount fails.
    assert not allows(
        function.policy,
        Requester(
            "222222222222", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:111111111111:abc/live/GET/x"
        ),
        "lambda:InvokeFunction",
        function.arn,
    )


def test_creating_in_another_account_is_denied():
    with pytest.raises(AwsError) as raised:
        access.check_creation(Requester("222222222222"), names.parse(FUNCTION_ARN, "222222222222", "us-east-1"))
    assert raised.value.code == "AccessDeniedException"
    access.check_creation(Requester("111111111111"), names.parse(FUNCTION_ARN, "111111111111", "us-east-1"))
