"""
Non-proxy integrations in the data plane, over an in-memory HTTP connection
(the harness of test_execute.py): request templates chosen by Content-Type
and the passthrough behaviours, integration responses chosen by selection
pattern, response templates and parameters, for Lambda (type AWS) and MOCK.
The same against real services over real sockets: test_aws_integrations.py.
"""

from __future__ import annotations

import base64
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import defer

from ruststack.apigateway import mapping
from ruststack.apigateway.model import Integration
from ruststack.interfaces import InvokeResult
from tests.apigateway.test_execute import URI, call, client, clock, done, fetch, lam, store, url  # noqa: F401 (fixtures)

__all__ = ["client", "clock", "lam", "store"]


def method(store, api_id, resource_id, verb, integration, responses=(), method_parameters=None):
    base = f"/restapis/{api_id}/resources/{resource_id}/methods/{verb}"
    call(store, "PUT", base, {"authorizationType": "NONE", "requestParameters": method_parameters or {}})
    call(store, "PUT", f"{base}/integration", integration)
    for status, response in responses:
        call(store, "PUT", f"{base}/integration/responses/{status}", response)


def new_api(store, path_part="items"):
    api = call(store, "POST", "/restapis", {"name": "mapped"})
    resource = call(store, "POST", f"/restapis/{api['id']}/resources/{api['rootResourceId']}", {"pathPart": path_part})
    return api["id"], resource["id"]


def deploy(store, api_id):
    call(store, "POST", f"/restapis/{api_id}/deployments", {"stageName": "dev", "variables": {"table": "pets"}})


