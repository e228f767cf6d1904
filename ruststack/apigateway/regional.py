"""
What API Gateway keeps beside REST APIs: each account's settings per region
(GetAccount) and the custom domain names with their base path mappings,
in memory and, with C{--data-dir}, in their own JSON file.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from ruststack.state_file import read_json, state_path, write_json

# The throttle AWS gives an account in a region, and each method or route that sets no other.
ACCOUNT_BURST_LIMIT = 5000
ACCOUNT_RATE_LIMIT = 10000.0

_STATE_FILE = "regional.json"

# Hosted zones API Gateway answers with: CloudFront's for edge-optimized
# names, the region's execute-api zone for regional ones ("API Gateway
# endpoints and quotas" in the AWS General Reference).
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
REGIONAL_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MOQ7IELQB9NL",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-west-3": "Z3KY65QIEKYHQQ",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
    "ap-northeast-1": "Z1YSHQZHG15GKL",
    "ap-southeast-1": "ZL327KTPIQFUL",
    "ap-southeast-2": "Z2RPCDW04V8134",
    "sa-east-1": "ZCMLWB8V5SYIT",
}


@attrs.define
class AccountSettings:
    """
    GetAccount's answer for one account in one region; stored, not
    enforced (no throttling, no CloudWatch logging).
    """

    cloudwatch_role_arn: str | None = None
    features: list[str] = attrs.field(factory=lambda: ["UsagePlans"])
    burst_limit: int = ACCOUNT_BURST_LIMIT
    rate_limit: float = ACCOUNT_RATE_LIMIT
    api_key_version: str = "4"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "throttleSettings": {"burstLimit": self.burst_limit, "rateLimit": self.rate_limit},
            "features": list(self.features),
            "apiKeyVersion": self.api_key_version,
        }
        if self.cloudwatch_role_arn:
            body["cloudwatchRoleArn"] = self.cloudwatch_role_arn
        return body

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> AccountSettings:
        throttle = state.get("throttleSettings") or {}
        return cls(
            cloudwatch_role_arn=state.get("cloudwatchRoleArn"),
            features=list(state.get("features", [])),
            burst_limit=int(throttle.get("burstLimit", ACCOUNT_BURST_LIMIT)),
            rate_limit=float(throttle.get("rateLimit", ACCOUNT_RATE_LIMIT)),
            api_key_version=str(state.get("apiKeyVersion", "4")),
        )


@attrs.define
class BasePathMapping:
    """
    A path of a custom domain that serves a stage of a REST API; the base
    path C{(none)} is the domain's root, and without a stage the path's
    next segment names it.
    """

    base_path: str
    rest_api_id: str
    stage: str | None = None

    def to_json(self) -> dict[str, Any]:
        body = {"basePath": self.base_path, "restApiId": self.rest_api_id}
        return body | ({"stage": self.stage} if self.stage else {})


@attrs.define
class DomainName:
    """
    A custom domain name of one account and region. The certificates are
    stored as given (RustStack serves no TLS for them); C{token} makes the
    AWS-shaped CloudFront and regional target names.
    """

    name: str
    account: str
    region: str
    created: float
    token: str
    endpoint_type: str = "EDGE"
    certificate_arn: str | None = None
    certificate_name: str | None = None
    regional_certificate_arn: str | None = None
    regional_certificate_name: str | None = None
    security_policy: str = "TLS_1_2"
    tags: dict[str, str] = attrs.field(factory=dict)
    mappings: dict[str, BasePathMapping] = attrs.field(factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:apigateway:{self.region}::/domainnames/{self.name}"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "domainName": self.name,
            "domainNameArn": self.arn,
            "endpointConfiguration": {"types": [self.endpoint_type]},
            "domainNameStatus": "AVAILABLE",
            "securityPolicy": self.security_policy,
        }
        if self.endpoint_type == "EDGE":
            body["distributionDomainName"] = f"d{self.token[:13]}.cloudfront.net"
            body["distributionHostedZoneId"] = CLOUDFRONT_ZONE
            body["certificateUploadDate"] = int(self.created)
        else:
            body["regionalDomainName"] = f"d-{self.token[:10]}.execute-api.{self.region}.amazonaws.com"
            body["regionalHostedZoneId"] = REGIONAL_ZONES.get(self.region, "Z1UJRXOUMOOFQ8")
        optional = {
            "certificateArn": self.certificate_arn,
            "certificateName": self.certificate_name,
            "regionalCertificateArn": self.regional_certificate_arn,
            "regionalCertificateName": self.regional_certificate_name,
            "tags": dict(self.tags) or None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body

    def to_state(self) -> dict[str, Any]:
        return {
            **self.to_json(),
            "account": self.account,
            "region": self.region,
            "created": self.created,
            "token": self.token,
            "mappings": [m.to_json() for m in self.mappings.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> DomainName:
        return cls(
            name=state["domainName"],
            account=state["account"],
            region=state["region"],
            created=state["created"],
            token=state["token"],
            endpoint_type=state["endpointConfiguration"]["types"][0],
            certificate_arn=state.get("certificateArn"),
            certificate_name=state.get("certificateName"),
            regional_certificate_arn=state.get("regionalCertificateArn"),
            regional_certificate_name=state.get("regionalCertificateName"),
            security_policy=state.get("securityPolicy", "TLS_1_2"),
            tags=dict(state.get("tags", {})),
            mappings={
                m["basePath"]: BasePathMapping(m["basePath"], m["restApiId"], m.get("stage")) for m in state["mappings"]
            },
        )


@attrs.frozen
class Mapped:
    """
    Where a request to a custom domain goes: the API, the stage and the
    path below the stage.
    """

    api_id: str
    stage: str
    raw_path: str


def _segments_match(base_path: str, segments: list[str]) -> bool:
    wanted = base_path.split("/")
    return segments[: len(wanted)] == wanted


class RegionalStore:
    """
    Account settings by (account, region) and custom domain names by name:
    a name is one RustStack-wide, since a C{Host} can only mean one domain.
    """

    def __init__(self, state_dir: str | None = None) -> None:
        self._path = state_path(state_dir, _STATE_FILE)
        self.accounts: dict[tuple[str, str], AccountSettings] = {}
        self.domains: dict[str, DomainName] = {}
        state = read_json(self._path) or {}
        for entry in state.get("accounts", []):
            self.accounts[(entry["account"], entry["region"])] = AccountSettings.from_json(entry)
        for entry in state.get("domainNames", []):
            domain = DomainName.from_state(entry)
            self.domains[domain.name] = domain

    def save(self) -> None:
        accounts = [
            {**settings.to_json(), "account": account, "region": region}
            for (account, region), settings in self.accounts.items()
        ]
        write_json(self._path, {"accounts": accounts, "domainNames": [d.to_state() for d in self.domains.values()]})

    def reset(self) -> None:
        self.accounts.clear()
        self.domains.clear()
        self.save()

    def account(self, account: str, region: str) -> AccountSettings:
        return self.accounts.get((account, region)) or AccountSettings()

    def domain_of_host(self, host: str) -> DomainName | None:
        """
        The custom domain a C{Host} header names (with or without a port).
        """
        name = re.sub(r":\d+$", "", host.strip().lower()).rstrip(".")
        return self.domains.get(name) if name else None

    def owns_host(self, host: str) -> bool:
        domain = self.domain_of_host(host)
        return domain is not None and bool(domain.mappings)

    def mapped(self, host: str, raw_path: str) -> Mapped | None:
        """
        The stage and path a request to a custom domain reaches: the
        longest base path that is a prefix of the path's segments, else the
        root mapping C{(none)}; a mapping without a stage takes the next
        segment as the stage.
        """
        domain = self.domain_of_host(host)
        if domain is None:
            return None
        segments = raw_path.lstrip("/").split("/") if raw_path.strip("/") else []
        candidates = sorted(
            (m for m in domain.mappings.values() if m.base_path != "(none)"),
            key=lambda m: -len(m.base_path.split("/")),
        )
        mapping = next((m for m in candidates if _segments_match(m.base_path, segments)), None)
        if mapping is not None:
            rest = segments[len(mapping.base_path.split("/")) :]
        else:
            mapping = domain.mappings.get("(none)")
            rest = segments
            if mapping is None:
                return None
        stage = mapping.stage
        if stage is None:
            if not rest or not rest[0]:
                return None
            stage, rest = rest[0], rest[1:]
        trailing = "/" if raw_path.endswith("/") and rest else ""
        return Mapped(mapping.rest_api_id, stage, "/" + "/".join(rest) + trailing)
