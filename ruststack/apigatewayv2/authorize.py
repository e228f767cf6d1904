"""
Route authorization on the HTTP API data plane: Lambda C{REQUEST}
authorizers (payload formats 1.0 and 2.0, simple and IAM-policy answers,
cached by identity), JWT authorizers, and what the integration's event gets
in C{requestContext.authorizer}.

References: "Working with AWS Lambda authorizers for HTTP APIs" and
"Controlling access to HTTP APIs with JWT authorizers", API Gateway
developer guide.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
from twisted.internet import defer
from twisted.logger import Logger

from ruststack.apigateway import lambda_authorizer
from ruststack.apigatewayv2 import jwt_authorizer
from ruststack.apigatewayv2.lambda_target import CannotAssumeRole, invoke_source, lambda_function
from ruststack.apigatewayv2.model import Document, HttpApi
from ruststack.aws.errors import AwsError
from ruststack.interfaces import ILambdaInvoker

log = Logger()

# How long an authorizer function may take (HTTP APIs: 10 seconds).
_AUTHORIZER_TIMEOUT = 10.0
# A simple answer's verdict as a policy, so that one cache and one check
# serve both kinds of answers.
_ALLOW_ALL = ({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},)


class Refused(Exception):
    """
    The gateway's answer to a request its authorizer refuses.
    """

    def __init__(self, status: int, message: str, challenge: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.challenge = challenge


def unauthorized(challenge: str | None = None) -> Refused:
    return Refused(401, "Unauthorized", challenge)


FORBIDDEN = (403, "Forbidden")
FAILED = (500, "Internal Server Error")


@attrs.frozen
class Authorizing:
    """
    A request to authorize: its API and the authorizers of the deployment
    it is served by, the route's ARN, its 2.0 event, the 1.0 event (made
    on demand) and the payload format of its integration.
    """

    api: HttpApi
    authorizers: dict[str, Document]
    route: Document
    route_arn: str
    event: dict[str, Any]
    event_v1: Callable[[], dict[str, Any]]
    integration_version: str


def identity_values(sources: list[str], event: dict[str, Any]) -> list[str] | None:
    """
    The values of an authorizer's identity sources in a 2.0 event, or
    C{None} when one is missing (API Gateway then answers 401 without
    calling the authorizer).
    """
    values = []
    for source in sources:
        kind, _, name = source.lstrip("$").rpartition(".")
        if kind == "request.header":
            value = (event.get("headers") or {}).get(name.lower())
        elif kind == "request.querystring":
            value = (event.get("queryStringParameters") or {}).get(name)
        elif kind == "stageVariables":
            value = (event.get("stageVariables") or {}).get(name)
        elif kind == "context":
            found = event["requestContext"].get(name)
            value = None if found is None else str(found)
        else:
            value = None
        if not value:
            return None
        values.append(value)
    return values


class Authorizers:
    """
    The authorizers of every HTTP API: their cached answers and the JWT
    issuers' signing keys.
    """

    def __init__(self, clock: Any, keys: jwt_authorizer.SigningKeys | None = None) -> None:
        self.clock = clock
        self.answers = lambda_authorizer.AnswerCache(clock)
        self.keys = keys or jwt_authorizer.SigningKeys(clock)

    async def authorize(self, request: Authorizing, invoker: ILambdaInvoker | None) -> dict[str, Any] | None:
        """
        The route's authorization: C{requestContext.authorizer} for the
        integration's event (C{None} for none), or L{Refused}.
        """
        kind = request.route.get("AuthorizationType", "NONE")
        if kind not in ("JWT", "CUSTOM"):
            return None
        authorizer = request.authorizers.get(request.route.get("AuthorizerId") or "")
        if authorizer is None:
            log.warn("{api}: the route's authorizer is not in this deployment", api=request.api.id)
            raise Refused(*FAILED)
        if kind == "JWT":
            return await self._jwt(request, authorizer)
        return await self._lambda(request, authorizer, invoker)

    async def _jwt(self, request: Authorizing, authorizer: Document) -> dict[str, Any]:
        values = identity_values(authorizer.get("IdentitySource") or [], request.event)
        if not values:
            raise unauthorized()
        configuration = authorizer.get("JwtConfiguration") or {}
        try:
            claims = await jwt_authorizer.verify(
                self.keys,
                jwt_authorizer.bearer_token(values[0]),
                configuration.get("Issuer", ""),
                list(configuration.get("Audience") or []),
                list(request.route.get("AuthorizationScopes") or []),
            )
        except jwt_authorizer.JwtRefusal as refusal:
            if refusal.status == 403:
                raise Refused(*FORBIDDEN, refusal.challenge) from None
            raise unauthorized(refusal.challenge) from None
        found = {"claims": jwt_authorizer.event_claims(claims), "scopes": jwt_authorizer.token_scopes(claims)}
        return {"jwt": found} if request.integration_version == "2.0" else found

    async def _lambda(
        self, request: Authorizing, authorizer: Document, invoker: ILambdaInvoker | None
    ) -> dict[str, Any]:
        api = request.api
        sources = list(authorizer.get("IdentitySource") or [])
        values = identity_values(sources, request.event)
        if values is None:
            raise unauthorized()
        version = authorizer.get("AuthorizerPayloadFormatVersion", "2.0")
        simple = bool(authorizer.get("EnableSimpleResponses")) and version == "2.0"
        key = (f"{api.id}/{authorizer['AuthorizerId']}", "\n".join(values))
        started = self.clock.seconds()
        grant = self.answers.get(key) if values else None
        if grant is None:
            event = self._event(request, version, values)
            grant = await self._call(api, authorizer, invoker, event, simple)
            if values:
                self.answers.put(key, grant, int(authorizer.get("AuthorizerResultTtlInSeconds") or 0))
        try:
            grant.check(request.route_arn)
        except lambda_authorizer.Refused:
            raise Refused(*FORBIDDEN) from None
        if request.integration_version == "2.0":
            return {"lambda": dict(grant.context)}
        return grant.request_context(int((self.clock.seconds() - started) * 1000))

    @staticmethod
    def _event(request: Authorizing, version: str, values: list[str]) -> dict[str, Any]:
        # The request without its body, as the authorizer sees it.
        if version == "2.0":
            rest = {k: v for k, v in request.event.items() if k not in ("version", "body", "isBase64Encoded")}
            return {
                "version": "2.0",
                "type": "REQUEST",
                "routeArn": request.route_arn,
                "identitySource": values,
                **rest,
            }
        rest = {k: v for k, v in request.event_v1().items() if k not in ("version", "body", "isBase64Encoded")}
        joined = ",".join(values)
        return {
            "version": "1.0",
            "type": "REQUEST",
            "methodArn": request.route_arn,
            "identitySource": joined,
            "authorizationToken": joined,
            **rest,
        }

    async def _call(
        self,
        api: HttpApi,
        authorizer: Document,
        invoker: ILambdaInvoker | None,
        event: dict[str, Any],
        simple: bool,
    ) -> lambda_authorizer.Grant:
        variables = dict(event.get("stageVariables") or {})
        function = lambda_function(authorizer.get("AuthorizerUri") or "", variables)
        if invoker is None or function is None:
            log.warn("{api}: the authorizer {name} names no Lambda function", api=api.id, name=authorizer["Name"])
            raise Refused(*FAILED)
        name, qualifier = function
        source_arn = f"arn:aws:execute-api:{api.region}:{api.account}:{api.id}/authorizers/{authorizer['AuthorizerId']}"
        try:
            source = invoke_source(api.account, authorizer.get("AuthorizerCredentialsArn"), source_arn)
            invocation = defer.maybeDeferred(
                invoker.invoke,
                api.account,
                api.region,
                name,
                json.dumps(event).encode(),
                qualifier,
                source=source,
            )
            result = await invocation.addTimeout(_AUTHORIZER_TIMEOUT, self.clock)
        except (defer.TimeoutError, AwsError, CannotAssumeRole) as e:
            log.warn("{api}: the authorizer {name} failed: {error}", api=api.id, name=authorizer["Name"], error=e)
            raise Refused(*FAILED) from None
        if simple:
            return _simple_answer(result.function_error, result.payload)
        try:
            return lambda_authorizer.read_answer(result)
        except lambda_authorizer.Refused as refused:
            if refused.refusal.status == 401:
                raise unauthorized() from None
            raise Refused(*FAILED) from None


def _simple_answer(function_error: str | None, payload: bytes) -> lambda_authorizer.Grant:
    """
    A simple answer (C{{"isAuthorized": bool, "context": {...}}}) as a grant.
    """
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if function_error:
        if isinstance(answer, dict) and answer.get("errorMessage") == "Unauthorized":
            raise unauthorized()
        raise Refused(*FAILED)
    if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
        raise Refused(*FAILED)
    context = answer.get("context") or {}
    if not isinstance(context, dict):
        raise Refused(*FAILED)
    return lambda_authorizer.Grant("", _ALLOW_ALL if answer["isAuthorized"] else (), context)
