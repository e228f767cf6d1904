"""
AWS::Lambda::EventSourceMapping (Ref: the mapping's UUID) from a table's
stream to a function: created, updated in place, deleted; and SAM's
C{DynamoDB} event type, which the transform turns into one.
"""

from __future__ import annotations

import json
import time

from tests.cloudformation.helpers import FAST, ROLE, outputs

# Puts each event into the bucket BUCKET names.
SINK = """
import json, os, time, boto3

def handler(event, context):
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=str(time.time_ns()), Body=json.dumps(event))
"""


def _template(batch_size: int, enabled: bool = True) -> str:
    return json.dumps(
        {
            "Resources": {
                "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "esm-cfn-events"}},
                "Table": {
                    "Type": "AWS::DynamoDB::Table",
                    "Properties": {
                        "TableName": "esm-cfn",
                        "BillingMode": "PAY_PER_REQUEST",
                        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                    },
                },
                "Function": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "FunctionName": "esm-cfn-sink",
                        "Runtime": "python3.11",
                        "Handler": "index.handler",
                        "Role": ROLE,
                        "Timeout": 10,
                        "Code": {"ZipFile": SINK},
                        "Environment": {"Variables": {"BUCKET": {"Ref": "Bucket"}}},
                    },
                },
                "Mapping": {
                    "Type": "AWS::Lambda::EventSourceMapping",
                    "Properties": {
                        "FunctionName": {"Ref": "Function"},
                        "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
                        "StartingPosition": "TRIM_HORIZON",
                        "BatchSize": batch_size,
                        "Enabled": enabled,
                        "MaximumRetryAttempts": 2,
                    },
                },
            },
            "Outputs": {
                "MappingRef": {"Value": {"Ref": "Mapping"}},
                "MappingId": {"Value": {"Fn::GetAtt": ["Mapping", "Id"]}},
                "MappingArn": {"Value": {"Fn::GetAtt": ["Mapping", "EventSourceMappingArn"]}},
            },
        }
    )


def _objects(s3, bucket: str, count: int, timeout: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        keys = sorted(
            (item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])), key=lambda key: int(key)
        )
        if len(keys) >= count:
            return [json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]
        assert time.monotonic() < deadline, f"{len(keys)} objects, not {count}"
        time.sleep(0.05)


def _empty(s3, bucket: str) -> None:
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])


def test_event_source_mapping_resource(stack, cfn):
    cfn.create_stack(StackName="esm", TemplateBody=_template(10))
    cfn.get_waiter("stack_create_complete").wait(StackName="esm", WaiterConfig=FAST)
    found = outputs(cfn, "esm")
    mapping_uuid = found["MappingRef"]
    assert found["MappingId"] == mapping_uuid
    assert found["MappingArn"] == f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{mapping_uuid}"
    lambda_client, dynamodb, s3 = stack.client("lambda"), stack.client("dynamodb"), stack.client("s3")
    mapping = lambda_client.get_event_source_mapping(UUID=mapping_uuid)
    assert mapping["BatchSize"] == 10 and mapping["MaximumRetryAttempts"] == 2
    assert mapping["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:esm-cfn-sink"
    dynamodb.put_item(TableName="esm-cfn", Item={"id": {"S": "from-cfn"}})
    (event,) = _objects(s3, "esm-cfn-events", 1)
    assert event["Records"][0]["dynamodb"]["NewImage"] == {"id": {"S": "from-cfn"}}

    cfn.update_stack(StackName="esm", TemplateBody=_template(20, enabled=False))
    cfn.get_waiter("stack_update_complete").wait(StackName="esm", WaiterConfig=FAST)
    assert outputs(cfn, "esm")["MappingRef"] == mapping_uuid  # updated in place
    updated = lambda_client.get_event_source_mapping(UUID=mapping_uuid)
    assert updated["BatchSize"] == 20 and updated["State"] in ("Disabling", "Disabled")

    _empty(s3, "esm-cfn-events")  # CloudFormation deletes empty buckets only
    cfn.delete_stack(StackName="esm")
    cfn.get_waiter("stack_delete_complete").wait(StackName="esm", WaiterConfig=FAST)
    assert lambda_client.list_event_source_mappings()["EventSourceMappings"] == []


SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Events:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: sam-esm-events
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      InlineCode: |
%s
      Environment:
        Variables:
          BUCKET: !Ref Events
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            BatchSize: 5
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"]}'
Outputs:
  TableName:
    Value: !Ref Table
"""


def test_sam_dynamodb_event(stack, cfn):
    code = "\n".join("        " + line for line in SINK.strip().splitlines())
    cfn.create_stack(
        StackName="sam-esm", TemplateBody=SAM % code, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    cfn.get_waiter("stack_create_complete").wait(StackName="sam-esm", WaiterConfig=FAST)
    types = {r["ResourceType"] for r in cfn.describe_stack_resources(StackName="sam-esm")["StackResources"]}
    assert "AWS::Lambda::EventSourceMapping" in types
    lambda_client, dynamodb, s3 = stack.client("lambda"), stack.client("dynamodb"), stack.client("s3")
    (mapping,) = lambda_client.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["BatchSize"] == 5
    deadline = time.monotonic() + 10
    while lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    table = outputs(cfn, "sam-esm")["TableName"]
    dynamodb.put_item(TableName=table, Item={"id": {"S": "one"}})
    dynamodb.delete_item(TableName=table, Key={"id": {"S": "one"}})  # filtered out
    dynamodb.put_item(TableName=table, Item={"id": {"S": "two"}})
    events = _objects(s3, "sam-esm-events", 1)
    while sum(len(e["Records"]) for e in events) < 2:
        events = _objects(s3, "sam-esm-events", len(events) + 1)
    records = [r for e in events for r in e["Records"]]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in records] == [
        ("INSERT", "one"),
        ("INSERT", "two"),
    ]
    _empty(s3, "sam-esm-events")
    cfn.delete_stack(StackName="sam-esm")
    cfn.get_waiter("stack_delete_complete").wait(StackName="sam-esm", WaiterConfig=FAST)
    assert lambda_client.list_event_source_mappings()["EventSourceMappings"] == []
