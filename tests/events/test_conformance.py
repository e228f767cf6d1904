"""
EventBridge against botocore's events model, through boto3 over a real
socket, generated from the model: every operation RustStack does not have
answers 501 NotImplemented; every one it has refuses an input missing a
required member with EventBridge's validation error.
"""

from __future__ import annotations

import pytest
from botocore.session import get_session

from tests import conformance

MODEL = get_session().get_service_model("events")
# What RustStack's EventBridge serves (docs/events.md).
IMPLEMENTED = sorted(
    """
    PutRule DescribeRule ListRules DeleteRule EnableRule DisableRule PutTargets RemoveTargets ListTargetsByRule
    ListRuleNamesByTarget TagResource UntagResource ListTagsForResource DescribeEventBus
    """.split()
)
MISSING = sorted(set(MODEL.operation_names) - set(IMPLEMENTED))


@pytest.fixture(scope="module")
def raw_events(events_stack):
    return events_stack.client("events", config=conformance.UNCHECKED)


@pytest.mark.parametrize("operation", MISSING)
def test_an_operation_ruststack_lacks_answers_not_implemented(raw_events, operation):
    conformance.assert_not_implemented(raw_events, MODEL, operation, "EventBridge")


REQUIRED_MEMBERS = conformance.required_members(MODEL, IMPLEMENTED)


@pytest.mark.parametrize(("operation", "member"), REQUIRED_MEMBERS)
def test_a_missing_required_member_is_refused_as_eventbridge_does(raw_events, operation, member):
    error = conformance.assert_refused_without(raw_events, MODEL, operation, member, "ValidationException")
    assert conformance.null_member_message(member) in error.response["Error"]["Message"]


def test_the_generated_cases_cover_the_model():
    from ruststack.events import operations

    assert sorted(operations.HANDLERS) == IMPLEMENTED
    assert len(IMPLEMENTED) + len(MISSING) == len(MODEL.operation_names)
    assert ("PutTargets", "Targets") in REQUIRED_MEMBERS and ("ListRuleNamesByTarget", "TargetArn") in REQUIRED_MEMBERS
