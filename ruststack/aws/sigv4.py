"""
Signature Version 4: parse the header and query (presigned) forms, and verify
a signature by recomputing it with botocore's own signer.

See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

import attrs

ALGORITHM = "AWS4-HMAC-SHA256"
# How far a header signature's time may be from the server's, and the
# longest validity of a presigned URL (seven days).
# https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
MAX_SKEW = 15 * 60
MAX_EXPIRES = 7 * 24 * 3600
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class MalformedSignature(ValueError):
    """
    The request carries SigV4 material that cannot be parsed.
    """


@attrs.frozen
class CredentialScope:
    """
    C{AKID/20261124/us-east-1/s3/aws4_request}.
    """

    access_key: str
    date: str
    region: str
    service: str

    @classmethod
    def parse(cls, text: str) -> CredentialScope:
        parts = text.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
            raise MalformedSignature(f"malformed credential scope {text!r}")
        return cls(access_key=parts[0], date=parts[1], region=parts[2], service=parts[3])


def signing_key(secret_key: str, scope: CredentialScope) -> bytes:
    """
    The key a credential scope's signatures are made with (the secret key
    HMAC'ed with its date, region, service and C{aws4_request}): for what
    SigV4 signs beyond a request, chunks and POST policies.
    """
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (scope.date, scope.region, scope.service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


@attrs.frozen
class Signature:
    """
    What a request claims about its signature.

    @ivar amz_date: C{X-Amz-Date} (C{20261124T212312Z}).
    @ivar expires: seconds of validity of a presigned URL, else C{None}.
    """

    scope: CredentialScope
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    presigned: bool = False
    expires: int | None = None

    def signed_at(self) -> float:
        """
        The signing time in POSIX seconds (from C{X-Amz-Date}, or an HTTP
        C{Date}).
        """
        try:
            return float(calendar.timegm(time.strptime(self.amz_date, "%Y%m%dT%H%M%SZ")))
        except ValueError:
            pass
        try:
            return parsedate_to_datetime(self.amz_date).timestamp()
        except (TypeError, ValueError):
            raise MalformedSignature(f"malformed X-Amz-Date {self.amz_date!r}") from None

    def expired(self, now: float) -> bool:
        """
        Whether a presigned URL has outlived C{X-Amz-Expires}.
        """
        return self.expires is not None and now > self.signed_at() + self.expires


def _params(items: str) -> dict[str, str]:
    out = {}
    for item in items.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            out[name] = value
    return out


def parse_authorization(header: str, amz_date: str | None) -> Signature:
    """
    Parse an C{Authorization: AWS4-HMAC-SHA256 Credential=...,
    SignedHeaders=..., Signature=...} header.
    """
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise MalformedSignature(f"unsupported authorization algorithm {algorithm!r}")
    params = _params(rest)
    try:
        return Signature(
            scope=CredentialScope.parse(params["Credential"]),
            signed_headers=tuple(params["SignedHeaders"].split(";")),
            signature=params["Signature"],
            amz_date=amz_date or "",
        )
    except KeyError as missing:
        raise MalformedSignature(f"authorization header lacks {missing.args[0]}") from None


def parse_query(query: Mapping[str, str]) -> Signature:
    """
    Parse the presigned form: C{X-Amz-Algorithm}, C{X-Amz-Credential},
    C{X-Amz-Date}, C{X-Amz-Expires}, C{X-Amz-SignedHeaders}, C{X-Amz-Signature}.
    """
    if query.get("X-Amz-Algorithm") != ALGORITHM:
        raise MalformedSignature("unsupported X-Amz-Algorithm")
    try:
        expires = int(query.get("X-Amz-Expires", str(MAX_EXPIRES)))
        return Signature(
            scope=CredentialScope.parse(query["X-Amz-Credential"]),
            signed_headers=tuple(query["X-Amz-SignedHeaders"].split(";")),
            signature=query["X-Amz-Signature"],
            amz_date=query["X-Amz-Date"],
            presigned=True,
            expires=expires,
        )
    except (KeyError, ValueError) as e:
        raise MalformedSignature(f"malformed presigned query: {e}") from None


def split_query(raw_query: bytes | str) -> list[tuple[str, str]]:
    """
    Decode a raw query string into ordered pairs, keeping blank values and
    C{+} as it is (SigV4 canonicalisation does not treat it as a space).
    """
    if isinstance(raw_query, bytes):
        raw_query = raw_query.decode("utf-8", "surrogateescape")
    pairs = []
    for item in raw_query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def parse_request(headers: Mapping[str, str], query: Iterable[tuple[str, str]]) -> Signature | None:
    """
    The signature of a request, from its C{Authorization} header or its
    presigned query, or C{None} if it is unsigned.

    @param headers: lower-cased header names to (first) values.
    """
    authorization = headers.get("authorization")
    if authorization:
        if not authorization.startswith(ALGORITHM):
            return None
        return parse_authorization(authorization, headers.get("x-amz-date") or headers.get("date"))
    params = dict(query)
    if "X-Amz-Credential" in params:
        return parse_query(params)
    return None


def verify(
    signature: Signature,
    secret_key: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Iterable[tuple[str, str]],
    payload_hash: str,
) -> bool:
    """
    Recompute the signature of a request with botocore's signer and compare.

    @param path: the request path as it was sent (still percent-encoded).
    @param query: decoded query pairs; C{X-Amz-Signature} is left out here.
    @param headers: every (name, value) the request carried; only the signed
        ones are used.
    @param payload_hash: the hex SHA-256 of the body, or the
        C{x-amz-content-sha256} value the client signed.
    """
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    is_s3 = signature.scope.service == "s3"
    base = S3SigV4Auth if is_s3 else SigV4Auth
    signed = set(signature.signed_headers)

    # mypy cannot take a base class chosen at run time.
    class Recomputer(base):  # type: ignore[misc, valid-type]
        def headers_to_sign(self, request):
            header_map = HTTPHeaders()
            for name, value in request.headers.items():
                if name.lower() in signed:
                    header_map[name.lower()] = value
            return header_map

        def canonical_query_string(self, request):
            return self._canonical_query_string_params(request.params)

        def payload(self, request):
            return payload_hash

    header_pairs = [(name, value) for name, value in headers if name.lower() in signed]
    request = AWSRequest(method=method, url="http://signed" + path, headers=HTTPHeaders())
    for name, value in header_pairs:
        request.headers.add_header(name, value)
    if signature.presigned or "x-amz-content-sha256" not in signed:
        del request.headers["x-amz-content-sha256"]
    request.params = [(k, v) for k, v in query if k != "X-Amz-Signature"]
    request.context["timestamp"] = signature.amz_date
    signer = Recomputer(
        Credentials(signature.scope.access_key, secret_key), signature.scope.service, signature.scope.region
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return hmac.compare_digest(expected, signature.signature)
