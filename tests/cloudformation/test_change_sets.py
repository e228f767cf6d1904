"""
Change sets with boto3's waiters, and TemplateURL in every form the tools
send, read from RustStack's own S3.
"""

from __future__ import annotations

import json

import pytest

from tests.cloudformation.helpers import FAST, app_template, body, error_of, outputs


def test_change_set_create_then_update(stack, cfn):
    created = cfn.create_change_set(
        StackName="cs", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=body(app_template())
    )
    assert created["Id"].startswith("arn:aws:cloudformation:us-east-1:000000000000:changeSet/first/")
    described = cfn.describe_stacks(StackName="cs")["Stacks"][0]
    assert described["StackStatus"] == "REVIEW_IN_PROGRESS"
    cfn.get_waiter("change_set_create_complete").wait(StackName="cs", ChangeSetName="first", WaiterConfig=FAST)
    change_set = cfn.describe_change_set(StackName="cs", ChangeSetName="first")
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    actions = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["Action"] for c in change_set["Changes"]}
    assert set(actions.values()) == {"Add"} and len(actions) == 9
    # by ARN alone
    assert cfn.describe_change_set(ChangeSetName=created["Id"])["ChangeSetName"] == "first"
    summaries = cfn.list_change_sets(StackName="cs")["Summaries"]
    assert [s["ChangeSetName"] for s in summaries] == ["first"]
    cfn.execute_change_set(StackName="cs", ChangeSetName="first")
    cfn.get_waiter("stack_create_complete").wait(StackName="cs", WaiterConfig=FAST)
    assert cfn.describe_stacks(StackName="cs")["Stacks"][0]["ChangeSetId"] == created["Id"]
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.execute_change_set(StackName="cs", ChangeSetName="first")
    assert error_of(raised)[1] == "InvalidChangeSetStatus"

    # An update: the table renamed (replacement), the function's variable (in place), the API gone.
    template = app_template(greeting="hi", table_name="renamed")
    for name in ("Api", "Resource", "Method", "Deployment", "ApiStage", "Permission"):
        del template["Resources"][name]
    del template["Outputs"]["ApiId"]
    cfn.create_change_set(StackName="cs", ChangeSetName="second", TemplateBody=body(template))
    cfn.get_waiter("change_set_create_complete").wait(StackName="cs", ChangeSetName="second", WaiterConfig=FAST)
    changes = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
        for c in cfn.describe_change_set(StackName="cs", ChangeSetName="second")["Changes"]
    }
    assert (changes["Table"]["Action"], changes["Table"]["Replacement"]) == ("Modify", "True")
    assert changes["Table"]["Details"][0]["Target"] == {
        "Attribute": "Properties",
        "Name": "TableName",
        "RequiresRecreation": "Always",
    }
    assert (changes["Function"]["Action"], changes["Function"]["Replacement"]) == ("Modify", "False")
    assert {changes[n]["Action"] for n in ("Api", "Method", "Permission")} == {"Remove"}
    assert "Bucket" not in changes
    cfn.execute_change_set(StackName="cs", ChangeSetName="second")
    cfn.get_waiter("stack_update_complete").wait(StackName="cs", WaiterConfig=FAST)
    assert stack.client("apigateway").get_rest_apis()["items"] == []
    assert stack.client("dynamodb").list_tables()["TableNames"] == ["renamed"]
    assert "ApiId" not in outputs(cfn, "cs")


def test_change_set_without_changes_fails_as_sam_expects(stack, cfn):
    cfn.create_stack(StackName="same", TemplateBody=body(app_template()))
    cfn.get_waiter("stack_create_complete").wait(StackName="same", WaiterConfig=FAST)
    cfn.create_change_set(StackName="same", ChangeSetName="noop", TemplateBody=body(app_template()))
    with pytest.raises(Exception, match="FAILED"):
        cfn.get_waiter("change_set_create_complete").wait(StackName="same", ChangeSetName="noop", WaiterConfig=FAST)
    described = cfn.describe_change_set(StackName="same", ChangeSetName="noop")
    assert described["Status"] == "FAILED"
    assert described["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to create a change set."
    )
    cfn.delete_change_set(StackName="same", ChangeSetName="noop")
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException) as raised:
        cfn.describe_change_set(StackName="same", ChangeSetName="noop")
    assert error_of(raised) == (404, "ChangeSetNotFound", "ChangeSet [noop] does not exist")
    # As on AWS, deleting a change set the stack does not have succeeds (the CDK's clean-up before each
    # deploy relies on it); a stack that does not exist is refused.
    assert cfn.delete_change_set(StackName="same", ChangeSetName="noop")["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.delete_change_set(StackName="missing", ChangeSetName="noop")
    assert error_of(raised) == (400, "ValidationError", "Stack [missing] does not exist")


def test_review_in_progress_stack_deleted(stack, cfn):
    cfn.create_change_set(
        StackName="review", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=body(app_template())
    )
    cfn.get_waiter("change_set_create_complete").wait(StackName="review", ChangeSetName="c", WaiterConfig=FAST)
    cfn.delete_stack(StackName="review")
    cfn.get_waiter("stack_delete_complete").wait(StackName="review", WaiterConfig=FAST)
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.create_change_set(StackName="missing", ChangeSetName="c", TemplateBody=body(app_template()))
    assert error_of(raised) == (400, "ValidationError", "Stack [missing] does not exist")


TEMPLATE = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        }
    }
}


