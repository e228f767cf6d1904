"""
Who is calling: access key -> account, credential scope -> region, and (with
C{--auth verify}) whether the signature is right.
"""

from __future__ import annotations

import configparser
import enum
import hashlib
import re
import time
from collections.abc import Iterable, Mapping

import attrs
from twisted.internet.interfaces import IReactorTime

from ruststack.aws import regions, sigv2, sigv4

_ACCOUNT_KEY = re.compile(r"^\d{12}$")


@attrs.frozen
class Caller:
    """
    The identity a request is served as.
    """

    account: str
    region: str
    access_key: str = ""
    signature: sigv4.Signature | None = None
    legacy_signature: sigv2.SignatureV2 | None = None


class AuthFailure(enum.Enum):
    """
    Why a request was refused; each service names these in its own codes.
    """

    UNKNOWN_KEY = "unknown access key"
    BAD_SIGNATURE = "signature does not match"
    EXPIRED = "request has expired"
    SKEWED = "request time too far from the server's"
    BAD_REGION = "credential scope names no AWS region"
    BAD_EXPIRES = "presigned URL validity out of range"
    MALFORMED = "malformed authorization"
    MISSING = "request is not signed"


@attrs.define(eq=False)
class AuthenticationError(Exception):
    """
    @ivar detail: what AWS says of the failure, where its words depend on it.
    @ivar now: the server's time when the request was refused.
    """

    failure: AuthFailure
    detail: str = ""
    signature: sigv4.Signature | None = None
    now: float = 0.0


@attrs.frozen
class Credential:
    """
    @ivar operator: whether the key may reset RustStack (C{ruststack_operator
        = true} in its section).
    """

    secret_key: str
    account: str | None = None
    operator: bool = False


def load_credentials(path: str) -> dict[str, Credential]:
    """
    Read an AWS shared-credentials style file: each section holds
    C{aws_access_key_id}, C{aws_secret_access_key} and optionally
    C{aws_account_id} and C{ruststack_operator}.
    """
    parser = configparser.ConfigParser(interpolation=None)
    with open(path, encoding="utf-8") as f:
        parser.read_file(f)
    keys = {}
    for section in parser.sections():
        entry = parser[section]
        if "aws_access_key_id" not in entry or "aws_secret_access_key" not in entry:
            raise ValueError(f"section [{section}] needs aws_access_key_id and aws_secret_access_key")
        try:
            operator = entry.getboolean("ruststack_operator", fallback=False)
        except ValueError:
            raise ValueError(f"section [{section}]: ruststack_operator must be true or false") from None
        keys[entry["aws_access_key_id"]] = Credential(
            entry["aws_secret_access_key"], entry.get("aws_account_id"), operator
        )
    return keys


