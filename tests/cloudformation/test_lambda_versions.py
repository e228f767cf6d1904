"""
AWS::Lambda::Version and AWS::Lambda::Alias: created, updated and deleted
through Lambda's versions and aliases, with the Ref and Fn::GetAtt values
AWS gives; and their real user, a SAM function with C{AutoPublishAlias},
called through API Gateway before and after its code changes.
"""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from ruststack.cloudformation.provisioners.awslambda import _routing
from ruststack.cloudformation.provisioners.base import ResourceFailed
from tests.cloudformation.helpers import FAST, ROLE

KEYS = ["FunctionVersion", "FunctionWeight", "Other"]

ARN = "arn:aws:lambda:us-east-1:000000000000:function"

WHICH = """
import os

def handler(event, context):
    return {"statusCode": 200, "body": os.environ["AWS_LAMBDA_FUNCTION_VERSION"] + " " + context.invoked_function_arn}
"""


def versioned(timeout: int, routing: dict[str, float] | None = None, retain: bool = False) -> str:
    alias: dict = {
        "Type": "AWS::Lambda::Alias",
        "Properties": {
            "FunctionName": {"Ref": "Function"},
            "Name": "live",
            "FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]},
            "Description": "production",
        },
    }
    if routing is not None:
        weights = [{"FunctionVersion": version, "FunctionWeight": weight} for version, weight in routing.items()]
        alias["Properties"]["RoutingConfig"] = {"AdditionalVersionWeights": weights}
    template: dict = {
        "Resources": {
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "versioned",
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": ROLE,
                    "Timeout": timeout,
                    "Code": {"ZipFile": WHICH},
                },
            },
            "Version": {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": "Function"}, "Description": f"timeout {timeout}"},
            },
            "Alias": alias,
        },
        "Outputs": {
            "VersionRef": {"Value": {"Ref": "Version"}},
            "VersionNumber": {"Value": {"Fn::GetAtt": ["Version", "Version"]}},
            "AliasRef": {"Value": {"Ref": "Alias"}},
        },
    }
    if retain:
        # As SAM does, so that an alias may still route to a replaced version.
        template["Resources"]["Version"]["DeletionPolicy"] = "Retain"
    return json.dumps(template)


def outputs(cfn, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_version_and_alias_resources(stack, cfn):
    client = stack.client("lambda")
    cfn.create_stack(StackName="versioned", TemplateBody=versioned(5))
    cfn.get_waiter("stack_create_complete").wait(StackName="versioned", WaiterConfig=FAST)
    assert outputs(cfn, "versioned") == {
        "VersionRef": f"{ARN}:versioned:1",
        "VersionNumber": "1",
        "AliasRef": f"{ARN}:versioned:live",
    }
    alias = client.get_alias(FunctionName="versioned", Name="live")
    assert (alias["FunctionVersion"], alias["Description"]) == ("1", "production")
    assert client.get_function_configuration(FunctionName="versioned:1")["Description"] == "timeout 5"
    # A change to the function publishes a new version (the old one is
    # replaced) and moves the alias to it.
    cfn.update_stack(StackName="versioned", TemplateBody=versioned(6))
    cfn.get_waiter("stack_update_complete").wait(StackName="versioned", WaiterConfig=FAST)
    assert outputs(cfn, "versioned")["VersionNumber"] == "2"
    assert client.get_alias(FunctionName="versioned", Name="live")["FunctionVersion"] == "2"
    assert [v["Version"] for v in client.list_versions_by_function(FunctionName="versioned")["Versions"]] == [
        "$LATEST",
        "2",
    ]
    response = client.invoke(FunctionName="versioned:live", Payload=b"{}")
    assert response["ExecutedVersion"] == "2"
    assert json.loads(response["Payload"].read())["body"] == f"2 {ARN}:versioned:live"
    cfn.delete_stack(StackName="versioned")
    cfn.get_waiter("stack_delete_complete").wait(StackName="versioned", WaiterConfig=FAST)
    assert client.list_functions()["Functions"] == []


def test_alias_routing_config(stack, cfn):
    client = stack.client("lambda")
    cfn.create_stack(StackName="routed", TemplateBody=versioned(5, retain=True))
    cfn.get_waiter("stack_create_complete").wait(StackName="routed", WaiterConfig=FAST)
    # Version 2 takes over, version 1 (retained) keeps a quarter.
    cfn.update_stack(StackName="routed", TemplateBody=versioned(6, {"1": 0.25}, retain=True))
    cfn.get_waiter("stack_update_complete").wait(StackName="routed", WaiterConfig=FAST)
    alias = client.get_alias(FunctionName="versioned", Name="live")
    assert alias["FunctionVersion"] == "2"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.25}}
    executed = {client.invoke(FunctionName="versioned:live", Payload=b"{}")["ExecutedVersion"] for _ in range(60)}
    assert executed == {"1", "2"}  # each missed with a chance below 1e-7
    # The routing taken out of the template goes from the alias.
    cfn.update_stack(StackName="routed", TemplateBody=versioned(7, retain=True))
    cfn.get_waiter("stack_update_complete").wait(StackName="routed", WaiterConfig=FAST)
    alias = client.get_alias(FunctionName="versioned", Name="live")
    assert alias["FunctionVersion"] == "3" and "RoutingConfig" not in alias
    cfn.delete_stack(StackName="routed")
    cfn.get_waiter("stack_delete_complete").wait(StackName="routed", WaiterConfig=FAST)
    assert client.list_functions()["Functions"] == []


