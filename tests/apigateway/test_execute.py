"""
The data plane over an in-memory HTTP connection (treq's StubTreq), with a
stand-in Lambda (a collaborator fake: the real one is exercised end to end
in test_flask_journey.py) and a task.Clock for the 29 s timeout.
"""

import base64
import json
from typing import TypeVar

import pytest
from treq.testing import StubTreq
from twisted.internet import defer, task
from twisted.python.failure import Failure
from twisted.web.iweb import UNKNOWN_LENGTH
from zope.interface import implementer

from ruststack.apigateway import control
from ruststack.apigateway.execute import ExecuteApiResource, function_of, target_of
from ruststack.apigateway.store import ApiStore
from ruststack.aws.errors import AwsError
from ruststack.interfaces import ILambdaInvoker, InvokeResult, InvokeSource
from ruststack.protocol import ProtocolRequest

T = TypeVar("T")

ACCOUNT, REGION = "000000000000", "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:app"
URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"


@implementer(ILambdaInvoker)
class FakeLambda:
    """
    Answers invocations with C{self.answer(event)}: an InvokeResult or a
    Deferred of one.
    """

    def __init__(self):
        self.calls = []
        self.sources = []
        self.answer = lambda event: InvokeResult(200, json.dumps({"statusCode": 200, "body": "ok"}).encode())

    def invoke(self, account, region, function, payload, qualifier=None, source=None):
        event = json.loads(payload)
        self.calls.append((account, region, function, qualifier, event))
        self.sources.append(source)
        return defer.maybeDeferred(self.answer, event)

    def invoke_event(self, account, region, function, payload, source=None, dry_run=False):
        raise NotImplementedError("API Gateway's integrations invoke synchronously")


def call(store, verb, path, body=None):
    """
    One control-plane request through the protocol layer, without HTTP: the
    answer's JSON document.
    """
    request = ProtocolRequest.from_target(
        verb, path, {"content-type": "application/json"}, json.dumps(body or {}).encode()
    )
    context = control.ControlContext(store, ACCOUNT, REGION, 0.0, {})
    response = done(defer.ensureDeferred(control.PROTOCOL.handle(request, control.HANDLERS, context)))
    assert response.status < 300, response.body
    return json.loads(response.body) if response.body else None


def deploy(store, binary=(), uri=URI, variables=None):
    api = call(store, "POST", "/restapis", {"name": "app", "binaryMediaTypes": list(binary)})
    api_id, root = api["id"], api["rootResourceId"]
    base = f"/restapis/{api_id}/resources"
    notes = call(store, "POST", f"{base}/{root}", {"pathPart": "notes"})
    proxy = call(store, "POST", f"{base}/{root}", {"pathPart": "{proxy+}"})
    for resource_id, verb in ((root, "ANY"), (proxy["id"], "ANY"), (notes["id"], "GET")):
        call(store, "PUT", f"{base}/{resource_id}/methods/{verb}", {"authorizationType": "NONE"})
        call(
            store,
            "PUT",
            f"{base}/{resource_id}/methods/{verb}/integration",
            {"type": "AWS_PROXY", "httpMethod": "POST", "uri": uri},
        )
    call(store, "POST", f"/restapis/{api_id}/deployments", {"stageName": "dev", "variables": variables or {}})
    return api_id


@pytest.fixture
def lam():
    return FakeLambda()


@pytest.fixture
def clock():
    return task.Clock()


@pytest.fixture
def store():
    return ApiStore()


@pytest.fixture
def client(store, lam, clock):
    return StubTreq(ExecuteApiResource(store, lambda: lam, clock))


def url(api_id, path):
    return f"http://127.0.0.1:4566/restapis/{api_id}/dev/_user_request_{path}"


def done(d: defer.Deferred[T]) -> T:
    results: list[T | Failure] = []
    d.addBoth(results.append)
    assert results, "the request is still pending"
    result = results[0]
    if isinstance(result, Failure):
        result.raiseException()
    return result


