"""
Custom domain names (EDGE and REGIONAL) and their base path mappings, the
control plane of what the data plane serves by C{Host}
(L{ruststack.apigateway.regional.RegionalStore.mapped}).

A name is held by one account in one region of a RustStack: a C{Host}
header can only mean one domain. Names under AWS's and RustStack's own host
names are refused, so that a custom domain never takes a service's requests.
"""

from __future__ import annotations

import re
from typing import Any

from ruststack.apigateway.calls import Call, Reply, found, page, patch_operations
from ruststack.apigateway.model import new_id
from ruststack.apigateway.patches import REPLACE, Patchable, Path
from ruststack.apigateway.regional import BasePathMapping, DomainName
from ruststack.apigateway.store import bad_request, conflict, not_found
from ruststack.apigateway.tags import check_tags

DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
# Hosts that are AWS's or RustStack's own (S3 takes <bucket>.localhost).
_RESERVED = re.compile(r"(^|\.)(localhost|amazonaws\.com|amazonaws\.com\.cn|cloudfront\.net|aws)$")
BASE_PATH = re.compile(r"^[a-zA-Z0-9$\-_.+!*'()]+(/[a-zA-Z0-9$\-_.+!*'()]+)*$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[\w-]+$")
ENDPOINT_TYPES = ("EDGE", "REGIONAL")
SECURITY_POLICIES = ("TLS_1_0", "TLS_1_2")

_DOMAIN = Patchable(
    members={
        "/certificateArn": Path(REPLACE),
        "/certificateName": Path(REPLACE),
        "/regionalCertificateArn": Path(REPLACE),
        "/regionalCertificateName": Path(REPLACE),
        "/securityPolicy": Path(REPLACE),
    }
)
# UpdateBasePathMapping's paths are spelt so ("/restapiId").
_MAPPING = Patchable(members={"/basePath": Path(REPLACE), "/restapiId": Path(REPLACE), "/stage": Path(REPLACE)})


def _check_domain(domain: DomainName) -> None:
    """
    What API Gateway wants of a domain's endpoint type and certificates
    (ARNs are checked for shape only: RustStack has no ACM).
    """
    if domain.endpoint_type not in ENDPOINT_TYPES:
        raise bad_request("Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE")
    if domain.security_policy not in SECURITY_POLICIES:
        raise bad_request(f"Invalid security policy specified: {domain.security_policy}")
    if domain.endpoint_type == "EDGE":
        arn = domain.certificate_arn
        if not arn and not domain.certificate_name:
            raise bad_request("A certificate was not provided. Please provide a certificateArn for an EDGE domain name")
    else:
        arn = domain.regional_certificate_arn
        if not arn:
            raise bad_request("A regional certificate was not provided. Please provide a regionalCertificateArn")
    if arn:
        parsed = _CERTIFICATE_ARN.match(arn)
        wanted = "us-east-1" if domain.endpoint_type == "EDGE" else domain.region
        if parsed is None:
            raise bad_request(f"Invalid certificate ARN: {arn}")
        if parsed["region"] != wanted:
            raise bad_request(f"Invalid certificate ARN: {arn}. Certificate must be in '{wanted}'.")


