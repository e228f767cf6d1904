"""
Which service a request is for, from what each service claims
(L{ruststack.interfaces.Claims}).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping

import attrs

from ruststack.aws import sigv4
from ruststack.config import SERVICE_PACKAGES
from ruststack.interfaces import Claims

# Unsigned requests that no service claims beyond doubt are S3's (browsers,
# curl and presigned URLs reach S3 without an AWS signature in the header).
DEFAULT_SERVICE = "s3"


# Services RustStack does not have, by the name a request gives them (its
# credential scope's service or its X-Amz-Target prefix) -> botocore's name.
# They are answered "not running" in their own protocol, so that an SDK
# reports NotImplemented instead of failing to read the answer. A fixed list:
# a client cannot make RustStack load any model it names.
FOREIGN_SERVICES = {
    **{name: name for name in ("sqs", "sns", "kms")},
    **{name: name for name in ("secretsmanager", "kinesis", "firehose", "cognito-idp")},
    "states": "stepfunctions",
    "AmazonSQS": "sqs",
    "TrentService": "kms",
    "AWSStepFunctions": "stepfunctions",
    "Kinesis_20131202": "kinesis",
    "Firehose_20150804": "firehose",
    "AWSCognitoIdentityProviderService": "cognito-idp",
}


def known_claims() -> dict[str, Claims]:
    """
    The claims of every service RustStack has, running or not.
    """
    return {name: importlib.import_module(f"ruststack.{package}").CLAIMS for name, package in SERVICE_PACKAGES.items()}


@attrs.frozen
class Router:
    """
    Routes by, in order: a C{Host} a service claims; the SigV4 credential
    scope's service; the C{X-Amz-Target} prefix; an unsigned path a service
    claims; an unsigned form posted to C{/}, if a service claims those;
    else S3. A request for no known service comes back by the name it gave
    (its scope's service or target prefix), for the edge to refuse.
    """

    signing_names: Mapping[str, str]
    target_prefixes: Mapping[str, str]
    hosts: tuple[tuple[re.Pattern[str], str], ...]
    unsigned_paths: tuple[tuple[re.Pattern[bytes], str], ...]
    unsigned_forms: str | None = None
    # Hosts services take at run time (API Gateway's custom domain names):
    # (does the service own this host, its name), after the claimed hosts.
    dynamic_hosts: list[tuple[Callable[[str], bool], str]] = attrs.field(factory=list)

    @classmethod
    def of(cls, claims: Mapping[str, Claims]) -> Router:
        return cls(
            signing_names={signing: name for name, claim in claims.items() for signing in claim.signing_names},
            target_prefixes={prefix: name for name, claim in claims.items() for prefix in claim.target_prefixes},
            hosts=tuple((re.compile(c.hosts, re.I), name) for name, c in claims.items() if c.hosts),
            unsigned_paths=tuple(
                (re.compile(c.unsigned_paths.encode()), name) for name, c in claims.items() if c.unsigned_paths
            ),
            unsigned_forms=next((name for name, c in claims.items() if c.unsigned_forms), None),
        )

    def route(self, host: str, path: bytes, headers: Mapping[str, str], signature: sigv4.Signature | None) -> str:
        for pattern, name in self.hosts:
            if pattern.match(host):
                return name
        for owns, name in self.dynamic_hosts:
            # Never another service's signed requests: only unsigned or its own.
            if (signature is None or self.signing_names.get(signature.scope.service) == name) and owns(host):
                return name
        if signature is not None:
            service = signature.scope.service
            return self.signing_names.get(service, service)
        target = headers.get("x-amz-target")
        if target:
            prefix = target.split(".", 1)[0]
            return self.target_prefixes.get(prefix, prefix)
        for path_pattern, name in self.unsigned_paths:
            if path_pattern.match(path):
                return name
        if self.unsigned_forms and path == b"/" and _is_form(headers.get("content-type", "")):
            return self.unsigned_forms
        return DEFAULT_SERVICE


def _is_form(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "application/x-www-form-urlencoded"
