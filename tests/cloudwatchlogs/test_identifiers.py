"""
Log groups named by users: C{logGroupIdentifier} (a name or an ARN) and the
tagging APIs' C{resourceArn}, by property: any text finds the caller's own
group or answers AWS's error, never another account's group and never a
crash.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.cloudwatchlogs.operations import Call, _group_name_of, _tagged_group
from ruststack.cloudwatchlogs.store import LogGroup, LogStore

ME, OTHER = "111111111111", "222222222222"
names = st.text(st.sampled_from("abc/._-#"), min_size=1, max_size=10)


def store_with(name: str) -> LogStore:
    store = LogStore()
    for account in (ME, OTHER):
        store.add_group(LogGroup(account, "us-east-1", name, 0))
    return store


@settings(max_examples=300, deadline=None)
@given(names, st.sampled_from([ME, OTHER]), st.sampled_from(["us-east-1", "eu-west-1"]), st.booleans())
def test_arns_find_only_the_callers_group(name, account, region, wildcard):
    call = Call(store_with(name), ME, "us-east-1", 0)
    arn = f"arn:aws:logs:{region}:{account}:log-group:{name}" + (":*" if wildcard else "")
    try:
        found = _group_name_of(call, arn)
    except AwsError as error:
        assert (account, region) != (ME, "us-east-1")
        assert (error.code, error.message) == ("ResourceNotFoundException", "The specified log group does not exist.")
        return
    assert (account, region, found) == (ME, "us-east-1", name)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_any_identifier_is_a_name_or_not_found(text):
    call = Call(store_with("g"), ME, "us-east-1", 0)
    try:
        name = _group_name_of(call, text)
    except AwsError as error:
        assert error.code == "ResourceNotFoundException"
        return
    assert isinstance(name, str)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), names.map(lambda n: f"arn:aws:logs:us-east-1:{OTHER}:log-group:{n}")))
def test_any_resource_arn_is_the_callers_group_or_an_error(text):
    store = store_with("g")
    call = Call(store, ME, "us-east-1", 0)
    try:
        group = _tagged_group(call, text)
    except AwsError as error:
        assert error.code in ("InvalidParameterException", "ResourceNotFoundException")
        return
    assert group.account == ME
