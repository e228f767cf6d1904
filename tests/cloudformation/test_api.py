"""
CloudFormation's API and its errors, as AWS words them: validation,
capabilities, names, parameters, summaries; types RustStack records but
does not emulate.
"""

from __future__ import annotations

import pytest

from tests.cloudformation.helpers import FAST, ROLE, body, error_of, outputs

BUCKET = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}


def _refused(cfn, call, **kwargs) -> tuple[int, str, str]:
    with pytest.raises(cfn.exceptions.ClientError) as raised:
        getattr(cfn, call)(**kwargs)
    return error_of(raised)


def test_missing_stack(cfn):
    for call in ("describe_stacks", "describe_stack_events", "list_stack_resources", "get_template"):
        assert _refused(cfn, call, StackName="nope") == (400, "ValidationError", "Stack with id nope does not exist")
    assert _refused(cfn, "update_stack", StackName="nope", TemplateBody=body(BUCKET)) == (
        400,
        "ValidationError",
        "Stack with id nope does not exist",
    )
    cfn.delete_stack(StackName="nope")  # nothing to delete: no error
    assert cfn.describe_stacks()["Stacks"] == []


def test_already_exists_and_bad_names(cfn):
    cfn.create_stack(StackName="twice", TemplateBody=body(BUCKET))
    assert _refused(cfn, "create_stack", StackName="twice", TemplateBody=body(BUCKET)) == (
        400,
        "AlreadyExistsException",
        "Stack [twice] already exists",
    )
    cfn.get_waiter("stack_create_complete").wait(StackName="twice", WaiterConfig=FAST)
    assert _refused(cfn, "create_stack", StackName="9lives", TemplateBody=body(BUCKET)) == (
        400,
        "ValidationError",
        "1 validation error detected: Value '9lives' at 'stackName' failed to satisfy constraint: Member must"
        " satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*",
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{not json", "Template format error: JSON not well-formed. (line 1,  column 2)"),
        ("Resources: [", "Template format error: YAML not well-formed. (line 1, column 13)"),
        ({"Resources": {}}, "Template format error: At least one Resources member must be defined."),
        (
            {"Resources": {"A": {"Type": "AWS::Made::Up"}}},
            "Template format error: Unrecognized resource types: [AWS::Made::Up]",
        ),
        (
            {"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Missing"}}}}},
            "Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template",
        ),
        (
            {"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::GetAtt": ["B", "X"]}}}}},
            "Template error: instance of Fn::GetAtt references undefined resource B",
        ),
        (
            {
                "Resources": {
                    "A": {"Type": "AWS::S3::Bucket", "DependsOn": "B"},
                    "B": {"Type": "AWS::S3::Bucket", "DependsOn": "A"},
                }
            },
            "Circular dependency between resources: [A, B]",
        ),
        (
            {"Parameters": {"P": {"Type": "Strin"}}, "Resources": {"A": {"Type": "AWS::S3::Bucket"}}},
            "Template format error: Unrecognized parameter type: Strin",
        ),
    ],
)
def test_validate_template_errors(cfn, template, message):
    text = template if isinstance(template, str) else body(template)
    assert _refused(cfn, "validate_template", TemplateBody=text) == (400, "ValidationError", message)
    assert _refused(cfn, "create_stack", StackName="bad", TemplateBody=text) == (400, "ValidationError", message)


def test_validate_template_and_summary(cfn):
    template = """
AWSTemplateFormatVersion: "2010-09-09"
Description: checked
Parameters:
  Name:
    Type: String
    Default: n
    Description: the name
  Secret:
    Type: String
    NoEcho: true
  Size:
    Type: Number
    AllowedValues: [1, 2]
    Default: 1
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
"""
    validated = cfn.validate_template(TemplateBody=template)
    assert validated["Description"] == "checked"
    assert validated["Parameters"] == [
        {"ParameterKey": "Name", "DefaultValue": "n", "NoEcho": False, "Description": "the name"},
        {"ParameterKey": "Secret", "NoEcho": True},
        {"ParameterKey": "Size", "DefaultValue": "1", "NoEcho": False},
    ]
    assert validated["Capabilities"] == ["CAPABILITY_IAM"]
    assert validated["CapabilitiesReason"] == "The following resource(s) require capabilities: [AWS::IAM::Role]"
    summary = cfn.get_template_summary(TemplateBody=template)
    assert summary["ResourceTypes"] == ["AWS::IAM::Role"]
    assert summary["Parameters"][2]["ParameterConstraints"] == {"AllowedValues": ["1", "2"]}
    assert summary["Version"] == "2010-09-09"


