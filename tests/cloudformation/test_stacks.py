"""
Stacks over a real RustStack with boto3: a bucket, a table, a function and a
REST API made in dependency order through the services' own APIs, with
outputs and exports; updates in place and by replacement; deletion in
reverse order leaving nothing behind; a failure rolled back.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.cloudformation.helpers import FAST, app_template, body, error_of, outputs, statuses


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def _create(cfn, name: str, template: dict, **kwargs) -> str:
    stack_id = cfn.create_stack(StackName=name, TemplateBody=body(template), **kwargs)["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    return stack_id


def test_app_stack_created_in_dependency_order(stack, cfn):
    stack_id = _create(cfn, "app", app_template(), Tags=[{"Key": "team", "Value": "a"}])
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:000000000000:stack/app/")
    described = cfn.describe_stacks(StackName="app")["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert described["Description"] == "the app"
    assert described["Parameters"] == [{"ParameterKey": "Stage", "ParameterValue": "prod"}]
    assert described["Tags"] == [{"Key": "team", "Value": "a"}]
    # by id too
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackName"] == "app"
    found = outputs(cfn, "app")
    bucket, api = found["BucketName"], found["ApiId"]
    assert bucket.startswith("app-bucket-") and bucket == bucket.lower()
    assert found["TableArn"].startswith("arn:aws:dynamodb:us-east-1:000000000000:table/app-Table-")
    assert found["FunctionArn"].startswith("arn:aws:lambda:us-east-1:000000000000:function:app-Function-")

    # Made through the services: they see them.
    assert bucket in [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]]
    table = found["TableArn"].rpartition("/")[2]
    assert stack.client("dynamodb").describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    environment = stack.client("lambda").get_function_configuration(FunctionName=found["FunctionArn"])["Environment"]
    assert environment["Variables"] == {"GREETING": "hello", "TABLE": table, "BUCKET": bucket}
    status, answer = _get(f"{stack.endpoint_url}/restapis/{api}/prod/_user_request_/hello")
    assert (status, answer) == (200, b"hello /hello")

    # Each resource after those it needs.
    events = statuses(cfn, "app")
    done = [name for name, status in events if status == "CREATE_COMPLETE"]
    assert done[-1] == "app" and events[0] == ("app", "CREATE_IN_PROGRESS")
    for first, then in [
        ("Table", "Function"),
        ("Function", "Method"),
        ("Method", "Deployment"),
        ("Deployment", "ApiStage"),
    ]:
        assert done.index(first) < done.index(then)

    exports = cfn.list_exports()["Exports"]
    assert exports == [{"ExportingStackId": stack_id, "Name": "app-bucket", "Value": bucket}]
    resources = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]}
    assert set(resources) == {
        "Bucket",
        "Table",
        "Function",
        "Api",
        "Resource",
        "Method",
        "Deployment",
        "ApiStage",
        "Permission",
    }
    assert resources["Api"]["PhysicalResourceId"] == api
    assert {r["ResourceStatus"] for r in resources.values()} == {"CREATE_COMPLETE"}
    detail = cfn.describe_stack_resource(StackName="app", LogicalResourceId="Bucket")["StackResourceDetail"]
    assert (detail["PhysicalResourceId"], detail["ResourceType"]) == (bucket, "AWS::S3::Bucket")
    by_physical = cfn.describe_stack_resources(PhysicalResourceId=bucket)["StackResources"]
    assert [r["LogicalResourceId"] for r in by_physical] == ["Bucket"]
    assert json.loads(json.dumps(cfn.get_template(StackName="app")["TemplateBody"])) == app_template()
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.describe_stack_resource(StackName="app", LogicalResourceId="Nope")
    assert error_of(raised) == (400, "ValidationError", "Resource Nope does not exist for stack app")


def test_update_in_place_and_by_replacement(stack, cfn):
    _create(cfn, "upd", app_template(table_name="first-table"))
    before = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName="upd")["StackResources"]
    }
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.update_stack(StackName="upd", TemplateBody=body(app_template(table_name="first-table")))
    assert error_of(raised) == (400, "ValidationError", "No updates are to be performed.")

    cfn.update_stack(StackName="upd", TemplateBody=body(app_template(greeting="bonjour", table_name="second-table")))
    cfn.get_waiter("stack_update_complete").wait(StackName="upd", WaiterConfig=FAST)
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName="upd")["StackResources"]
    }
    assert after["Function"] == before["Function"]  # in place
    assert (before["Table"], after["Table"]) == ("first-table", "second-table")  # replaced
    assert stack.client("dynamodb").list_tables()["TableNames"] == ["second-table"]
    environment = stack.client("lambda").get_function_configuration(FunctionName=after["Function"])["Environment"]
    assert environment["Variables"]["GREETING"] == "bonjour"
    assert environment["Variables"]["TABLE"] == "second-table"
    events = statuses(cfn, "upd")
    tail = events[events.index(("upd", "UPDATE_IN_PROGRESS")) :]
    assert ("upd", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") in tail and tail[-1] == ("upd", "UPDATE_COMPLETE")
    assert ("Table", "DELETE_COMPLETE") in tail  # the old table, in clean-up
    reasons = [
        e.get("ResourceStatusReason")
        for e in cfn.describe_stack_events(StackName="upd")["StackEvents"]
        if e["LogicalResourceId"] == "Table" and e["ResourceStatus"] == "UPDATE_IN_PROGRESS"
    ]
    assert reasons == ["Requested update requires the creation of a new physical resource; hence creating one."]
    # Parameters: UsePreviousValue, and a value outside AllowedValues.
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.update_stack(
            StackName="upd",
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": "qa"}],
        )
    assert error_of(raised) == (400, "ValidationError", "Parameter 'Stage' must be one of AllowedValues")


def test_delete_leaves_nothing_behind(stack, cfn):
    _create(cfn, "gone", app_template())
    stack_id = cfn.describe_stacks(StackName="gone")["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName="gone")
    cfn.get_waiter("stack_delete_complete").wait(StackName="gone", WaiterConfig=FAST)
    assert stack.client("s3").list_buckets()["Buckets"] == []
    assert stack.client("dynamodb").list_tables()["TableNames"] == []
    assert stack.client("lambda").list_functions()["Functions"] == []
    assert stack.client("apigateway").get_rest_apis()["items"] == []
    events = statuses(cfn, stack_id)
    deleted = [name for name, status in events if status == "DELETE_COMPLETE"]
    # reverse order: what depends on a resource goes before it
    for first, then in [
        ("ApiStage", "Deployment"),
        ("Deployment", "Method"),
        ("Method", "Resource"),
        ("Resource", "Api"),
        ("Permission", "Function"),
        ("Function", "Table"),
    ]:
        assert deleted.index(first) < deleted.index(then)
    assert deleted[-1] == "gone"
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.describe_stacks(StackName="gone")
    assert error_of(raised) == (400, "ValidationError", "Stack with id gone does not exist")
    # by id, a deleted stack is still described
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    summaries = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert [s["StackName"] for s in summaries] == ["gone"] and "DeletionTime" in summaries[0]
    assert cfn.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []
    cfn.delete_stack(StackName="gone")  # idempotent
    assert cfn.list_exports()["Exports"] == []


def test_failing_resource_rolls_back(stack, cfn):
    template = app_template()
    template["Resources"]["Function"]["Properties"]["Runtime"] = "cobol85"
    cfn.create_stack(StackName="bad", TemplateBody=body(template))
    with pytest.raises(Exception, match="ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_create_complete").wait(StackName="bad", WaiterConfig=FAST)
    described = cfn.describe_stacks(StackName="bad")["Stacks"][0]
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="bad")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Function"]
    # the service's own words
    assert "cobol85" in failed[0]["ResourceStatusReason"]
    assert "Error Code: InvalidParameterValueException" in failed[0]["ResourceStatusReason"]
    rollback = [e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"][0]
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [Function]. Rollback requested by user."
    )
    assert stack.client("s3").list_buckets()["Buckets"] == []
    assert stack.client("dynamodb").list_tables()["TableNames"] == []
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.update_stack(StackName="bad", TemplateBody=body(app_template()))
    assert error_of(raised) == (
        400,
        "ValidationError",
        f"Stack:{described['StackId']} is in ROLLBACK_COMPLETE state and can not be updated.",
    )
    cfn.delete_stack(StackName="bad")
    cfn.get_waiter("stack_delete_complete").wait(StackName="bad", WaiterConfig=FAST)


def test_on_failure_do_nothing_keeps_what_was_made(stack, cfn):
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "kept-bucket"}},
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "DependsOn": "Bucket",
                "Properties": {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": []},
            },
        }
    }
    cfn.create_stack(StackName="keep", TemplateBody=body(template), OnFailure="DO_NOTHING")
    with pytest.raises(Exception, match="CREATE_FAILED"):
        cfn.get_waiter("stack_create_complete").wait(StackName="keep", WaiterConfig=FAST)
    described = cfn.describe_stacks(StackName="keep")["Stacks"][0]
    assert described["StackStatusReason"] == "The following resource(s) failed to create: [Table]. "
    assert [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]] == ["kept-bucket"]


def test_outputs_exports_and_imports(stack, cfn):
    _create(cfn, "exporter", app_template(export="shared-bucket"))
    bucket = outputs(cfn, "exporter")["BucketName"]
    importer = {
        "Resources": {
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Fn::ImportValue": "shared-bucket"},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                                "Action": "s3:GetObject",
                                "Resource": {
                                    "Fn::Sub": ["arn:aws:s3:::${B}/*", {"B": {"Fn::ImportValue": "shared-bucket"}}]
                                },
                            }
                        ],
                    },
                },
            }
        },
        "Outputs": {"Imported": {"Value": {"Fn::ImportValue": "shared-bucket"}}},
    }
    _create(cfn, "importer", importer)
    assert outputs(cfn, "importer") == {"Imported": bucket}
    policy = json.loads(stack.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    assert cfn.list_imports(ExportName="shared-bucket")["Imports"] == ["importer"]
    # The same export name from another stack fails it.
    cfn.create_stack(StackName="clash", TemplateBody=body(app_template(export="shared-bucket")))
    with pytest.raises(Exception, match="ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_create_complete").wait(StackName="clash", WaiterConfig=FAST)
    reasons = [e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName="clash")["StackEvents"]]
    assert (
        "Export with name shared-bucket is already exported by stack exporter" + "Rollback requested by user."
        in reasons
    )
    # An export in use cannot go.
    cfn.delete_stack(StackName="exporter")
    for _ in range(100):
        status = cfn.describe_stacks(StackName="exporter")["Stacks"][0]
        if status["StackStatus"] == "DELETE_FAILED":
            break
        time.sleep(0.1)
    assert status["StackStatusReason"] == "Export shared-bucket cannot be deleted as it is in use by importer"


def test_failed_update_rolls_back(stack, cfn):
    _create(cfn, "roll", app_template(table_name="kept-table"))
    function = outputs(cfn, "roll")["FunctionArn"]
    template = app_template(greeting="changed", table_name="new-table")
    template["Resources"]["Broken"] = {
        "Type": "AWS::DynamoDB::Table",
        "DependsOn": ["Function", "Table"],
        "Properties": {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": []},
    }
    cfn.update_stack(StackName="roll", TemplateBody=body(template))
    with pytest.raises(Exception, match="UPDATE_ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_update_complete").wait(StackName="roll", WaiterConfig=FAST)
    described = cfn.describe_stacks(StackName="roll")["Stacks"][0]
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = statuses(cfn, "roll")
    tail = [status for name, status in events[events.index(("roll", "UPDATE_IN_PROGRESS")) :] if name == "roll"]
    assert tail == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    # as before: the old table and the old variable; the replacement table gone
    assert stack.client("dynamodb").list_tables()["TableNames"] == ["kept-table"]
    variables = stack.client("lambda").get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    assert (variables["GREETING"], variables["TABLE"]) == ("hello", "kept-table")
    assert "Broken" not in {
        r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="roll")["StackResourceSummaries"]
    }
    assert cfn.get_template(StackName="roll")["TemplateBody"] == app_template(table_name="kept-table")
    # and it can be updated again
    cfn.update_stack(StackName="roll", TemplateBody=body(app_template(greeting="again", table_name="kept-table")))
    cfn.get_waiter("stack_update_complete").wait(StackName="roll", WaiterConfig=FAST)


def test_retain_policies(stack, cfn):
    def template(table: str) -> dict:
        return {
            "Resources": {
                "Kept": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": "kept-b"}},
                "Table": {
                    "Type": "AWS::DynamoDB::Table",
                    "UpdateReplacePolicy": "Retain",
                    "Properties": {
                        "TableName": table,
                        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                        "BillingMode": "PAY_PER_REQUEST",
                    },
                },
            }
        }

    _create(cfn, "retain", template("tab1"))
    cfn.update_stack(StackName="retain", TemplateBody=body(template("tab2")))
    cfn.get_waiter("stack_update_complete").wait(StackName="retain", WaiterConfig=FAST)
    assert sorted(stack.client("dynamodb").list_tables()["TableNames"]) == ["tab1", "tab2"]  # the old one kept
    cfn.delete_stack(StackName="retain")
    cfn.get_waiter("stack_delete_complete").wait(StackName="retain", WaiterConfig=FAST)
    assert [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]] == ["kept-b"]
    assert sorted(stack.client("dynamodb").list_tables()["TableNames"]) == ["tab1"]
    stack_id = cfn.list_stacks()["StackSummaries"][0]["StackId"]
    assert ("Kept", "DELETE_SKIPPED") in statuses(cfn, stack_id)


def test_delete_failed_then_retain_resources(stack, cfn):
    _create(cfn, "full", {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "full-b"}}}})
    stack.client("s3").put_object(Bucket="full-b", Key="k", Body=b"x")
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.delete_stack(StackName="full", RetainResources=["Bucket"])
    assert error_of(raised)[2].endswith(
        "RetainResources can only be specified when the stack is in the DELETE_FAILED state"
    )
    cfn.delete_stack(StackName="full")
    with pytest.raises(Exception, match="DELETE_FAILED"):
        cfn.get_waiter("stack_delete_complete").wait(StackName="full", WaiterConfig=FAST)
    described = cfn.describe_stacks(StackName="full")["Stacks"][0]
    assert described["StackStatusReason"] == "The following resource(s) failed to delete: [Bucket]. "
    reason = cfn.describe_stack_resource(StackName="full", LogicalResourceId="Bucket")["StackResourceDetail"][
        "ResourceStatusReason"
    ]
    assert "The bucket you tried to delete is not empty" in reason and "Error Code: BucketNotEmpty" in reason
    cfn.delete_stack(StackName="full", RetainResources=["Bucket"])
    cfn.get_waiter("stack_delete_complete").wait(StackName="full", WaiterConfig=FAST)
    assert [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]] == ["full-b"]
