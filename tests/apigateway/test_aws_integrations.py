"""
Non-proxy integrations end to end, against a RustStack child process over
real sockets, APIs built with boto3: "API Gateway -> DynamoDB without
Lambda" (AWS service integrations signed as the integration's role), S3
objects through a path URI, a Lambda function without proxy, and HTTP /
HTTP_PROXY integrations to a server this test runs on 127.0.0.1.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import invocations_uri
from tests.apigateway.test_lambda_proxy import package
from tests.dynamodb.helpers import JAR, dynamodb_local_missing, wait_running

ROLE = "arn:aws:iam::000000000000:role/apigateway-integrations"


@pytest.fixture(scope="module")
def stack() -> Iterator[RustStackProcess]:
    reason = dynamodb_local_missing()
    if reason:
        pytest.skip(reason)
    started = RustStackProcess.start("--services", "lambda,apigateway,dynamodb,s3,ssm", "--dynamodb-local-jar", JAR)
    try:
        wait_running(started)
        yield started
    finally:
        started.stop()


def put_method(apigw, api_id, resource_id, verb, integration, responses, parameters=None):
    ids = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": verb}
    apigw.put_method(**ids, authorizationType="NONE", requestParameters=parameters or {})
    apigw.put_integration(**ids, **integration)
    for status, response in responses.items():
        apigw.put_method_response(**ids, statusCode=status)
        apigw.put_integration_response(**ids, statusCode=status, **response)


def stage_url(stack, api_id, stage="dev"):
    return f"{stack.endpoint_url}/restapis/{api_id}/{stage}/_user_request_"


# -- API Gateway -> DynamoDB, no Lambda --------------------------------------------

PUT_ITEM = """{
  "TableName": "$stageVariables.table",
  "Item": {
    "id": {"S": "$input.params('id')"},
    "name": {"S": "$util.escapeJavaScript($input.path('$.name'))"},
    "legs": {"N": "$input.path('$.legs')"}
  }
}"""
GET_ITEM = '{"TableName": "$stageVariables.table", "Key": {"id": {"S": "$input.params(\'id\')"}}}'
ITEM = """#set($item = $input.path('$.Item'))
#if(!$item)
#set($context.responseOverride.status = 404)
{"message": "no pet $input.params('id')"}
#else
{"id": "$item.id.S", "name": "$util.escapeJavaScript($item.name.S)", "legs": $item.legs.N}
#end"""
SCAN = '{"TableName": "$stageVariables.table", "Limit": $input.params(\'limit\')}'
ITEMS = """#set($items = $input.path('$.Items'))
{"count": $input.path('$.Count'), "pets": [
#foreach($item in $items)
  {"id": "$item.id.S", "name": "$util.escapeJavaScript($item.name.S)"}#if($foreach.hasNext),#end
#end
]}"""
DYNAMODB_ERROR = {
    "selectionPattern": "4\\d{2}",
    "responseTemplates": {"application/json": '{"error": "$input.path(\'$.message\')"}'},
}


def dynamodb(action):
    return {
        "type": "AWS",
        "integrationHttpMethod": "POST",
        "uri": f"arn:aws:apigateway:us-east-1:dynamodb:action/{action}",
        "credentials": ROLE,
    }


