"""
Who is calling: access key -> account, credential scope -> region, and (with
C{--auth verify}) whether the signature is right.
"""

from __future__ import annotations

import base64
import configparser
import enum
import hashlib
import re
import secrets
import string
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
    # Acting for one of RustStack's own services (see Session.service).
    service: bool = False


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
    INVALID_TOKEN = "session token missing or not the key's"
    EXPIRED_TOKEN = "session token has expired"


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


@attrs.frozen
class Session:
    """
    Temporary credentials that STS issued: the key pair, the token that must
    come with it, and who they act as.

    @ivar arn: the identity's ARN (C{arn:aws:sts::<account>:assumed-role/<role>/<session>}).
    @ivar user_id: what GetCallerIdentity calls it (C{AROA...:<session>}).
    @ivar expiration: POSIX time after which the credentials are refused.
    """

    access_key: str
    secret_key: str
    token: str
    account: str
    arn: str
    user_id: str
    expiration: float
    # Issued to one of RustStack's own services (CloudFormation): they reach
    # the edge over plain HTTP where AWS's services use TLS, so policies
    # asking for aws:SecureTransport treat their requests as secure.
    service: bool = False


# Temporary keys start with ASIA, as AWS's do; 16 characters follow.
_KEY_CHARACTERS = string.ascii_uppercase + string.digits
_SECRET_CHARACTERS = string.ascii_letters + string.digits + "+/"


def role_id(role_arn: str) -> str:
    """
    A role's unique id (C{AROA...}), the same each time the role is named.
    """
    digest = base64.b32encode(hashlib.sha256(role_arn.encode()).digest()).decode()
    return "AROA" + digest[:17]


def random_id(prefix: str, length: int = 16) -> str:
    """
    An AWS style identifier: C{prefix} and upper-case letters and digits
    (C{ASIA...} keys, C{AROA...} role ids).
    """
    return prefix + "".join(secrets.choice(_KEY_CHARACTERS) for _ in range(length))


@attrs.define
class Sessions:
    """
    The temporary credentials in force. Expired ones are dropped as new ones
    are issued, and at most C{limit} are kept (the oldest go first), so a
    client that assumes roles in a loop cannot grow them without bound.
    """

    limit: int = 100_000
    _by_key: dict[str, Session] = attrs.field(factory=dict)

    def issue(
        self, account: str, arn: str, user_id: str, expiration: float, now: float, service: bool = False
    ) -> Session:
        if len(self._by_key) >= self.limit:
            self._by_key = {k: s for k, s in self._by_key.items() if s.expiration > now}
            while len(self._by_key) >= self.limit:
                del self._by_key[next(iter(self._by_key))]
        session = Session(
            access_key=random_id("ASIA"),
            secret_key="".join(secrets.choice(_SECRET_CHARACTERS) for _ in range(40)),
            token=secrets.token_urlsafe(96),
            account=account,
            arn=arn,
            user_id=user_id,
            expiration=expiration,
            service=service,
        )
        self._by_key[session.access_key] = session
        return session

    def assume_role(
        self,
        partition: str,
        account: str,
        role_arn: str,
        session_name: str,
        expiration: float,
        now: float,
        unique_id: str | None = None,
        service: bool = False,
    ) -> Session:
        """
        Credentials of a session of the role C{role_arn}, acting in
        C{account}, named as AWS names assumed-role sessions; C{unique_id}
        is the role's id where IAM knows the role.
        """
        role_name = role_arn.rpartition("/")[2]
        arn = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}"
        return self.issue(account, arn, f"{unique_id or role_id(role_arn)}:{session_name}", expiration, now, service)

    def get(self, access_key: str) -> Session | None:
        return self._by_key.get(access_key)

    def usable(self, session: Session, now: float, margin: float) -> bool:
        """
        Whether a holder of C{session} may go on handing it out: still known
        (a reset of STS forgets every session) and not within C{margin}
        seconds of its expiry.
        """
        return self._by_key.get(session.access_key) is session and session.expiration - now >= margin

    def clear(self) -> None:
        self._by_key.clear()


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
    sessions: Sessions = attrs.field(factory=Sessions)  # STS's temporary credentials

    @property
    def verifying(self) -> bool:
        return self.credentials is not None

    def account_for(self, access_key: str) -> str:
        """
        A 12-digit numeric access key id names that account; temporary
        credentials act in the account of the role they were issued for; a
        key listed with an C{aws_account_id} is in that account; anything
        else is in the default account.
        """
        if _ACCOUNT_KEY.match(access_key):
            return access_key
        session = self.sessions.get(access_key)
        if session is not None:
            return session.account
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
        session = self.sessions.get(signature.scope.access_key)
        return Caller(
            account=self.account_for(signature.scope.access_key),
            region=signature.scope.region or self.default_region,
            access_key=signature.scope.access_key,
            signature=signature,
            service=session is not None and session.service,
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
        secret_key = self._secret_key(signature, query, headers)
        try:
            if not signature.presigned:
                self._check_time(signature)
            good = sigv4.verify(signature, secret_key, method, path, query, headers, payload_hash)
        except sigv4.MalformedSignature as e:
            raise AuthenticationError(AuthFailure.MALFORMED, str(e), signature) from None
        if not good:
            raise AuthenticationError(AuthFailure.BAD_SIGNATURE, "", signature)

    def _secret_key(
        self, signature: sigv4.Signature, query: Iterable[tuple[str, str]], headers: Iterable[tuple[str, str]]
    ) -> str:
        """
        The secret key to verify C{signature} with, the session token (if
        one is needed) in the C{X-Amz-Security-Token} header, or query
        parameter when presigned.
        """
        assert self.credentials is not None
        access_key = signature.scope.access_key
        token = None
        if access_key not in self.credentials:
            carried = query if signature.presigned else headers
            tokens = [value for name, value in carried if name.lower() == "x-amz-security-token"]
            token = tokens[0] if len(tokens) == 1 else None
        return self.secret_key(access_key, token, signature)

    def secret_key(self, access_key: str, token: str | None, signature: sigv4.Signature | None = None) -> str:
        """
        The secret key C{access_key} signs with when verifying: a listed
        key's, or a session's when C{token} is that session's and it has not
        expired. Raise L{AuthenticationError} (about C{signature}) otherwise.
        """
        assert self.credentials is not None
        credential = self.credentials.get(access_key)
        if credential is not None:
            return credential.secret_key
        session = self.sessions.get(access_key)
        if session is None:
            raise AuthenticationError(AuthFailure.UNKNOWN_KEY, access_key, signature)
        if token != session.token:
            raise AuthenticationError(AuthFailure.INVALID_TOKEN, "", signature)
        if self.now() >= session.expiration:
            raise AuthenticationError(AuthFailure.EXPIRED_TOKEN, "", signature)
        return session.secret_key

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