@pytest.mark.parametrize(
    "form",
    [
        "https://s3.amazonaws.com/{b}/{k}",
        "https://{b}.s3.amazonaws.com/{k}",
        "https://{b}.s3.us-east-1.amazonaws.com/{k}",
        "https://s3.us-east-1.amazonaws.com/{b}/{k}",
        "https://s3-us-east-1.amazonaws.com/{b}/{k}",
        "{edge}/{b}/{k}",
        "http://{b}.s3.localhost.localstack.cloud:4566/{k}",
        "http://{b}.localhost:4566/{k}",
    ],
)
def test_template_url_forms(stack, cfn, form):
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="dir/my template.json", Body=body(TEMPLATE).encode())
    url = form.format(b="templates", k="dir/my%20template.json", edge=stack.endpoint_url)
    assert cfn.validate_template(TemplateURL=url)["Parameters"] == []  # read, and found to have none
    cfn.create_stack(StackName="from-url", TemplateURL=url)
    cfn.get_waiter("stack_create_complete").wait(StackName="from-url", WaiterConfig=FAST)
    assert cfn.get_template(StackName="from-url")["TemplateBody"] == TEMPLATE


def test_template_url_in_a_bucket_that_denies_plain_http(stack, cfn):
    """
    A bucket whose policy denies requests without TLS (SAM CLI's managed
    bucket has one) still serves CloudFormation, as AWS's services read it
    over TLS; a client's plain-HTTP read is refused.
    """
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="tls-only")
    s3.put_object(Bucket="tls-only", Key="t.json", Body=body(TEMPLATE).encode())
    deny_plain_http = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps(deny_plain_http))
    with pytest.raises(s3.exceptions.ClientError) as raised:
        s3.get_object(Bucket="tls-only", Key="t.json")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    cfn.create_stack(StackName="tls-only", TemplateURL="https://tls-only.s3.amazonaws.com/t.json")
    cfn.get_waiter("stack_create_complete").wait(StackName="tls-only", WaiterConfig=FAST)


def test_template_url_errors(stack, cfn):
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.create_stack(StackName="x", TemplateURL="https://s3.amazonaws.com/no-such-bucket/t.json")
    status, code, message = error_of(raised)
    assert (status, code) == (400, "ValidationError") and message.startswith("S3 error: ")
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.create_stack(StackName="x", TemplateURL="ftp://example.com/t.json")
    assert error_of(raised) == (400, "ValidationError", "TemplateURL must be a supported URL.")
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        cfn.create_stack(StackName="x")
    assert error_of(raised) == (400, "ValidationError", "Either Template URL or Template Body must be specified.")


def test_change_set_of_outputs_only(stack, cfn):
    template: dict = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}, "Outputs": {"A": {"Value": "a"}}}
    cfn.create_stack(StackName="outs", TemplateBody=body(template))
    cfn.get_waiter("stack_create_complete").wait(StackName="outs", WaiterConfig=FAST)
    template["Outputs"] = {"B": {"Value": {"Ref": "Bucket"}}}
    cfn.create_change_set(StackName="outs", ChangeSetName="o", TemplateBody=body(template))
    cfn.get_waiter("change_set_create_complete").wait(StackName="outs", ChangeSetName="o", WaiterConfig=FAST)
    assert cfn.describe_change_set(StackName="outs", ChangeSetName="o")["Changes"] == []
    cfn.execute_change_set(StackName="outs", ChangeSetName="o")
    cfn.get_waiter("stack_update_complete").wait(StackName="outs", WaiterConfig=FAST)
    assert list(outputs(cfn, "outs")) == ["B"]
