"""
Fixtures of the S3 tests: one RustStack child process per module (S3 only)
and a fresh bucket per test, so tests stay independent without a reset.
"""

from __future__ import annotations

import http.client
import itertools
import os

import pytest

from ruststack.testing import RustStackProcess
from tests.stacks import ruststack_fixture

_names = itertools.count()


stack = ruststack_fixture("--services", "s3")


@pytest.fixture(scope="module")
def verifying_stack(tmp_path_factory):
    """
    An S3-only RustStack that verifies signatures (key "test", secret "test").
    """
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text("[default]\naws_access_key_id = test\naws_secret_access_key = test\n")
    process = RustStackProcess.start("--services", "s3", "--auth", "verify", "--credentials-file", str(credentials))
    yield process
    process.stop()


ALICE = ("AKIAALICE", "alice-secret", "111111111111")
BOB = ("AKIABOB", "bob-secret", "222222222222")


@pytest.fixture(scope="module")
def tenants_stack(tmp_path_factory):
    """
    An S3-only RustStack that verifies signatures, with two people's keys
    in two accounts: L{ALICE} and L{BOB}.
    """
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(
        "".join(
            f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_account_id = {account}\n"
            for name, (key, secret, account) in (("alice", ALICE), ("bob", BOB))
        )
    )
    process = RustStackProcess.start("--services", "s3", "--auth", "verify", "--credentials-file", str(credentials))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def s3(stack):
    return stack.client("s3")


@pytest.fixture
def bucket(s3) -> str:
    name = f"test-bucket-{os.getpid()}-{next(_names)}"
    s3.create_bucket(Bucket=name)
    return name


def client(endpoint_url: str, region: str = "us-east-1", **kwargs):
    """
    A boto3 S3 client for C{endpoint_url} in C{region} (test credentials
    unless given).
    """
    import boto3

    kwargs.setdefault("aws_access_key_id", "test")
    kwargs.setdefault("aws_secret_access_key", "test")
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, **kwargs)


def send_raw(
    process: RustStackProcess, method: str, target: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    """
    One request to C{process} over plain HTTP, as written (what boto3 would
    not send): the response and its body, read whole.
    """
    connection = http.client.HTTPConnection(process.endpoint_url.split("//")[1], timeout=10)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def tls_stack(tmp_path_factory):
    """
    An S3-only RustStack with a TLS edge: (process, its https URL, the certificate to trust).
    """
    cache = tmp_path_factory.mktemp("cache")
    process = RustStackProcess.start("--services", "s3", "--tls-port", "0", "--cache-dir", str(cache))
    url = process.tls_endpoint_url()
    yield process, url, str(cache / "tls" / "localhost.crt")
    process.stop()
