"""
The Serverless Framework (osls, the open-source line of v3), unmodified,
with the serverless-wsgi plugin, against a RustStack it knows only by
AWS_ENDPOINT_URL: `serverless deploy` of the notes Flask app
(tests/deploytools/serverless_app: a CloudFormation stack with its
deployment bucket, the function, the REST API, the DynamoDB table and the S3
bucket), the app's data through the table and the bucket over HTTP,
`serverless logs`, a redeploy of changed code (the whole service, then the
function alone with `serverless deploy function`), then `serverless remove`,
which removes the whole stack and asks ECR whether the service has an image
repository to delete (it has none), leaving nothing behind.

The deployment bucket's policy denies plain HTTP (as on AWS), so the CLI
talks to RustStack's TLS edge, trusting its certificate through
NODE_EXTRA_CA_CERTS. serverless-wsgi installs the app's requirements with
pip from a Python that has virtualenv (`.venv-tools/serverless-python`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from typing import Any

import pytest

from ruststack.testing import TEST_ACCESS_KEY, TEST_SECRET_KEY
from tests.deploytools.tools import ROOT, call, check_notes_round_trip, installed, npm_installed, run_tool

HERE = os.path.dirname(os.path.abspath(__file__))
SERVERLESS = "osls@4.3.1 serverless-wsgi@3.1.0"
# What serverless-wsgi's requirements.py needs of the Python it runs.
WSGI_PYTHON = "virtualenv==21.15.7"
# RustStack's process executor runs functions with its own Python.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
STACK, FUNCTION = "notes-dev", "notes-dev-api"


@pytest.fixture(scope="module")
def serverless_bin() -> str:
    bin_dir = npm_installed("serverless", SERVERLESS, "serverless")
    # osls refuses a Node.js older than it supports, saying so.
    done = subprocess.run(
        [os.path.join(bin_dir, "serverless"), "--version"], capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        pytest.skip(f"osls cannot run here: {done.stderr.strip()[-500:]}")
    return bin_dir


@pytest.fixture(scope="module")
def wsgi_python() -> str:
    return os.path.join(installed("serverless-python", WSGI_PYTHON, "python"), "python")


@pytest.fixture
def serverless(serverless_bin, wsgi_python, tls_stack, tmp_path):
    """
    Run a serverless command in the project (serverless_app with the notes
    app of examples/flask_app as notes.py) against RustStack; its output.
    """
    service, tls_url, cert = tls_stack.process, tls_stack.url, tls_stack.cert
    project = tmp_path / "notes"
    shutil.copytree(os.path.join(HERE, "serverless_app"), project)
    shutil.copy(os.path.join(ROOT, "examples", "flask_app", "app.py"), project / "notes.py")
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env = {
        **kept,
        "AWS_ENDPOINT_URL": tls_url,
        "NODE_EXTRA_CA_CERTS": cert,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        "AWS_DEFAULT_REGION": service.region,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        # serverless.yml's ${env:...}.
        "PYTHON_RUNTIME": RUNTIME,
        "WSGI_PYTHON": wsgi_python,
    }

    def run(*args: str, timeout: float = 300, fails: bool = False) -> str:
        done = run_tool(serverless_bin, "serverless", args, project, env, timeout, service.log_path, fails)
        return done.stdout + done.stderr

    run.project = project  # type: ignore[attr-defined]
    return run


def outputs(cfn: Any) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_deploy_call_logs_redeploy_remove(serverless, tls_stack, capsys):
    service = tls_stack.process
    service.reset()
    cfn, awslambda, apigateway = (service.client(n) for n in ("cloudformation", "lambda", "apigateway"))
    dynamodb, s3, iam, logs, ecr = (service.client(n) for n in ("dynamodb", "s3", "iam", "logs", "ecr"))

    started = time.monotonic()
    serverless("deploy", "--verbose")
    first_deploy = time.monotonic() - started

    out = outputs(cfn)
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    function = awslambda.get_function(FunctionName=FUNCTION)["Configuration"]
    assert function["Handler"] == "wsgi_handler.handler" and function["Runtime"] == RUNTIME
    assert function["Environment"]["Variables"] == {"TABLE_NAME": out["TableName"], "BUCKET_NAME": out["BucketName"]}
    (api,) = apigateway.get_rest_apis()["items"]
    assert api["name"] == "dev-notes" and api["binaryMediaTypes"] == ["*/*"]
    assert out["ServiceEndpoint"] == f"https://{api['id']}.execute-api.{service.region}.amazonaws.com/dev"

    base = f"{service.endpoint_url}/restapis/{api['id']}/dev/_user_request_"
    check_notes_round_trip(service, base, out["TableName"], out["BucketName"], "sls")
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "one"})

    # The line the app logged, through `serverless logs` (CloudWatch Logs).
    deadline = time.monotonic() + 30
    while "serving release one" not in (lines := serverless("logs", "-f", "api", "--startTime", "10m", timeout=60)):
        assert time.monotonic() < deadline, f"the app's line not in serverless logs:\n{lines}"
        time.sleep(1)

    # The update path: new code (serverless skips a deploy that changes nothing), the same API.
    app = serverless.project / "app.py"
    app.write_text(app.read_text().replace('RELEASE = "one"', 'RELEASE = "two"'))
    started = time.monotonic()
    serverless("deploy", "--verbose")
    second_deploy = time.monotonic() - started
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "two"})
    assert call("GET", f"{base}/notes/n1")[0] == 200  # the table kept its data
    assert [a["id"] for a in apigateway.get_rest_apis()["items"]] == [api["id"]]
    # Serverless publishes a version at each deploy (versionFunctions, its default).
    versions = awslambda.list_versions_by_function(FunctionName=FUNCTION)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    # The quick path for code alone: UpdateFunctionCode, no stack update.
    app.write_text(app.read_text().replace('RELEASE = "two"', 'RELEASE = "three"'))
    serverless("deploy", "function", "-f", "api")
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "three"})
    assert f"ANY - {out['ServiceEndpoint']}/{{proxy+}}" in serverless("info")

    # As on AWS, a bucket that still holds objects cannot be deleted with its stack.
    s3.delete_object(Bucket=out["BucketName"], Key="hello.txt")
    # `serverless remove` empties the deployment bucket, deletes the stack
    # and asks ECR for the service's image repository (DescribeRepositories
    # by name): RepositoryNotFoundException, so there is none to delete.
    removed = serverless("remove", "--verbose")
    assert "Service notes has been successfully removed" in removed, removed
    assert "Removing ECR repository" not in removed
    with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=STACK)
    assert awslambda.list_functions()["Functions"] == []
    assert apigateway.get_rest_apis()["items"] == []
    assert iam.list_roles()["Roles"] == []
    assert dynamodb.list_tables()["TableNames"] == []
    assert s3.list_buckets()["Buckets"] == []  # the files bucket and the deployment bucket
    assert logs.describe_log_groups()["logGroups"] == []
    assert ecr.describe_repositories()["repositories"] == []
    with capsys.disabled():
        print(f"\nserverless deploy against RustStack: first {first_deploy:.1f} s, update {second_deploy:.1f} s")
