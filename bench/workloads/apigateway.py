"""
Issue 6's target: a warm HTTP request through API Gateway -> Lambda ->
Flask -> DynamoDB GetItem, with the example app (examples/flask_app, deployed
by its own deploy script): p50 < 10 ms at one client, >= 150 requests/s at
eight. No peer runs this journey without Docker; the targets are absolute.

Issue 15's: the same function behind an HTTP API (quick create: a $default
route to a payload format 2.0 integration) measured in the same run: p50
under 4 ms warm, at least 400 requests/s at eight clients.
"""

from __future__ import annotations

import importlib.util
import json
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import boto3

from bench.context import Context
from bench.harness import Goal
from bench.load import run_load
from bench.rawclient import RawClient, RequestFailed
from bench.servers import Server, start_ruststack

DEPLOY_SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "flask_app" / "deploy.py"
NOTE = "bench-note"


def _deploy_module():
    if not DEPLOY_SCRIPT.exists():
        raise FileNotFoundError(f"{DEPLOY_SCRIPT} is not there yet")
    spec = importlib.util.spec_from_file_location("flask_app_deploy", DEPLOY_SCRIPT)
    # None only for a file no loader claims; a .py file always has one.
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get_note(url: str, index: int, headers: dict[str, str] | None = None):
    client = RawClient(url, None)
    path = urlsplit(url).path + f"notes/{NOTE}"

    def op(i: int) -> int:
        _, _, body = client.call("GET", path, headers=headers)
        if json.loads(body).get("id") != NOTE:
            raise RequestFailed(f"GET {path}: {body[:200]!r}")
        return len(body)

    return op


def _deploy(server: Server) -> tuple[str, str]:
    """
    The example deployed behind a REST API and, the same function, behind
    an HTTP API: their URLs (path form).
    """
    module = _deploy_module()
    deployment = module.deploy(server.url, name="bench-notes")
    client = RawClient(deployment.url, None)
    path = urlsplit(deployment.url).path + f"notes/{NOTE}"
    client.call("PUT", path, expect=201, headers={"content-type": "application/json"}, body=b'{"title": "bench"}')
    get_note(deployment.url, 0)(0)
    clients = module._clients(server.url, "us-east-1")
    function_arn = clients["lambda"].get_function(FunctionName=deployment.function_name)["Configuration"]["FunctionArn"]
    # As the deploy script's clients: any key does for a local emulator.
    apigw2 = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    ).client("apigatewayv2", endpoint_url=server.url)
    api_id = apigw2.create_api(Name="bench-notes-http", ProtocolType="HTTP", Target=function_arn)["ApiId"]
    clients["lambda"].add_permission(
        FunctionName=function_arn,
        StatementId=f"apigateway-{api_id}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{function_arn.split(':')[4]}:{api_id}/*",
    )
    http_url = f"{server.url.rstrip('/')}/restapis/{api_id}/$default/_user_request_/"
    get_note(http_url, 0)(0)
    return deployment.url, http_url


KEYED_STAGE = "keyed"
API_KEY = "bench-api-key-of-twenty-chars"


