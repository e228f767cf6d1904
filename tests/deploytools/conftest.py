"""
The RustStack the deploy tools that need TLS talk to: managed buckets (SAM's,
Serverless's, the CDK's bootstrap bucket) deny requests not made over TLS,
as on AWS, so those tools reach RustStack's HTTPS edge.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from ruststack.testing import RustStackProcess
from ruststack.tls import generate_self_signed


@attrs.frozen
class TlsStack:
    """
    Every service with an HTTPS edge as well: the process, the edge's URL and
    the certificate to trust.
    """

    process: RustStackProcess
    url: str
    cert: str


@pytest.fixture(scope="module")
def tls_stack(tmp_path_factory) -> Iterator[TlsStack]:
    # The certificate is the test's own, so RustStack's cache dir (where
    # DynamoDB Local is) stays the usual one.
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "localhost.crt"), str(folder / "localhost.key")
    generate_self_signed(cert, key)
    tls = ("--tls-port", "0", "--tls-cert", cert, "--tls-key", key)
    process = RustStackProcess.start("--lambda-idle-timeout", "60", *tls)
    try:
        # By IP: SDKs then address buckets by path (glibc and Node do not
        # resolve <bucket>.localhost).
        url = process.tls_endpoint_url().replace("//localhost:", "//127.0.0.1:")
        yield TlsStack(process, url, cert)
    finally:
        process.stop()
