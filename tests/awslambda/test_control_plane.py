"""
The control plane through boto3: shapes botocore parses, AWS's errors, the
waiters, the resource policy, concurrency settings.
"""

from __future__ import annotations

import io
import json
import stat
import urllib.request
import zipfile

import boto3
import pytest

from tests.awslambda import functions
from tests.awslambda.functions import create


def test_create_get_list_delete(lambda_client, role):
    created = lambda_client.create_function(
        FunctionName="shapes",
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": functions.package({"app.py": functions.ECHO})},
        Description="a function",
        Timeout=30,
        MemorySize=512,
        Environment={"Variables": {"AB": "1"}},
        Tags={"team": "x"},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(created["ResponseMetadata"]["RequestId"]) == 36
    assert created["State"] == "Pending"
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:shapes"
    assert created["Version"] == "$LATEST" and created["PackageType"] == "Zip"
    assert created["Timeout"] == 30 and created["MemorySize"] == 512
    assert created["Environment"] == {"Variables": {"AB": "1"}}
    assert len(created["CodeSha256"]) == 44 and created["CodeSize"] > 0
    lambda_client.get_waiter("function_active_v2").wait(FunctionName="shapes", WaiterConfig={"Delay": 0.1})
    got = lambda_client.get_function(FunctionName="shapes")
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Configuration"]["CodeSha256"] == created["CodeSha256"]
    assert got["Tags"] == {"team": "x"}
    assert got["Code"]["RepositoryType"] == "S3"
    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        downloaded = response.read()
    assert zipfile.ZipFile(io.BytesIO(downloaded)).read("app.py").decode().strip().startswith("import os")
    config = lambda_client.get_function_configuration(FunctionName="shapes")
    assert config["Description"] == "a function" and config["Role"] == role
    names = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]
    assert names == ["shapes"]
    deleted = lambda_client.delete_function(FunctionName="shapes")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.get_function(FunctionName="shapes")
    assert raised.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_functions_pages(lambda_client, role):
    for n in range(7):
        lambda_client.create_function(
            FunctionName=f"page-{n}",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": functions.package({"app.py": functions.ECHO})},
        )
    first = lambda_client.list_functions(MaxItems=3)
    assert [f["FunctionName"] for f in first["Functions"]] == ["page-0", "page-1", "page-2"]
    seen = [
        f["FunctionName"]
        for page in lambda_client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 3})
        for f in page["Functions"]
    ]
    assert seen == [f"page-{n}" for n in range(7)]


def test_duplicate_function_conflicts(lambda_client):
    create(lambda_client, "twice", functions.ECHO)
    with pytest.raises(lambda_client.exceptions.ResourceConflictException) as raised:
        create(lambda_client, "twice", functions.ECHO)
    assert raised.value.response["Error"]["Message"] == "Function already exist: twice"


@pytest.mark.parametrize(
    "settings, code",
    [
        ({"Runtime": "python9.9"}, "InvalidParameterValueException"),
        ({"Handler": "has space"}, "ValidationException"),
        ({"Timeout": 901}, "ValidationException"),
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException"),
    ],
)
def test_bad_settings_are_refused(lambda_client, role, settings, code):
    arguments = {
        "FunctionName": "bad",
        "Runtime": "python3.11",
        "Role": role,
        "Handler": "app.handler",
        "Code": {"ZipFile": functions.package({"app.py": functions.ECHO})},
        **settings,
    }
    with pytest.raises(lambda_client.exceptions.ClientError) as raised:
        lambda_client.create_function(**arguments)
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_role_must_exist_in_the_functions_account(lambda_client, role):
    """
    As AWS: Lambda cannot assume a role that does not exist, nor one of
    another account; UpdateFunctionConfiguration checks it too.
    """
    missing = role.replace(":role/lambda-role", ":role/no-such-role")
    elsewhere = role.replace(role.split(":")[4], "999999999999")
    settings = {"Runtime": "python3.11", "Handler": "a.h", "Code": {"ZipFile": functions.package({"app.py": "x"})}}
    for bad in (missing, elsewhere):
        with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
            lambda_client.create_function(FunctionName="roles", Role=bad, **settings)
        message = raised.value.response["Error"]["Message"]
        assert message == "The role defined for the function cannot be assumed by Lambda."
    lambda_client.create_function(FunctionName="roles", Role=role, **settings)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.update_function_configuration(FunctionName="roles", Role=missing)
    assert lambda_client.get_function_configuration(FunctionName="roles")["Role"] == role


def test_bad_zip_is_refused(lambda_client, role):
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as raised:
        lambda_client.create_function(
            FunctionName="not-a-zip", Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": b"nope"}
        )
    assert raised.value.response["Error"]["Message"].startswith("Could not unzip uploaded file.")


