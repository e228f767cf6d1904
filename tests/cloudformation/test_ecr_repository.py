"""
AWS::ECR::Repository made, updated and deleted through ECR's API: the
repository with its settings, tags and policies, a name CloudFormation
makes (lower case), Ref and Fn::GetAtt; a bad lifecycle policy fails the
resource in ECR's words.
"""

from __future__ import annotations

import json

import pytest

from tests.cloudformation.helpers import FAST, body
from tests.stacks import ruststack_fixture

ACCOUNT, REGION = "000000000000", "us-east-1"
LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "keep ten",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"},
        }
    ]
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "LambdaPull",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        }
    ],
}

ecr_process = ruststack_fixture("--services", "s3,sts,ecr,cloudformation")


@pytest.fixture
def process(ecr_process):
    ecr_process.reset()
    return ecr_process


def template(**properties: object) -> dict:
    return {
        "Resources": {
            "Assets": {"Type": "AWS::ECR::Repository", "Properties": properties},
            "Named": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "cdk-hnb659fds-assets"}},
        },
        "Outputs": {
            "Name": {"Value": {"Ref": "Assets"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Assets", "Arn"]}},
            "Uri": {"Value": {"Fn::GetAtt": ["Assets", "RepositoryUri"]}},
        },
    }


def _outputs(cfn, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_a_repository_made_updated_and_deleted(process):
    cfn, ecr = process.client("cloudformation"), process.client("ecr")
    first = template(
        ImageScanningConfiguration={"ScanOnPush": True},
        ImageTagMutability="IMMUTABLE",
        LifecyclePolicy={"LifecyclePolicyText": json.dumps(LIFECYCLE)},
        RepositoryPolicyText=POLICY,
        EmptyOnDelete=True,
        Tags=[{"Key": "team", "Value": "a"}, {"Key": "gone", "Value": "soon"}],
    )
    cfn.create_stack(StackName="Boot-Strap", TemplateBody=body(first))
    cfn.get_waiter("stack_create_complete").wait(StackName="Boot-Strap", WaiterConfig=FAST)
    outputs = _outputs(cfn, "Boot-Strap")
    name = outputs["Name"]
    # CloudFormation's name: the stack's and the logical id, lower case.
    assert name.startswith("boot-strap-assets-") and name == name.lower()
    assert outputs["Arn"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}"
    assert outputs["Uri"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}"
    (repository,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]) == LIFECYCLE
    assert json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"]) == POLICY
    assert ecr.list_tags_for_resource(resourceArn=outputs["Arn"])["tags"] == [
        {"Key": "team", "Value": "a"},
        {"Key": "gone", "Value": "soon"},
    ]
    assert ecr.describe_repositories(repositoryNames=["cdk-hnb659fds-assets"])["repositories"]

    # An update changes the repository in place.
    second = template(ImageTagMutability="MUTABLE", Tags=[{"Key": "team", "Value": "b"}])
    cfn.update_stack(StackName="Boot-Strap", TemplateBody=body(second))
    cfn.get_waiter("stack_update_complete").wait(StackName="Boot-Strap", WaiterConfig=FAST)
    assert _outputs(cfn, "Boot-Strap")["Name"] == name
    (repository,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert (repository["imageTagMutability"], repository["imageScanningConfiguration"]) == (
        "MUTABLE",
        {"scanOnPush": False},
    )
    for gone in (ecr.get_lifecycle_policy, ecr.get_repository_policy):
        with pytest.raises(ecr.exceptions.ClientError, match="does not exist"):
            gone(repositoryName=name)
    assert ecr.list_tags_for_resource(resourceArn=outputs["Arn"])["tags"] == [{"Key": "team", "Value": "b"}]

    cfn.delete_stack(StackName="Boot-Strap")
    cfn.get_waiter("stack_delete_complete").wait(StackName="Boot-Strap", WaiterConfig=FAST)
    assert ecr.describe_repositories()["repositories"] == []


def test_a_bad_lifecycle_policy_fails_the_resource_with_ecr_s_words(process):
    cfn = process.client("cloudformation")
    bad = {"rules": [{"rulePriority": 1, "selection": {}, "action": {"type": "expire"}, "note": "x" * 100}]}
    cfn.create_stack(StackName="bad", TemplateBody=body(template(LifecyclePolicy={"LifecyclePolicyText": bad})))
    with pytest.raises(Exception, match="ROLLBACK"):
        cfn.get_waiter("stack_create_complete").wait(StackName="bad", WaiterConfig=FAST)
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="bad")["StackEvents"]]
    expected = (
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation"
        ' failure: object instance has properties which are not allowed by the schema: (["note"])\''
        " (Service: ecr, Status Code: 400, Error Code: InvalidParameterException)"
    )
    assert expected in reasons, reasons
    assert process.client("ecr").describe_repositories()["repositories"] == []