def fetch(client, method, target, **kwargs):
    response = done(client.request(method, target, **kwargs))
    return response, done(client.content(response))


def test_proxy_round_trip_path_form(store, lam, client):
    api_id = deploy(store, variables={"table": "notes"})
    lam.answer = lambda event: InvokeResult(
        200,
        json.dumps(
            {
                "statusCode": 201,
                "headers": {
                    "Content-Type": "text/plain",
                    "X-Seen": event["path"],
                    "Content-Length": "999",
                    "WWW-Authenticate": "Basic",
                },
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": "made",
            }
        ).encode(),
    )
    response, body = fetch(client, "POST", url(api_id, "/things/a%20b?x=1&x=2"), data=b"hello")
    assert response.code == 201
    assert body == b"made"
    assert response.headers.getRawHeaders("set-cookie") == ["a=1", "b=2"]
    assert response.headers.getRawHeaders("x-seen") == ["/things/a%20b"]
    assert response.headers.getRawHeaders("content-type") == ["text/plain"]
    # The gateway's own framing; the function's reserved headers are remapped.
    assert response.length == 4
    assert response.headers.getRawHeaders("x-amzn-remapped-content-length") == ["999"]
    assert response.headers.getRawHeaders("x-amzn-remapped-www-authenticate") == ["Basic"]
    assert not response.headers.hasHeader("www-authenticate")
    assert len(response.headers.getRawHeaders("x-amzn-requestid")[0]) == 36
    assert len(response.headers.getRawHeaders("x-amz-apigw-id")[0]) == 16
    account, region, function, qualifier, event = lam.calls[0]
    assert (account, region, function, qualifier) == (ACCOUNT, REGION, FUNCTION_ARN, None)
    # API Gateway invokes as itself, for the method ARN of the request's own path.
    assert lam.sources[0] == InvokeSource(
        "apigateway.amazonaws.com", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/dev/POST/things/a%20b"
    )
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "things/a b"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["body"] == "hello"
    assert event["stageVariables"] == {"table": "notes"}
    assert event["requestContext"]["requestId"] == response.headers.getRawHeaders("x-amzn-requestid")[0]


def test_host_form_and_root(store, lam, client):
    api_id = deploy(store)
    response, body = fetch(
        client, "GET", "http://127.0.0.1:4566/dev", headers={"Host": f"{api_id}.execute-api.localhost:4566"}
    )
    assert response.code == 200 and body == b"ok"
    event = lam.calls[0][4]
    assert event["resource"] == "/" and event["path"] == "/"
    assert event["requestContext"]["domainName"] == f"{api_id}.execute-api.localhost"
    assert event["headers"]["X-Forwarded-Port"] == "4566"
    # No Content-Type from the function: API Gateway says JSON.
    assert response.headers.getRawHeaders("content-type") == ["application/json"]


@pytest.mark.parametrize(
    "method, path",
    [("POST", "/notes"), ("GET", "/unknown-stage")],
)
def test_missing_authentication_token(store, lam, client, method, path):
    api_id = deploy(store)
    target = url(api_id, path) if path == "/notes" else f"http://127.0.0.1:4566/restapis/{api_id}/prod/_user_request_/"
    response, body = fetch(client, method, target)
    assert response.code == 403
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert response.headers.getRawHeaders("x-amzn-errortype") == ["MissingAuthenticationTokenException"]
    assert lam.calls == []


def test_function_error_and_malformed_response_are_502(store, lam, client):
    api_id = deploy(store)
    lam.answer = lambda event: InvokeResult(200, b'{"errorMessage": "boom"}', function_error="Unhandled")
    response, body = fetch(client, "GET", url(api_id, "/x"))
    assert (response.code, json.loads(body)) == (502, {"message": "Internal server error"})
    lam.answer = lambda event: InvokeResult(200, b'{"statusCode": 200, "body": {"not": "a string"}}')
    response, body = fetch(client, "GET", url(api_id, "/x"))
    assert (response.code, json.loads(body)) == (502, {"message": "Internal server error"})


