"""
The Lambda functions an HTTP API calls (integrations and authorizers), and
whom it calls them as.
"""

from __future__ import annotations

import re

from ruststack.apigateway.execute import function_of
from ruststack.apigateway.lambda_caller import SERVICE_PRINCIPAL
from ruststack.interfaces import InvokeSource

_FUNCTION_ARN = re.compile(
    r"^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+)(?::([A-Za-z0-9_$-]+))?$"
)
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/.+$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


class CannotAssumeRole(Exception):
    """
    Credentials naming a role API Gateway may not use (one of another
    account).
    """


def lambda_function(uri: str, stage_variables: dict[str, str]) -> tuple[str, str | None] | None:
    """
    The function ARN and qualifier an integration URI names: a function ARN
    (as HTTP APIs take it) or the REST APIs' invocation URI;
    C{${stageVariables.x}} substituted.
    """
    uri = substitute_stage_variables(uri, stage_variables)
    found = _FUNCTION_ARN.match(uri)
    if found:
        return found.group(1), found.group(2)
    return function_of(uri, stage_variables)


def substitute_stage_variables(text: str, stage_variables: dict[str, str]) -> str:
    return _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), text)


def invoke_source(account: str, credentials: str | None, source_arn: str) -> InvokeSource | None:
    """
    Whom API Gateway invokes as: itself for C{source_arn} (the function's
    resource policy must allow it), or, with an execution role of the API's
    own account, that role (C{None}); raise L{CannotAssumeRole} for any
    other role.
    """
    if not credentials:
        return InvokeSource(SERVICE_PRINCIPAL, source_arn)
    role = _ROLE.match(credentials)
    if role is None or role.group("account") != account:
        raise CannotAssumeRole(credentials)
    return None
