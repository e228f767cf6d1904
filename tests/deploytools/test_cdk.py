"""
The AWS CDK CLI, unmodified, against RustStack: `cdk bootstrap`, `cdk deploy`
(twice: the update path, with `cdk diff` before it) and `cdk destroy` of a plain-JavaScript CDK app
(tests/deploytools/cdk_app: the notes Flask app of examples/flask_app as a
Python function behind a LambdaRestApi, a DynamoDB table and an S3 bucket),
and the app's log line through `aws logs tail` (the CDK has no logs command),
with nothing but AWS_ENDPOINT_URL pointing the CLI at RustStack.

The CDK's bootstrap bucket denies every request not made over TLS
(aws:SecureTransport), as on AWS, so the CLI talks to RustStack's HTTPS edge,
trusting its certificate through AWS_CA_BUNDLE.
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
from tests.deploytools.tools import ROOT, call, check_notes_round_trip, npm_installed, run_tool

CDK = "aws-cdk@2.1148.1 aws-cdk-lib@2.276.0 constructs@10.8.1"
HERE = os.path.dirname(os.path.abspath(__file__))
# RustStack's process executor runs functions with its own Python.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
STACK = "notes-cdk"
# The AWS CLI v2 (scripts/install-system-deps.sh), for `aws logs tail`.
AWS_CLI = "/usr/bin/aws"


@pytest.fixture(scope="module")
def cdk_bin() -> str:
    return npm_installed("cdk", CDK, "cdk")


@pytest.fixture(scope="module")
def every_service(tls_stack):
    return tls_stack.process


@pytest.fixture
def project(tmp_path) -> tuple[str, str]:
    """
    The CDK app (tests/deploytools/cdk_app) and the function's asset folder:
    its code, the Flask app and its requirements, pip-installed there (no
    Docker bundling).
    """
    app = str(tmp_path / "app")
    shutil.copytree(os.path.join(HERE, "cdk_app"), app, ignore=shutil.ignore_patterns("src"))
    asset = str(tmp_path / "asset")
    shutil.copytree(os.path.join(HERE, "cdk_app", "src"), asset)
    flask_app = os.path.join(ROOT, "examples", "flask_app")
    shutil.copy(os.path.join(flask_app, "app.py"), asset)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", asset]
        + ["-r", os.path.join(flask_app, "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return app, asset


@pytest.fixture
def environment(cdk_bin, every_service, tls_stack, project, tmp_path) -> dict[str, str]:
    app, asset = project
    return {
        "PATH": cdk_bin + os.pathsep + os.environ.get("PATH", ""),
        "HOME": str(tmp_path),  # the CDK's ~/.cdk cache
        "LANG": "C.UTF-8",
        # The app's `require("aws-cdk-lib")` finds the CLI's prefix.
        "NODE_PATH": os.path.dirname(cdk_bin),
        "AWS_ENDPOINT_URL": tls_stack.url,
        "AWS_CA_BUNDLE": tls_stack.cert,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        "AWS_DEFAULT_REGION": every_service.region,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        # Loopback only: no version check, telemetry or notices (cdk.json too).
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "1",
        "NOTES_ASSET": asset,
        "NOTES_RUNTIME": RUNTIME,
        "NOTES_RELEASE": "first",
    }


@pytest.fixture
def cdk(cdk_bin, every_service, project, environment):
    """
    Run a cdk command in the app against RustStack; its output.
    """

    def run(*args: str, timeout: float = 300) -> str:
        done = run_tool(
            cdk_bin, "cdk", (*args, "--no-notices"), project[0], environment, timeout, every_service.log_path
        )
        return done.stdout + done.stderr

    return run


def logs_tail(environment: dict[str, str], group: str) -> str:
    # The AWS CLI v2 reads AWS_ENDPOINT_URL from 2.13 on; this one may be older.
    done = subprocess.run(
        [AWS_CLI, "--endpoint-url", environment["AWS_ENDPOINT_URL"], "logs", "tail", group, "--since", "1h"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def outputs(cfn: Any) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_bootstrap_deploy_call_logs_update_destroy(cdk, every_service, project, environment, capsys):
    if not os.path.exists(AWS_CLI):
        pytest.skip(f"no AWS CLI v2 at {AWS_CLI} (scripts/install-system-deps.sh) for `aws logs tail`")
    every_service.reset()
    asset = project[1]

    cdk("bootstrap")
    started = time.monotonic()
    cdk("deploy", "--require-approval", "never")
    first_deploy = time.monotonic() - started

    cfn = every_service.client("cloudformation")
    out = outputs(cfn)
    assert out["ApiUrl"] == f"https://{out['ApiId']}.execute-api.{every_service.region}.amazonaws.com/prod/"
    base = f"{every_service.endpoint_url}/restapis/{out['ApiId']}/prod/_user_request_"
    check_notes_round_trip(every_service, base, out["TableName"], out["BucketName"], "cdk")
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "first", "code": "one"})

    # The line the app logged, through `aws logs tail` (CloudWatch Logs).
    line = "release first serving code one"
    group = f"/aws/lambda/{out['FunctionName']}"
    deadline = time.monotonic() + 30
    while line not in (logs := logs_tail(environment, group)):
        assert time.monotonic() < deadline, f"{line!r} not in aws logs tail:\n{logs}"
        time.sleep(1)

    # The update path: new code and a new environment value.
    with open(os.path.join(asset, "release.py"), "w") as f:
        f.write('CODE = "two"\n')
    environment["NOTES_RELEASE"] = "second"
    # `cdk diff` asks CloudFormation for a change set (and deletes it).
    diff = cdk("diff")
    assert "[-] first" in diff and "[+] second" in diff, diff
    assert "Could not create a change set" not in diff, diff
    started = time.monotonic()
    cdk("deploy", "--require-approval", "never")
    second_deploy = time.monotonic() - started
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "second", "code": "two"})
    assert call("GET", f"{base}/notes/n1")[0] == 200  # the table kept its data
    assert outputs(cfn)["ApiId"] == out["ApiId"]

    # No autoDeleteObjects (a Node.js custom resource; RustStack's Lambda
    # runs Python only): as on AWS, a bucket that holds objects would fail
    # the delete, so the test empties it.
    every_service.client("s3").delete_object(Bucket=out["BucketName"], Key="hello.txt")
    started = time.monotonic()
    cdk("destroy", "--force")
    destroy = time.monotonic() - started
    with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=STACK)
    assert every_service.client("lambda").list_functions()["Functions"] == []
    assert every_service.client("apigateway").get_rest_apis()["items"] == []
    assert every_service.client("dynamodb").list_tables()["TableNames"] == []
    # What is left is the bootstrap stack's, as on AWS: its bucket (holding
    # the assets) and its roles.
    account = every_service.client("sts").get_caller_identity()["Account"]
    buckets = [b["Name"] for b in every_service.client("s3").list_buckets()["Buckets"]]
    assert buckets == [f"cdk-hnb659fds-assets-{account}-{every_service.region}"]
    roles = [r["RoleName"] for r in every_service.client("iam").list_roles()["Roles"]]
    assert roles and all(name.startswith("cdk-hnb659fds-") for name in roles), roles
    assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == ["CDKToolkit"]
    with capsys.disabled():
        print(
            f"\ncdk deploy against RustStack: first {first_deploy:.1f} s, update {second_deploy:.1f} s;"
            f" cdk destroy {destroy:.1f} s"
        )
