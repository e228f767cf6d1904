"""
The data plane in front of the real Lambda service (process executor, real
runtime interface client), with a function that echoes the event it got:
the event as a Lambda function sees it, the integration timeout, and
unsigned stage requests under --auth verify.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import invocations_uri, proxy_method
from tests.stacks import ruststack_fixture

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ruststack.awslambda.service") is None, reason="the Lambda service is not built yet"
)

ECHO = """
import base64, json, time

def handler(event, context):
    if event["path"] == "/slow":
        time.sleep(3)
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(event),
    }
"""


AUTHORIZER = """
def handler(event, context):
    if event["authorizationToken"] != "Bearer good":
        raise Exception("Unauthorized")
    return {
        "principalId": "ana",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "context": {"team": "blue"},
    }
"""


def package(source: str, module: str = "echo") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def deploy_echo(process: RustStackProcess, **clients) -> tuple[str, str]:
    lam = process.client("lambda", **clients)
    apigw = process.client("apigateway", **clients)
    arn = lam.create_function(
        FunctionName="echo",
        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
        Role="arn:aws:iam::000000000000:role/echo",
        Handler="echo.handler",
        Code={"ZipFile": package(ECHO)},
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="echo")
    api = apigw.create_rest_api(name="echo", binaryMediaTypes=["application/octet-stream"])
    uri = invocations_uri(arn, process.region)
    items = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="items")
    item = apigw.create_resource(restApiId=api["id"], parentId=items["id"], pathPart="{id}")
    slow = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="slow")
    private = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="private")
    for resource, timeout, authorization in ((item, 29000, "NONE"), (slow, 1000, "NONE"), (private, 29000, "AWS_IAM")):
        proxy_method(apigw, api["id"], resource["id"], "ANY", uri, authorization, timeoutInMillis=timeout)
    # As deploy tools (SAM, Serverless) do: API Gateway may invoke the function for this API.
    account = arn.split(":")[4]
    lam.add_permission(
        FunctionName="echo",
        StatementId=f"apigateway-{api['id']}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{process.region}:{account}:{api['id']}/*",
    )
    apigw.create_deployment(restApiId=api["id"], stageName="test", variables={"flavour": "plain"})
    return api["id"], f"{process.endpoint_url}/restapis/{api['id']}/test/_user_request_"


echo_stack = ruststack_fixture("--services", "lambda,apigateway")


@pytest.fixture(scope="module")
def echo(echo_stack):
    return deploy_echo(echo_stack)


def test_the_event_a_function_receives(echo):
    api_id, url = echo
    response = requests.post(
        url + "/items/caf%C3%A9?tag=a&tag=b",
        data=b"\x00\x01binary",
        headers={"Content-Type": "application/octet-stream", "X-Trace": "one", "x-lower-case": "yes"},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    event = response.json()
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/caf%C3%A9"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"id": "café"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["stageVariables"] == {"flavour": "plain"}
    assert event["headers"]["X-Trace"] == "one"
    # Header names reach the function as the client wrote them.
    assert event["headers"]["x-lower-case"] == "yes" and "X-Lower-Case" not in event["headers"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["isBase64Encoded"] is True and event["body"] == "AAFiaW5hcnk="
    context = event["requestContext"]
    assert (context["apiId"], context["stage"], context["resourcePath"]) == (api_id, "test", "/items/{id}")
    assert context["accountId"] == "000000000000"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"].startswith("python-requests/")


def test_integration_timeout_is_504(echo):
    _, url = echo
    response = requests.get(url + "/slow", timeout=60)
    assert (response.status_code, response.json()) == (504, {"message": "Endpoint request timed out"})


def test_method_on_another_resource_only_is_403(echo):
    _, url = echo
    response = requests.get(url + "/items", timeout=60)
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})


def signed_get(url: str, key: str, secret: str, region: str = "us-east-1") -> requests.Response:
    request = AWSRequest("GET", url)
    SigV4Auth(Credentials(key, secret), "execute-api", region).add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=60)


def test_iam_method_wants_a_signature_and_names_the_caller(echo):
    _, url = echo
    unsigned = requests.get(url + "/private", timeout=60)
    assert (unsigned.status_code, unsigned.json()) == (403, {"message": "Missing Authentication Token"})
    signed = signed_get(url + "/private", "111122223333", "secret")
    assert signed.status_code == 200
    identity = signed.json()["requestContext"]["identity"]
    assert (identity["accessKey"], identity["accountId"]) == ("111122223333", "111122223333")


def test_stages_are_served_unsigned_under_auth_verify(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\n")
    process = RustStackProcess.start(
        "--services", "lambda,apigateway", "--auth", "verify", "--credentials-file", str(credentials)
    )
    try:
        keys = {"aws_access_key_id": "AKIADEV", "aws_secret_access_key": "devsecret"}
        _, url = deploy_echo(process, **keys)
        assert requests.get(url + "/items/1", timeout=60).json()["pathParameters"] == {"id": "1"}
        # An AWS_IAM method is authenticated: a good signature passes, a bad one is refused.
        assert signed_get(url + "/private", "AKIADEV", "devsecret").status_code == 200
        assert signed_get(url + "/private", "AKIADEV", "wrong").status_code == 403
        # The control plane still wants a valid signature.
        with pytest.raises(ClientError) as excinfo:
            process.client("apigateway", aws_access_key_id="AKIADEV", aws_secret_access_key="wrong").get_rest_apis()
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:
        process.stop()


def test_lambda_token_authorizer(echo_stack, echo):
    api_id, url = echo
    lam, apigw = echo_stack.client("lambda"), echo_stack.client("apigateway")
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    arn = lam.create_function(
        FunctionName="authorizer",
        Runtime=runtime,
        Role="arn:aws:iam::000000000000:role/echo",
        Handler="auth.handler",
        Code={"ZipFile": package(AUTHORIZER, "auth")},
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="authorizer")
    lam.add_permission(
        FunctionName="authorizer",
        StatementId="apigateway-authorizers",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/authorizers/*",
    )
    authorizer = apigw.create_authorizer(
        restApiId=api_id,
        name="token",
        type="TOKEN",
        authorizerUri=invocations_uri(arn),
        identitySource="method.request.header.Authorization",
    )
    root = apigw.get_rest_api(restApiId=api_id)["rootResourceId"]
    guarded = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="guarded")
    echo_arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    proxy_method(apigw, api_id, guarded["id"], "GET", invocations_uri(echo_arn), "CUSTOM", authorizer["id"])
    apigw.create_deployment(restApiId=api_id, stageName="test")

    assert requests.get(url + "/guarded", headers={"Authorization": "Bearer bad"}, timeout=60).status_code == 401
    allowed = requests.get(url + "/guarded", headers={"Authorization": "Bearer good"}, timeout=60)
    assert allowed.status_code == 200
    authorizer_context = allowed.json()["requestContext"]["authorizer"]
    assert (authorizer_context["principalId"], authorizer_context["team"]) == ("ana", "blue")