def _zip_with(name: str, data: bytes = b"x", mode: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", functions.ECHO)
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.external_attr = mode << 16
        archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "package",
    [
        _zip_with("../escape.py"),
        _zip_with("/etc/absolute.py"),
        _zip_with("link", b"../../../../etc/passwd", stat.S_IFLNK | 0o777),
        _zip_with("link", b"/etc/passwd", stat.S_IFLNK | 0o777),
    ],
    ids=["zip-slip", "absolute", "symlink-out", "symlink-absolute"],
)
def test_escaping_zips_are_refused(lambda_client, role, package):
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.create_function(
            FunctionName="escape", Runtime="python3.11", Role=role, Handler="app.handler", Code={"ZipFile": package}
        )
    assert lambda_client.list_functions()["Functions"] == []


def test_update_code_and_configuration_with_waiters(lambda_client):
    created = create(lambda_client, "changing", functions.ECHO)
    updated = lambda_client.update_function_code(
        FunctionName="changing", ZipFile=functions.package({"app.py": functions.RAISES})
    )
    assert updated["CodeSha256"] != created["CodeSha256"]
    assert updated["RevisionId"] != created["RevisionId"]
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName="changing", WaiterConfig={"Delay": 0.1})
    configured = lambda_client.update_function_configuration(FunctionName="changing", Timeout=42, Description="new")
    assert configured["Timeout"] == 42 and configured["Description"] == "new"
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName="changing", WaiterConfig={"Delay": 0.1})
    with pytest.raises(lambda_client.exceptions.PreconditionFailedException):
        lambda_client.update_function_configuration(
            FunctionName="changing", Timeout=5, RevisionId=created["RevisionId"]
        )


def test_permissions_and_policy(lambda_client):
    create(lambda_client, "guarded", functions.ECHO)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_policy(FunctionName="guarded")
    source_arn = "arn:aws:execute-api:us-east-1:000000000000:abc123/*/GET/items"
    added = lambda_client.add_permission(
        FunctionName="guarded",
        StatementId="apigateway-invoke",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "apigateway-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": "arn:aws:lambda:us-east-1:000000000000:function:guarded",
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
    }
    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        lambda_client.add_permission(
            FunctionName="guarded", StatementId="apigateway-invoke", Action="lambda:InvokeFunction", Principal="*"
        )
    document = json.loads(lambda_client.get_policy(FunctionName="guarded")["Policy"])
    assert document["Version"] == "2012-10-17"
    assert [s["Sid"] for s in document["Statement"]] == ["apigateway-invoke"]
    lambda_client.remove_permission(FunctionName="guarded", StatementId="apigateway-invoke")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.remove_permission(FunctionName="guarded", StatementId="apigateway-invoke")


def test_function_concurrency_settings(lambda_client):
    create(lambda_client, "limited", functions.ECHO)
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(FunctionName="limited")
    lambda_client.put_function_concurrency(FunctionName="limited", ReservedConcurrentExecutions=3)
    assert lambda_client.get_function_concurrency(FunctionName="limited")["ReservedConcurrentExecutions"] == 3
    assert lambda_client.get_function(FunctionName="limited")["Concurrency"] == {"ReservedConcurrentExecutions": 3}
    lambda_client.delete_function_concurrency(FunctionName="limited")
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(FunctionName="limited")
    settings = lambda_client.get_account_settings()
    assert settings["AccountUsage"]["FunctionCount"] == 1


def test_functions_are_per_region(stack, lambda_client):
    create(lambda_client, "regional", functions.ECHO)
    elsewhere = boto3.client(
        "lambda",
        endpoint_url=stack.endpoint_url,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    assert elsewhere.list_functions()["Functions"] == []
    with pytest.raises(elsewhere.exceptions.ResourceNotFoundException):
        elsewhere.get_function(FunctionName="regional")


def test_tags_and_versions(lambda_client):
    arn = create(lambda_client, "tagged", functions.ECHO, Tags={"a": "1"})["FunctionArn"]
    lambda_client.tag_resource(Resource=arn, Tags={"b": "2", "c": "3"})
    lambda_client.untag_resource(Resource=arn, TagKeys=["c"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
    versions = lambda_client.list_versions_by_function(FunctionName="tagged")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]


def test_no_aliases_or_function_urls(lambda_client):
    # Neither can be made here (no CreateAlias, no CreateFunctionUrlConfig):
    # looking for one is answered as AWS answers for a function without any.
    arn = create(lambda_client, "plain", functions.ECHO)["FunctionArn"]
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as excinfo:
        lambda_client.get_alias(FunctionName="plain", Name="live")
    assert excinfo.value.response["Error"]["Message"] == f"Cannot find alias arn: {arn}:live"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert lambda_client.list_aliases(FunctionName="plain")["Aliases"] == []
    assert lambda_client.list_function_url_configs(FunctionName=arn)["FunctionUrlConfigs"] == []
    for look in (
        lambda: lambda_client.get_alias(FunctionName="missing", Name="live"),
        lambda: lambda_client.list_aliases(FunctionName="missing"),
        lambda: lambda_client.list_function_url_configs(FunctionName="missing"),
    ):
        with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
            look()