def test_capabilities(cfn):
    role: dict = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}}}
    assert _refused(cfn, "create_stack", StackName="iam", TemplateBody=body(role)) == (
        400,
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_IAM]",
    )
    role["Resources"]["Role"]["Properties"]["RoleName"] = "named"
    refused = _refused(cfn, "create_stack", StackName="iam", TemplateBody=body(role), Capabilities=["CAPABILITY_IAM"])
    assert refused == (400, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]")
    sam = {"Transform": "AWS::Serverless-2016-10-31", **BUCKET}
    assert _refused(cfn, "create_stack", StackName="sam", TemplateBody=body(sam)) == (
        400,
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_AUTO_EXPAND]",
    )


def test_parameters_errors(cfn):
    template = {"Parameters": {"Env": {"Type": "String"}}, **BUCKET}
    assert _refused(cfn, "create_stack", StackName="p", TemplateBody=body(template)) == (
        400,
        "ValidationError",
        "Parameters: [Env] must have values",
    )
    assert _refused(
        cfn,
        "create_stack",
        StackName="p",
        TemplateBody=body(template),
        Parameters=[{"ParameterKey": "Env", "ParameterValue": "a"}, {"ParameterKey": "Other", "ParameterValue": "b"}],
    ) == (400, "ValidationError", "Parameters: [Other] do not exist in the template")


def test_types_recorded_but_not_emulated(stack, cfn):
    template = {
        "Resources": {
            "Metadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:x"}},
            "Repository": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "assets"}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {}}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, "Path": "/cdk/"}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
            "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v1"}},
        },
        "Outputs": {
            "Uri": {"Value": {"Fn::GetAtt": ["Repository", "RepositoryUri"]}},
            "RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}},
            "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}},
            "Value": {"Value": {"Fn::GetAtt": ["Param", "Value"]}},
        },
    }
    cfn.create_stack(StackName="boot", TemplateBody=body(template), Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="boot", WaiterConfig=FAST)
    found = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="boot")["Stacks"][0]["Outputs"]}
    assert found["Uri"] == "000000000000.dkr.ecr.us-east-1.amazonaws.com/assets"
    assert found["RoleArn"].startswith("arn:aws:iam::000000000000:role/cdk/boot-Role-")
    assert found["KeyArn"].startswith("arn:aws:kms:us-east-1:000000000000:key/")
    assert found["Value"] == "v1"
    reasons = {
        r["LogicalResourceId"]: r.get("ResourceStatusReason")
        for r in cfn.list_stack_resources(StackName="boot")["StackResourceSummaries"]
    }
    assert reasons["Repository"] == "Recorded only: RustStack does not run ECR (--services)"
    assert reasons["Role"] == "Recorded only: RustStack does not run IAM (--services)"
    assert reasons["Logs"] == "Recorded only: RustStack does not run CloudWatch Logs (--services)"
    assert reasons["Param"] == "Recorded only: RustStack does not run SSM (--services)"
    cfn.delete_stack(StackName="boot")
    cfn.get_waiter("stack_delete_complete").wait(StackName="boot", WaiterConfig=FAST)


