"""
Lambda-backed custom resources; stacks per account under --auth verify (the
resources made in the stack's own account); state kept with --data-dir; the
IAM, Logs and SSM provisioners where RustStack runs those services.
"""

from __future__ import annotations

from typing import Any

import pytest

from ruststack.testing import RustStackProcess
from tests.cloudformation.conftest import SERVICES
from tests.cloudformation.helpers import FAST, ROLE, body, error_of, outputs
from tests.tenants import ALICE, BOB, tenants_fixture

CUSTOM_HANDLER = """
import cfnresponse

def handler(event, context):
    data = {"Answer": str(int(event["ResourceProperties"]["Number"]) * 2), "Seen": event["RequestType"]}
    if event["ResourceProperties"].get("Fail") == "yes" and event["RequestType"] == "Create":
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="asked to fail")
        return
    physical = "custom-" + event["LogicalResourceId"]
    cfnresponse.send(event, context, cfnresponse.SUCCESS, data, physicalResourceId=physical)
"""


def custom_template(number: int = 21, fail: str = "no") -> dict:
    return {
        "Resources": {
            "Provider": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": ROLE,
                    "Timeout": 30,
                    "Code": {"ZipFile": CUSTOM_HANDLER},
                },
            },
            "Thing": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}, "Number": number, "Fail": fail},
            },
        },
        "Outputs": {"Answer": {"Value": {"Fn::GetAtt": ["Thing", "Answer"]}}, "Id": {"Value": {"Ref": "Thing"}}},
    }


def test_custom_resource_lifecycle(stack, cfn):
    cfn.create_stack(StackName="custom", TemplateBody=body(custom_template()))
    cfn.get_waiter("stack_create_complete").wait(StackName="custom", WaiterConfig=FAST)
    assert outputs(cfn, "custom") == {"Answer": "42", "Id": "custom-Thing"}
    cfn.update_stack(StackName="custom", TemplateBody=body(custom_template(number=5)))
    cfn.get_waiter("stack_update_complete").wait(StackName="custom", WaiterConfig=FAST)
    assert outputs(cfn, "custom")["Answer"] == "10"
    cfn.delete_stack(StackName="custom")
    cfn.get_waiter("stack_delete_complete").wait(StackName="custom", WaiterConfig=FAST)
    assert stack.client("lambda").list_functions()["Functions"] == []


def test_custom_resource_failure_rolls_back(stack, cfn):
    cfn.create_stack(StackName="custom-fails", TemplateBody=body(custom_template(fail="yes")))
    with pytest.raises(Exception, match="ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_create_complete").wait(StackName="custom-fails", WaiterConfig=FAST)
    reasons = {
        e["LogicalResourceId"]: e.get("ResourceStatusReason")
        for e in cfn.describe_stack_events(StackName="custom-fails")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    }
    assert reasons == {"Thing": "asked to fail"}


verifying = tenants_fixture(SERVICES, verify=True)


