"""
Lambda authorizers (TOKEN and REQUEST) on the data plane: the identity a
request carries, the event the authorizer function gets, and what its
answer (an IAM policy) means for the method called.

Reference: "Use API Gateway Lambda authorizers" and "Output from an API
Gateway Lambda authorizer" in the API Gateway developer guide.
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from ruststack.apigateway.model import Authorizer
from ruststack.interfaces import InvokeResult


@attrs.frozen
class Refusal:
    """
    The gateway response a failed authorization gets.

    @ivar key: the body's member name: API Gateway says C{message} for 401
        and 500 but C{Message} for its access-denied 403.
    """

    status: int
    message: str | None
    error_type: str
    key: str = "message"


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


UNAUTHORIZED = Refusal(401, "Unauthorized", "UnauthorizedException")
CONFIGURATION_ERROR = Refusal(500, None, "AuthorizerConfigurationException")
EXPLICIT_DENY = Refusal(
    403, "User is not authorized to access this resource with an explicit deny", "AccessDeniedException", "Message"
)
NOT_ALLOWED = Refusal(403, "User is not authorized to access this resource", "AccessDeniedException", "Message")


class AnswerCache:
    """
    Authorizer answers by (authorizer, identity) for their TTL, on the
    injected clock.
    """

    _LIMIT = 10_000

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._answers: dict[tuple[str, str], tuple[float, Grant]] = {}

    def get(self, key: tuple[str, str]) -> Grant | None:
        found = self._answers.get(key)
        if found is None or found[0] <= self._clock.seconds():
            return None
        return found[1]

    def put(self, key: tuple[str, str], grant: Grant, ttl: int) -> None:
        if ttl <= 0:
            return
        now = self._clock.seconds()
        if len(self._answers) >= self._LIMIT:
            self._answers = {k: v for k, v in self._answers.items() if v[0] > now}
        self._answers[key] = (now + ttl, grant)


@attrs.frozen
class Grant:
    """
    An authorizer's answer: the caller, the policy's statements and the
    context handed to the integration (C{requestContext.authorizer}).
    """

    principal_id: str
    statements: tuple[dict[str, Any], ...]
    context: dict[str, Any]

    def check(self, method_arn: str) -> None:
        """
        Raise L{Refused} for C{method_arn} unless the policy allows it
        (an explicit deny wins over any allow).
        """
        allowed = False
        for statement in self.statements:
            if not _invokes(statement.get("Action")) or not _covers(statement.get("Resource"), method_arn):
                continue
            if str(statement.get("Effect", "")).lower() == "deny":
                raise Refused(EXPLICIT_DENY)
            allowed = True
        if not allowed:
            raise Refused(NOT_ALLOWED)

    def request_context(self, latency_ms: int) -> dict[str, Any]:
        # Context values reach the integration as strings.
        values = {
            name: (json.dumps(value) if isinstance(value, bool) else str(value)) for name, value in self.context.items()
        }
        return {**values, "principalId": self.principal_id, "integrationLatency": latency_ms}


def method_arn(region: str, account: str, api_id: str, stage: str, http_method: str, path: str) -> str:
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{http_method}/{path.lstrip('/')}"


def identity(authorizer: Authorizer, event: dict[str, Any]) -> str | None:
    """
    The identity the request carries (the cache key, and a TOKEN
    authorizer's token), or C{None} when a source is missing or a TOKEN
    fails the validation expression: API Gateway then answers 401 without
    calling the function.
    """
    values = []
    for source in (authorizer.identity_source or "").split(","):
        source = source.strip()
        if not source:
            continue
        value = _source_value(source, event)
        if not value:
            return None
        values.append(value)
    if authorizer.type == "TOKEN":
        if not values:
            return None
        expression = authorizer.identity_validation_expression
        if expression and not re.fullmatch(expression, values[0]):
            return None
    return ",".join(values)


def _source_value(source: str, event: dict[str, Any]) -> str | None:
    kind, _, name = source.rpartition(".")
    if kind == "method.request.header":
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        return headers.get(name.lower())
    if kind == "method.request.querystring":
        return (event.get("queryStringParameters") or {}).get(name)
    if kind == "stageVariables":
        return (event.get("stageVariables") or {}).get(name)
    if kind == "context":
        return str(event["requestContext"].get(name, "")) or None
    return None


def authorizer_event(authorizer: Authorizer, token: str, proxy_event: dict[str, Any], arn: str) -> dict[str, Any]:
    if authorizer.type == "TOKEN":
        return {"type": "TOKEN", "methodArn": arn, "authorizationToken": token}
    event = {"type": "REQUEST", "methodArn": arn, **proxy_event}
    # A REQUEST authorizer sees the request, not its body.
    event.pop("body", None)
    event.pop("isBase64Encoded", None)
    return event


def read_answer(result: InvokeResult) -> Grant:
    """
    The L{Grant} in an authorizer function's answer; a function that fails
    with the message C{Unauthorized} means 401, anything else unusable 500.
    """
    if result.function_error:
        try:
            message = json.loads(result.payload).get("errorMessage")
        except (ValueError, AttributeError):
            message = None
        raise Refused(UNAUTHORIZED if message == "Unauthorized" else CONFIGURATION_ERROR)
    try:
        answer = json.loads(result.payload)
        principal = answer["principalId"]
        statements = answer["policyDocument"]["Statement"]
    except (ValueError, KeyError, TypeError):
        raise Refused(CONFIGURATION_ERROR) from None
    if isinstance(statements, dict):
        statements = [statements]
    context = answer.get("context") or {}
    if not isinstance(statements, list) or not isinstance(context, dict):
        raise Refused(CONFIGURATION_ERROR)
    if any(isinstance(v, (dict, list)) for v in context.values()):
        # The context map takes strings, numbers and booleans only.
        raise Refused(CONFIGURATION_ERROR)
    return Grant(str(principal), tuple(s for s in statements if isinstance(s, dict)), context)


def _invokes(action: Any) -> bool:
    actions = action if isinstance(action, list) else [action]
    return any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions)


def _covers(resource: Any, arn: str) -> bool:
    resources = resource if isinstance(resource, list) else [resource]
    return any(isinstance(r, str) and _glob(r).fullmatch(arn) for r in resources)


def _glob(pattern: str) -> re.Pattern[str]:
    # IAM wildcards: * any run of characters, ? one character.
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))