def test_unimplemented_lambda_api_fails_the_resource_honestly(stack, cfn):
    template = {
        "Resources": {
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": ROLE,
                    "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
                },
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Function"},
                    "EventSourceArn": "arn:aws:sqs:us-east-1:000000000000:queue",
                },
            },
        }
    }
    cfn.create_stack(StackName="mappings", TemplateBody=body(template))
    with pytest.raises(Exception, match="ROLLBACK_COMPLETE"):
        cfn.get_waiter("stack_create_complete").wait(StackName="mappings", WaiterConfig=FAST)
    failed = [
        e
        for e in cfn.describe_stack_events(StackName="mappings")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert [e["LogicalResourceId"] for e in failed] == ["Mapping"]
    assert "Error Code: NotImplemented" in failed[0]["ResourceStatusReason"]
    assert stack.client("lambda").list_functions()["Functions"] == []


def test_conditions_mappings_and_parameters(stack, cfn):
    template = """
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
  Names:
    Type: CommaDelimitedList
    Default: a,b
Mappings:
  Sizes:
    dev: {Read: 1}
    prod: {Read: 5}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Always:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ["-", [!Ref Env, !Select [1, !Ref Names], !FindInMap [Sizes, !Ref Env, Read]]]
  OnlyInProd:
    Type: AWS::S3::Bucket
    Condition: IsProd
    Properties:
      BucketName: prod-only-bucket
Outputs:
  Name:
    Value: !If [IsProd, !Ref OnlyInProd, !Ref Always]
  ProdOnly:
    Condition: IsProd
    Value: shown
"""
    cfn.create_stack(
        StackName="cond", TemplateBody=template, Parameters=[{"ParameterKey": "Env", "ParameterValue": "dev"}]
    )
    cfn.get_waiter("stack_create_complete").wait(StackName="cond", WaiterConfig=FAST)
    assert [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]] == ["dev-b-1"]
    found = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="cond")["Stacks"][0]["Outputs"]}
    assert found == {"Name": "dev-b-1"}
    cfn.update_stack(
        StackName="cond", UsePreviousTemplate=True, Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}]
    )
    cfn.get_waiter("stack_update_complete").wait(StackName="cond", WaiterConfig=FAST)
    assert sorted(b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]) == ["prod-b-5", "prod-only-bucket"]
    found = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="cond")["Stacks"][0]["Outputs"]}
    assert found == {"Name": "prod-only-bucket", "ProdOnly": "shown"}


def test_stacks_still_made_after_sts_forgets_its_sessions(stack, cfn):
    cfn.create_stack(StackName="before", TemplateBody=body(BUCKET))
    cfn.get_waiter("stack_create_complete").wait(StackName="before", WaiterConfig=FAST)
    stack.reset("sts")  # every temporary credential is forgotten, CloudFormation's too
    cfn.create_stack(StackName="after", TemplateBody=body(BUCKET))
    cfn.get_waiter("stack_create_complete").wait(StackName="after", WaiterConfig=FAST)


def test_nested_stacks(stack, cfn):
    child = {
        "Parameters": {"Prefix": {"Type": "String"}},
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${Prefix}-child"}}}
        },
        "Outputs": {"Name": {"Value": {"Ref": "Bucket"}}},
    }
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="nested-templates")
    s3.put_object(Bucket="nested-templates", Key="child.json", Body=body(child).encode())
    parent = """
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://nested-templates.s3.amazonaws.com/child.json
      Parameters:
        Prefix: !Ref AWS::StackName
Outputs:
  FromChild:
    Value: !GetAtt Child.Outputs.Name
"""
    cfn.create_stack(StackName="parent", TemplateBody=parent)
    cfn.get_waiter("stack_create_complete").wait(StackName="parent", WaiterConfig=FAST)
    assert outputs(cfn, "parent") == {"FromChild": "parent-child"}
    child_id = cfn.describe_stack_resource(StackName="parent", LogicalResourceId="Child")["StackResourceDetail"][
        "PhysicalResourceId"
    ]
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackName"].startswith("parent-Child-")
    cfn.delete_stack(StackName="parent")
    cfn.get_waiter("stack_delete_complete").wait(StackName="parent", WaiterConfig=FAST)
    assert cfn.describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["nested-templates"]


def test_ssm_parameter_types_need_ssm(cfn):
    template = {
        "Parameters": {"Name": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/bucket"}},
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Name"}}}},
    }
    # This RustStack runs no SSM: the value cannot be fetched.
    assert _refused(cfn, "create_stack", StackName="ssm", TemplateBody=body(template)) == (
        400,
        "ValidationError",
        "Unable to fetch parameters [/app/bucket] from parameter store for this account.",
    )
