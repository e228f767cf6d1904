"""
The forms a function can be named by in a request: C{my-function},
C{my-function:qualifier}, C{123456789012:function:my-function} and the full
ARN (botocore lambda model, shape NamespacedFunctionName).
"""

from __future__ import annotations

import re

import attrs

from ruststack.awslambda.functions import function_arn, not_found

_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z]{2}(-[a-z]+)+-\d):(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$"
)
_PARTIAL = re.compile(r"^(?P<account>\d{12}):function:(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$")
_NAME = re.compile(r"^(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>[^:]+))?$")


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
    C{ResourceNotFoundException} for what is not a function name.
    """
    for pattern in (_ARN, _PARTIAL, _NAME):
        match = pattern.match(text)
        if match:
            found = match.groupdict()
            return FunctionRef(
                account=found.get("account") or account,
                region=found.get("region") or region,
                name=found["name"],
                qualifier=qualifier or found.get("qualifier"),
            )
    raise not_found(text)
