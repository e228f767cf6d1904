"""
HTTP proxy integrations and CORS on a real RustStack: requests forwarded
(with path parameters substituted in the integration URI) to a backend this
test serves on 127.0.0.1, its answers passed back, 504 on a slow backend
and 500 on an unreachable one; the API's CORS configuration answering
preflights itself and replacing the backend's CORS headers.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import pytest

from .test_execute import Deployed

ORIGIN = "https://app.example"


@attrs.frozen
class Backend:
    url: str
    seen: list[dict]


@pytest.fixture(scope="module")
def backend():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("latin-1") if length else ""
            request = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
            seen.append(request)
            if self.path.startswith("/slow"):
                time.sleep(2)
            payload = json.dumps(request).encode()
            self.send_response(201 if self.command == "POST" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "a=1")
            self.send_header("Set-Cookie", "b=2")
            self.send_header("Access-Control-Allow-Origin", "https://evil.example")
            self.send_header("X-Request-Id", "r-1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = _answer

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # the gateway hangs up on /slow, as it should

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Backend(f"http://127.0.0.1:{server.server_address[1]}", seen)
    server.shutdown()


def proxy_integration(apigw2, api_id: str, uri: str, method: str = "ANY", **options) -> dict:
    """
    CreateIntegration of an HTTP proxy to C{uri} (payload format 1.0).
    """
    return apigw2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri=uri,
        IntegrationMethod=method,
        PayloadFormatVersion="1.0",
        **options,
    )


def _deploy(http_api_stack, backend, cors=None) -> Deployed:
    apigw2 = http_api_stack.client("apigatewayv2")
    more = {"CorsConfiguration": cors} if cors else {}
    api_id = apigw2.create_api(Name="proxied", ProtocolType="HTTP", **more)["ApiId"]

    def integration(uri: str, method: str = "ANY", **options) -> str:
        return f"integrations/{proxy_integration(apigw2, api_id, uri, method, **options)['IntegrationId']}"

    routes = {
        "ANY /pets/{proxy+}": integration(f"{backend.url}/backend/{{proxy}}"),
        "GET /items/{id}": integration(f"{backend.url}/item/{{id}}/details", "POST"),
        "GET /slow": integration(f"{backend.url}/slow", TimeoutInMillis=500),
        "GET /down": integration("http://127.0.0.1:9/nothing"),
        "$default": integration(f"{backend.url}/root"),
    }
    for key, target in routes.items():
        apigw2.create_route(ApiId=api_id, RouteKey=key, Target=target)
    apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return Deployed(api_id, http_api_stack.endpoint_url.rpartition(":")[2], http_api_stack.endpoint_url)


@pytest.fixture(scope="module")
def proxied(http_api_stack, backend):
    http_api_stack.reset("apigatewayv2", "apigateway")
    return _deploy(http_api_stack, backend)


def test_requests_are_forwarded_with_path_parameters_substituted(proxied, backend):
    response = proxied.request(
        "PUT", "/pets/dogs/rex?size=big&size=small", data=b"woof", headers={"Content-Type": "text/plain", "X-A": "1"}
    )
    assert response.status_code == 200, response.text
    seen = response.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("PUT", "/backend/dogs/rex?size=big&size=small", "woof")
    assert seen["headers"]["X-A"] == "1" and seen["headers"]["Content-Type"] == "text/plain"
    assert seen["headers"]["Host"] == backend.url.partition("//")[2]
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
    # The backend's answer, headers and all.
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["X-Request-Id"] == "r-1" and "apigw-requestid" in response.headers


def test_the_integration_method_and_the_default_route(proxied):
    item = proxied.request("GET", "/items/42")
    assert item.status_code == 201
    assert (item.json()["method"], item.json()["path"]) == ("POST", "/item/42/details")
    # The $default route appends the request's path to the URI's.
    assert proxied.request("GET", "/other/thing?x=1").json()["path"] == "/root/other/thing?x=1"


def test_a_slow_backend_is_504_and_an_unreachable_one_500(proxied):
    slow = proxied.request("GET", "/slow")
    assert (slow.status_code, slow.json()) == (504, {"message": "Gateway Timeout"})
    down = proxied.request("GET", "/down")
    assert (down.status_code, down.json()) == (500, {"message": "Internal Server Error"})


CORS = {
    "AllowOrigins": [ORIGIN],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["authorization", "content-type"],
    "ExposeHeaders": ["x-request-id"],
    "AllowCredentials": True,
    "MaxAge": 600,
}


@pytest.fixture(scope="module")
def with_cors(http_api_stack, backend, proxied):
    return _deploy(http_api_stack, backend, CORS)


def test_preflights_are_answered_by_the_gateway(with_cors, backend):
    before = len(backend.seen)
    preflight = with_cors.request(
        "OPTIONS",
        "/pets/dogs",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x"},
    )
    assert (preflight.status_code, preflight.content) == (204, b"")
    headers = preflight.headers
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    assert (headers["Access-Control-Max-Age"], headers["Access-Control-Allow-Credentials"]) == ("600", "true")
    assert len(backend.seen) == before  # no route was invoked
    stranger = with_cors.request(
        "OPTIONS", "/pets/dogs", headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"}
    )
    assert stranger.status_code == 204 and "Access-Control-Allow-Origin" not in stranger.headers
    # An OPTIONS request that is no preflight goes to its route.
    assert with_cors.request("OPTIONS", "/pets/dogs").json()["method"] == "OPTIONS"


def test_cors_headers_replace_the_backends(with_cors, proxied):
    response = with_cors.request("GET", "/pets/cats", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Expose-Headers"] == "x-request-id"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    other = with_cors.request("GET", "/pets/cats", headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    # Without a CORS configuration, the backend's own headers pass.
    plain = proxied.request("GET", "/pets/cats", headers={"Origin": ORIGIN})
    assert plain.headers["Access-Control-Allow-Origin"] == "https://evil.example"
