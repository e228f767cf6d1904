"""
RustStack in test suites.

  - L{start_stack}: for trial and pytest-twisted, a complete stack started in
    the running reactor on free ports.
  - The pytest plugin (registered through the C{pytest11} entry point): a
    C{ruststack} fixture for ordinary synchronous test suites, which runs
    RustStack in a child process and resets its state before each test.

Both leave no process, port or thread behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

import attrs

TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"


def _client(service_name: str, endpoint_url: str, region: str, **kwargs: Any):
    import boto3
    from botocore.config import Config as BotoConfig

    kwargs.setdefault("aws_access_key_id", TEST_ACCESS_KEY)
    kwargs.setdefault("aws_secret_access_key", TEST_SECRET_KEY)
    kwargs.setdefault("config", BotoConfig(retries={"max_attempts": 2, "mode": "standard"}))
    return boto3.session.Session().client(service_name, endpoint_url=endpoint_url, region_name=region, **kwargs)


@attrs.define
class RunningStack:
    """
    A RustStack started in this process's reactor.

    boto3 blocks: from code running in the reactor thread, call its methods
    through L{deferred_client} (or C{threads.deferToThread}), never directly.
    """

    stack: Any
    endpoint_url: str
    region: str
    tls_endpoint_url: str | None = None
    tls_cert_path: str | None = None

    def client(self, service_name: str, tls: bool = False, **kwargs: Any):
        """
        A boto3 client for C{service_name} configured for this stack
        (C{tls=True}: through the HTTPS edge, trusting its certificate).
        """
        if tls:
            if self.tls_endpoint_url is None:
                raise ValueError("this stack has no TLS edge: start it with tls_port=0")
            kwargs.setdefault("verify", self.tls_cert_path)
            return _client(service_name, self.tls_endpoint_url, self.region, **kwargs)
        return _client(service_name, self.endpoint_url, self.region, **kwargs)

    def deferred_client(self, service_name: str, **kwargs: Any) -> DeferredClient:
        """
        A boto3 client whose methods run in a thread and return Deferreds.
        """
        return DeferredClient(self.client(service_name, **kwargs))

    def reset(self, *services: str):
        """
        Forget the state of the named services (all by default).
        """
        from twisted.internet import defer

        return defer.ensureDeferred(self.stack.reset(list(services) or None))

    def stop(self):
        """
        Stop the stack: ports closed, child processes ended. A Deferred.
        """
        return self.stack.stopService()


@attrs.define
class DeferredClient:
    client: Any

    def __getattr__(self, name: str):
        from twisted.internet import threads

        method = getattr(self.client, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: threads.deferToThread(method, *args, **kwargs)


async def _start(reactor: Any, settings: dict[str, Any]) -> RunningStack:
    from ruststack import config as _config
    from ruststack import stack as _stack

    settings.setdefault("port", 0)
    config = _config.Config(**settings)
    config.check()
    built = _stack.build(config, reactor)
    built.startService()
    try:
        await built.ready
    except BaseException:
        await built.stopService()
        raise
    assert built.edge_url is not None
    return RunningStack(
        stack=built,
        endpoint_url=built.edge_url,
        region=config.region,
        tls_endpoint_url=built.tls_edge_url,
        tls_cert_path=built.tls_cert_path,
    )


def start_stack(reactor: Any = None, **settings: Any):
    """
    Start a complete RustStack in the running reactor, on a free port.

    @param settings: L{ruststack.config.Config} fields (C{services},
        C{data_dir}, C{tls_port}...); C{port} defaults to 0.
    @return: a Deferred firing with a L{RunningStack}; call its C{stop()}
        (return its Deferred) in the test's clean-up.
    """
    from twisted.internet import defer

    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    return defer.ensureDeferred(_start(reactor, dict(settings)))


# The pytest plugin: a RustStack child process per test session.


@attrs.define
class RustStackProcess:
    """
    RustStack running in a child process (C{python -m ruststack}).
    """

    process: subprocess.Popen
    endpoint_url: str
    region: str
    log_path: str

    @classmethod
    def start(cls, *args: str, region: str = "us-east-1", timeout: float = 60.0) -> RustStackProcess:
        folder = tempfile.mkdtemp(prefix="ruststack-")
        url_file = os.path.join(folder, "url")
        log_path = os.path.join(folder, "ruststack.log")
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "ruststack", "--port", "0", "--url-file", url_file, "--region", region, *args],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while not os.path.exists(url_file):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    raise RuntimeError(f"RustStack did not start:\n{f.read()}")
            time.sleep(0.02)
        with open(url_file, encoding="utf-8") as f:
            endpoint_url = f.read().strip()
        return cls(process=process, endpoint_url=endpoint_url, region=region, log_path=log_path)

    def client(self, service_name: str, endpoint_url: str | None = None, **kwargs: Any):
        return _client(service_name, endpoint_url or self.endpoint_url, self.region, **kwargs)

    def tls_endpoint_url(self, timeout: float = 10.0) -> str:
        """
        The HTTPS edge's URL (started with C{--tls-port}), as RustStack
        announces it in its log once listening.
        """
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                found = re.search(r"listening on .* and (https://\S+?);", f.read())
            if found:
                return found.group(1)
            if time.monotonic() > deadline:
                raise RuntimeError("the TLS edge did not announce its URL: was it started with --tls-port?")
            time.sleep(0.05)

    def health(self) -> dict:
        with urllib.request.urlopen(self.endpoint_url + "/_ruststack/health", timeout=10) as response:
            return json.load(response)

    def reset(self, *services: str, operator: tuple[str, str] | None = None) -> None:
        """
        Forget the state of the named services (all by default); under
        C{--auth verify}, sign as the C{operator} (access key, secret key).
        """
        query = "".join(f"&service={name}" for name in services).lstrip("&")
        url = self.endpoint_url + "/_ruststack/reset" + (f"?{query}" if query else "")
        headers = signed_headers("POST", url, operator, self.region) if operator else {}
        request = urllib.request.Request(url, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def signed_headers(method: str, url: str, credentials: tuple[str, str], region: str) -> dict[str, str]:
    """
    The headers that sign a body-less request to RustStack's own endpoints
    (credential scope service C{ruststack}).
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method, url, data=b"")
    SigV4Auth(Credentials(*credentials), "ruststack", region).add_auth(request)
    return dict(request.headers)


def _die_with_parent() -> None:
    # If the test run itself is killed, the child is told to stop too
    # (Linux prctl PR_SET_PDEATHSIG), so it never outlives it.
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the plugin
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    def pytest_addoption(parser) -> None:
        group = parser.getgroup("ruststack")
        group.addoption(
            "--ruststack-arg",
            action="append",
            default=[],
            help="an extra option for the RustStack the `ruststack` fixture starts (repeatable)",
        )

    @pytest.fixture(scope="session")
    def ruststack_process(request):
        """
        One RustStack child process for the whole session.
        """
        process = RustStackProcess.start(*request.config.getoption("--ruststack-arg"))
        yield process
        process.stop()

    @pytest.fixture
    def ruststack(ruststack_process):
        """
        A running RustStack (C{endpoint_url}, C{region}, C{client(name)}),
        emptied before each test.
        """
        ruststack_process.reset()
        return ruststack_process
