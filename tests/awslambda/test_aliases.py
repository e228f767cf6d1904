"""
Aliases through boto3 and the AWS CLI: create, get, update, delete and list
(with the FunctionVersion filter), their errors, invocation through an alias
(ExecutedVersion, the alias ARN the function sees), routing weights honoured
at invoke, and resource policies per qualifier.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.awslambda.functions import create
from tests.cli import needs_cli, run_aws

ARN = "arn:aws:lambda:us-east-1:000000000000:function"

WHICH = """
import os

def handler(event, context):
    return {"version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"], "arn": context.invoked_function_arn}
"""


@pytest.fixture(params=["process", "docker"])
def stack(request):
    return request.getfixturevalue(f"{request.param}_stack")


@pytest.fixture
def control(process_stack):
    process_stack.reset("lambda")
    return process_stack.client("lambda")


def error_of(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


def two_versions(client, name: str) -> None:
    create(client, name, WHICH)
    client.publish_version(FunctionName=name)
    client.update_function_configuration(FunctionName=name, Timeout=11)
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1})
    client.publish_version(FunctionName=name)


def test_alias_lifecycle(control):
    two_versions(control, "al")
    made = control.create_alias(FunctionName="al", Name="live", FunctionVersion="1", Description="prod")
    assert made["AliasArn"] == f"{ARN}:al:live"
    assert (made["Name"], made["FunctionVersion"], made["Description"]) == ("live", "1", "prod")
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    got = control.get_alias(FunctionName="al", Name="live")
    assert got["RevisionId"] == made["RevisionId"]
    # Asked by the alias, the configuration is the version's, with the alias ARN.
    configuration = control.get_function_configuration(FunctionName="al", Qualifier="live")
    assert (configuration["Version"], configuration["FunctionArn"]) == ("1", f"{ARN}:al:live")
    assert control.get_function(FunctionName=f"{ARN}:al:live")["Configuration"]["Timeout"] == 10
    updated = control.update_alias(FunctionName="al", Name="live", FunctionVersion="2", RevisionId=got["RevisionId"])
    assert updated["FunctionVersion"] == "2" and updated["Description"] == "prod"
    assert updated["RevisionId"] != got["RevisionId"]
    error = error_of(control.update_alias, FunctionName="al", Name="live", RevisionId=got["RevisionId"])
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("PreconditionFailedException", 412)
    control.create_alias(FunctionName="al", Name="beta", FunctionVersion="1")
    control.create_alias(FunctionName="al", Name="edge", FunctionVersion="$LATEST")
    listed = control.list_aliases(FunctionName="al")["Aliases"]
    assert [a["Name"] for a in listed] == ["beta", "edge", "live"]
    assert [a["Name"] for a in control.list_aliases(FunctionName="al", FunctionVersion="1")["Aliases"]] == ["beta"]
    page = control.list_aliases(FunctionName="al", MaxItems=2)
    assert [a["Name"] for a in page["Aliases"]] == ["beta", "edge"]
    rest = control.list_aliases(FunctionName="al", MaxItems=2, Marker=page["NextMarker"])
    assert [a["Name"] for a in rest["Aliases"]] == ["live"] and "NextMarker" not in rest
    assert control.delete_alias(FunctionName="al", Name="beta")["ResponseMetadata"]["HTTPStatusCode"] == 204
    error = error_of(control.get_alias, FunctionName="al", Name="beta")
    assert error["Error"] == {"Code": "ResourceNotFoundException", "Message": f"Cannot find alias arn: {ARN}:al:beta"}
    # Once deleted, version 1 has no alias left and can go.
    control.delete_function(FunctionName="al", Qualifier="1")


def test_alias_errors(control):
    two_versions(control, "ae")
    control.create_alias(FunctionName="ae", Name="live", FunctionVersion="1")
    error = error_of(control.create_alias, FunctionName="ae", Name="live", FunctionVersion="2")
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceConflictException", 409)
    assert error["Error"]["Message"] == f"Alias already exists: {ARN}:ae:live"
    error = error_of(control.create_alias, FunctionName="ae", Name="next", FunctionVersion="9")
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "ResourceNotFoundException",
        f"Function not found: {ARN}:ae:9",
    )
    error = error_of(control.create_alias, FunctionName="ae", Name="12", FunctionVersion="1")
    assert error["Error"]["Code"] == "ValidationException"
    for call in (control.update_alias, control.delete_alias):
        error = error_of(call, FunctionName="ae", Name="nope")
        assert error["Error"]["Message"] == f"Alias not found: {ARN}:ae:nope"
    routing = {"AdditionalVersionWeights": {"1": 0.5}}
    error = error_of(control.create_alias, FunctionName="ae", Name="both", FunctionVersion="1", RoutingConfig=routing)
    assert error["Error"]["Message"] == (
        "Invalid function version 1. Function version 1 is already included in routing configuration."
    )
    error = error_of(
        control.create_alias, FunctionName="ae", Name="both", FunctionVersion="$LATEST", RoutingConfig=routing
    )
    assert error["Error"]["Message"] == "$LATEST is not supported for an alias pointing to more than 1 version"
    error = error_of(control.get_alias, FunctionName="missing", Name="live")
    assert error["Error"]["Message"] == f"Function not found: {ARN}:missing"


def test_invoke_through_an_alias(lambda_client, stack):
    two_versions(lambda_client, "via")
    lambda_client.create_alias(FunctionName="via", Name="live", FunctionVersion="2")
    response = lambda_client.invoke(FunctionName="via", Qualifier="live", Payload=b"{}")
    assert response["ExecutedVersion"] == "2"
    assert json.loads(response["Payload"].read()) == {"version": "2", "arn": f"{ARN}:via:live"}
    lambda_client.update_alias(FunctionName="via", Name="live", FunctionVersion="1")
    response = lambda_client.invoke(FunctionName="via:live", Payload=b"{}")
    assert response["ExecutedVersion"] == "1"
    assert json.loads(response["Payload"].read())["version"] == "1"


def test_routing_weights_are_honoured(lambda_client, stack):
    two_versions(lambda_client, "split")
    routing = {"AdditionalVersionWeights": {"2": 0.3}}
    made = lambda_client.create_alias(FunctionName="split", Name="canary", FunctionVersion="1", RoutingConfig=routing)
    assert made["RoutingConfig"] == routing
    executed = [
        lambda_client.invoke(FunctionName="split", Qualifier="canary", Payload=b"{}")["ExecutedVersion"]
        for _ in range(200)
    ]
    # 200 draws at 0.3: 60 expected, sd 6.5; the bounds are 5 sd away.
    assert 28 <= executed.count("2") <= 92
    assert executed.count("1") + executed.count("2") == 200
    # Weights removed, every invocation goes to the main version.
    lambda_client.update_alias(FunctionName="split", Name="canary", RoutingConfig={"AdditionalVersionWeights": {}})
    assert "RoutingConfig" not in lambda_client.get_alias(FunctionName="split", Name="canary")
    assert {lambda_client.invoke(FunctionName="split:canary", Payload=b"{}")["ExecutedVersion"] for _ in range(20)} == {
        "1"
    }
    # ListAliases' filter finds an alias by either of its versions.
    lambda_client.update_alias(FunctionName="split", Name="canary", RoutingConfig=routing)
    assert [a["Name"] for a in lambda_client.list_aliases(FunctionName="split", FunctionVersion="2")["Aliases"]] == [
        "canary"
    ]


def test_permissions_per_qualifier(control):
    two_versions(control, "perm")
    control.create_alias(FunctionName="perm", Name="live", FunctionVersion="1")
    statement = json.loads(
        control.add_permission(
            FunctionName="perm",
            Qualifier="live",
            StatementId="apigw",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        )["Statement"]
    )
    assert statement["Resource"] == f"{ARN}:perm:live"
    control.add_permission(
        FunctionName="perm:2", StatementId="v2", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
    )
    live = json.loads(control.get_policy(FunctionName="perm", Qualifier="live")["Policy"])
    assert [s["Sid"] for s in live["Statement"]] == ["apigw"]
    two = json.loads(control.get_policy(FunctionName="perm", Qualifier="2")["Policy"])
    assert [(s["Sid"], s["Resource"]) for s in two["Statement"]] == [("v2", f"{ARN}:perm:2")]
    # The function's own policy is apart, and empty.
    error = error_of(control.get_policy, FunctionName="perm")
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    error = error_of(
        control.add_permission,
        FunctionName="perm",
        Qualifier="$LATEST",
        StatementId="latest",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
    )
    assert error["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "We currently do not support adding policies for $LATEST.",
    }
    control.remove_permission(FunctionName="perm", Qualifier="live", StatementId="apigw")
    assert error_of(control.get_policy, FunctionName="perm", Qualifier="live")["Error"]["Code"] == (
        "ResourceNotFoundException"
    )


def test_cross_account_invoke_needs_the_qualifiers_own_permission(process_stack):
    process_stack.reset("lambda")
    owner = process_stack.client("lambda")
    # Without --auth verify, a 12-digit access key id names its account.
    other = process_stack.client("lambda", aws_access_key_id="111111111111", aws_secret_access_key="x")
    two_versions(owner, "shared")
    owner.create_alias(FunctionName="shared", Name="live", FunctionVersion="1")
    alias_arn = f"{ARN}:shared:live"
    # A permission on the function does not open its alias.
    owner.add_permission(
        FunctionName="shared", StatementId="fn", Action="lambda:InvokeFunction", Principal="111111111111"
    )
    error = error_of(other.invoke, FunctionName=alias_arn, Payload=b"{}")
    assert error["Error"]["Code"] == "AccessDeniedException"
    owner.add_permission(
        FunctionName="shared",
        Qualifier="live",
        StatementId="alias",
        Action="lambda:InvokeFunction",
        Principal="111111111111",
    )
    assert other.invoke(FunctionName=alias_arn, Payload=b"{}")["ExecutedVersion"] == "1"


@needs_cli
def test_cli(process_stack):
    process_stack.reset("lambda")
    client = process_stack.client("lambda")
    create(client, "cli", WHICH)

    def aws(*args: str, check: bool = True):
        return run_aws(process_stack.endpoint_url, "lambda", *args, check=check)

    published = json.loads(aws("publish-version", "--function-name", "cli", "--description", "first").stdout)
    assert (published["Version"], published["Description"]) == ("1", "first")
    alias = json.loads(
        aws("create-alias", "--function-name", "cli", "--name", "live", "--function-version", "1").stdout
    )
    assert alias["AliasArn"] == f"{ARN}:cli:live"
    listed = json.loads(aws("list-aliases", "--function-name", "cli").stdout)
    assert [a["Name"] for a in listed["Aliases"]] == ["live"]
    versions = json.loads(aws("list-versions-by-function", "--function-name", "cli").stdout)
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1"]
    failed = aws("get-alias", "--function-name", "cli", "--name", "nope", check=False)
    assert failed.returncode in (254, 255)
    assert (
        "An error occurred (ResourceNotFoundException) when calling the GetAlias operation:"
        f" Cannot find alias arn: {ARN}:cli:nope"
    ) in failed.stderr
