"""
Parameters and their versions as Parameter Store keeps them, and their
shapes in botocore's ssm model (C{Parameter}, C{ParameterMetadata},
C{ParameterHistory}).

C{to_state}/C{from_state} are the forms kept on disk with C{--data-dir}.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import attrs

from ruststack.ssm import names

DEFAULT_KEY_ID = "alias/aws/ssm"
# Parameter Store keeps the 100 most recent versions of a parameter.
MAX_VERSIONS = 100
# A KMS ciphertext blob (version 1, AES-256-GCM, an AWS-managed key)
# begins so; the rest stands for the header, nonce and tag.
_CIPHERTEXT_HEAD = b"\x01\x02\x02\x00\x78"
_CIPHERTEXT_OVERHEAD = 179


def ciphertext_for(value: str) -> str:
    """
    What a SecureString version shows without decryption, as AWS shows its
    KMS ciphertext: base64, as long as a real one, and random, so that it
    tells nothing of the plaintext. Drawn once per version and kept.
    """
    size = _CIPHERTEXT_OVERHEAD + len(value.encode("utf-8"))
    return base64.b64encode(_CIPHERTEXT_HEAD + os.urandom(size)).decode("ascii")


@attrs.define
class Version:
    """
    One version of a parameter; everything PutParameter sets belongs to a
    version (GetParameterHistory shows each version's own).

    @ivar ciphertext: for a SecureString, what is shown without decryption.
    @ivar user: the ARN of who created the version (C{LastModifiedUser}).
    @ivar policies: the policies' JSON as given: stored, not enforced.
    """

    number: int
    value: str
    type: str
    modified: float
    user: str
    tier: str = "Standard"
    data_type: str = "text"
    description: str | None = None
    allowed_pattern: str | None = None
    key_id: str | None = None
    policies: str | None = None
    labels: list[str] = attrs.field(factory=list)
    ciphertext: str | None = None

    def shown_value(self, decrypt: bool) -> str:
        if self.type == "SecureString" and not decrypt:
            assert self.ciphertext is not None
            return self.ciphertext
        return self.value

    def policies_json(self) -> list[dict[str, str]]:
        # DescribeParameters' and GetParameterHistory's Policies; RustStack
        # never runs them, so they stay pending.
        if not self.policies:
            return []
        try:
            policies = json.loads(self.policies)
        except ValueError:
            return []
        policies = policies if isinstance(policies, list) else [policies]
        return [
            {
                "PolicyText": json.dumps(policy, separators=(",", ":")),
                "PolicyType": str(policy.get("Type", "")) if isinstance(policy, dict) else "",
                "PolicyStatus": "Pending",
            }
            for policy in policies
        ]

    def to_state(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Version:
        return cls(**state)


@attrs.define(eq=False)
class Parameter:
    """
    A parameter: its versions, oldest first, and its tags.

    @ivar name: the name it was created with (C{name} or C{/name} for a
        single level).
    """

    account: str
    region: str
    name: str
    versions: list[Version]
    tags: dict[str, str] = attrs.field(factory=dict)

    @property
    def key(self) -> str:
        return names.key_of(self.name)

    @property
    def arn(self) -> str:
        return names.arn(self.account, self.region, self.key)

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    def version(self, number: int) -> Version | None:
        for version in self.versions:
            if version.number == number:
                return version
        return None

    def labelled(self, label: str) -> Version | None:
        for version in self.versions:
            if label in version.labels:
                return version
        return None

    def select(self, number: int | None = None, label: str | None = None) -> Version | None:
        """
        The version a selector names (the latest without one), if any.
        """
        if number is not None:
            return self.version(number)
        if label is not None:
            return self.labelled(label)
        return self.latest

    # Shapes of the ssm model

    def shape(
        self, version: Version, decrypt: bool, name: str | None = None, selector: str | None = None
    ) -> dict[str, Any]:
        """
        A C{Parameter} (GetParameter, GetParameters, GetParametersByPath);
        C{name} as the caller wrote it, if so.
        """
        body: dict[str, Any] = {
            "Name": name or self.name,
            "Type": version.type,
            "Value": version.shown_value(decrypt),
            "Version": version.number,
            "LastModifiedDate": version.modified,
            "ARN": self.arn,
            "DataType": version.data_type,
        }
        if selector is not None:
            body["Selector"] = selector
        return body

    def metadata(self) -> dict[str, Any]:
        """
        A C{ParameterMetadata} (DescribeParameters), of the latest version.
        """
        version = self.latest
        body: dict[str, Any] = {
            "Name": self.name,
            "ARN": self.arn,
            "Type": version.type,
            "KeyId": version.key_id,
            "LastModifiedDate": version.modified,
            "LastModifiedUser": version.user,
            "Description": version.description,
            "AllowedPattern": version.allowed_pattern,
            "Version": version.number,
            "Tier": version.tier,
            "Policies": version.policies_json(),
            "DataType": version.data_type,
        }
        return {name: value for name, value in body.items() if value is not None}

    def history(self, version: Version, decrypt: bool) -> dict[str, Any]:
        """
        A C{ParameterHistory} entry (GetParameterHistory).
        """
        body: dict[str, Any] = {
            "Name": self.name,
            "Type": version.type,
            "KeyId": version.key_id,
            "LastModifiedDate": version.modified,
            "LastModifiedUser": version.user,
            "Description": version.description,
            "Value": version.shown_value(decrypt),
            "AllowedPattern": version.allowed_pattern,
            "Version": version.number,
            "Labels": list(version.labels),
            "Tier": version.tier,
            "Policies": version.policies_json(),
            "DataType": version.data_type,
        }
        return {name: value for name, value in body.items() if value is not None}

    # State on disk

    def head_state(self) -> dict[str, Any]:
        return {"name": self.name, "tags": dict(self.tags)}