REQUEST = """{
  "id": "$input.params('id')",
  "name": "$util.escapeJavaScript($input.path('$.name'))",
  "stage": "$context.stage",
  "table": "$stageVariables.table"
}"""
ERROR_400 = {
    "selectionPattern": "Bad request: .*",
    "responseTemplates": {"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'},
}


def lambda_api(store, **integration):
    api_id, resource_id = new_api(store)
    method(
        store,
        api_id,
        resource_id,
        "POST",
        {
            "type": "AWS",
            "httpMethod": "POST",
            "uri": URI,
            "requestTemplates": {"application/json": REQUEST},
            **integration,
        },
        responses=[
            (
                "200",
                {
                    "responseTemplates": {
                        "application/json": '{"got": $input.json(\'$\'), "ip": "$context.identity.sourceIp"}'
                    },
                    "responseParameters": {"method.response.header.X-Static": "'yes'"},
                },
            ),
            ("400", ERROR_400),
        ],
    )
    deploy(store, api_id)
    return api_id


def test_lambda_request_and_response_templates(store, lam, client):
    api_id = lambda_api(store)
    lam.answer = lambda event: InvokeResult(200, json.dumps({"echo": event}).encode())
    response, body = fetch(
        client,
        "POST",
        url(api_id, "/items?id=7"),
        data=b'{"name": "Re\\"x"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.code == 200, body
    assert json.loads(body) == {
        "got": {"echo": {"id": "7", "name": 'Re"x', "stage": "dev", "table": "pets"}},
        "ip": "127.0.0.1",
    }
    assert response.headers.getRawHeaders("x-static") == ["yes"]
    assert response.headers.getRawHeaders("content-type") == ["application/json"]
    # The function got the mapped payload, not a proxy event.
    assert lam.calls[0][4] == {"id": "7", "name": 'Re"x', "stage": "dev", "table": "pets"}


def test_lambda_error_selected_by_its_message(store, lam, client):
    api_id = lambda_api(store)
    lam.answer = lambda event: InvokeResult(
        200, json.dumps({"errorMessage": "Bad request: no name", "errorType": "Exception"}).encode(), "Unhandled"
    )
    response, body = fetch(client, "POST", url(api_id, "/items"), data=b"{}")
    assert (response.code, json.loads(body)) == (400, {"error": "Bad request: no name"})
    # An error no pattern matches takes the default response, as AWS does.
    lam.answer = lambda event: InvokeResult(200, b'{"errorMessage": "other"}', "Unhandled")
    response, body = fetch(client, "POST", url(api_id, "/items"), data=b"{}")
    assert response.code == 200 and json.loads(body)["got"] == {"errorMessage": "other"}


def test_passthrough_behaviors(store, lam, client):
    lam.answer = lambda event: InvokeResult(200, json.dumps(event).encode())
    api_id = lambda_api(store)
    # WHEN_NO_MATCH: a Content-Type without a template passes the body through.
    response, body = fetch(
        client, "POST", url(api_id, "/items"), data=b'{"raw": 1}', headers={"Content-Type": "text/x"}
    )
    assert response.code == 200 and lam.calls[-1][4] == {"raw": 1}
    for behavior in ("WHEN_NO_TEMPLATES", "NEVER"):
        api_id = lambda_api(store, passthroughBehavior=behavior)
        response, body = fetch(client, "POST", url(api_id, "/items"), data=b"{}", headers={"Content-Type": "text/x"})
        assert (response.code, json.loads(body)) == (415, {"message": "Unsupported Media Type"})
        assert response.headers.getRawHeaders("x-amzn-errortype") == ["UnsupportedMediaTypeException"]
        # Without a Content-Type the request is application/json.
        response, body = fetch(client, "POST", url(api_id, "/items"), data=b"{}")
        assert response.code == 200
    # WHEN_NO_TEMPLATES without any template passes through; NEVER refuses.
    api_id = lambda_api(store, passthroughBehavior="WHEN_NO_TEMPLATES", requestTemplates={})
    response, _ = fetch(client, "POST", url(api_id, "/items"), data=b'{"raw": 2}', headers={"Content-Type": "text/x"})
    assert response.code == 200 and lam.calls[-1][4] == {"raw": 2}


def test_lambda_timeout_is_504(store, lam, client, clock):
    api_id = lambda_api(store, timeoutInMillis=1000)
    lam.answer = lambda event: defer.Deferred()
    pending = client.request("POST", url(api_id, "/items"), data=b"{}")
    clock.advance(1.5)
    client.flush()
    assert done(pending).code == 504


MOCK_REQUEST = '{"statusCode": #if($input.params("fail") == "yes")500#{else}200#end}'


def mock_api(store, responses):
    api_id, resource_id = new_api(store)
    method(
        store,
        api_id,
        resource_id,
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": MOCK_REQUEST}},
        responses=responses,
    )
    deploy(store, api_id)
    return api_id


def test_mock_with_templates_and_overrides(store, lam, client):
    ok = {
        "responseTemplates": {
            "application/json": '{"id": "$context.requestId", "q": "$input.params(\'q\')"}',
            "text/plain": "plain $input.params('q')",
        },
        "responseParameters": {
            "method.response.header.X-Q": "method.request.querystring.q",
            "method.response.header.X-Stage": "stageVariables.table",
        },
    }
    failed = {
        "selectionPattern": "5\\d{2}",
        "responseTemplates": {
            "application/json": "#set($context.responseOverride.status = 503)"
            "#set($context.responseOverride.header.Retry-After = '5')"
            '{"message": "down"}'
        },
    }
    api_id = mock_api(store, [("200", ok), ("500", failed)])
    response, body = fetch(client, "GET", url(api_id, "/items?q=cat"))
    assert response.code == 200
    assert json.loads(body) == {"id": response.headers.getRawHeaders("x-amzn-requestid")[0], "q": "cat"}
    assert response.headers.getRawHeaders("x-q") == ["cat"]
    assert response.headers.getRawHeaders("x-stage") == ["pets"]
    # The template is chosen by Accept.
    response, body = fetch(client, "GET", url(api_id, "/items?q=cat"), headers={"Accept": "text/plain"})
    assert (response.code, body) == (200, b"plain cat")
    assert response.headers.getRawHeaders("content-type") == ["text/plain"]
    response, body = fetch(client, "GET", url(api_id, "/items?fail=yes"))
    assert (response.code, json.loads(body)) == (503, {"message": "down"})
    assert response.headers.getRawHeaders("retry-after") == ["5"]
    assert lam.calls == []


def test_mock_without_a_matching_response_is_500(store, client):
    api_id = mock_api(store, [("500", {"selectionPattern": "5\\d{2}"})])
    response, body = fetch(client, "GET", url(api_id, "/items"))
    assert (response.code, json.loads(body)) == (500, {"message": "Internal server error"})


def test_broken_template_is_500(store, client):
    api_id, resource_id = new_api(store)
    method(
        store,
        api_id,
        resource_id,
        "GET",
        {"type": "MOCK", "requestTemplates": {"application/json": "#if($x"}},
        responses=[("200", {})],
    )
    deploy(store, api_id)
    response, body = fetch(client, "GET", url(api_id, "/items"))
    assert (response.code, json.loads(body)) == (500, {"message": "Internal server error"})


def test_request_parameters_mapping():
    integration = Integration(
        type="HTTP",
        request_parameters={
            "integration.request.header.X-Kind": "method.request.querystring.kind",
            "integration.request.header.X-Static": "'fixed'",
            "integration.request.querystring.page": "method.request.header.X-Page",
            "integration.request.path.id": "method.request.path.id",
            "integration.request.header.X-Name": "method.request.body.name",
            "integration.request.header.X-Stage": "stageVariables.table",
            "integration.request.header.X-Request": "context.requestId",
            "integration.request.header.X-Missing": "method.request.querystring.none",
        },
        request_templates={"application/json": "#set($context.requestOverride.header.X-Over = 'o')body"},
    )
    request = mapping.MethodRequest(
        body='{"name": "Rex"}',
        content_type=None,
        accept=None,
        path={"id": "7"},
        querystring={"kind": "dog"},
        multi_querystring={"kind": ["dog"]},
        header={"x-page": "2"},
        multi_header={"x-page": ["2"]},
        context={"requestId": "r-1"},
        stage_variables={"table": "pets"},
    )
    mapped = mapping.integration_request(integration, request)
    assert mapped.body == b"body"
    assert mapped.header == {
        "X-Kind": "dog",
        "X-Static": "fixed",
        "X-Name": "Rex",
        "X-Stage": "pets",
        "X-Request": "r-1",
        "X-Over": "o",
    }
    assert mapped.querystring == {"page": ["2"]}
    assert mapped.path == {"id": "7"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_selection_patterns_never_crash(pattern, selector):
    integration = Integration(type="AWS", responses={"400": {"statusCode": "400", "selectionPattern": pattern}})
    try:
        mapping.select_response(integration, selector)
    except mapping.NoIntegrationResponse:
        pass


def test_lambda_event_invocation_answers_at_once(store, lam, client):
    queued = []
    lam.invoke_event = lambda account, region, function, payload, source=None: queued.append(json.loads(payload))
    api_id = lambda_api(store, requestParameters={"integration.request.header.X-Amz-Invocation-Type": "'Event'"})
    response, body = fetch(client, "POST", url(api_id, "/items?id=3"), data=b'{"name": "a"}')
    assert response.code == 200
    assert json.loads(body) == {"got": {}, "ip": "127.0.0.1"}
    assert queued == [{"id": "3", "name": "a", "stage": "dev", "table": "pets"}] and lam.calls == []


PNG = b"\x89PNG\r\n\x1a\n\x00\xff"


def test_content_handling_conversions(store, lam, client):
    api = call(store, "POST", "/restapis", {"name": "images", "binaryMediaTypes": ["image/png"]})
    api_id = api["id"]
    base = f"/restapis/{api_id}/resources/{api['rootResourceId']}/methods/POST"
    call(store, "PUT", base, {"authorizationType": "NONE"})
    call(
        store,
        "PUT",
        f"{base}/integration",
        {
            "type": "AWS",
            "httpMethod": "POST",
            "uri": URI,
            "contentHandling": "CONVERT_TO_TEXT",
            "requestTemplates": {"image/png": '{"data": "$input.body"}'},
        },
    )
    call(
        store,
        "PUT",
        f"{base}/integration/responses/200",
        {
            "contentHandling": "CONVERT_TO_BINARY",
            "responseParameters": {"method.response.header.Content-Type": "'image/png'"},
        },
    )
    deploy(store, api_id)
    # The function gets the picture as base64 text and answers a base64 string.
    lam.answer = lambda event: InvokeResult(200, json.dumps(event["data"]).encode())
    response, body = fetch(client, "POST", url(api_id, "/"), data=PNG, headers={"Content-Type": "image/png"})
    assert lam.calls[0][4] == {"data": base64.b64encode(PNG).decode()}
    assert (response.code, body) == (200, PNG)
    assert response.headers.getRawHeaders("content-type") == ["image/png"]
    lam.answer = lambda event: InvokeResult(200, b'"not base64!"')
    response, body = fetch(client, "POST", url(api_id, "/"), data=PNG, headers={"Content-Type": "image/png"})
    assert (response.code, json.loads(body)) == (500, {"message": "Internal server error"})
