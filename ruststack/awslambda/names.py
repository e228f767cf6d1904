"""
The forms a function can be named by in a request: C{my-function},
C{my-function:qualifier}, C{123456789012:function:my-function},
C{us-east-1:123456789012:function:my-function} and the full ARN (botocore
lambda model, shape NamespacedFunctionName).

Every Lambda request passes through L{parse}, so it is where a name that is
no function name at all is refused with the model's C{ValidationException}
(a name the model admits that names nothing is C{ResourceNotFoundException}
once it is looked up).
"""

from __future__ import annotations

import re

import attrs

from ruststack.awslambda.functions import function_arn, not_found, validation

_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z]{2}(-[a-z]+)+-\d):(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$"
)
_PARTIAL = re.compile(r"^(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$")
_NAME = re.compile(r"^(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$")
# The rest of NamespacedFunctionName: a region before the account, dots in the name.
_MODEL = re.compile(
    r"^((?P<region>[a-z]{2}(-[a-z]+)+-\d):)?((?P<account>\d{12}):)?(function:)?(?P<name>[a-zA-Z0-9-_.]+)(:(?P<qualifier>[^:]+))?$"
)
# Its pattern as the model writes it, for the message.
NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?"
    r"(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)


@attrs.frozen
class FunctionRef:
    account: str
    region: str
    name: str
    qualifier: str | None = None

    @property
    def arn(self) -> str:
        arn = function_arn(self.region, self.account, self.name)
        return f"{arn}:{self.qualifier}" if self.qualifier else arn


def parse(text: str, account: str, region: str, qualifier: str | None = None) -> FunctionRef:
    """
    Resolve a function name in the caller's C{account} and C{region}; raise
    C{ValidationException} for what is not a function name, as the model's
    pattern refuses it (C{ResourceNotFoundException} for another resource's
    ARN, which Lambda looks up).
    """
    for pattern in (_ARN, _PARTIAL, _NAME, _MODEL):
        match = pattern.match(text)
        if match:
            found = match.groupdict()
            return FunctionRef(
                account=found.get("account") or account,
                region=found.get("region") or region,
                name=found["name"],
                qualifier=qualifier or found.get("qualifier"),
            )
    if text.startswith("arn:"):
        raise not_found(text)
    raise validation(text, "functionName", f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
