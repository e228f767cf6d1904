"""
The signatures inside a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: each chunk
is signed over the previous signature (the request's own signature seeds
the chain) and the SHA-256 of its data; a trailer is signed the same way.
See https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
and https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from ruststack.aws import sigv4

_TRAILER_SIGNATURE = "x-amz-trailer-signature"


class ChunkSignatures:
    """
    Checks a body's chunk signatures in order; C{valid} turns C{False} at
    the first one that does not match.
    """

    def __init__(self, secret_key: str, signature: sigv4.Signature) -> None:
        scope = signature.scope
        self._key = sigv4.signing_key(secret_key, scope)
        self._scope = f"{scope.date}/{scope.region}/{scope.service}/aws4_request"
        self._amz_date = signature.amz_date
        self._previous = signature.signature
        self.valid = True

    def _sign(self, kind: str, payload_hash: str) -> str:
        text = "\n".join((kind, self._amz_date, self._scope, self._previous, payload_hash))
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def chunk(self, signature: str, digest: bytes) -> None:
        """
        One chunk ended: its C{chunk-signature} and the SHA-256 of its data.
        """
        expected = self._sign("AWS4-HMAC-SHA256-PAYLOAD", sigv4.EMPTY_SHA256 + "\n" + digest.hex())
        if not hmac.compare_digest(expected, signature):
            self.valid = False
        self._previous = signature

    def trailer(self, trailers: Mapping[str, str]) -> None:
        """
        Check C{x-amz-trailer-signature} over the other trailing headers,
        when the body has a trailer.
        """
        signature = trailers.get(_TRAILER_SIGNATURE)
        if signature is None:
            return
        text = "".join(f"{name}:{value}\n" for name, value in trailers.items() if name != _TRAILER_SIGNATURE)
        expected = self._sign("AWS4-HMAC-SHA256-TRAILER", hashlib.sha256(text.encode("utf-8")).hexdigest())
        if not hmac.compare_digest(expected, signature):
            self.valid = False
