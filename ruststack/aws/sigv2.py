"""
S3's legacy Signature Version 2 (HMAC-SHA1): the C{Authorization: AWS
AKID:signature} header and the presigned query (C{AWSAccessKeyId},
C{Signature}, C{Expires}) that boto3 still makes by default for S3 presigned
URLs in us-east-1. Verified by recomputing with botocore's own signer.

See https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import SplitResult

import attrs


@attrs.frozen
class SignatureV2:
    """
    @ivar expires: POSIX seconds after which a presigned URL is refused, or
        C{None} for the header form.
    """

    access_key: str
    signature: str
    expires: int | None = None

    def expired(self, now: float) -> bool:
        return self.expires is not None and now > self.expires


def parse_request(headers: Mapping[str, str], query: Mapping[str, str]) -> SignatureV2 | None:
    """
    The SigV2 signature of a request, or C{None} if it has none.

    @param headers: lower-cased header names to (first) values.
    @param query: the decoded query.
    """
    authorization = headers.get("authorization", "")
    if authorization.startswith("AWS "):
        access_key, _, signature = authorization[4:].strip().rpartition(":")
        if access_key and signature:
            return SignatureV2(access_key, signature)
        return None
    if "AWSAccessKeyId" in query and "Signature" in query:
        try:
            expires = int(query.get("Expires", ""))
        except ValueError:
            return None
        return SignatureV2(query["AWSAccessKeyId"], query["Signature"], expires)
    return None


def verify(
    signature: SignatureV2,
    secret_key: str,
    method: str,
    resources: Iterable[str],
    raw_query: str,
    headers: Iterable[tuple[str, str]],
) -> bool:
    """
    Whether C{signature} is right for one of the candidate canonical
    resources (C{/bucket/key} as sent; for virtual-host requests also with
    the bucket from the host put in front).
    """
    from botocore.auth import HmacV1Auth
    from botocore.credentials import Credentials

    date = str(signature.expires) if signature.expires is not None else None

    class Recomputer(HmacV1Auth):
        def _get_date(self):
            return date if date is not None else header_map.get("Date", "")

    pairs = [(name, value) for name, value in headers if name.lower() != "authorization"]
    header_map = _headers(pairs)
    signer = Recomputer(Credentials(signature.access_key, secret_key))
    for resource in resources:
        split = SplitResult("http", "signed", resource, raw_query, "")
        # The signer replaces Date in what it is given: hand it a copy.
        expected = signer.get_signature(method, split, _headers(pairs))
        if hmac.compare_digest(expected, signature.signature):
            return True
    return False


def _headers(pairs: list[tuple[str, str]]):
    from botocore.compat import HTTPHeaders

    headers = HTTPHeaders()
    for name, value in pairs:
        headers.add_header(name, value)
    return headers
