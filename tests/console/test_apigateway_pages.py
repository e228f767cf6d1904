"""
The console's API Gateway pages over a real socket, with a real function
behind a REST API and an HTTP API: the lists, stages with both invoke URL
forms (which answer), the route tree, and the request form, which goes
through the data plane and shows the function's log lines for the request.
"""

from __future__ import annotations

import html
import re
import urllib.request

import pytest

from tests.apigateway.helpers import invocations_uri, proxy_method
from tests.awslambda.functions import create
from tests.console.functions_and_apis import STACK_OPTIONS, get, post
from tests.stacks import ruststack_fixture

HANDLER = """
import json

def handler(event, context):
    path = event.get("rawPath") or event.get("path")
    if path.endswith("/moved"):
        return {"statusCode": 302, "headers": {"Location": "https://example.com/"}, "body": ""}
    print("handling", event.get("httpMethod") or event["requestContext"]["http"]["method"], path)
    return {"statusCode": 201, "headers": {"x-answered-by": "console-test"},
            "body": json.dumps({"path": path, "query": event.get("queryStringParameters"),
                                "body": event.get("body")})}
"""


stack = ruststack_fixture(*STACK_OPTIONS)


@pytest.fixture(scope="module")
def apis(stack):
    lam = stack.client("lambda")
    arn = create(lam, "api-handler", HANDLER)["FunctionArn"]
    lam.add_permission(
        FunctionName="api-handler",
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    v1 = stack.client("apigateway")
    rest = v1.create_rest_api(name="notes-rest")["id"]
    root = v1.get_resources(restApiId=rest)["items"][0]["id"]
    items = v1.create_resource(restApiId=rest, parentId=root, pathPart="items")["id"]
    item = v1.create_resource(restApiId=rest, parentId=items, pathPart="{id}")["id"]
    proxy_method(v1, rest, item, "GET", invocations_uri(arn))
    proxy_method(v1, rest, items, "POST", invocations_uri(arn))
    v1.create_deployment(restApiId=rest, stageName="prod")
    v2 = stack.client("apigatewayv2")
    http = v2.create_api(Name="notes-http", ProtocolType="HTTP", Target=arn)["ApiId"]
    integration = v2.get_integrations(ApiId=http)["Items"][0]["IntegrationId"]
    v2.create_route(ApiId=http, RouteKey="GET /hello/{name}", Target=f"integrations/{integration}")
    return rest, http


def fetch(url: str, host: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def test_api_lists(stack, apis) -> None:
    rest, http = apis
    status, page, elapsed = get(stack, "/_ruststack/apigateway/")
    assert status == 200
    assert f'href="/_ruststack/apigateway/rest/{rest}"' in page and "notes-rest" in page
    assert f'href="/_ruststack/apigateway/http/{http}"' in page and "notes-http" in page
    status, page, _ = get(stack, "/_ruststack/apigateway/", account="111111111111")
    assert "notes-rest" not in page and "notes-http" not in page


def test_rest_api_stages_and_tree(stack, apis) -> None:
    rest, _ = apis
    status, page, _ = get(stack, f"/_ruststack/apigateway/rest/{rest}")
    assert status == 200
    port = stack.endpoint_url.rsplit(":", 1)[1]
    host_form = f"http://{rest}.execute-api.localhost:{port}/prod/"
    path_form = f"http://localhost:{port}/restapis/{rest}/prod/_user_request_/"
    assert host_form in page and path_form in page
    # Both forms answer as the page says.
    assert fetch(f"{stack.endpoint_url}/prod/items/7", host=f"{rest}.execute-api.localhost:{port}")[0] == 201
    assert fetch(path_form.replace("localhost", "127.0.0.1") + "items/7")[0] == 201
    tree = page.split('id="routes"', 1)[1]
    assert tree.index("/items") < tree.index("/items/{id}")
    assert re.search(r'<code class="method">GET</code> AWS_PROXY api-handler', tree)
    assert re.search(r'<code class="method">POST</code> AWS_PROXY api-handler', tree)


def test_http_api_stages_and_routes(stack, apis) -> None:
    _, http = apis
    status, page, _ = get(stack, f"/_ruststack/apigateway/http/{http}")
    assert status == 200
    port = stack.endpoint_url.rsplit(":", 1)[1]
    assert f"http://{http}.execute-api.localhost:{port}/<" in page  # $default at the root
    assert f"http://localhost:{port}/restapis/{http}/$default/_user_request_/" in page
    assert "GET /hello/{name}" in page and "$default" in page
    assert 'href="/_ruststack/lambda/functions/api-handler"' in page


def test_unknown_api(stack, apis) -> None:
    assert get(stack, "/_ruststack/apigateway/rest/nosuchapi0")[0] == 404
    assert get(stack, "/_ruststack/apigateway/http/nosuchapi0")[0] == 404
    assert get(stack, "/_ruststack/apigateway/soap/x")[0] == 404


@pytest.mark.parametrize("form", ["host", "path"])
def test_send_a_request_to_a_rest_api(stack, apis, form) -> None:
    rest, _ = apis
    status, page = post(
        stack,
        f"/_ruststack/apigateway/rest/{rest}/send",
        {"stage": "prod", "method": "GET", "path": "/items/42", "query": "q=ünï", "headers": "X-Test: 1", "form": form},
    )
    assert status == 200
    assert '<strong id="status">201 Created</strong>' in page
    assert "x-answered-by" in page.lower() and "console-test" in page
    body = html.unescape(page.split('id="response-body">', 1)[1].split("</pre>", 1)[0])
    assert '"path": "/items/42"' in body and "\\u00fcn\\u00ef" in body
    # The function's lines for this request, found in its log group.
    assert "handling GET /items/42" in page
    assert "REPORT RequestId:" in page


def test_send_a_request_to_an_http_api(stack, apis) -> None:
    _, http = apis
    status, page = post(
        stack,
        f"/_ruststack/apigateway/http/{http}/send",
        {"stage": "$default", "method": "POST", "path": "/hello/you", "body": "ping", "form": "host"},
    )
    assert status == 200
    assert '<strong id="status">201 Created</strong>' in page
    assert "handling POST /hello/you" in page
    assert "ping" in page


def test_a_redirect_is_shown_not_followed(stack, apis) -> None:
    rest, _ = apis
    status, page = post(
        stack, f"/_ruststack/apigateway/rest/{rest}/send", {"stage": "prod", "method": "GET", "path": "/items/moved"}
    )
    assert status == 200
    assert '<strong id="status">302 Found</strong>' in page
    assert "https://example.com/" in page
    assert "content-encoding" not in page.lower()  # nothing asked for gzip, nothing decoded it


def test_send_to_a_path_no_route_takes(stack, apis) -> None:
    rest, _ = apis
    status, page = post(
        stack,
        f"/_ruststack/apigateway/rest/{rest}/send",
        {"stage": "prod", "method": "DELETE", "path": "/nothing", "form": "host"},
    )
    assert status == 200
    assert '<strong id="status">403 Forbidden</strong>' in page  # REST APIs' Missing Authentication Token
    assert 'id="no-invocations"' in page


def test_bad_form(stack, apis) -> None:
    rest, _ = apis
    status, page = post(stack, f"/_ruststack/apigateway/rest/{rest}/send", {"stage": "nope", "method": "GET"})
    assert status == 400 and "Choose a stage." in page
    status, page = post(
        stack,
        f"/_ruststack/apigateway/rest/{rest}/send",
        {"stage": "prod", "method": "GET", "path": "/items/1", "headers": "Bad Name: x"},
    )
    assert status == 400 and "could not be sent" in page


def test_send_in_the_browser(stack, apis, browser, screenshot) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    rest, _ = apis
    browser.get(f"{stack.endpoint_url}/_ruststack/apigateway/rest/{rest}")
    assert "/items/{id}" in browser.find_element(By.ID, "routes").text
    screenshot("api")
    Select(browser.find_element(By.ID, "method")).select_by_visible_text("POST")
    path = browser.find_element(By.ID, "path")
    path.clear()
    path.send_keys("/items")
    browser.find_element(By.ID, "body").send_keys('{"note": "from the browser"}')
    browser.find_element(By.ID, "send-button").click()
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "status"))
    assert browser.find_element(By.ID, "status").text == "201 Created"
    assert "handling POST /items" in browser.find_element(By.CSS_SELECTOR, ".invocation-log").text
    screenshot("sent")
