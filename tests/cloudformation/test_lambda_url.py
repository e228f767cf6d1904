"""
AWS::Lambda::Url: created, updated and deleted through Lambda's function URL
operations, with Ref (the function's ARN) and Fn::GetAtt FunctionUrl and
FunctionArn as AWS documents them; the URL it makes answers on the edge once
the template's AWS::Lambda::Permission statements open it.
"""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit

from tests.cloudformation.helpers import FAST, ROLE

ARN = "arn:aws:lambda:us-east-1:000000000000:function"

SOURCE = """
def handler(event, context):
    return {"statusCode": 200, "body": "hello from " + event["rawPath"]}
"""


def template(cors: dict | None = None) -> str:
    url: dict = {"TargetFunctionArn": {"Fn::GetAtt": ["Function", "Arn"]}, "AuthType": "NONE"}
    if cors is not None:
        url["Cors"] = cors
    permission = {"FunctionName": {"Ref": "Function"}, "Principal": "*"}
    return json.dumps(
        {
            "Resources": {
                "Function": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "FunctionName": "site",
                        "Runtime": "python3.11",
                        "Handler": "index.handler",
                        "Role": ROLE,
                        "Code": {"ZipFile": SOURCE},
                    },
                },
                "UrlPermission": {
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {**permission, "Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "NONE"},
                },
                "InvokePermission": {
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {**permission, "Action": "lambda:InvokeFunction", "InvokedViaFunctionUrl": True},
                },
                "Url": {"Type": "AWS::Lambda::Url", "Properties": url},
            },
            "Outputs": {
                "Ref": {"Value": {"Ref": "Url"}},
                "FunctionUrl": {"Value": {"Fn::GetAtt": ["Url", "FunctionUrl"]}},
                "FunctionArn": {"Value": {"Fn::GetAtt": ["Url", "FunctionArn"]}},
            },
        }
    )


def outputs(cfn, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_url_resource(stack, cfn):
    client = stack.client("lambda")
    cfn.create_stack(StackName="site", TemplateBody=template())
    cfn.get_waiter("stack_create_complete").wait(StackName="site", WaiterConfig=FAST)
    made = outputs(cfn, "site")
    assert made["Ref"] == made["FunctionArn"] == f"{ARN}:site"
    found = re.fullmatch(r"https://([a-z0-9]{32})\.lambda-url\.us-east-1\.on\.aws/", made["FunctionUrl"])
    assert found, made["FunctionUrl"]
    url_id = found.group(1)
    assert client.get_function_url_config(FunctionName="site")["FunctionUrl"] == made["FunctionUrl"]

    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(stack.endpoint_url).port, timeout=30)
    connection.request("GET", f"/lambda-url/{url_id}/there")
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"hello from /there")
    connection.close()

    cfn.update_stack(StackName="site", TemplateBody=template({"AllowOrigins": ["https://app.example"]}))
    cfn.get_waiter("stack_update_complete").wait(StackName="site", WaiterConfig=FAST)
    config = client.get_function_url_config(FunctionName="site")
    assert config["Cors"] == {"AllowOrigins": ["https://app.example"]}
    assert config["FunctionUrl"] == made["FunctionUrl"]  # updated in place
    cfn.update_stack(StackName="site", TemplateBody=template())
    cfn.get_waiter("stack_update_complete").wait(StackName="site", WaiterConfig=FAST)
    assert "Cors" not in client.get_function_url_config(FunctionName="site")

    cfn.delete_stack(StackName="site")
    cfn.get_waiter("stack_delete_complete").wait(StackName="site", WaiterConfig=FAST)
    assert client.list_functions()["Functions"] == []