def test_missing_function_is_500(store, lam, client):
    api_id = deploy(store)

    def missing(event):
        raise AwsError("ResourceNotFoundException", "Function not found", 404)

    lam.answer = missing
    response, body = fetch(client, "GET", url(api_id, "/x"))
    assert (response.code, json.loads(body)) == (500, {"message": "Internal server error"})


def test_slow_function_times_out_after_29_seconds(store, lam, client, clock):
    api_id = deploy(store)
    pending: defer.Deferred[InvokeResult] = defer.Deferred()
    lam.answer = lambda event: pending
    d = client.request("GET", url(api_id, "/slow"))
    answered: list[object] = []

    def note(response: T) -> T:
        answered.append(response)
        return response

    d.addCallback(note)
    clock.advance(28.9)
    client.flush()
    assert answered == []
    clock.advance(0.2)
    client.flush()
    response = done(d)
    assert response.code == 504
    assert json.loads(done(client.content(response))) == {"message": "Endpoint request timed out"}
    # The invocation was abandoned (cancelled), as the interface allows.
    assert pending.called


def test_binary_request_and_response(store, lam, client):
    api_id = deploy(store, binary=["image/png"])
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    lam.answer = lambda event: InvokeResult(
        200,
        json.dumps(
            {
                "statusCode": 200,
                "headers": {"Content-Type": "image/png"},
                "body": event["body"],
                "isBase64Encoded": True,
            }
        ).encode(),
    )
    response, body = fetch(
        client, "PUT", url(api_id, "/img"), data=png, headers={"Content-Type": "image/png", "Accept": "image/png"}
    )
    assert lam.calls[0][4]["isBase64Encoded"] is True
    assert base64.b64decode(lam.calls[0][4]["body"]) == png
    assert body == png
    # Without an Accept in binaryMediaTypes, the base64 text goes out as is.
    response, body = fetch(
        client, "PUT", url(api_id, "/img"), data=png, headers={"Content-Type": "image/png", "Accept": "text/plain"}
    )
    assert body == base64.b64encode(png)


def test_function_of_substitutes_stage_variables_and_splits_qualifiers():
    uri = (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:111122223333:function:app:${stageVariables.alias}/invocations"
    )
    assert function_of(uri, {"alias": "live"}) == ("arn:aws:lambda:eu-west-1:111122223333:function:app", "live")
    assert function_of("arn:aws:apigateway:r:s3:path/b/k", {}) is None


def test_target_of_both_url_forms():
    target = target_of("abc123defg.execute-api.localhost:4566", "/dev/a/b")
    assert target is not None and target.raw_path == "/a/b"
    target = target_of("127.0.0.1:4566", "/restapis/abc123defg/dev/_user_request_/a%2Fb")
    assert target is not None
    assert (target.api_id, target.stage, target.raw_path) == ("abc123defg", "dev", "/a%2Fb")
    assert target_of("abc.execute-api.localhost", "/") is None


def test_payload_over_10_mb_is_413(store, lam, client):
    api_id = deploy(store)
    response, body = fetch(client, "POST", url(api_id, "/big"), data=b"x" * (10 * 1024 * 1024 + 1))
    assert (response.code, json.loads(body)) == (413, {"message": "Request Too Long"})
    assert lam.calls == []


def test_invoker_raising_synchronously_is_500(store, lam, client):
    api_id = deploy(store)

    def throttled(account, region, function, payload, qualifier=None):
        raise AwsError("TooManyRequestsException", "Rate exceeded", 429)

    lam.invoke = throttled
    response, body = fetch(client, "GET", url(api_id, "/x"))
    assert (response.code, json.loads(body)) == (500, {"message": "Internal server error"})


