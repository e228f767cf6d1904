"""
Chalice, unmodified, against a RustStack it knows only by AWS_ENDPOINT_URL:
`chalice deploy` (an IAM role with its inline policy, a Lambda function, a
REST API imported from OpenAPI, its permission and stage), the app's data
through DynamoDB and S3, `chalice logs`, a second deploy that changes code,
routes and configuration (UpdateFunctionCode, PutRestApi overwrite,
UpdateRestApi), then `chalice delete` and nothing left behind.

Chalice is installed from PyPI into `.venv-tools/chalice` on first use
(tests/deploytools/tools.py); where it cannot be, the test skips saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.deploytools.tools import installed, run_tool

# botocore reads AWS_ENDPOINT_URL from 1.31.57 on; chalice itself has no
# endpoint setting and builds its clients from a botocore session.
REQUIREMENTS = "chalice==1.34.0 botocore>=1.31.57 boto3"
APP = Path(__file__).parent / "chalice_app"
FUNCTION = "ruststack-notes-dev"
TABLE = "chalice-notes"
BUCKET = "chalice-files"

# What the second deploy changes: code, a route, and an environment variable.
NEW_ROUTE = """

@app.route("/version")
def version():
    return {"version": os.environ["APP_VERSION"]}
"""


@pytest.fixture(scope="module")
def chalice() -> str:
    return installed("chalice", REQUIREMENTS, "chalice")


@pytest.fixture(scope="module")
def stack():
    process = RustStackProcess.start("--lambda-idle-timeout", "60")
    yield process
    process.stop()


def _environment(stack: RustStackProcess, home: Path) -> dict[str, str]:
    # Only the endpoint tells Chalice where AWS is; no profile of the machine's leaks in.
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {
        **kept,
        "HOME": str(home),
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": stack.region,
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
    }


def test_chalice_deploy_logs_redeploy_delete(chalice, stack, tmp_path):
    project = tmp_path / "app"
    shutil.copytree(APP, project)  # Chalice writes .chalice/deployed and its package cache here
    environment = _environment(stack, tmp_path)

    def run(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return run_tool(chalice, "chalice", arguments, str(project), environment, timeout, stack.log_path)

    def deploy() -> tuple[str, float]:
        started = time.monotonic()
        run("deploy", "--stage", "dev")
        took = time.monotonic() - started
        deployed = json.loads((project / ".chalice" / "deployed" / "dev.json").read_text())
        (api,) = [r for r in deployed["resources"] if r["resource_type"] == "rest_api"]
        return api["rest_api_id"], took

    dynamodb, s3 = stack.client("dynamodb"), stack.client("s3")
    awslambda, apigateway, iam = stack.client("lambda"), stack.client("apigateway"), stack.client("iam")
    # Chalice deploys code, not data stores: the app's table and bucket are made beforehand.
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    s3.create_bucket(Bucket=BUCKET)

    api_id, first_deploy = deploy()
    print(f"chalice deploy (create): {first_deploy:.2f} s")
    function = awslambda.get_function(FunctionName=FUNCTION)["Configuration"]
    assert function["Runtime"] == "python3.11" and function["Handler"] == "app.app"
    assert function["Environment"]["Variables"] == {"TABLE_NAME": TABLE, "BUCKET_NAME": BUCKET}
    role = function["Role"].rsplit("/", 1)[1]
    assert iam.get_role(RoleName=role)["Role"]["Arn"] == function["Role"]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [role]

    base = f"{stack.endpoint_url}/restapis/{api_id}/api/_user_request_"
    http = requests.Session()
    assert http.get(f"{base}/", timeout=60).json() == {"greeting": "hello"}
    stored = http.put(f"{base}/notes/n1", json={"title": "milk"}, timeout=60)
    assert stored.status_code == 200 and stored.json() == {"id": "n1", "title": "milk"}
    assert http.get(f"{base}/notes/n1", timeout=60).json() == {"id": "n1", "title": "milk"}
    # ...really in the table, written by the function's own boto3:
    assert dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "n1"}})["Item"]["title"] == {"S": "milk"}
    missing = http.get(f"{base}/notes/none", timeout=60)
    assert missing.status_code == 404 and missing.json() == {"Code": "NotFoundError", "Message": "no note none"}
    put = http.put(f"{base}/files/a.txt", data=b"file body", headers={"Content-Type": "text/plain"}, timeout=60)
    assert put.json() == {"stored": "a.txt"}
    assert s3.get_object(Bucket=BUCKET, Key="a.txt")["Body"].read() == b"file body"
    got = http.get(f"{base}/files/a.txt", timeout=60)
    assert (got.text, got.headers["Content-Type"]) == ("file body", "text/plain")

    # `chalice logs` reads the function's log group (CloudWatch Logs' FilterLogEvents).
    deadline = time.monotonic() + 30
    while "stored note n1" not in (logs := run("logs", "--stage", "dev", timeout=60).stdout):
        assert time.monotonic() < deadline, f"the app's log line never reached chalice logs:\n{logs}"
        time.sleep(0.5)
    assert "ruststack-notes - INFO - stored note n1" in logs

    # The update path: new code, a new route, a new environment variable.
    assert http.get(f"{base}/version", timeout=60).status_code == 403  # no such route yet
    source = (project / "app.py").read_text()
    (project / "app.py").write_text(source.replace('GREETING = "hello"', 'GREETING = "hello again"') + NEW_ROUTE)
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["stages"]["dev"]["environment_variables"]["APP_VERSION"] = "2"
    config_path.write_text(json.dumps(config))
    same_api, second_deploy = deploy()
    print(f"chalice deploy (update): {second_deploy:.2f} s")
    assert same_api == api_id
    assert http.get(f"{base}/", timeout=60).json() == {"greeting": "hello again"}
    assert http.get(f"{base}/version", timeout=60).json() == {"version": "2"}
    assert http.get(f"{base}/notes/n1", timeout=60).json() == {"id": "n1", "title": "milk"}
    assert apigateway.get_rest_api(restApiId=api_id)["endpointConfiguration"] == {"types": ["EDGE"]}

    run("delete", "--stage", "dev")
    with pytest.raises(ClientError) as gone:
        awslambda.get_function(FunctionName=FUNCTION)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert apigateway.get_rest_apis()["items"] == []
    assert awslambda.list_functions()["Functions"] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    assert stack.client("cloudformation").list_stacks()["StackSummaries"] == []  # Chalice uses none
    deployed = json.loads((project / ".chalice" / "deployed" / "dev.json").read_text())
    assert deployed["resources"] == []
