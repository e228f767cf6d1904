"""
The AWS SAM CLI, unmodified, against RustStack: `sam build`, `sam deploy`
(a samconfig.toml), `sam logs` and `sam delete` of the notes Flask app
(examples/flask_app) with its DynamoDB table and S3 bucket, with nothing but
AWS_ENDPOINT_URL pointing the CLI at RustStack; and `sam deploy --resolve-s3`
through the HTTPS edge, as SAM's managed bucket allows no other way in.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from typing import Any

import pytest

from ruststack.testing import TEST_ACCESS_KEY, TEST_SECRET_KEY
from tests.deploytools.tools import ROOT, call, check_notes_round_trip, installed, run_tool

SAM_CLI = "aws-sam-cli==1.170.0"
HERE = os.path.dirname(os.path.abspath(__file__))
# RustStack's process executor runs functions with its own Python.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ARTIFACTS = "notes-sam-artifacts"  # samconfig.toml's s3_bucket


@pytest.fixture(scope="module")
def sam_bin() -> str:
    return installed("sam", SAM_CLI, "sam")


@pytest.fixture(scope="module")
def every_service(tls_stack):
    return tls_stack.process


@pytest.fixture
def project(tmp_path) -> str:
    """
    The SAM project: tests/deploytools/sam_app with the Flask app and its
    requirements copied into its code folder.
    """
    folder = str(tmp_path / "notes")
    shutil.copytree(os.path.join(HERE, "sam_app"), folder)
    for name in ("app.py", "requirements.txt"):
        shutil.copy(os.path.join(ROOT, "examples", "flask_app", name), os.path.join(folder, "src", name))
    return folder


@pytest.fixture
def sam(sam_bin, tls_stack, project, tmp_path):
    every_service = tls_stack.process
    """
    Run a sam command in the project against RustStack; its output.
    """
    app_dir = tmp_path / "sam-cli"
    app_dir.mkdir()
    # No telemetry, and no look for a newer version on PyPI: loopback only.
    (app_dir / "metadata.json").write_text(json.dumps({"telemetryEnabled": False, "lastVersionCheck": time.time()}))
    env = {
        "PATH": sam_bin + os.pathsep + os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": every_service.endpoint_url,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        "AWS_DEFAULT_REGION": every_service.region,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "SAM_CLI_TELEMETRY": "0",
        "__SAM_CLI_APP_DIR": str(app_dir),
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT", "PIP_CONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]

    def run(*args: str, timeout: float = 300, tls: bool = False) -> str:
        through = env
        if tls:  # the HTTPS edge
            through = {**env, "AWS_ENDPOINT_URL": tls_stack.url, "AWS_CA_BUNDLE": tls_stack.cert}
        done = run_tool(sam_bin, "sam", args, project, through, timeout, every_service.log_path)
        return done.stdout + done.stderr

    return run


def outputs(cfn: Any) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName="notes")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_build_deploy_call_logs_update_delete(sam, every_service, project, capsys):
    every_service.reset()
    every_service.client("s3").create_bucket(Bucket=ARTIFACTS)
    overrides = ["--parameter-overrides", f"PythonRuntime={RUNTIME}"]

    sam("build", *overrides)
    started = time.monotonic()
    sam("deploy", *overrides, "Release=first")
    first_deploy = time.monotonic() - started

    cfn = every_service.client("cloudformation")
    out = outputs(cfn)
    base = f"{every_service.endpoint_url}/restapis/{out['ApiId']}/Prod/_user_request_"
    check_notes_round_trip(every_service, base, out["TableName"], out["BucketName"], "sam")
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "first", "code": "one"})

    # The line the app logged, through `sam logs` (CloudWatch Logs).
    line = "release first serving code one"
    deadline = time.monotonic() + 30
    while line not in (logs := sam("logs", "--stack-name", "notes", "--name", "NotesFunction", timeout=60)):
        assert time.monotonic() < deadline, f"{line!r} not in sam logs:\n{logs}"
        time.sleep(1)

    # The update path: new code and a new parameter value.
    with open(os.path.join(project, "src", "release.py"), "w") as f:
        f.write('CODE = "two"\n')
    sam("build", *overrides)
    started = time.monotonic()
    sam("deploy", *overrides, "Release=second")
    second_deploy = time.monotonic() - started
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "second", "code": "two"})
    assert call("GET", f"{base}/notes/n1")[0] == 200  # the table kept its data

    # As on AWS, a bucket that still holds objects cannot be deleted with its stack.
    every_service.client("s3").delete_object(Bucket=out["BucketName"], Key="hello.txt")
    sam("delete", "--stack-name", "notes", "--no-prompts")
    with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName="notes")
    assert every_service.client("lambda").list_functions()["Functions"] == []
    assert every_service.client("apigateway").get_rest_apis()["items"] == []
    assert every_service.client("iam").list_roles()["Roles"] == []
    assert every_service.client("dynamodb").list_tables()["TableNames"] == []
    assert every_service.client("s3").list_objects_v2(Bucket=ARTIFACTS)["KeyCount"] == 0  # sam delete's artifacts
    with capsys.disabled():
        print(f"\nsam deploy against RustStack: first {first_deploy:.1f} s, update {second_deploy:.1f} s")


def test_resolve_s3_through_the_https_edge(sam, every_service, tls_stack, project):
    """
    `sam deploy --resolve-s3` makes SAM's managed stack, whose bucket policy
    denies requests that are not over TLS (as on AWS), and uploads into it:
    through the HTTPS edge it deploys; `sam delete` leaves the managed stack.
    """
    every_service.reset()
    os.unlink(os.path.join(project, "samconfig.toml"))  # its s3_bucket excludes --resolve-s3
    overrides = ["--parameter-overrides", f"PythonRuntime={RUNTIME}", "Release=managed"]
    sam("build", *overrides)
    sam(
        "deploy", "--stack-name", "notes", "--resolve-s3", "--capabilities", "CAPABILITY_IAM",
        "--no-confirm-changeset", *overrides, tls=True,
    )  # fmt: skip

    cfn = every_service.client("cloudformation")
    managed = cfn.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"][0]
    bucket = next(o["OutputValue"] for o in managed["Outputs"] if o["OutputKey"] == "SourceBucket")
    s3 = every_service.client("s3")
    # Plain HTTP is refused by the managed bucket's policy; the upload went through TLS.
    with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
        s3.list_objects_v2(Bucket=bucket)
    secure = every_service.client("s3", endpoint_url=tls_stack.url, verify=tls_stack.cert)
    uploaded = [o["Key"] for o in secure.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert any(key.endswith(".template") for key in uploaded), uploaded

    base = f"{every_service.endpoint_url}/restapis/{outputs(cfn)['ApiId']}/Prod/_user_request_"
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "managed", "code": "one"})

    sam("delete", "--stack-name", "notes", "--no-prompts", tls=True)
    names = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    assert names == ["aws-sam-cli-managed-default"]  # kept for the next deploy, as on AWS
    assert every_service.client("lambda").list_functions()["Functions"] == []