@pytest.fixture(scope="module")
def pets_api(stack):
    ddb, apigw = stack.client("dynamodb"), stack.client("apigateway")
    ddb.create_table(
        TableName="pets",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    api = apigw.create_rest_api(name="pets")
    pets = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    pet = apigw.create_resource(restApiId=api["id"], parentId=pets["id"], pathPart="{id}")
    path_id = {"method.request.path.id": True}
    put_method(
        apigw,
        api["id"],
        pet["id"],
        "PUT",
        {**dynamodb("PutItem"), "requestTemplates": {"application/json": PUT_ITEM}},
        {
            "200": {"responseTemplates": {"application/json": '{"stored": "$input.params(\'id\')"}'}},
            "400": DYNAMODB_ERROR,
        },
        path_id,
    )
    put_method(
        apigw,
        api["id"],
        pet["id"],
        "GET",
        {**dynamodb("GetItem"), "requestTemplates": {"application/json": GET_ITEM}},
        {"200": {"responseTemplates": {"application/json": ITEM}}, "400": DYNAMODB_ERROR},
        path_id,
    )
    put_method(
        apigw,
        api["id"],
        pets["id"],
        "GET",
        {**dynamodb("Scan"), "requestTemplates": {"application/json": SCAN}},
        {"200": {"responseTemplates": {"application/json": ITEMS}}, "400": DYNAMODB_ERROR},
    )
    apigw.create_deployment(restApiId=api["id"], stageName="dev", variables={"table": "pets"})
    return stage_url(stack, api["id"])


def test_dynamodb_without_lambda(stack, pets_api):
    answer = requests.put(f"{pets_api}/pets/rex", json={"name": 'Rex "the dog"', "legs": 4}, timeout=30)
    assert (answer.status_code, answer.json()) == (200, {"stored": "rex"})
    requests.put(f"{pets_api}/pets/tom", json={"name": "Tom", "legs": 4}, timeout=30)
    # The item is in the table, written as the API's account.
    item = stack.client("dynamodb").get_item(TableName="pets", Key={"id": {"S": "rex"}})["Item"]
    assert item == {"id": {"S": "rex"}, "name": {"S": 'Rex "the dog"'}, "legs": {"N": "4"}}
    answer = requests.get(f"{pets_api}/pets/rex", timeout=30)
    assert (answer.status_code, answer.json()) == (200, {"id": "rex", "name": 'Rex "the dog"', "legs": 4})
    assert answer.headers["Content-Type"] == "application/json"
    answer = requests.get(f"{pets_api}/pets/nobody", timeout=30)
    assert (answer.status_code, answer.json()) == (404, {"message": "no pet nobody"})
    answer = requests.get(f"{pets_api}/pets?limit=10", timeout=30)
    assert answer.status_code == 200
    listing = answer.json()
    assert listing["count"] == 2
    assert sorted(listing["pets"], key=lambda p: p["id"]) == [
        {"id": "rex", "name": 'Rex "the dog"'},
        {"id": "tom", "name": "Tom"},
    ]


def test_dynamodb_errors_select_the_error_response(pets_api):
    # legs is not a number: DynamoDB's 400 ValidationException, selected by "4\d{2}".
    answer = requests.put(f"{pets_api}/pets/odd", json={"name": "Odd", "legs": "many"}, timeout=30)
    assert answer.status_code == 400
    assert "numeric" in answer.json()["error"].lower() or "number" in answer.json()["error"].lower()


def test_other_json_services(stack):
    # Any JSON-protocol service RustStack has is reached the same way: SSM here.
    stack.client("ssm").put_parameter(Name="/shop/greeting", Value="hello", Type="String")
    apigw = stack.client("apigateway")
    api = apigw.create_rest_api(name="parameters")
    put_method(
        apigw,
        api["id"],
        api["rootResourceId"],
        "GET",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": "arn:aws:apigateway:us-east-1:ssm:action/GetParameter",
            "credentials": ROLE,
            "requestTemplates": {"application/json": '{"Name": "/shop/$input.params(\'name\')"}'},
        },
        {
            "200": {"responseTemplates": {"application/json": '{"value": "$input.path(\'$.Parameter.Value\')"}'}},
            "404": {"selectionPattern": "400", "responseTemplates": {"application/json": '{"missing": true}'}},
        },
    )
    apigw.create_deployment(restApiId=api["id"], stageName="dev")
    answer = requests.get(stage_url(stack, api["id"]) + "/?name=greeting", timeout=30)
    assert (answer.status_code, answer.json()) == (200, {"value": "hello"})
    answer = requests.get(stage_url(stack, api["id"]) + "/?name=nothing", timeout=30)
    assert (answer.status_code, answer.json()) == (404, {"missing": True})


def test_role_of_another_account_is_refused(stack):
    apigw = stack.client("apigateway")
    api = apigw.create_rest_api(name="foreign-role")
    put_method(
        apigw,
        api["id"],
        api["rootResourceId"],
        "GET",
        {
            **dynamodb("ListTables"),
            "credentials": "arn:aws:iam::111111111111:role/other",
            "requestTemplates": {"application/json": "{}"},
        },
        {"200": {}},
    )
    apigw.create_deployment(restApiId=api["id"], stageName="dev")
    answer = requests.get(stage_url(stack, api["id"]) + "/", timeout=30)
    assert (answer.status_code, answer.json()) == (500, {"message": "Internal server error"})


