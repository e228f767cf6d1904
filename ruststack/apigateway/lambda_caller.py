"""
Whom API Gateway invokes a Lambda function as, and for which resource.

Without credentials on the integration (or the authorizer), API Gateway
calls Lambda as the service principal C{apigateway.amazonaws.com} for the
method ARN (C{arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH}, the
request's own path) or the authorizer ARN
(C{arn:aws:execute-api:REGION:ACCOUNT:API/authorizers/ID}): the function's
resource policy must allow that ("API Gateway permissions model for
invoking an API" and "Control access to a REST API with Lambda
authorizers", API Gateway developer guide). With an execution role, it
calls as that role; with C{arn:aws:iam::*:user/*}, as the caller of an
C{AWS_IAM} method.
"""

from __future__ import annotations

import re

import attrs

from ruststack.apigateway.model import RestApi
from ruststack.interfaces import InvokeSource

SERVICE_PRINCIPAL = "apigateway.amazonaws.com"
# Integration credentials meaning "the caller's own" (botocore apigateway
# model, PutIntegrationRequest.credentials).
CALLER_CREDENTIALS = "arn:aws:iam::*:user/*"
# What API Gateway's execution log says when Lambda refuses it (AWS
# re:Post, "Invalid permissions on Lambda function" errors from REST APIs).
INVALID_PERMISSIONS = "Execution failed due to configuration error: Invalid permissions on Lambda function"

_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/.+$")
_PARTIAL_ARN = re.compile(r"^\d{12}:function:")


@attrs.frozen
class LambdaCall:
    """
    One invocation as L{ruststack.interfaces.ILambdaInvoker.invoke} takes
    it: the account it is made as, the function's full ARN, and the
    resource it is made for when API Gateway calls as itself.
    """

    account: str
    region: str
    function: str
    qualifier: str | None
    source: InvokeSource | None


class CannotAssumeRole(Exception):
    """
    The credentials name a role API Gateway cannot use: one of another
    account (API Gateway may only be handed its own account's roles), or the
    caller's own credentials on a request that has none.
    """

    def __init__(self, credentials: str) -> None:
        super().__init__(
            "Execution failed due to configuration error: API Gateway does not have permission to assume"
            f" the provided role {credentials}"
        )


def authorizer_source_arn(api: RestApi, authorizer_id: str) -> str:
    return f"arn:aws:execute-api:{api.region}:{api.account}:{api.id}/authorizers/{authorizer_id}"


def lambda_call(
    api: RestApi,
    function: str,
    qualifier: str | None,
    credentials: str | None,
    source_arn: str,
    signer: tuple[str, str] | None,
) -> LambdaCall:
    """
    The invocation of C{function} (a name or ARN from an integration or
    authorizer URI; a name is in the API's account and region) for
    C{source_arn}, with the integration's C{credentials}; raise
    L{CannotAssumeRole} for credentials API Gateway could not use.

    @param signer: the (access key, account) of a signed request.
    """
    arn = _function_arn(function, api)
    if not credentials:
        return LambdaCall(api.account, api.region, arn, qualifier, InvokeSource(SERVICE_PRINCIPAL, source_arn))
    if credentials == CALLER_CREDENTIALS:
        if signer is None:
            raise CannotAssumeRole(credentials)
        return LambdaCall(signer[1], api.region, arn, qualifier, None)
    role = _ROLE.match(credentials)
    if role is None or role.group("account") != api.account:
        raise CannotAssumeRole(credentials)
    return LambdaCall(api.account, api.region, arn, qualifier, None)


def _function_arn(function: str, api: RestApi) -> str:
    if function.startswith("arn:"):
        return function
    if _PARTIAL_ARN.match(function):
        return f"arn:aws:lambda:{api.region}:{function}"
    return f"arn:aws:lambda:{api.region}:{api.account}:function:{function}"
