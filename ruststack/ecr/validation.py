"""
How ECR words a request that breaks its model's constraints: not Coral's
"1 validation error detected: ..." but C{InvalidParameterException} naming
the first member at fault, "Invalid parameter at 'imageIds' failed to
satisfy constraint: 'Member must have length less than or equal to 100'";
a repository name is checked by ECR itself, in words of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel

from ruststack.aws.errors import AwsError
from ruststack.protocol import Protocol
from ruststack.protocol import validate as coral
from ruststack.protocol.model import service_model

# The model's pattern (ECR allows "__" and runs of "-" since 2023).
_NAME = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
# The expression ECR's refusal quotes, word for word as AWS sends it (it
# predates the model's pattern, and ECR still quotes it).
QUOTED_PATTERN = "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
MIN_NAME, MAX_NAME = 2, 256


def invalid_parameter(member: str, constraint: str) -> AwsError:
    message = f"Invalid parameter at '{member}' failed to satisfy constraint: '{constraint}'"
    return AwsError("InvalidParameterException", message, 400)


def name_problem(name: str) -> str | None:
    """
    What is wrong with C{name} as a repository name, in ECR's words;
    L{None} for a good name.
    """
    if len(name) < MIN_NAME:
        return f"must have length greater than or equal to {MIN_NAME}"
    if len(name) > MAX_NAME:
        return f"must have length less than or equal to {MAX_NAME}"
    if _NAME.fullmatch(name) is None:
        return f"must satisfy regular expression '{QUOTED_PATTERN}'"
    return None


class EcrProtocol(Protocol):
    """
    ECR's json protocol, with ECR's words for a request the model refuses.
    """

    def validate(self, operation: OperationModel, params: Mapping[str, Any]) -> None:
        found = coral.violations(operation.input_shape, params)
        if not found:
            return
        first = found[0]
        if first.member == "repositoryName" and first.top and isinstance(first.value, str):
            problem = name_problem(first.value)
            if problem is not None:
                raise invalid_parameter("repositoryName", problem)
        raise invalid_parameter(first.path, first.constraint)


PROTOCOL = EcrProtocol(service_model("ecr"))