def test_mock_integration_answers_a_cors_preflight(store, lam, client):
    api_id = deploy(store)
    api = store.apis[api_id]
    base = f"/restapis/{api_id}/resources"
    notes = next(r for r in api.resources.values() if r.path == "/notes")
    call(store, "PUT", f"{base}/{notes.id}/methods/OPTIONS", {"authorizationType": "NONE"})
    call(
        store,
        "PUT",
        f"{base}/{notes.id}/methods/OPTIONS/integration",
        {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
    )
    call(
        store,
        "PUT",
        f"{base}/{notes.id}/methods/OPTIONS/integration/responses/200",
        {
            "responseParameters": {
                "method.response.header.Access-Control-Allow-Origin": "'*'",
                "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
            },
            "responseTemplates": {"application/json": ""},
        },
    )
    call(store, "POST", f"/restapis/{api_id}/deployments", {"stageName": "dev"})
    response, body = fetch(client, "OPTIONS", url(api_id, "/notes"))
    assert response.code == 200 and body == b""
    assert response.headers.getRawHeaders("access-control-allow-origin") == ["*"]
    assert response.headers.getRawHeaders("access-control-allow-methods") == ["GET,OPTIONS"]
    assert lam.calls == []


def test_iam_method_refuses_unsigned_requests(store, lam, client):
    api_id = deploy(store)
    api = store.apis[api_id]
    notes = next(r for r in api.resources.values() if r.path == "/notes")
    call(
        store,
        "PATCH",
        f"/restapis/{api_id}/resources/{notes.id}/methods/GET",
        {"patchOperations": [{"op": "replace", "path": "/authorizationType", "value": "AWS_IAM"}]},
    )
    call(store, "POST", f"/restapis/{api_id}/deployments", {"stageName": "dev"})
    response, body = fetch(client, "GET", url(api_id, "/notes"))
    assert (response.code, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert lam.calls == []


AUTHORIZER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:auth"
AUTHORIZER_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{AUTHORIZER_ARN}/invocations"


def policy(effect, resource, principal="ana", context=None):
    return InvokeResult(
        200,
        json.dumps(
            {
                "principalId": principal,
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
                },
                "context": context or {},
            }
        ).encode(),
    )


def guard_notes(store, api_id: str, authorization_type: str, authorizer: dict) -> None:
    """
    Create C{authorizer}, put it in front of GET /notes as
    C{authorization_type}, and redeploy.
    """
    created = call(store, "POST", f"/restapis/{api_id}/authorizers", authorizer)
    notes = next(r for r in store.apis[api_id].resources.values() if r.path == "/notes")
    call(
        store,
        "PATCH",
        f"/restapis/{api_id}/resources/{notes.id}/methods/GET",
        {
            "patchOperations": [
                {"op": "replace", "path": "/authorizationType", "value": authorization_type},
                {"op": "replace", "path": "/authorizerId", "value": created["id"]},
            ]
        },
    )
    call(store, "POST", f"/restapis/{api_id}/deployments", {"stageName": "dev"})


def protect(store, api_id, kind="TOKEN", **authorizer):
    """
    Put a Lambda authorizer in front of GET /notes and redeploy.
    """
    guard_notes(
        store,
        api_id,
        "CUSTOM",
        {"name": "auth", "type": kind, "authorizerUri": AUTHORIZER_URI, **authorizer},
    )


def authorizer_calls(lam):
    return [c[4] for c in lam.calls if c[2] == AUTHORIZER_ARN]


def test_token_authorizer_allows_and_passes_its_context(store, lam, client):
    api_id = deploy(store)
    protect(store, api_id)
    app_answer = lam.answer
    lam.answer = lambda event: (
        policy("Allow", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/dev/GET/*", context={"tier": "gold", "n": 3})
        if event.get("type") == "TOKEN"
        else app_answer(event)
    )
    response, body = fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "Bearer t1"})
    assert (response.code, body) == (200, b"ok")
    (auth_event,) = authorizer_calls(lam)
    assert auth_event == {
        "type": "TOKEN",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/dev/GET/notes",
        "authorizationToken": "Bearer t1",
    }
    authorizer = lam.calls[-1][4]["requestContext"]["authorizer"]
    assert (authorizer["principalId"], authorizer["tier"], authorizer["n"]) == ("ana", "gold", "3")
    # The answer is cached for the token: the authorizer is not called again.
    fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "Bearer t1"})
    assert len(authorizer_calls(lam)) == 1


def test_token_authorizer_refusals(store, lam, client):
    api_id = deploy(store)
    protect(store, api_id, identityValidationExpression="Bearer .+", authorizerResultTtlInSeconds=0)
    response, body = fetch(client, "GET", url(api_id, "/notes"))
    assert (response.code, json.loads(body)) == (401, {"message": "Unauthorized"})
    response, body = fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "Basic x"})
    assert response.code == 401
    assert authorizer_calls(lam) == []

    lam.answer = lambda event: policy("Deny", "*")
    response, body = fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "Bearer t"})
    assert (response.code, json.loads(body)) == (
        403,
        {"Message": "User is not authorized to access this resource with an explicit deny"},
    )
    lam.answer = lambda event: policy("Allow", "arn:aws:execute-api:*:*:*/dev/POST/*")
    response, body = fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "Bearer t"})
    assert (response.code, json.loads(body)) == (403, {"Message": "User is not authorized to access this resource"})
    lam.answer = lambda event: InvokeResult(200, b'{"errorMessage": "Unauthorized"}', function_error="Unhandled")
    response, body = fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "Bearer t"})
    assert (response.code, json.loads(body)) == (401, {"message": "Unauthorized"})
    lam.answer = lambda event: InvokeResult(200, b'{"no": "policy"}')
    response, body = fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "Bearer t"})
    assert (response.code, json.loads(body)) == (500, {"message": None})
    assert response.headers.getRawHeaders("x-amzn-errortype") == ["AuthorizerConfigurationException"]


def test_request_authorizer_reads_its_identity_sources(store, lam, client):
    api_id = deploy(store)
    protect(store, api_id, "REQUEST", identitySource="method.request.header.X-Key, method.request.querystring.user")
    app_answer = lam.answer
    lam.answer = lambda event: policy("Allow", "*") if event.get("type") == "REQUEST" else app_answer(event)
    response, _ = fetch(client, "GET", url(api_id, "/notes?user=ana"))
    assert response.code == 401  # X-Key is missing
    response, body = fetch(client, "GET", url(api_id, "/notes?user=ana"), headers={"X-Key": "k"})
    assert (response.code, body) == (200, b"ok")
    (auth_event,) = authorizer_calls(lam)
    assert auth_event["type"] == "REQUEST"
    assert auth_event["queryStringParameters"] == {"user": "ana"}
    assert auth_event["headers"]["X-Key"] == "k"
    assert "body" not in auth_event


def test_cognito_methods_are_not_served_unauthenticated(store, lam, client):
    api_id = deploy(store)
    guard_notes(
        store,
        api_id,
        "COGNITO_USER_POOLS",
        {"name": "pool", "type": "COGNITO_USER_POOLS", "providerARNs": ["arn:aws:cognito-idp:us-east-1:0:userpool/x"]},
    )
    response, body = fetch(client, "GET", url(api_id, "/notes"), headers={"Authorization": "token"})
    assert (response.code, json.loads(body)) == (500, {"message": None})
    assert lam.calls == []


def test_minimum_compression_size_gzips_large_answers(store, lam, client):
    api_id = deploy(store)
    store.apis[api_id].minimum_compression_size = 100
    lam.answer = lambda event: InvokeResult(200, json.dumps({"statusCode": 200, "body": event["path"] * 50}).encode())
    response = done(client.request("GET", url(api_id, "/long"), headers={"Accept-Encoding": "gzip"}))
    # treq undoes the gzip encoding it asked for: the length is unknown, the body whole.
    assert response.length is UNKNOWN_LENGTH
    assert done(response.content()) == b"/long" * 50
