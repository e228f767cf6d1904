import http.server
import os
import subprocess
import threading

import pytest

import ruststack
from ruststack.testing import RustStackProcess
from tests.roles import execution_role

_PACKAGE = os.path.dirname(ruststack.__file__)
_SCRIPTS = os.path.join(os.path.dirname(_PACKAGE), "scripts")


def available(*names: str) -> list[str]:
    """
    The services among C{names} that this tree builds (S3 and DynamoDB land
    beside Lambda; the tests that need them skip until they do).
    """
    return [name for name in names if os.path.exists(os.path.join(_PACKAGE, name, "service.py"))]


def _start(*options: str) -> RustStackProcess:
    services = [*available("s3", "dynamodb", "iam"), "lambda"]
    return RustStackProcess.start("--services", ",".join(services), "--lambda-idle-timeout", "60", *options)


@pytest.fixture(scope="session")
def process_stack():
    """
    One RustStack running Lambda code in child processes.
    """
    process = _start()
    yield process
    process.stop()


def docker_image() -> str:
    """
    The image template the Docker tests use: C{RUSTSTACK_TEST_LAMBDA_IMAGE}
    if set, else the Debian root filesystem image when built (make
    lambda-image), else the host-Python one, built here (offline, in a
    second); skip with the reason when no engine answers.
    """
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as e:
        pytest.skip(f"no Docker engine answers ({e}); scripts/start-docker-engine.sh starts one")
    chosen = os.environ.get("RUSTSTACK_TEST_LAMBDA_IMAGE")
    for template in [chosen] if chosen else ("ruststack/lambda:{runtime}", "ruststack/lambda-host:{runtime}"):
        try:
            client.images.get(template.format(runtime="python3.11"))
            return template
        except docker.errors.ImageNotFound:
            pass
    built = subprocess.run(
        [os.path.join(_SCRIPTS, "build-lambda-image.sh"), "host"], capture_output=True, text=True, check=False
    )
    if built.returncode != 0:
        pytest.skip(f"no Lambda image, and building one failed: {built.stderr.strip()}")
    return "ruststack/lambda-host:{runtime}"


@pytest.fixture(scope="session")
def docker_stack():
    """
    One RustStack running Lambda code in Docker containers.
    """
    process = _start("--lambda-executor", "docker", "--lambda-image", docker_image())
    yield process
    process.stop()


@pytest.fixture
def stack(process_stack):
    return process_stack


@pytest.fixture
def lambda_client(stack):
    stack.reset("lambda")
    return stack.client("lambda")


@pytest.fixture
def role(lambda_client) -> str:
    """
    An execution role of the test client's account (tests/roles.py).
    """
    return execution_role(lambda_client)


@pytest.fixture
def collector():
    """
    An HTTP server on loopback that keeps the bodies POSTed to it: what
    handlers report back to the test, from processes and containers alike.
    """
    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", received
    server.shutdown()
    server.server_close()
