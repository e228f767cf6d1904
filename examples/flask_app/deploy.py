"""
Package the notes app with its dependencies and deploy it, with boto3, to a
running RustStack (or to AWS: it is ordinary deploy code): an S3 bucket, a
DynamoDB table, the Lambda function, and a REST API whose root and
C{{proxy+}} resources send every method to the function. Prints the URL.

    python examples/flask_app/deploy.py [--endpoint-url http://localhost:4566]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from typing import Any

import attrs
import boto3
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
# What the Lambda runtime provides: not worth shipping in the zip.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


@attrs.frozen
class Deployment:
    api_id: str
    stage: str
    function_name: str
    table_name: str
    bucket_name: str
    url: str
    host_url: str


def package(requirements: str = os.path.join(HERE, "requirements.txt")) -> bytes:
    """
    The deployment zip: the app's modules at the top, its dependencies
    installed beside them by pip (the Lambda layout), without boto3 and what
    it brings, which the runtime has.
    """
    with tempfile.TemporaryDirectory(prefix="flask-app-") as build:
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            + ["--target", build, "-r", requirements],
            stderr=subprocess.PIPE,
            text=True,
        )
        if pip.returncode != 0:
            raise RuntimeError(f"pip could not install {requirements}:\n{pip.stderr}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(os.path.join(HERE, "app.py"), "app.py")
            for folder, _dirs, files in os.walk(build):
                relative = os.path.relpath(folder, build)
                top = relative.split(os.sep)[0]
                if top.startswith(RUNTIME_PROVIDED) or top == "bin" or "__pycache__" in relative.split(os.sep):
                    continue
                for name in files:
                    path = os.path.join(folder, name)
                    archive.write(path, os.path.relpath(path, build))
        return buffer.getvalue()


def _clients(endpoint_url: str | None, region: str) -> dict[str, Any]:
    session = boto3.session.Session(region_name=region)
    if endpoint_url and session.get_credentials() is None:
        # A local emulator takes any key; AWS itself needs real ones.
        session = boto3.session.Session(region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
    return {
        name: session.client(name, endpoint_url=endpoint_url)
        for name in ("s3", "dynamodb", "lambda", "apigateway", "iam")
    }


# Lambda may assume the role; what it may do is the policy attached below.
_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
_BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _ensure_role(iam, name: str) -> str:
    """
    The function's execution role (Lambda accepts only a role that exists).
    """
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_TRUST)["Role"]["Arn"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=_BASIC_EXECUTION)
    return arn


def _ensure_bucket(s3, name: str, region: str) -> None:
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    except ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise


def _ensure_table(dynamodb, name: str) -> None:
    try:
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceInUseException":
            raise
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def _deploy_function(lam, name: str, code: bytes, environment: dict[str, str], role: str) -> str:
    try:
        arn = lam.create_function(
            FunctionName=name,
            Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code},
            Environment={"Variables": environment},
            Timeout=30,
            MemorySize=256,
        )["FunctionArn"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceConflictException":
            raise
        arn = lam.update_function_code(FunctionName=name, ZipFile=code)["FunctionArn"]
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": environment})
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        return arn
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return arn


def _deploy_api(apigateway, lam, name: str, function_arn: str, region: str, stage: str) -> str:
    """
    The REST API C{name}, created or brought up to date (so that its URL
    stays the same across deploys), with a new deployment of C{stage}.
    """
    existing = [a for a in apigateway.get_rest_apis(limit=500)["items"] if a["name"] == name]
    if existing:
        api = existing[0]
    else:
        # */*: every request body reaches the function base64-encoded and a
        # base64 answer (apig-wsgi's binary responses) goes out decoded.
        api = apigateway.create_rest_api(
            name=name, binaryMediaTypes=["*/*"], endpointConfiguration={"types": ["REGIONAL"]}
        )
    api_id = api["id"]
    resources = {r["path"]: r["id"] for r in apigateway.get_resources(restApiId=api_id, limit=500)["items"]}
    if "/{proxy+}" not in resources:
        proxy = apigateway.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="{proxy+}")
        resources["/{proxy+}"] = proxy["id"]
    uri = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    for resource_id in (resources["/"], resources["/{proxy+}"]):
        try:
            apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="ANY", authorizationType="NONE")
        except apigateway.exceptions.ConflictException:
            pass  # there from an earlier deploy
        apigateway.put_integration(
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
        )
    account = function_arn.split(":")[4]
    try:
        lam.add_permission(
            FunctionName=function_arn,
            StatementId=f"apigateway-{api_id}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*/*/*",
        )
    except lam.exceptions.ResourceConflictException:
        pass  # granted by an earlier deploy
    apigateway.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def deploy(
    endpoint_url: str | None,
    region: str = "us-east-1",
    name: str = "flask-notes",
    stage: str = "dev",
    code: bytes | None = None,
) -> Deployment:
    """
    Deploy (or redeploy) the app as C{name}; C{code} is the zip, built by
    L{package} when not given.
    """
    clients = _clients(endpoint_url, region)
    table, bucket = f"{name}-notes", f"{name}-files"
    _ensure_bucket(clients["s3"], bucket, region)
    _ensure_table(clients["dynamodb"], table)
    function_arn = _deploy_function(
        clients["lambda"],
        name,
        code if code is not None else package(),
        {"TABLE_NAME": table, "BUCKET_NAME": bucket},
        role=_ensure_role(clients["iam"], f"{name}-role"),
    )
    api_id = _deploy_api(clients["apigateway"], clients["lambda"], name, function_arn, region, stage)
    if endpoint_url:
        base = endpoint_url.rstrip("/")
        url = f"{base}/restapis/{api_id}/{stage}/_user_request_/"
        scheme, _, host = base.partition("://")
        port = host.rpartition(":")[2] if ":" in host else ""
        host_url = f"{scheme}://{api_id}.execute-api.localhost{':' + port if port else ''}/{stage}/"
    else:
        url = host_url = f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/"
    return Deployment(api_id, stage, name, table, bucket, url, host_url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566"),
        help="RustStack's edge URL (default: $AWS_ENDPOINT_URL or http://localhost:4566)",
    )
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--name", default="flask-notes", help="function and API name (table and bucket derive from it)")
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    deployment = deploy(args.endpoint_url, args.region, args.name, args.stage)
    print(f"Deployed {deployment.function_name} behind REST API {deployment.api_id}, stage {deployment.stage}:")
    print(f"  {deployment.url}")
    print(f"  {deployment.host_url}  (host form; *.localhost resolves to 127.0.0.1)")
    print(f"Try: curl {deployment.url}notes")


if __name__ == "__main__":
    main()