SAM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Which:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.11
      CodeUri: {code_uri}
      AutoPublishAlias: live
      Events:
        Get:
          Type: Api
          Properties:
            Path: /which
            Method: get
Outputs:
  ApiId:
    Value: !Ref ServerlessRestApi
"""


def _upload(stack, key: str, body: str) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("app.py", WHICH.replace('+ " " +', f'+ " {body} " +'))
    s3 = stack.client("s3")
    s3.put_object(Bucket="sam-artifacts", Key=key, Body=buffer.getvalue())
    return f"s3://sam-artifacts/{key}"


def _deploy(cfn, template: str, change_set: str, change_set_type: str) -> None:
    # What `sam deploy` calls.
    cfn.create_change_set(
        StackName="sam-alias",
        ChangeSetName=change_set,
        ChangeSetType=change_set_type,
        TemplateBody=template,
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName="sam-alias", ChangeSetName=change_set, WaiterConfig=FAST
    )
    cfn.execute_change_set(StackName="sam-alias", ChangeSetName=change_set)
    waiter = "stack_create_complete" if change_set_type == "CREATE" else "stack_update_complete"
    cfn.get_waiter(waiter).wait(StackName="sam-alias", WaiterConfig=FAST)


def test_sam_auto_publish_alias(stack, cfn):
    stack.client("s3").create_bucket(Bucket="sam-artifacts")
    _deploy(cfn, SAM_TEMPLATE.format(code_uri=_upload(stack, "which/1.zip", "first")), "deploy1", "CREATE")
    processed = cfn.get_template(StackName="sam-alias", TemplateStage="Processed")["TemplateBody"]
    types = sorted(resource["Type"] for resource in processed["Resources"].values())
    assert "AWS::Lambda::Version" in types and "AWS::Lambda::Alias" in types
    url = f"{stack.endpoint_url}/restapis/{outputs(cfn, 'sam-alias')['ApiId']}/Prod/_user_request_/which"
    name = stack.client("lambda").list_functions()["Functions"][0]["FunctionName"]
    # API Gateway calls the alias, which runs version 1.
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.read().decode() == f"1 first {ARN}:{name}:live"
    # New code: SAM publishes a new version and moves the alias to it.
    _deploy(cfn, SAM_TEMPLATE.format(code_uri=_upload(stack, "which/2.zip", "second")), "deploy2", "UPDATE")
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.read().decode() == f"2 second {ARN}:{name}:live"
    client = stack.client("lambda")
    assert client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "2"
    # Version 1 is kept (SAM retains versions), and still runs its own code.
    assert json.loads(client.invoke(FunctionName=f"{name}:1", Payload=b"{}")["Payload"].read())["body"].startswith(
        "1 first"
    )
    cfn.delete_stack(StackName="sam-alias")
    cfn.get_waiter("stack_delete_complete").wait(StackName="sam-alias", WaiterConfig=FAST)
    assert client.list_functions()["Functions"] == []


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
        max_leaves=8,
    )
)
def test_a_routing_config_is_read_or_refused_as_a_property_error(value):
    try:
        read = _routing({"RoutingConfig": {"AdditionalVersionWeights": value}})
    except ResourceFailed as failed:
        assert str(failed).startswith("Property validation failure")
        return
    assert value is None or all(
        isinstance(w, float) for w in read["RoutingConfig"]["AdditionalVersionWeights"].values()
    )
