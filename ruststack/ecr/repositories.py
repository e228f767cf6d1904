"""
A repository as ECR keeps it: its settings, its two policies and its
tags, and its forms on the wire and in the state file. It never holds an
image.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs


def repository_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{name}"


def repository_uri(account: str, region: str, name: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{name}"


@attrs.define
class Repository:
    account: str
    region: str
    name: str
    created: float = attrs.field(factory=lambda: datetime.now(UTC).timestamp())
    tag_mutability: str = "MUTABLE"
    mutability_exclusions: list[dict[str, str]] | None = None
    scanning: dict[str, Any] = attrs.field(factory=lambda: {"scanOnPush": False})
    encryption: dict[str, Any] = attrs.field(factory=lambda: {"encryptionType": "AES256"})
    lifecycle_policy: str | None = None
    policy: str | None = None
    tags: dict[str, str] = attrs.field(factory=dict)

    @property
    def arn(self) -> str:
        return repository_arn(self.account, self.region, self.name)

    def shape(self) -> dict[str, Any]:
        """
        The repository as CreateRepository, DescribeRepositories and
        DeleteRepository answer it.
        """
        shape: dict[str, Any] = {
            "repositoryArn": self.arn,
            "registryId": self.account,
            "repositoryName": self.name,
            "repositoryUri": repository_uri(self.account, self.region, self.name),
            "createdAt": self.created,
            "imageTagMutability": self.tag_mutability,
        }
        if self.mutability_exclusions:
            shape["imageTagMutabilityExclusionFilters"] = self.mutability_exclusions
        shape["imageScanningConfiguration"] = self.scanning
        shape["encryptionConfiguration"] = self.encryption
        return shape

    def to_state(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Repository:
        return cls(**state)
