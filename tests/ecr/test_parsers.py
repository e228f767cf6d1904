"""
Property tests of what ECR's package reads of user input: the repository
name rule (against the model's own pattern), the lifecycle policy and the
repository policy checks (any text is taken or refused with a reason,
never a crash; documents built from their grammar are taken).
"""

from __future__ import annotations

import json
import re

from botocore.session import get_session
from hypothesis import given
from hypothesis import strategies as st

from ruststack.ecr import policies
from ruststack.ecr.validation import MAX_NAME, MIN_NAME, QUOTED_PATTERN, name_problem

MODEL_PATTERN = get_session().get_service_model("ecr").shape_for("RepositoryName").metadata["pattern"]

_component = st.from_regex(r"[a-z0-9]{1,6}(([._]|__|-{1,3})[a-z0-9]{1,6}){0,3}", fullmatch=True)
good_names = st.lists(_component, min_size=1, max_size=4).map("/".join).filter(lambda n: MIN_NAME <= len(n) <= MAX_NAME)


@given(good_names)
def test_names_of_the_grammar_are_taken(name):
    assert name_problem(name) is None


@given(st.text(alphabet="aZ0._-/:_ ", max_size=300))
def test_a_name_is_refused_exactly_when_the_model_refuses_it(name):
    model_takes = MIN_NAME <= len(name) <= MAX_NAME and re.fullmatch(MODEL_PATTERN, name) is not None
    problem = name_problem(name)
    assert (problem is None) == model_takes
    if problem is not None:
        assert problem in (
            f"must have length greater than or equal to {MIN_NAME}",
            f"must have length less than or equal to {MAX_NAME}",
            f"must satisfy regular expression '{QUOTED_PATTERN}'",
        )


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)
_known_keys = st.sampled_from(
    ["rules", "rulePriority", "selection", "action", "type", "tagStatus", "countType", "countNumber", "countUnit"]
)
_near_policy = st.recursive(
    st.integers(-1, 3) | st.sampled_from(["expire", "any", "tagged", "imageCountMoreThan", "days", "x"]),
    lambda children: st.lists(children, max_size=2) | st.dictionaries(_known_keys, children, max_size=4),
    max_leaves=15,
)


@given(st.one_of(st.text(max_size=50), _json.map(json.dumps), _near_policy.map(json.dumps)))
def test_any_lifecycle_policy_is_taken_or_refused_with_a_reason(text):
    try:
        policies.check_lifecycle(text)
    except policies.InvalidPolicy as e:
        assert e.reason


_selection = st.fixed_dictionaries(
    {
        "tagStatus": st.sampled_from(["any", "tagged", "untagged"]),
        "countType": st.just("imageCountMoreThan"),
        "countNumber": st.integers(1, 1000),
    },
    optional={"tagPrefixList": st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=2)},
)
_rules = st.lists(
    st.fixed_dictionaries(
        {"selection": _selection, "action": st.just({"type": "expire"})},
        optional={"description": st.text(max_size=20)},
    ),
    min_size=1,
    max_size=4,
).map(lambda rules: [{"rulePriority": index + 1, **rule} for index, rule in enumerate(rules)])


@given(_rules)
def test_lifecycle_policies_of_the_schema_are_taken(rules):
    policies.check_lifecycle(json.dumps({"rules": rules}))


_statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Principal": st.sampled_from(
            ["*", {"AWS": "arn:aws:iam::111122223333:root"}, {"Service": "lambda.amazonaws.com"}]
        ),
        "Action": st.one_of(
            st.sampled_from(["*", "ecr:*", "ecr:BatchGetImage"]),
            st.lists(st.sampled_from(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ECR:PutImage"]), min_size=1),
        ),
    },
    optional={"Sid": st.text(alphabet="abc123", min_size=1, max_size=8)},
)


@given(st.lists(_statement, min_size=1, max_size=3), st.sampled_from(["2012-10-17", "2008-10-17"]))
def test_repository_policies_of_the_grammar_are_taken(statements, version):
    policies.check_repository_policy(json.dumps({"Version": version, "Statement": statements}))


@given(st.one_of(st.text(max_size=50), _json.map(json.dumps)))
def test_any_repository_policy_is_taken_or_refused(text):
    try:
        policies.check_repository_policy(text)
    except policies.InvalidPolicy as e:
        assert e.reason == "Invalid repository policy provided"