def create_domain_name(call: Call) -> Reply:
    name = str(call.body.get("domainName") or "").lower().rstrip(".")
    if not DOMAIN_NAME.match(name):
        raise bad_request(f"Invalid domain name identifier specified: {name}")
    if _RESERVED.search(name):
        raise bad_request(f"The domain name {name} is reserved: it names AWS or RustStack hosts")
    regional = call.store.regional
    if name in regional.domains:
        raise bad_request("The domain name you provided already exists.")
    types = (call.body.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    if len(types) != 1:
        raise bad_request("Invalid EndpointTypes specified: exactly one of REGIONAL,EDGE")
    domain = DomainName(
        name=name,
        account=call.account,
        region=call.region,
        created=call.now,
        token=new_id(13),
        endpoint_type=types[0],
        certificate_arn=call.body.get("certificateArn"),
        certificate_name=call.body.get("certificateName"),
        regional_certificate_arn=call.body.get("regionalCertificateArn"),
        regional_certificate_name=call.body.get("regionalCertificateName"),
        security_policy=call.body.get("securityPolicy") or "TLS_1_2",
        tags=check_tags(call.body.get("tags") or {}),
    )
    _check_domain(domain)
    regional.domains[name] = domain
    regional.save()
    return 201, domain.to_json()


def _domain(call: Call) -> DomainName:
    domain = call.store.regional.domains.get(call.params["domain"].lower())
    if domain is None or (domain.account, domain.region) != (call.account, call.region):
        raise not_found("Invalid domain name identifier specified")
    return domain


def get_domain_name(call: Call) -> Reply:
    return 200, _domain(call).to_json()


def get_domain_names(call: Call) -> Reply:
    mine = [d for d in call.store.regional.domains.values() if (d.account, d.region) == (call.account, call.region)]
    return 200, page(call, [d.to_json() for d in sorted(mine, key=lambda d: d.name)])


def update_domain_name(call: Call) -> Reply:
    domain = _domain(call)
    document: dict[str, Any] = {
        "certificateArn": domain.certificate_arn,
        "certificateName": domain.certificate_name,
        "regionalCertificateArn": domain.regional_certificate_arn,
        "regionalCertificateName": domain.regional_certificate_name,
        "securityPolicy": domain.security_policy,
    }
    endpoint_type = domain.endpoint_type
    patches = []
    for op, path, value in patch_operations(call):
        if path.startswith("/endpointConfiguration/types/") and op == "replace":
            endpoint_type = str(value)
        else:
            patches.append((op, path, value))
    _DOMAIN.apply(document, patches)
    updated = DomainName(
        name=domain.name,
        account=domain.account,
        region=domain.region,
        created=domain.created,
        token=domain.token,
        endpoint_type=endpoint_type,
        certificate_arn=document.get("certificateArn") or None,
        certificate_name=document.get("certificateName") or None,
        regional_certificate_arn=document.get("regionalCertificateArn") or None,
        regional_certificate_name=document.get("regionalCertificateName") or None,
        security_policy=document.get("securityPolicy") or "TLS_1_2",
        tags=domain.tags,
        mappings=domain.mappings,
    )
    _check_domain(updated)
    call.store.regional.domains[domain.name] = updated
    call.store.regional.save()
    return 200, updated.to_json()


def delete_domain_name(call: Call) -> Reply:
    domain = _domain(call)
    del call.store.regional.domains[domain.name]
    call.store.regional.save()
    return 202, None


# Base path mappings


def _base_path(value: Any) -> str:
    base_path = str(value or "").strip("/") or "(none)"
    if base_path != "(none)" and not BASE_PATH.match(base_path):
        raise bad_request(f"Invalid base path specified: {base_path}")
    return base_path


def _check_target(call: Call, mapping: BasePathMapping) -> None:
    """
    The mapping's API must be the caller's, and its stage, if named, one of
    the API's.
    """
    api = call.store.apis.get(mapping.rest_api_id)
    if api is None or (api.account, api.region) != (call.account, call.region):
        raise bad_request("Invalid REST API identifier specified")
    if mapping.stage and mapping.stage not in api.stages:
        raise bad_request("Invalid stage identifier specified")


def create_base_path_mapping(call: Call) -> Reply:
    domain = _domain(call)
    mapping = BasePathMapping(
        base_path=_base_path(call.body.get("basePath")),
        rest_api_id=str(call.body.get("restApiId") or ""),
        stage=call.body.get("stage") or None,
    )
    _check_target(call, mapping)
    if mapping.base_path in domain.mappings:
        raise conflict("Base path already exists for this domain name")
    domain.mappings[mapping.base_path] = mapping
    call.store.regional.save()
    return 201, mapping.to_json()


def _mapping(call: Call) -> tuple[DomainName, BasePathMapping]:
    domain = _domain(call)
    key = call.params["base_path"].strip("/") or "(none)"
    return domain, found(domain.mappings.get(key), "base path mapping identifier")


def get_base_path_mapping(call: Call) -> Reply:
    return 200, _mapping(call)[1].to_json()


def get_base_path_mappings(call: Call) -> Reply:
    domain = _domain(call)
    return 200, page(call, [m.to_json() for m in sorted(domain.mappings.values(), key=lambda m: m.base_path)])


def update_base_path_mapping(call: Call) -> Reply:
    domain, mapping = _mapping(call)
    document: dict[str, Any] = {"basePath": mapping.base_path, "restapiId": mapping.rest_api_id, "stage": mapping.stage}
    _MAPPING.apply(document, patch_operations(call))
    updated = BasePathMapping(
        base_path=_base_path(document["basePath"]),
        rest_api_id=str(document["restapiId"]),
        stage=document.get("stage") or None,
    )
    _check_target(call, updated)
    if updated.base_path != mapping.base_path and updated.base_path in domain.mappings:
        raise conflict("Base path already exists for this domain name")
    del domain.mappings[mapping.base_path]
    domain.mappings[updated.base_path] = updated
    call.store.regional.save()
    return 200, updated.to_json()


def delete_base_path_mapping(call: Call) -> Reply:
    domain, mapping = _mapping(call)
    del domain.mappings[mapping.base_path]
    call.store.regional.save()
    return 202, None


OPERATIONS = {
    "CreateDomainName": create_domain_name,
    "GetDomainName": get_domain_name,
    "GetDomainNames": get_domain_names,
    "UpdateDomainName": update_domain_name,
    "DeleteDomainName": delete_domain_name,
    "CreateBasePathMapping": create_base_path_mapping,
    "GetBasePathMapping": get_base_path_mapping,
    "GetBasePathMappings": get_base_path_mappings,
    "UpdateBasePathMapping": update_base_path_mapping,
    "DeleteBasePathMapping": delete_base_path_mapping,
}
