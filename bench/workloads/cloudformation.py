"""
CloudFormation: the SAM example stack (a function with two API events, a
simple table, a bucket, a log group: 10 resources once transformed), from
DescribeStacks and CreateChangeSet to CREATE_COMPLETE as `sam deploy` drives
it (target < 2 s), and DeleteStack to DELETE_COMPLETE (target < 1 s).
RustStack only: no peer makes these resources through real service APIs
without Docker.
"""

from __future__ import annotations

import io
import time
import zipfile

from bench.context import Context
from bench.harness import Goal, Workload, one_operation

SERVICES = "s3,dynamodb,lambda,apigateway,sts,cloudformation"
POLL_SECONDS = 0.02

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Notes:
    Type: AWS::Serverless::SimpleTable
  Uploads:
    Type: AWS::S3::Bucket
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7
  NotesFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: s3://bench-artifacts/app.zip
      Environment:
        Variables:
          TABLE: !Ref Notes
          BUCKET: !Ref Uploads
      Events:
        Get:
          Type: Api
          Properties: {Path: "/notes/{id}", Method: get}
        Put:
          Type: Api
          Properties: {Path: "/notes/{id}", Method: put}
Outputs:
  Api:
    Value: !Ref ServerlessRestApi
"""


def _wait(cfn, name: str, done: str, started: float) -> float:
    while True:
        try:
            status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        except cfn.exceptions.ClientError as e:
            if done == "DELETE_COMPLETE" and "does not exist" in str(e):
                return time.perf_counter() - started
            raise
        if status == done:
            return time.perf_counter() - started
        if status.endswith(("FAILED", "ROLLBACK_COMPLETE")):
            raise RuntimeError(f"stack {name} ended in {status}")
        time.sleep(POLL_SECONDS)


def _deploy(cfn, name: str) -> float:
    started = time.perf_counter()
    # As sam deploy does: is there such a stack yet?
    try:
        cfn.describe_stacks(StackName=name)
    except cfn.exceptions.ClientError as e:
        if "does not exist" not in str(e):
            raise
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="deploy",
        ChangeSetType="CREATE",
        TemplateBody=TEMPLATE,
        Capabilities=["CAPABILITY_IAM"],
    )
    while True:
        change_set = cfn.describe_change_set(StackName=name, ChangeSetName="deploy")
        if change_set["Status"] == "CREATE_COMPLETE":
            break
        if change_set["Status"] == "FAILED":
            raise RuntimeError(change_set.get("StatusReason"))
        time.sleep(POLL_SECONDS)
    cfn.execute_change_set(StackName=name, ChangeSetName="deploy")
    return _wait(cfn, name, "CREATE_COMPLETE", started)


def _delete(cfn, name: str) -> float:
    started = time.perf_counter()
    cfn.delete_stack(StackName=name)
    return _wait(cfn, name, "DELETE_COMPLETE", started)


def run(ctx: Context) -> None:
    from ruststack.testing import RustStackProcess

    create = ctx.report.add(
        Workload(
            ctx.group,
            "SAM stack CreateChangeSet to CREATE_COMPLETE",
            "p50_ms",
            "10 resources (function, role, 2 permissions, REST API, deployment, stage, table, bucket, log group)",
            [Goal("< 2000 ms", "p50_ms", below=2000)],
        )
    )
    delete = ctx.report.add(
        Workload(
            ctx.group,
            "SAM stack DeleteStack to DELETE_COMPLETE",
            "p50_ms",
            "the same stack's 10 resources deleted",
            [Goal("< 1000 ms", "p50_ms", below=1000)],
        )
    )
    try:
        process = RustStackProcess.start("--services", SERVICES)
    except RuntimeError as e:
        create.unavailable["ruststack"] = delete.unavailable["ruststack"] = str(e)[:500]
        return
    try:
        s3 = process.client("s3")
        s3.create_bucket(Bucket="bench-artifacts")
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
        s3.put_object(Bucket="bench-artifacts", Key="app.zip", Body=package.getvalue())
        cfn = process.client("cloudformation")
        for i in range(3 if ctx.quick else 10):
            name = f"bench-sam-{i}"
            try:
                made = _deploy(cfn, name)
                gone = _delete(cfn, name)
            except Exception as e:
                create.unavailable["ruststack"] = f"{type(e).__name__}: {e}"[:500]
                return
            ctx.log(f"  round {i + 1}: created in {made * 1000:.0f} ms, deleted in {gone * 1000:.0f} ms")
            create.trials.setdefault("ruststack", []).append(one_operation("ruststack", i, made))
            delete.trials.setdefault("ruststack", []).append(one_operation("ruststack", i, gone))
    finally:
        process.stop()