def test_tenants(verifying):
    services = ("cloudformation", "s3", "dynamodb")
    alice = {s: verifying.client(s, ALICE) for s in services}
    bob = {s: verifying.client(s, BOB) for s in services}
    template = {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": "orders",
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            },
            "Bucket": {"Type": "AWS::S3::Bucket"},
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}, "Export": {"Name": "orders-arn"}}},
    }
    for tenant in (alice, bob):
        tenant["cloudformation"].create_stack(StackName="shop", TemplateBody=body(template))
    for tenant, account in ((alice, ALICE), (bob, BOB)):
        tenant["cloudformation"].get_waiter("stack_create_complete").wait(StackName="shop", WaiterConfig=FAST)
        stack_id = tenant["cloudformation"].describe_stacks(StackName="shop")["Stacks"][0]["StackId"]
        assert f":{account}:stack/shop/" in stack_id
        assert outputs(tenant["cloudformation"], "shop")["Arn"] == f"arn:aws:dynamodb:us-east-1:{account}:table/orders"
        # the resources are the account's own
        assert tenant["dynamodb"].list_tables()["TableNames"] == ["orders"]
        assert len(tenant["s3"].list_buckets()["Buckets"]) == 1
        assert [e["Name"] for e in tenant["cloudformation"].list_exports()["Exports"]] == ["orders-arn"]
    alice_id = alice["cloudformation"].describe_stacks(StackName="shop")["Stacks"][0]["StackId"]
    with pytest.raises(bob["cloudformation"].exceptions.ClientError) as raised:
        bob["cloudformation"].describe_stacks(StackName=alice_id)
    assert error_of(raised) == (400, "ValidationError", f"Stack with id {alice_id} does not exist")
    alice["cloudformation"].delete_stack(StackName="shop")
    alice["cloudformation"].get_waiter("stack_delete_complete").wait(StackName="shop", WaiterConfig=FAST)
    assert alice["dynamodb"].list_tables()["TableNames"] == []
    assert bob["dynamodb"].list_tables()["TableNames"] == ["orders"]
    # an unsigned or wrongly signed call is refused in the query protocol's words
    with pytest.raises(bob["cloudformation"].exceptions.ClientError) as raised:
        verifying.client("cloudformation", BOB, secret="wrong").describe_stacks()
    assert error_of(raised)[1] == "SignatureDoesNotMatch"


def test_custom_resource_under_verify(verifying):
    # The presigned ResponseURL carries CloudFormation's session token: accepted as the stack's account.
    cfn = verifying.client("cloudformation", ALICE)
    cfn.create_stack(StackName="custom", TemplateBody=body(custom_template(number=4)))
    cfn.get_waiter("stack_create_complete").wait(StackName="custom", WaiterConfig=FAST)
    assert outputs(cfn, "custom")["Answer"] == "8"
    buckets = verifying.client("s3", ALICE).list_buckets()["Buckets"]
    assert [b["Name"] for b in buckets] == [f"cfn-responses-{ALICE}-us-east-1"]
    cfn.delete_stack(StackName="custom")
    cfn.get_waiter("stack_delete_complete").wait(StackName="custom", WaiterConfig=FAST)


def test_state_survives_a_restart(tmp_path):
    process = RustStackProcess.start("--services", SERVICES, "--data-dir", str(tmp_path))
    try:
        cfn = process.client("cloudformation")
        cfn.create_stack(StackName="kept", TemplateBody=body({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}))
        cfn.get_waiter("stack_create_complete").wait(StackName="kept", WaiterConfig=FAST)
        cfn.create_change_set(
            StackName="kept",
            ChangeSetName="more",
            TemplateBody=body(
                {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}, "Other": {"Type": "AWS::S3::Bucket"}}}
            ),
        )
        cfn.get_waiter("change_set_create_complete").wait(StackName="kept", ChangeSetName="more", WaiterConfig=FAST)
        events = len(cfn.describe_stack_events(StackName="kept")["StackEvents"])
    finally:
        process.stop()
    process = RustStackProcess.start("--services", SERVICES, "--data-dir", str(tmp_path))
    try:
        cfn = process.client("cloudformation")
        assert cfn.describe_stacks(StackName="kept")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        assert len(cfn.describe_stack_events(StackName="kept")["StackEvents"]) == events
        cfn.execute_change_set(StackName="kept", ChangeSetName="more")
        cfn.get_waiter("stack_update_complete").wait(StackName="kept", WaiterConfig=FAST)
        assert len(process.client("s3").list_buckets()["Buckets"]) == 2
        process.reset("cloudformation")
        assert cfn.describe_stacks()["Stacks"] == []
    finally:
        process.stop()


def _runs(process: RustStackProcess, service: str) -> bool:
    return process.health()["services"].get(service, {}).get("state") == "running"


