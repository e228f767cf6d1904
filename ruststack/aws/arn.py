"""
Amazon Resource Names.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Arn:
    """
    C{arn:partition:service:region:account:resource}.
    """

    service: str
    region: str
    account: str
    resource: str
    partition: str = "aws"

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @classmethod
    def parse(cls, text: str) -> Arn:
        """
        Parse an ARN; raise C{ValueError} if C{text} is not one.
        """
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(f"not an ARN: {text!r}")
        _, partition, service, region, account, resource = parts
        return cls(service=service, region=region, account=account, resource=resource, partition=partition)
