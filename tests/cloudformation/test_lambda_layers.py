"""
AWS::Lambda::LayerVersion and AWS::Lambda::LayerVersionPermission through
Lambda's layers: Ref and Fn::GetAtt as AWS gives them, any change publishing
a new version (and deleting the old one unless retained), a function of the
stack importing from its layer; and SAM's AWS::Serverless::LayerVersion
through the transform, with C{RetentionPolicy}.
"""

from __future__ import annotations

import io
import json
import zipfile

from tests.cloudformation.helpers import FAST, ROLE, outputs

LAYER_ARN = "arn:aws:lambda:us-east-1:000000000000:layer"

USES = """
def handler(event, context):
    import greeting
    return greeting.WORD
"""


def _upload(stack, key: str, word: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("python/greeting.py", f"WORD = {word!r}")
    stack.client("s3").put_object(Bucket="layer-artifacts", Key=key, Body=buffer.getvalue())


def layered(description: str, key: str = "layer.zip") -> str:
    return json.dumps(
        {
            "Resources": {
                "Layer": {
                    "Type": "AWS::Lambda::LayerVersion",
                    "Properties": {
                        "LayerName": "greetings",
                        "Description": description,
                        "CompatibleRuntimes": ["python3.11"],
                        "Content": {"S3Bucket": "layer-artifacts", "S3Key": key},
                    },
                },
                "Everyone": {
                    "Type": "AWS::Lambda::LayerVersionPermission",
                    "Properties": {
                        "LayerVersionArn": {"Ref": "Layer"},
                        "Action": "lambda:GetLayerVersion",
                        "Principal": "*",
                    },
                },
                "Function": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "FunctionName": "greeter",
                        "Runtime": "python3.11",
                        "Handler": "index.handler",
                        "Role": ROLE,
                        "Code": {"ZipFile": USES},
                        "Layers": [{"Ref": "Layer"}],
                    },
                },
            },
            "Outputs": {
                "LayerRef": {"Value": {"Ref": "Layer"}},
                "LayerArn": {"Value": {"Fn::GetAtt": ["Layer", "LayerVersionArn"]}},
                "PermissionRef": {"Value": {"Ref": "Everyone"}},
            },
        }
    )


def test_layer_version_resources(stack, cfn):
    client = stack.client("lambda")
    stack.client("s3").create_bucket(Bucket="layer-artifacts")
    _upload(stack, "layer.zip", "hello")
    cfn.create_stack(StackName="layers", TemplateBody=layered("first"))
    cfn.get_waiter("stack_create_complete").wait(StackName="layers", WaiterConfig=FAST)
    found = outputs(cfn, "layers")
    assert found["LayerRef"] == found["LayerArn"] == f"{LAYER_ARN}:greetings:1"
    assert found["PermissionRef"].startswith(f"{LAYER_ARN}:greetings:1#")
    statement = json.loads(client.get_layer_version_policy(LayerName="greetings", VersionNumber=1)["Policy"])
    assert statement["Statement"][0]["Principal"] == "*"
    assert json.loads(client.invoke(FunctionName="greeter")["Payload"].read()) == "hello"

    # A change publishes version 2, moves the function to it, deletes version 1.
    _upload(stack, "layer2.zip", "bonjour")
    cfn.update_stack(StackName="layers", TemplateBody=layered("second", "layer2.zip"))
    cfn.get_waiter("stack_update_complete").wait(StackName="layers", WaiterConfig=FAST)
    assert outputs(cfn, "layers")["LayerRef"] == f"{LAYER_ARN}:greetings:2"
    assert [v["Version"] for v in client.list_layer_versions(LayerName="greetings")["LayerVersions"]] == [2]
    layers = client.get_function_configuration(FunctionName="greeter")["Layers"]
    assert [layer["Arn"] for layer in layers] == [f"{LAYER_ARN}:greetings:2"]
    assert client.get_layer_version_policy(LayerName="greetings", VersionNumber=2)["Policy"]
    assert json.loads(client.invoke(FunctionName="greeter")["Payload"].read()) == "bonjour"

    cfn.delete_stack(StackName="layers")
    cfn.get_waiter("stack_delete_complete").wait(StackName="layers", WaiterConfig=FAST)
    assert client.list_layers()["Layers"] == []
    assert client.list_functions()["Functions"] == []


SAM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Greetings:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: sam-greetings
      ContentUri: s3://layer-artifacts/layer.zip
      CompatibleRuntimes: [python3.11]
      RetentionPolicy: Retain
  Greeter:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.11
      CodeUri: s3://layer-artifacts/app.zip
      Layers: [!Ref Greetings]
Outputs:
  Function:
    Value: !Ref Greeter
"""


def test_sam_layer_version(stack, cfn):
    client = stack.client("lambda")
    stack.client("s3").create_bucket(Bucket="layer-artifacts")
    _upload(stack, "layer.zip", "from sam")
    app = io.BytesIO()
    with zipfile.ZipFile(app, "w") as package:
        package.writestr("app.py", USES)
    stack.client("s3").put_object(Bucket="layer-artifacts", Key="app.zip", Body=app.getvalue())
    cfn.create_change_set(
        StackName="sam-layers",
        ChangeSetName="deploy1",
        ChangeSetType="CREATE",
        TemplateBody=SAM_TEMPLATE,
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName="sam-layers", ChangeSetName="deploy1", WaiterConfig=FAST
    )
    cfn.execute_change_set(StackName="sam-layers", ChangeSetName="deploy1")
    cfn.get_waiter("stack_create_complete").wait(StackName="sam-layers", WaiterConfig=FAST)
    processed = cfn.get_template(StackName="sam-layers", TemplateStage="Processed")["TemplateBody"]
    layer_types = [r for r in processed["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    assert len(layer_types) == 1 and layer_types[0]["DeletionPolicy"] == "Retain"
    name = outputs(cfn, "sam-layers")["Function"]
    assert json.loads(client.invoke(FunctionName=name)["Payload"].read()) == "from sam"
    # RetentionPolicy: the layer version outlives its stack.
    cfn.delete_stack(StackName="sam-layers")
    cfn.get_waiter("stack_delete_complete").wait(StackName="sam-layers", WaiterConfig=FAST)
    assert client.list_functions()["Functions"] == []
    assert [layer["LayerName"] for layer in client.list_layers()["Layers"]] == ["sam-greetings"]