@attrs.define
class Authenticator:
    """
    Turns a request's signature into a L{Caller}.

    @ivar credentials: when not C{None}, signatures are verified against
        these keys (C{--auth verify}); when C{None}, any key is accepted.
    """

    default_account: str
    default_region: str
    credentials: Mapping[str, Credential] | None = None
    clock: IReactorTime | None = None  # for presigned URL expiry

    @property
    def verifying(self) -> bool:
        return self.credentials is not None

    def account_for(self, access_key: str) -> str:
        """
        A 12-digit numeric access key id names that account; a key listed with
        an C{aws_account_id} is in that account; anything else is in the
        default account.
        """
        if _ACCOUNT_KEY.match(access_key):
            return access_key
        if self.credentials and access_key in self.credentials:
            listed = self.credentials[access_key].account
            if listed:
                return listed
        return self.default_account

    def identify(self, signature: sigv4.Signature | None, legacy: sigv2.SignatureV2 | None = None) -> Caller:
        """
        The caller a request is served as, before any verification.
        """
        if signature is None and legacy is not None:
            return Caller(
                account=self.account_for(legacy.access_key),
                region=self.default_region,
                access_key=legacy.access_key,
                legacy_signature=legacy,
            )
        if signature is None:
            return Caller(account=self.default_account, region=self.default_region)
        return Caller(
            account=self.account_for(signature.scope.access_key),
            region=signature.scope.region or self.default_region,
            access_key=signature.scope.access_key,
            signature=signature,
        )

    def is_operator(self, access_key: str) -> bool:
        """
        Whether C{access_key} may act on RustStack itself (reset it): any
        key when not verifying, else those the credentials file marks.
        """
        if self.credentials is None:
            return True
        credential = self.credentials.get(access_key)
        return credential is not None and credential.operator

    def now(self) -> float:
        return self.clock.seconds() if self.clock is not None else time.time()

    def check(self, signature: sigv4.Signature | None, legacy: sigv2.SignatureV2 | None = None) -> None:
        """
        What AWS refuses of a signature whether or not it is verified: a
        credential scope outside AWS's regions, a presigned URL valid for
        more than seven days or no longer valid. Raise L{AuthenticationError}.
        """
        now = self.now()
        if legacy is not None and legacy.expired(now):
            raise AuthenticationError(AuthFailure.EXPIRED, "", None, now)
        if signature is None:
            return
        region = signature.scope.region
        if not regions.is_region(region):
            detail = f"the region '{region}' is wrong; expecting '{self.default_region}'"
            raise AuthenticationError(AuthFailure.BAD_REGION, detail, signature, now)
        if signature.presigned:
            assert signature.expires is not None
            if signature.expires < 0:
                raise AuthenticationError(AuthFailure.BAD_EXPIRES, "X-Amz-Expires must be non-negative", signature, now)
            if signature.expires > sigv4.MAX_EXPIRES:
                detail = f"X-Amz-Expires must be less than a week (in seconds) that is {sigv4.MAX_EXPIRES}"
                raise AuthenticationError(AuthFailure.BAD_EXPIRES, detail, signature, now)
            try:
                expired = signature.expired(now)
            except sigv4.MalformedSignature as e:
                raise AuthenticationError(AuthFailure.MALFORMED, str(e), signature, now) from None
            if expired:
                raise AuthenticationError(AuthFailure.EXPIRED, "", signature, now)

    def _check_time(self, signature: sigv4.Signature) -> None:
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
        now = self.now()
        signed_at = signature.signed_at()
        if abs(now - signed_at) <= sigv4.MAX_SKEW:
            return
        if signed_at < now:
            detail = (
                f"Signature expired: {_basic(signed_at)} is now earlier than {_basic(now - sigv4.MAX_SKEW)}"
                f" ({_basic(now)} - 15 min.)"
            )
        else:
            detail = (
                f"Signature not yet current: {_basic(signed_at)} is still later than"
                f" {_basic(now + sigv4.MAX_SKEW)} ({_basic(now)} + 15 min.)"
            )
        raise AuthenticationError(AuthFailure.SKEWED, detail, signature, now)

    def authenticate(
        self,
        signature: sigv4.Signature | None,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Iterable[tuple[str, str]],
        payload_hash: str,
    ) -> None:
        """
        Raise L{AuthenticationError} unless the signature is valid; a no-op
        unless verifying.
        """
        if not self.verifying:
            return
        assert self.credentials is not None
        if signature is None:
            raise AuthenticationError(AuthFailure.MISSING)
        credential = self.credentials.get(signature.scope.access_key)
        if credential is None:
            raise AuthenticationError(AuthFailure.UNKNOWN_KEY, signature.scope.access_key, signature)
        try:
            if not signature.presigned:
                self._check_time(signature)
            good = sigv4.verify(signature, credential.secret_key, method, path, query, headers, payload_hash)
        except sigv4.MalformedSignature as e:
            raise AuthenticationError(AuthFailure.MALFORMED, str(e), signature) from None
        if not good:
            raise AuthenticationError(AuthFailure.BAD_SIGNATURE, "", signature)

    def authenticate_v2(
        self,
        signature: sigv2.SignatureV2,
        method: str,
        resources: list[str],
        raw_query: str,
        headers: list[tuple[str, str]],
    ) -> None:
        """
        L{authenticate} for S3's legacy SigV2 signatures.
        """
        if not self.verifying:
            return
        assert self.credentials is not None
        credential = self.credentials.get(signature.access_key)
        if credential is None:
            raise AuthenticationError(AuthFailure.UNKNOWN_KEY, signature.access_key)
        if not sigv2.verify(signature, credential.secret_key, method, resources, raw_query, headers):
            raise AuthenticationError(AuthFailure.BAD_SIGNATURE)


def _basic(seconds: float) -> str:
    # ISO 8601 basic format, as X-Amz-Date.
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
