"""
STS's operations: GetCallerIdentity, GetAccessKeyInfo, and the temporary
credentials of AssumeRole, AssumeRoleWithWebIdentity and GetSessionToken,
which the edge then accepts (L{ruststack.aws.identity.Sessions}).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from ruststack.aws.identity import Authenticator, Caller, Session
from ruststack.interfaces import IRoles
from ruststack.protocol import Handler, Protocol
from ruststack.sts import tokens

PROTOCOL = Protocol.for_service("sts")

# arn:aws:iam::123456789012:role/path/name
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}$", re.ASCII)
_EXPIRED_WEB_TOKEN = (
    "The web identity token that was passed is expired or is not valid."
    " Get a new identity token from the identity provider and then retry the request."
)


@attrs.frozen
class StsCall:
    """
    What a handler gets: the caller and the authenticator whose sessions it
    issues (and whose clock says what time it is).
    """

    caller: Caller
    authenticator: Authenticator
    roles: IRoles | None = None  # IAM's, when it runs

    def now(self) -> float:
        return self.authenticator.now()

    def session(self) -> Session | None:
        return self.authenticator.sessions.get(self.caller.access_key)


def _role(role_arn: str) -> tuple[str, str]:
    """
    The partition and account of a role's ARN.
    """
    match = _ROLE_ARN.match(role_arn)
    if match is None:
        raise PROTOCOL.modeled_error("ValidationError", f"{role_arn} is invalid")
    partition, account = match.groups()
    return partition, account


def _credentials(session: Session) -> dict[str, Any]:
    return {
        "AccessKeyId": session.access_key,
        "SecretAccessKey": session.secret_key,
        "SessionToken": session.token,
        "Expiration": session.expiration,
    }


def _caller_arn(call: StsCall) -> str:
    session = call.session()
    return session.arn if session is not None else _root(call.caller.account)


def _denied(call: StsCall, action: str, role_arn: str) -> Exception:
    message = f"User: {_caller_arn(call)} is not authorized to perform: sts:{action} on resource: {role_arn}"
    return PROTOCOL.modeled_error("AccessDenied", message, 403)


def _assume(call: StsCall, params: dict[str, Any], action: str) -> dict[str, Any]:
    partition, account = _role(params["RoleArn"])
    # RustStack stores trust policies but does not evaluate them: where
    # accounts are tenants (--auth verify), a role is only for its own account.
    if call.authenticator.verifying and account != call.caller.account:
        raise _denied(call, action, params["RoleArn"])
    duration = params.get("DurationSeconds", 3600)
    unique_id = None
    if call.roles is not None:
        role = call.roles.role(account, params["RoleArn"])
        if role is None:  # AWS answers so for a role that does not exist
            raise _denied(call, action, params["RoleArn"])
        if duration > role.max_session_duration:
            raise PROTOCOL.modeled_error(
                "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        unique_id = role.role_id
    now = call.now()
    session = call.authenticator.sessions.assume_role(
        partition, account, params["RoleArn"], params["RoleSessionName"], now + duration, now, unique_id
    )
    output: dict[str, Any] = {
        "Credentials": _credentials(session),
        "AssumedRoleUser": {"AssumedRoleId": session.user_id, "Arn": session.arn},
    }
    if "SourceIdentity" in params:
        output["SourceIdentity"] = params["SourceIdentity"]
    return output


async def assume_role(call: StsCall, params: dict[str, Any]) -> dict[str, Any]:
    return _assume(call, params, "AssumeRole")


async def assume_role_with_web_identity(call: StsCall, params: dict[str, Any]) -> dict[str, Any]:
    if call.authenticator.verifying:
        # It comes unsigned, and RustStack cannot check an identity provider's
        # signature: a verifying RustStack would hand any account's role to anyone.
        raise PROTOCOL.modeled_error("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
    try:
        claims = tokens.claims(params["WebIdentityToken"])
    except tokens.MalformedToken:
        raise PROTOCOL.modeled_error("InvalidIdentityToken", "The ID Token provided is not a valid JWT.") from None
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires <= call.now():
        raise PROTOCOL.modeled_error("ExpiredTokenException", _EXPIRED_WEB_TOKEN)
    output = _assume(call, params, "AssumeRoleWithWebIdentity")
    issuer = str(claims.get("iss", ""))
    return {
        **output,
        "SubjectFromWebIdentityToken": str(claims.get("sub", "")),
        "Audience": tokens.audience(claims),
        "Provider": issuer.removeprefix("https://"),
    }


async def get_session_token(call: StsCall, params: dict[str, Any]) -> dict[str, Any]:
    if call.session() is not None:
        raise PROTOCOL.modeled_error("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
    account = call.caller.account
    now = call.now()
    session = call.authenticator.sessions.issue(
        account, _root(account), account, now + params.get("DurationSeconds", 43200), now
    )
    return {"Credentials": _credentials(session)}


async def get_caller_identity(call: StsCall, params: dict[str, Any]) -> dict[str, Any]:
    session = call.session()
    if session is not None:
        return {"UserId": session.user_id, "Account": session.account, "Arn": session.arn}
    # Long-term keys are the account's own (RustStack has no IAM users behind them).
    return {"UserId": call.caller.account, "Account": call.caller.account, "Arn": _caller_arn(call)}


async def get_access_key_info(call: StsCall, params: dict[str, Any]) -> dict[str, Any]:
    return {"Account": call.authenticator.account_for(params["AccessKeyId"])}


def _root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


HANDLERS: dict[str, Handler] = {
    "AssumeRole": assume_role,
    "AssumeRoleWithWebIdentity": assume_role_with_web_identity,
    "GetSessionToken": get_session_token,
    "GetCallerIdentity": get_caller_identity,
    "GetAccessKeyInfo": get_access_key_info,
}
