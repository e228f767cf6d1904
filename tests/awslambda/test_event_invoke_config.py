"""
Put/Get/Update/Delete/ListFunctionEventInvokeConfigs through boto3: shapes,
qualifiers, destinations and Lambda's errors.
"""

from __future__ import annotations

import datetime

import pytest

from tests import conformance
from tests.awslambda import functions
from tests.awslambda.functions import create

REGION = "us-east-1"
ACCOUNT = "000000000000"


def _arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def _error(raised) -> tuple[int, str, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


@pytest.fixture
def fn(lambda_client):
    create(lambda_client, "fn", functions.ECHO)
    create(lambda_client, "target", functions.ECHO)
    return lambda_client


def _public(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def test_put_get_update_delete(fn):
    before = datetime.datetime.now(datetime.UTC)
    put = _public(fn.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1))
    modified = put.pop("LastModified")
    assert abs((modified - before).total_seconds()) < 5
    assert put == {
        "FunctionArn": _arn("fn") + ":$LATEST",
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}},
    }
    assert _public(fn.get_function_event_invoke_config(FunctionName="fn")) == {**put, "LastModified": modified}
    updated = _public(
        fn.update_function_event_invoke_config(
            FunctionName="fn",
            MaximumEventAgeInSeconds=120,
            DestinationConfig={"OnSuccess": {"Destination": _arn("target")}},
        )
    )
    assert updated["MaximumRetryAttempts"] == 1 and updated["MaximumEventAgeInSeconds"] == 120
    assert updated["DestinationConfig"] == {"OnSuccess": {"Destination": _arn("target")}, "OnFailure": {}}
    assert updated["LastModified"] >= modified
    # Put replaces the whole configuration: what it leaves out is removed.
    again = _public(fn.put_function_event_invoke_config(FunctionName="fn", MaximumEventAgeInSeconds=60))
    assert "MaximumRetryAttempts" not in again and again["MaximumEventAgeInSeconds"] == 60
    fn.delete_function_event_invoke_config(FunctionName="fn")
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.get_function_event_invoke_config(FunctionName="fn")
    assert _error(raised) == (
        404,
        "ResourceNotFoundException",
        f"The function {_arn('fn')}:$LATEST doesn't have an EventInvokeConfig",
    )


def test_qualifiers_and_list(fn):
    fn.publish_version(FunctionName="fn")
    fn.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    fn.put_function_event_invoke_config(FunctionName="fn:live", MaximumRetryAttempts=0)
    fn.put_function_event_invoke_config(FunctionName="fn", Qualifier="1", MaximumRetryAttempts=1)
    fn.put_function_event_invoke_config(FunctionName=_arn("fn"), MaximumRetryAttempts=2)
    listed = fn.list_function_event_invoke_configs(FunctionName="fn")["FunctionEventInvokeConfigs"]
    assert [(c["FunctionArn"], c["MaximumRetryAttempts"]) for c in listed] == [
        (_arn("fn") + ":$LATEST", 2),
        (_arn("fn") + ":1", 1),
        (_arn("fn") + ":live", 0),
    ]
    page = fn.list_function_event_invoke_configs(FunctionName="fn", MaxItems=2)
    assert len(page["FunctionEventInvokeConfigs"]) == 2
    rest = fn.list_function_event_invoke_configs(FunctionName="fn", Marker=page["NextMarker"])
    assert [c["FunctionArn"] for c in rest["FunctionEventInvokeConfigs"]] == [_arn("fn") + ":live"]
    # A deleted alias takes its configuration with it.
    fn.delete_alias(FunctionName="fn", Name="live")
    listed = fn.list_function_event_invoke_configs(FunctionName="fn")["FunctionEventInvokeConfigs"]
    assert len(listed) == 2
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.put_function_event_invoke_config(FunctionName="fn", Qualifier="7", MaximumRetryAttempts=0)
    assert _error(raised) == (404, "ResourceNotFoundException", "The function doesn't exist.")


