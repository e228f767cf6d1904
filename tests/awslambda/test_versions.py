"""
Published versions through boto3: PublishVersion's preconditions and its
answer when nothing changed, ListVersionsByFunction's pages, the qualifier
on GetFunction / GetFunctionConfiguration / Invoke / DeleteFunction, the
snapshot a version is, and its warm environments of its own (both
executors).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.awslambda import functions
from tests.awslambda.functions import create

ARN = "arn:aws:lambda:us-east-1:000000000000:function"

# What a version answers with (its code is replaced in $LATEST afterwards).
SAYS = """
import os

def handler(event, context):
    return {{"says": "{word}", "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "arn": context.invoked_function_arn, "env": os.environ.get("MY_WORD")}}
"""


@pytest.fixture(params=["process", "docker"])
def stack(request):
    """
    The tests that invoke run with both executors.
    """
    return request.getfixturevalue(f"{request.param}_stack")


@pytest.fixture
def control(process_stack):
    """
    A client for the tests that do not invoke (one executor is enough).
    """
    process_stack.reset("lambda")
    return process_stack.client("lambda")


def invoke(client, name: str, **kwargs) -> tuple[dict, dict]:
    response = client.invoke(FunctionName=name, Payload=b"{}", **kwargs)
    return response, json.loads(response["Payload"].read())


def error_of(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


def update_code(client, name: str, source: str) -> None:
    client.update_function_code(FunctionName=name, ZipFile=functions.package({"app.py": source}))
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})


def test_a_version_is_a_snapshot_of_code_and_configuration(lambda_client, stack):
    create(lambda_client, "snap", SAYS.format(word="one"), Environment={"Variables": {"MY_WORD": "first"}})
    published = lambda_client.publish_version(FunctionName="snap", Description="the first")
    assert published["Version"] == "1"
    assert published["FunctionArn"] == f"{ARN}:snap:1"
    assert published["Description"] == "the first"
    # $LATEST moves on; version 1 does not.
    update_code(lambda_client, "snap", SAYS.format(word="two"))
    lambda_client.update_function_configuration(FunctionName="snap", Environment={"Variables": {"MY_WORD": "second"}})
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName="snap", WaiterConfig={"Delay": 0.1})
    response, body = invoke(lambda_client, "snap", Qualifier="1")
    assert response["ExecutedVersion"] == "1"
    assert body == {"says": "one", "version": "1", "arn": f"{ARN}:snap:1", "env": "first"}
    response, body = invoke(lambda_client, "snap")
    assert response["ExecutedVersion"] == "$LATEST"
    assert body == {"says": "two", "version": "$LATEST", "arn": f"{ARN}:snap", "env": "second"}
    # A qualified name does what Qualifier does.
    response, body = invoke(lambda_client, "snap:1")
    assert (response["ExecutedVersion"], body["says"]) == ("1", "one")
    response, body = invoke(lambda_client, f"{ARN}:snap:$LATEST")
    assert (response["ExecutedVersion"], body["says"]) == ("$LATEST", "two")
    configuration = lambda_client.get_function_configuration(FunctionName="snap", Qualifier="1")
    assert configuration["Environment"] == {"Variables": {"MY_WORD": "first"}}
    assert configuration["CodeSha256"] == published["CodeSha256"]
    assert configuration["Version"] == "1"


def test_warm_environments_are_per_version(lambda_client, stack):
    create(lambda_client, "warm", functions.ECHO)
    lambda_client.publish_version(FunctionName="warm")
    _, latest = invoke(lambda_client, "warm")
    _, one = invoke(lambda_client, "warm", Qualifier="1")
    assert latest["environment_id"] != one["environment_id"]
    assert one["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
    assert one["env"]["AWS_LAMBDA_LOG_STREAM_NAME"].split("/")[-1].startswith("[1]")
    # Each is reused by its own version only.
    _, again = invoke(lambda_client, "warm", Qualifier="1")
    assert (again["environment_id"], again["calls"]) == (one["environment_id"], 2)
    _, latest_again = invoke(lambda_client, "warm")
    assert (latest_again["environment_id"], latest_again["calls"]) == (latest["environment_id"], 2)


def test_publishing_unchanged_code_and_configuration_returns_the_version(control):
    create(control, "same", functions.ECHO)
    first = control.publish_version(FunctionName="same")
    again = control.publish_version(FunctionName="same", Description="ignored")
    assert again["Version"] == "1"
    assert again["RevisionId"] == first["RevisionId"]
    control.update_function_configuration(FunctionName="same", Timeout=5)
    control.get_waiter("function_updated_v2").wait(FunctionName="same", WaiterConfig={"Delay": 0.1})
    assert control.publish_version(FunctionName="same")["Version"] == "2"
    # Numbers are never reused, even once a version is deleted.
    control.delete_function(FunctionName="same", Qualifier="2")
    control.update_function_configuration(FunctionName="same", Timeout=6)
    control.get_waiter("function_updated_v2").wait(FunctionName="same", WaiterConfig={"Delay": 0.1})
    assert control.publish_version(FunctionName="same")["Version"] == "3"


def test_publish_version_preconditions(control):
    created = create(control, "pre", functions.ECHO)
    latest = control.get_function_configuration(FunctionName="pre")
    wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    error = error_of(control.publish_version, FunctionName="pre", CodeSha256=wrong)
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"] == (
        f"CodeSHA256 ({wrong}) is different from current CodeSHA256 in $LATEST ({created['CodeSha256']})."
        " Please try again with the CodeSHA256 in $LATEST."
    )
    error = error_of(control.publish_version, FunctionName="pre", RevisionId="not-the-revision")
    assert error["Error"]["Code"] == "PreconditionFailedException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert error["Error"]["Message"] == (
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API"
        " to retrieve the latest Revision Id"
    )
    assert control.list_versions_by_function(FunctionName="pre")["Versions"][-1]["Version"] == "$LATEST"
    published = control.publish_version(
        FunctionName="pre", CodeSha256=created["CodeSha256"], RevisionId=latest["RevisionId"]
    )
    assert published["Version"] == "1"


def test_list_versions_pages_with_latest_first(control):
    create(control, "many", functions.ECHO)
    for timeout in range(4, 8):
        control.update_function_configuration(FunctionName="many", Timeout=timeout)
        control.get_waiter("function_updated_v2").wait(FunctionName="many", WaiterConfig={"Delay": 0.1})
        control.publish_version(FunctionName="many")
    listed = control.list_versions_by_function(FunctionName="many")["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2", "3", "4"]
    assert [v["FunctionArn"] for v in listed][:2] == [f"{ARN}:many", f"{ARN}:many:1"]
    assert [v["Timeout"] for v in listed] == [7, 4, 5, 6, 7]
    first = control.list_versions_by_function(FunctionName="many", MaxItems=2)
    assert [v["Version"] for v in first["Versions"]] == ["$LATEST", "1"]
    rest = control.list_versions_by_function(FunctionName="many", MaxItems=2, Marker=first["NextMarker"])
    assert [v["Version"] for v in rest["Versions"]] == ["2", "3"]
    last = control.list_versions_by_function(FunctionName="many", MaxItems=2, Marker=rest["NextMarker"])
    assert [v["Version"] for v in last["Versions"]] == ["4"] and "NextMarker" not in last
    # boto3's paginator follows the markers.
    paginator = control.get_paginator("list_versions_by_function")
    pages = paginator.paginate(FunctionName="many", PaginationConfig={"PageSize": 3})
    assert [v["Version"] for page in pages for v in page["Versions"]] == ["$LATEST", "1", "2", "3", "4"]


def test_unknown_qualifiers(control):
    create(control, "q", functions.ECHO)
    for call in (control.get_function, control.get_function_configuration, control.invoke):
        for qualifier in ("7", "nosuchalias"):
            error = error_of(call, FunctionName="q", Qualifier=qualifier)
            assert error["Error"]["Code"] == "ResourceNotFoundException"
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
            assert error["Error"]["Message"] == f"Function not found: {ARN}:q:{qualifier}"
    error = error_of(control.invoke, FunctionName="q:3")
    assert error["Error"]["Message"] == f"Function not found: {ARN}:q:3"
    error = error_of(control.delete_function, FunctionName="q", Qualifier="3")
    assert error["Error"]["Message"] == f"Function not found: {ARN}:q:3"
    error = error_of(control.delete_function, FunctionName="q", Qualifier="$LATEST")
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["Error"]["Message"] == "$LATEST version cannot be deleted without deleting the function."


def test_get_function_of_a_version_downloads_its_own_code(control):
    create(control, "code", SAYS.format(word="old"))
    control.publish_version(FunctionName="code")
    update_code(control, "code", SAYS.format(word="new"))
    old = control.get_function(FunctionName="code", Qualifier="1")
    new = control.get_function(FunctionName="code")
    assert old["Configuration"]["Version"] == "1"
    assert old["Code"]["Location"] != new["Code"]["Location"]
    with urllib.request.urlopen(old["Code"]["Location"]) as response:
        assert response.read() == functions.package({"app.py": SAYS.format(word="old")})


def test_deleting_versions_and_the_function(control, process_stack):
    create(control, "gone", SAYS.format(word="v1"))
    control.publish_version(FunctionName="gone")
    location = control.get_function(FunctionName="gone", Qualifier="1")["Code"]["Location"]
    update_code(control, "gone", SAYS.format(word="v2"))
    control.publish_version(FunctionName="gone")
    control.create_alias(FunctionName="gone", Name="live", FunctionVersion="2")
    error = error_of(control.delete_function, FunctionName="gone", Qualifier="2")
    assert error["Error"]["Code"] == "ResourceConflictException"
    assert error["Error"]["Message"] == "Unable to delete version because the following aliases reference it: [live]"
    # Version 1's code stays for as long as version 1 does.
    with urllib.request.urlopen(location) as response:
        assert response.status == 200
    control.delete_function(FunctionName="gone", Qualifier="1")
    assert [v["Version"] for v in control.list_versions_by_function(FunctionName="gone")["Versions"]] == [
        "$LATEST",
        "2",
    ]
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(location)
    assert raised.value.code == 404
    control.delete_function(FunctionName="gone")
    error = error_of(control.get_function, FunctionName="gone", Qualifier="2")
    assert error["Error"]["Message"] == f"Function not found: {ARN}:gone:2"


def test_create_and_update_with_publish(control):
    created = functions.create_from(
        control, "pub", {"ZipFile": functions.package({"app.py": functions.ECHO})}, Publish=True
    )
    assert (created["Version"], created["FunctionArn"]) == ("1", f"{ARN}:pub:1")
    control.get_waiter("function_active_v2").wait(FunctionName="pub", WaiterConfig={"Delay": 0.1})
    updated = control.update_function_code(
        FunctionName="pub", ZipFile=functions.package({"app.py": SAYS.format(word="x")}), Publish=True
    )
    assert updated["Version"] == "2"
    _, body = invoke(control, "pub:2")
    assert body["says"] == "x"


def test_a_deleted_functions_package_goes_once_its_environment_has_ended(control):
    create(control, "ran", functions.ECHO)
    location = control.get_function(FunctionName="ran")["Code"]["Location"]
    invoke(control, "ran")  # an environment runs the package
    control.delete_function(FunctionName="ran")
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(location).close()
        except urllib.error.HTTPError as error:
            assert error.code == 404
            break
        assert time.monotonic() < deadline, "the package outlived its function"
        time.sleep(0.1)
