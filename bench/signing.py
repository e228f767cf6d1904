"""
A small SigV4 signer for the load clients.

botocore's signer costs about as much as a fast server spends on a request,
which would make the client the bottleneck on two cores; this one caches the
signing key per day and does only the hashing SigV4 needs. It signs what
botocore signs (checked against botocore in C{python -m bench.signing}).
See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from urllib.parse import quote

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def sha256_hex(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_query(query: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query))


class Signer:
    """
    Signs requests for one service in one region with one key pair.
    """

    def __init__(self, service: str, region: str, access_key: str = "test", secret_key: str = "test") -> None:
        self.service = service
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self._day = ""
        self._key = b""

    def _signing_key(self, day: str) -> bytes:
        if day != self._day:
            key = _hmac(("AWS4" + self.secret_key).encode(), day)
            for part in (self.region, self.service, "aws4_request"):
                key = _hmac(key, part)
            self._day, self._key = day, key
        return self._key

    def sign(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        payload_hash: str,
        amz_date: str | None = None,
    ) -> dict[str, str]:
        """
        The headers to send: C{headers} (which must include C{host}) plus
        C{x-amz-date} and C{authorization}. C{path} is already URI-encoded.
        """
        amz_date = amz_date or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        signed = {k.lower(): str(v).strip() for k, v in headers.items()}
        signed["x-amz-date"] = amz_date
        names = sorted(signed)
        canonical = "\n".join(
            (
                method,
                path,
                canonical_query(query),
                "".join(f"{name}:{signed[name]}\n" for name in names),
                ";".join(names),
                payload_hash,
            )
        )
        day = amz_date[:8]
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{sha256_hex(canonical.encode())}"
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        signed["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        return signed


def _check_against_botocore() -> None:
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = b'{"TableName": "t"}'
    cases = [
        (SigV4Auth, "dynamodb", "/", [], {"x-amz-target": "DynamoDB_20120810.GetItem"}),
        (S3SigV4Auth, "s3", "/a/b%20c", [("list-type", "2"), ("prefix", "x/y")], {}),
    ]
    for auth_class, service, path, query, headers in cases:
        url = "http://127.0.0.1:4566" + path + ("?" + canonical_query(query) if query else "")
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        auth_class(Credentials("test", "test"), service, "us-east-1").add_auth(request)
        payload_hash = sha256_hex(body)
        if service == "s3":
            headers = {**headers, "x-amz-content-sha256": payload_hash}
        ours = Signer(service, "us-east-1").sign(
            "POST", path, query, {"host": "127.0.0.1:4566", **headers}, payload_hash, request.headers["X-Amz-Date"]
        )
        assert ours["authorization"] == request.headers["Authorization"], (ours, dict(request.headers))
    print("signatures match botocore's")


if __name__ == "__main__":
    _check_against_botocore()