# -- S3 objects through a path URI ---------------------------------------------------


def test_s3_objects(stack):
    s3_round_trip(stack, ROLE)


def test_signed_as_the_apis_account_under_auth_verify(tmp_path):
    # The integration's requests carry a session of its role, which the
    # edge checks like any signature and serves as the API's account.
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[one]\naws_access_key_id = AKIAONE\naws_secret_access_key = onesecret\naws_account_id = 111122223333\n"
    )
    process = RustStackProcess.start(
        "--services", "apigateway,s3", "--auth", "verify", "--credentials-file", str(credentials)
    )
    try:
        keys = {"aws_access_key_id": "AKIAONE", "aws_secret_access_key": "onesecret"}
        s3_round_trip(process, "arn:aws:iam::111122223333:role/uploads", **keys)
    finally:
        process.stop()


def s3_round_trip(stack, role, **keys):
    s3, apigw = stack.client("s3", **keys), stack.client("apigateway", **keys)
    s3.create_bucket(Bucket="uploads")
    api = apigw.create_rest_api(name="files", binaryMediaTypes=["image/png"])
    files = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="files")
    file = apigw.create_resource(restApiId=api["id"], parentId=files["id"], pathPart="{key}")
    common = {
        "type": "AWS",
        "uri": "arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}",
        "credentials": role,
        "requestParameters": {
            "integration.request.path.bucket": "stageVariables.bucket",
            "integration.request.path.key": "method.request.path.key",
            "integration.request.header.Content-Type": "method.request.header.Content-Type",
        },
    }
    ok = {
        "200": {
            "responseParameters": {"method.response.header.Content-Type": "integration.response.header.Content-Type"}
        }
    }
    missing = {
        "404": {"selectionPattern": "404", "responseTemplates": {"application/json": '{"message": "no such file"}'}}
    }
    for verb in ("GET", "PUT", "DELETE"):
        responses = {**ok, **missing} if verb == "GET" else {"200": {}}
        if verb == "DELETE":
            responses = {"204": {"selectionPattern": "204"}, "200": {}}
        put_method(apigw, api["id"], file["id"], verb, {**common, "integrationHttpMethod": verb}, responses)
    apigw.create_deployment(restApiId=api["id"], stageName="dev", variables={"bucket": "uploads"})
    url = stage_url(stack, api["id"]) + "/files/notes.txt"

    answer = requests.put(url, data=b"milk, eggs", headers={"Content-Type": "text/plain"}, timeout=30)
    assert answer.status_code == 200, answer.text
    stored = s3.get_object(Bucket="uploads", Key="notes.txt")
    assert stored["Body"].read() == b"milk, eggs" and stored["ContentType"] == "text/plain"
    answer = requests.get(url, timeout=30)
    assert (answer.status_code, answer.content) == (200, b"milk, eggs")
    assert answer.headers["Content-Type"] == "text/plain"
    # Binary bodies pass through both ways untouched (no templates).
    png = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
    picture = stage_url(stack, api["id"]) + "/files/logo.png"
    answer = requests.put(picture, data=png, headers={"Content-Type": "image/png"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert s3.get_object(Bucket="uploads", Key="logo.png")["Body"].read() == png
    answer = requests.get(picture, headers={"Accept": "image/png"}, timeout=30)
    assert (answer.status_code, answer.content, answer.headers["Content-Type"]) == (200, png, "image/png")
    answer = requests.delete(url, timeout=30)
    assert answer.status_code == 204
    answer = requests.get(url, timeout=30)
    assert (answer.status_code, answer.json()) == (404, {"message": "no such file"})


# -- Lambda without proxy ----------------------------------------------------------------

ADDER = """
def handler(event, context):
    if "a" not in event:
        raise ValueError("Missing a: give a and b")
    return {"sum": event["a"] + event["b"], "event": event}
"""


def test_lambda_without_proxy(stack):
    lam, apigw = stack.client("lambda"), stack.client("apigateway")
    arn = lam.create_function(
        FunctionName="adder",
        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
        Role="arn:aws:iam::000000000000:role/adder",
        Handler="adder.handler",
        Code={"ZipFile": package(ADDER, "adder")},
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="adder")
    api = apigw.create_rest_api(name="adder")
    template = """#if($input.params('a') != "")
{"a": $input.params('a'), "b": $input.params('b')}
#else
{}
#end"""
    put_method(
        apigw,
        api["id"],
        api["rootResourceId"],
        "GET",
        {
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": invocations_uri(arn),
            "requestTemplates": {"application/json": template},
        },
        {
            "200": {"responseTemplates": {"application/json": "{\"sum\": $input.path('$.sum')}"}},
            "400": {
                "selectionPattern": "Missing .*",
                "responseTemplates": {"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'},
            },
        },
    )
    lam.add_permission(
        FunctionName="adder",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api['id']}/*",
    )
    apigw.create_deployment(restApiId=api["id"], stageName="dev")
    url = stage_url(stack, api["id"]) + "/"
    answer = requests.get(url, params={"a": 2, "b": 3}, timeout=60)
    assert (answer.status_code, answer.json()) == (200, {"sum": 5})
    answer = requests.get(url, timeout=60)
    assert (answer.status_code, answer.json()) == (400, {"error": "Missing a: give a and b"})


# -- HTTP and HTTP_PROXY ------------------------------------------------------------------


class _Backend(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        document = {"method": self.command, "path": self.path, "body": body, "headers": dict(self.headers)}
        status = 418 if self.path.startswith("/teapot") else 200
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "yes")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the gateway hangs up on /slow when it times out


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_integrations(stack, backend):
    apigw = stack.client("apigateway")
    api = apigw.create_rest_api(name="http")
    mapped = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="mapped")
    item = apigw.create_resource(restApiId=api["id"], parentId=mapped["id"], pathPart="{id}")
    proxied = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    put_method(
        apigw,
        api["id"],
        item["id"],
        "POST",
        {
            "type": "HTTP",
            "integrationHttpMethod": "PUT",
            "uri": backend + "/things/{id}",
            "requestParameters": {
                "integration.request.path.id": "method.request.path.id",
                "integration.request.querystring.kind": "method.request.header.X-Kind",
                "integration.request.header.X-Static": "'fixed'",
            },
            "requestTemplates": {"application/json": "{\"wrapped\": $input.json('$')}"},
        },
        {
            "200": {
                "responseTemplates": {"application/json": "{\"seen\": $input.json('$')}"},
                "responseParameters": {"method.response.header.X-From": "integration.response.header.X-Backend"},
            },
            "418": {"selectionPattern": "418", "responseTemplates": {"application/json": '{"teapot": true}'}},
        },
        {"method.request.path.id": True},
    )
    put_method(
        apigw,
        api["id"],
        proxied["id"],
        "ANY",
        {
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "ANY",
            "uri": backend + "/{proxy}",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
            "timeoutInMillis": 500,
        },
        {},
        {"method.request.path.proxy": True},
    )
    apigw.create_deployment(restApiId=api["id"], stageName="dev")
    url = stage_url(stack, api["id"])

    answer = requests.post(f"{url}/mapped/a%20b", json={"n": 1}, headers={"X-Kind": "cat"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-From"] == "yes"
    seen = answer.json()["seen"]
    assert (seen["method"], seen["path"]) == ("PUT", "/things/a%20b?kind=cat")
    assert json.loads(seen["body"]) == {"wrapped": {"n": 1}}
    assert seen["headers"]["X-Static"] == "fixed"
    assert seen["headers"]["Content-Type"] == "application/json"

    answer = requests.delete(f"{url}/teapot/x?y=1&y=2", headers={"X-Mine": "1"}, timeout=30)
    assert answer.status_code == 418
    seen = answer.json()
    assert (seen["method"], seen["path"]) == ("DELETE", "/teapot/x?y=1&y=2")
    assert seen["headers"]["X-Mine"] == "1"
    assert answer.headers["X-Backend"] == "yes"

    answer = requests.get(f"{url}/slow", timeout=30)
    assert (answer.status_code, answer.json()) == (504, {"message": "Endpoint request timed out"})

    # Nothing listening there: 500.
    apigw.update_integration(
        restApiId=api["id"],
        resourceId=proxied["id"],
        httpMethod="ANY",
        patchOperations=[{"op": "replace", "path": "/uri", "value": "http://127.0.0.1:1/{proxy}"}],
    )
    apigw.create_deployment(restApiId=api["id"], stageName="dev")
    answer = requests.get(f"{url}/anything", timeout=30)
    assert (answer.status_code, answer.json()) == (500, {"message": "Internal server error"})