def test_destinations_of_other_services_are_stored(fn):
    config = {
        "OnSuccess": {"Destination": f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue"},
        "OnFailure": {"Destination": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"},
    }
    fn.put_function_event_invoke_config(FunctionName="fn", DestinationConfig=config)
    assert fn.get_function_event_invoke_config(FunctionName="fn")["DestinationConfig"] == config
    failure_only = {"OnFailure": {"Destination": "arn:aws:s3:::bucket"}}
    answer = fn.put_function_event_invoke_config(FunctionName="fn", DestinationConfig=failure_only)
    assert answer["DestinationConfig"] == {"OnSuccess": {}, **failure_only}


@pytest.mark.parametrize(
    "params, expected",
    [
        (
            {},
            (
                400,
                "InvalidParameterValueException",
                "You must specify at least one of error handling or destination setting.",
            ),
        ),
        (
            {"MaximumRetryAttempts": 3},
            (
                400,
                "ValidationException",
                "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint:"
                " Member must have value less than or equal to 2",
            ),
        ),
        (
            {"MaximumEventAgeInSeconds": 59},
            (
                400,
                "ValidationException",
                "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint:"
                " Member must have value greater than or equal to 60",
            ),
        ),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": _arn("missing")}}},
            (400, "InvalidParameterValueException", f"The destination ARN {_arn('missing')} is invalid."),
        ),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": _arn("fn")}}},
            (400, "InvalidParameterValueException", "You can't specify the function as a destination for itself."),
        ),
        (
            {"DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}}},
            (
                400,
                "InvalidParameterValueException",
                "The provided destination config DestinationConfig("
                "onSuccess=OnSuccess(destination=arn:aws:s3:::bucket), onFailure=null) is invalid.",
            ),
        ),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"}}},
            (
                400,
                "InvalidParameterValueException",
                "The provided destination config DestinationConfig(onSuccess=null,"
                f" onFailure=OnFailure(destination=arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t)) is invalid.",
            ),
        ),
    ],
)
def test_refused_as_lambda_refuses(fn, stack, params, expected):
    # Client-side validation off: botocore refuses an age under 60 itself.
    fn = stack.client("lambda", config=conformance.UNCHECKED)
    for operation in (fn.put_function_event_invoke_config, fn.update_function_event_invoke_config):
        if operation == fn.update_function_event_invoke_config:
            fn.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=2)
        with pytest.raises(fn.exceptions.ClientError) as raised:
            operation(FunctionName="fn", **params)
        assert _error(raised) == expected


def test_missing_function_or_configuration(fn):
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.put_function_event_invoke_config(FunctionName="nope", MaximumRetryAttempts=0)
    assert _error(raised) == (404, "ResourceNotFoundException", "The function doesn't exist.")
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.update_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    assert _error(raised)[2] == f"The function {_arn('fn')}:$LATEST doesn't have an EventInvokeConfig"
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.delete_function_event_invoke_config(FunctionName="nope")
    assert _error(raised)[2] == f"The function {_arn('nope')}:$LATEST doesn't have an EventInvokeConfig"
    with pytest.raises(fn.exceptions.ResourceNotFoundException) as raised:
        fn.list_function_event_invoke_configs(FunctionName="nope")
    assert _error(raised) == (404, "ResourceNotFoundException", "The function doesn't exist.")
    assert fn.list_function_event_invoke_configs(FunctionName="fn")["FunctionEventInvokeConfigs"] == []


def test_another_account_is_denied(fn, stack):
    other = stack.client("lambda", aws_access_key_id="222222222222")
    with pytest.raises(other.exceptions.ClientError) as raised:
        other.put_function_event_invoke_config(FunctionName=_arn("fn"), MaximumRetryAttempts=0)
    assert _error(raised)[:2] == (403, "AccessDeniedException")


def test_configurations_survive_a_restart(tmp_path):
    from tests.awslambda.conftest import _start

    first = _start("--data-dir", str(tmp_path))
    try:
        client = first.client("lambda")
        create(client, "kept", functions.ECHO)
        client.put_function_event_invoke_config(FunctionName="kept", MaximumRetryAttempts=1)
        client.put_function_recursion_config(FunctionName="kept", RecursiveLoop="Allow")
    finally:
        first.stop()
    second = _start("--data-dir", str(tmp_path))
    try:
        client = second.client("lambda")
        assert client.get_function_event_invoke_config(FunctionName="kept")["MaximumRetryAttempts"] == 1
        assert client.get_function_recursion_config(FunctionName="kept")["RecursiveLoop"] == "Allow"
    finally:
        second.stop()
