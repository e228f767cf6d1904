"""
Zappa, unmodified, against a RustStack it knows only by AWS_ENDPOINT_URL:
`zappa deploy` of the notes Flask app (examples/flask_app; an IAM role, the
package in S3, a Lambda function, a REST API through a CloudFormation stack
from a template in S3, its deployment and stage settings), the app's data
through DynamoDB and S3, its keep-warm EventBridge rule (stored, not fired), `zappa tail`,
`zappa update` of changed code, then `zappa undeploy --remove-logs`, after which
nothing of the deployment is left but the execution role (which Zappa never
deletes, on AWS either).

Zappa packages the virtualenv it runs in, so the app's requirements are
installed beside it in `.venv-tools/zappa` (tests/deploytools/tools.py).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import pytest

from ruststack.testing import TEST_ACCESS_KEY, TEST_SECRET_KEY, RustStackProcess
from tests.deploytools.tools import ROOT, call, check_notes_round_trip, installed, run_tool

HERE = os.path.dirname(os.path.abspath(__file__))
FLASK_APP = os.path.join(ROOT, "examples", "flask_app")
with open(os.path.join(FLASK_APP, "requirements.txt")) as _requirements:
    ZAPPA = " ".join(["zappa==0.63.0", *_requirements.read().split()])
TABLE, BUCKET, ARTIFACTS = "zappa-notes", "zappa-files", "zappa-notes-artifacts"
FUNCTION, ROLE = "notes-dev", "notes-dev-ZappaLambdaExecutionRole"


@pytest.fixture(scope="module")
def zappa_bin() -> str:
    return installed("zappa", ZAPPA, "zappa")


@pytest.fixture(scope="module")
def every_service():
    process = RustStackProcess.start("--lambda-idle-timeout", "60")
    yield process
    process.stop()


def settings(region: str) -> dict:
    return {
        "dev": {
            "app_function": "wsgi.app",
            "project_name": "notes",
            "aws_region": region,
            # RustStack's process executor runs functions with its own Python.
            "runtime": f"python{sys.version_info.major}.{sys.version_info.minor}",
            "s3_bucket": ARTIFACTS,
            "environment_variables": {"TABLE_NAME": TABLE, "BUCKET_NAME": BUCKET},
            "timeout_seconds": 30,
            "log_level": "INFO",
            # keep_warm stays on (Zappa's default): a rule of rate(4 minutes)
            # targets the function (RustStack stores it, never fires it).
            # Loopback only: no GET of https://{api}.execute-api.{region}.amazonaws.com
            # after deploying, and the packages of this virtualenv (built for
            # the Python RustStack runs) rather than manylinux wheels from PyPI.
            "touch": False,
            "use_precompiled_packages": False,
        }
    }


@pytest.fixture
def zappa(zappa_bin, every_service, tmp_path):
    """
    Run a zappa command in the project (the Flask app, wsgi.py and
    zappa_settings.json) against RustStack; its output.
    """
    project = tmp_path / "notes"
    project.mkdir()
    shutil.copy(os.path.join(FLASK_APP, "app.py"), project / "app.py")
    shutil.copy(os.path.join(HERE, "zappa_app", "wsgi.py"), project / "wsgi.py")
    (project / "zappa_settings.json").write_text(json.dumps(settings(every_service.region)))
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env = {
        **kept,
        "PATH": zappa_bin + os.pathsep + os.environ.get("PATH", ""),
        # Zappa packages the virtualenv this names.
        "VIRTUAL_ENV": os.path.dirname(zappa_bin),
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": every_service.endpoint_url,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        "AWS_DEFAULT_REGION": every_service.region,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }

    def run(*args: str, timeout: float = 300, fails: bool = False) -> str:
        done = run_tool(zappa_bin, "zappa", args, project, env, timeout, every_service.log_path, fails)
        return done.stdout + done.stderr

    run.project = project  # type: ignore[attr-defined]
    return run


def assert_keep_warm(events, function_arn: str) -> None:
    """
    The function is the one target of one rule, Zappa's keep-warm schedule.
    """
    (name,) = events.list_rule_names_by_target(TargetArn=function_arn)["RuleNames"]
    assert name == f"{FUNCTION}-zappa-keep-warm-handler.keep_warm_callback"
    rule = events.describe_rule(Name=name)
    assert (rule["ScheduleExpression"], rule["State"]) == ("rate(4 minutes)", "ENABLED")
    (target,) = events.list_targets_by_rule(Rule=name)["Targets"]
    assert target["Arn"] == function_arn and "InputTemplate" in target["InputTransformer"]


def test_deploy_call_tail_update_undeploy(zappa, every_service, capsys):
    every_service.reset()
    dynamodb, s3 = every_service.client("dynamodb"), every_service.client("s3")
    awslambda, apigateway, iam = (every_service.client(n) for n in ("lambda", "apigateway", "iam"))
    cfn = every_service.client("cloudformation")
    # Zappa deploys code, not data stores: the app's table and bucket are made beforehand.
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    s3.create_bucket(Bucket=BUCKET)

    started = time.monotonic()
    zappa("deploy", "dev")
    first_deploy = time.monotonic() - started

    function = awslambda.get_function(FunctionName=FUNCTION)["Configuration"]
    assert function["Handler"] == "handler.lambda_handler"
    # (Zappa's environment_variables travel in the package, set by its handler.)
    assert function["Role"] == iam.get_role(RoleName=ROLE)["Role"]["Arn"]
    (api,) = apigateway.get_rest_apis()["items"]
    assert api["name"] == FUNCTION and api["binaryMediaTypes"] == ["*/*"]
    stage = apigateway.get_stage(restApiId=api["id"], stageName="dev")
    assert stage["methodSettings"]["*/*"]["loggingLevel"] == "OFF"
    assert cfn.describe_stacks(StackName=FUNCTION)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    events = every_service.client("events")
    assert_keep_warm(events, function["FunctionArn"])

    base = f"{every_service.endpoint_url}/restapis/{api['id']}/dev/_user_request_"
    check_notes_round_trip(every_service, base, TABLE, BUCKET, "zappa")
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "one"})

    # The line the app logged, through `zappa tail` (CloudWatch Logs).
    deadline = time.monotonic() + 30
    while "serving release one" not in (logs := zappa("tail", "dev", "--since", "10m", "--disable-keep-open")):
        assert time.monotonic() < deadline, f"the app's line not in zappa tail:\n{logs}"
        time.sleep(1)

    # The update path: new code, the same API.
    wsgi = zappa.project / "wsgi.py"
    wsgi.write_text(wsgi.read_text().replace('RELEASE = "one"', 'RELEASE = "two"'))
    started = time.monotonic()
    zappa("update", "dev")
    second_deploy = time.monotonic() - started
    status, body = call("GET", f"{base}/release")
    assert (status, json.loads(body)) == (200, {"release": "two"})
    assert call("GET", f"{base}/notes/n1")[0] == 200  # the table kept its data
    assert [a["id"] for a in apigateway.get_rest_apis()["items"]] == [api["id"]]

    assert_keep_warm(events, function["FunctionArn"])  # put again by the update

    # `zappa undeploy` removes the API (its stack), the keep-warm rule, the
    # function and, with --remove-logs, its log group.
    zappa("undeploy", "dev", "--yes", "--remove-logs")
    assert apigateway.get_rest_apis()["items"] == []
    with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=FUNCTION)
    assert events.list_rules()["Rules"] == []
    assert events.list_rule_names_by_target(TargetArn=function["FunctionArn"])["RuleNames"] == []
    with pytest.raises(awslambda.exceptions.ResourceNotFoundException):
        awslambda.get_function(FunctionName=FUNCTION)
    assert awslambda.list_functions()["Functions"] == []
    assert every_service.client("logs").describe_log_groups()["logGroups"] == []
    # What Zappa leaves, on AWS too: its execution role, and the artifacts bucket.
    assert iam.get_role(RoleName=ROLE)["Role"]["RoleName"] == ROLE
    with capsys.disabled():
        print(f"\nzappa against RustStack: deploy {first_deploy:.1f} s, update {second_deploy:.1f} s")