def _keyed(server: Server, url: str) -> str:
    """
    A second stage of the same API whose C{{proxy+}} method wants an API key
    (of a usage plan with a generous throttle and quota) and has a request
    validator (a required header and the body's model): its URL.
    """
    import boto3

    # The deploy script's credentials (and so its account).
    session = boto3.session.Session(region_name="us-east-1")
    if session.get_credentials() is None:
        session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    apigw = session.client("apigateway", endpoint_url=server.url)
    api_id = urlsplit(url).path.split("/")[2]
    proxy = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/{proxy+}")
    ids = {"restApiId": api_id, "resourceId": proxy["id"], "httpMethod": "ANY"}
    integration = apigw.get_integration(**ids)
    model = {"type": "object"}
    apigw.create_model(restApiId=api_id, name="Note", contentType="application/json", schema=json.dumps(model))
    validator = apigw.create_request_validator(
        restApiId=api_id, name="all", validateRequestBody=True, validateRequestParameters=True
    )
    apigw.delete_method(**ids)
    apigw.put_method(
        **ids,
        authorizationType="NONE",
        apiKeyRequired=True,
        requestValidatorId=validator["id"],
        requestParameters={"method.request.header.x-api-key": True},
        requestModels={"application/json": "Note"},
    )
    apigw.put_integration(**ids, type="AWS_PROXY", integrationHttpMethod="POST", uri=integration["uri"])
    apigw.create_deployment(restApiId=api_id, stageName=KEYED_STAGE)
    key = apigw.create_api_key(name="bench", enabled=True, value=API_KEY)
    throttle = {"burstLimit": 1_000_000, "rateLimit": 1_000_000.0}
    quota = {"limit": 1_000_000_000, "period": "DAY"}
    stages = [{"apiId": api_id, "stage": KEYED_STAGE}]
    plan = apigw.create_usage_plan(name="bench", apiStages=stages, throttle=throttle, quota=quota)
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    keyed_url = url.replace(f"/{api_id}/dev/", f"/{api_id}/{KEYED_STAGE}/")
    get_note(keyed_url, 0, {"x-api-key": API_KEY})(0)
    return keyed_url


def run(ctx: Context) -> None:
    services = ("s3", "dynamodb", "lambda", "apigateway", "apigatewayv2", "iam")
    rust: Server | str = ctx.start(start_ruststack, services, ctx.folder)
    url = http_url = ""
    if isinstance(rust, Server):
        try:
            ctx.log("deploying examples/flask_app (pip installs its requirements into the zip)")
            url, http_url = _deploy(rust)
        except Exception as e:
            rust = f"deploying the example failed: {type(e).__name__}: {e}"[:500]

    def target(clients: int, at: str | None = None):
        if isinstance(rust, str):
            return {"ruststack": rust}
        return {"ruststack": (rust, partial(run_load, partial(get_note, at or url), clients, ctx.duration))}

    ctx.compare(
        "apigateway Flask GetItem x1",
        "p50_ms",
        target(1),
        [Goal("p50 < 10 ms", "p50_ms", below=10)],
        "GET /notes/{id} through the REST API (path form), warm, one client",
        warmup={"ruststack": lambda: run_load(partial(get_note, url), 8, 1.0)} if not isinstance(rust, str) else None,
    )
    ctx.compare(
        "apigateway Flask GetItem x8",
        "rate",
        target(8),
        [Goal(">= 150 req/s", "rate", at_least=150)],
        "the same from 8 client processes",
    )
    ctx.compare(
        "apigatewayv2 Flask GetItem x1",
        "p50_ms",
        target(1, http_url),
        [Goal("p50 < 4 ms", "p50_ms", below=4)],
        "GET /notes/{id} through an HTTP API (quick create, payload 2.0, path form), warm, one client",
        warmup={"ruststack": lambda: run_load(partial(get_note, http_url), 8, 1.0)}
        if not isinstance(rust, str)
        else None,
    )
    ctx.compare(
        "apigatewayv2 Flask GetItem x8",
        "rate",
        target(8, http_url),
        [Goal(">= 400 req/s", "rate", at_least=400)],
        "the same from 8 client processes",
    )
    keyed: str | None = None
    if not isinstance(rust, str):
        try:
            keyed = _keyed(rust, url)
        except Exception as e:
            ctx.log(f"the keyed stage failed: {type(e).__name__}: {e}"[:500])
    get_keyed = partial(get_note, headers={"x-api-key": API_KEY})
    # Both stages of the one process, interleaved: the difference is what
    # the API key check and the request validation cost.
    ctx.compare(
        "apigateway Flask GetItem x1, API key + validator",
        "p50_ms",
        {
            "plain": (rust, partial(run_load, partial(get_note, url), 1, ctx.duration)),
            "keyed": (rust, partial(run_load, partial(get_keyed, keyed), 1, ctx.duration)),
        }
        if keyed is not None and not isinstance(rust, str)
        else {"keyed": "the keyed stage is not there"},
        [],
        "GET /notes/{id}, one client: the plain stage and one whose method wants an API key and a validated request",
    )