@pytest.mark.parametrize("service", ["iam", "logs", "ssm"])
def test_provisioners_of_services_built_elsewhere(service):
    """
    IAM, CloudWatch Logs and SSM are built beside CloudFormation; where this
    tree has them, their resources are made through their APIs.
    """
    from ruststack.config import SERVICE_PACKAGES

    if service not in SERVICE_PACKAGES:
        pytest.skip(f"RustStack has no {service} in this tree (--services lists {', '.join(SERVICE_PACKAGES)})")
    process = RustStackProcess.start("--services", f"{SERVICES},{service}")
    try:
        if not _runs(process, service):
            pytest.skip(f"{service} does not run: {process.health()['services'].get(service)}")
        cfn = process.client("cloudformation")
        resources = {
            "iam": {
                "Role": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
                        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}],
                    },
                }
            },
            "logs": {"Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}},
            "ssm": {"Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}},
        }[service]
        cfn.create_stack(StackName="svc", TemplateBody=body({"Resources": resources}), Capabilities=["CAPABILITY_IAM"])
        cfn.get_waiter("stack_create_complete").wait(StackName="svc", WaiterConfig=FAST)
        summaries = cfn.list_stack_resources(StackName="svc")["StackResourceSummaries"]
        assert all("Recorded only" not in (s.get("ResourceStatusReason") or "") for s in summaries)
        cfn.delete_stack(StackName="svc")
        cfn.get_waiter("stack_delete_complete").wait(StackName="svc", WaiterConfig=FAST)
        if service == "ssm":
            # A parameter of type AWS::SSM::Parameter::Value<String> is read from SSM.
            process.client("ssm").put_parameter(Name="/app/bucket", Value="from-ssm", Type="String")
            template: dict[str, Any] = {
                "Parameters": {"Name": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/bucket"}},
                "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Name"}}}},
            }
            cfn.create_stack(StackName="from-ssm", TemplateBody=body(template))
            cfn.get_waiter("stack_create_complete").wait(StackName="from-ssm", WaiterConfig=FAST)
            parameter = cfn.describe_stacks(StackName="from-ssm")["Stacks"][0]["Parameters"][0]
            assert parameter == {"ParameterKey": "Name", "ParameterValue": "/app/bucket", "ResolvedValue": "from-ssm"}
            # UsePreviousValue keeps the parameter's name and reads it again (the CDK's BootstrapVersion).
            process.client("ssm").put_parameter(Name="/app/bucket", Value="from-ssm-two", Type="String", Overwrite=True)
            template["Outputs"] = {"Bucket": {"Value": {"Ref": "Bucket"}}}
            cfn.update_stack(
                StackName="from-ssm",
                TemplateBody=body(template),
                Parameters=[{"ParameterKey": "Name", "UsePreviousValue": True}],
            )
            cfn.get_waiter("stack_update_complete").wait(StackName="from-ssm", WaiterConfig=FAST)
            parameter = cfn.describe_stacks(StackName="from-ssm")["Stacks"][0]["Parameters"][0]
            assert parameter == {
                "ParameterKey": "Name",
                "ParameterValue": "/app/bucket",
                "ResolvedValue": "from-ssm-two",
            }
            assert [b["Name"] for b in process.client("s3").list_buckets()["Buckets"]] == ["from-ssm-two"]
            # So does a change set (as `cdk deploy` sends it), executed twice over.
            for name, output in (("again", "Again"), ("once-more", "Once more")):
                template["Outputs"]["Again"] = {"Value": output}
                cfn.create_change_set(
                    StackName="from-ssm",
                    ChangeSetName=name,
                    TemplateBody=body(template),
                    Parameters=[{"ParameterKey": "Name", "UsePreviousValue": True}],
                )
                cfn.get_waiter("change_set_create_complete").wait(
                    StackName="from-ssm", ChangeSetName=name, WaiterConfig=FAST
                )
                cfn.execute_change_set(StackName="from-ssm", ChangeSetName=name)
                cfn.get_waiter("stack_update_complete").wait(StackName="from-ssm", WaiterConfig=FAST)
                stack = cfn.describe_stacks(StackName="from-ssm")["Stacks"][0]
                assert stack["Parameters"][0]["ParameterValue"] == "/app/bucket"
                assert outputs(cfn, "from-ssm")["Again"] == output
    finally:
        process.stop()
