"""
UpdateStage's patches of a stage's cache cluster, client certificate and
access log settings, by the one patch applier (stored and returned, not
applied: RustStack has no stage cache, access logs or client TLS).
"""

from __future__ import annotations

from typing import Any

from ruststack.apigateway.model import Stage
from ruststack.apigateway.patches import REPLACE, Patchable, Path, as_bool
from ruststack.apigateway.store import bad_request

# CacheClusterSize's values, in GB.
CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
_ACCESS_LOG_KEYS = ("destinationArn", "format")
REMOVABLE = frozenset({"replace", "remove"})


def _cache_size(value: Any) -> str:
    if str(value) not in CACHE_SIZES:
        raise ValueError(value)
    return str(value)


def _format(value: Any) -> str:
    return "" if value is None else str(value)


STAGE = Patchable(
    members={
        "/cacheClusterEnabled": Path(REPLACE, as_bool),
        "/cacheClusterSize": Path(REPLACE, _cache_size),
        "/clientCertificateId": Path(REMOVABLE),
        "/accessLogSettings": Path(frozenset({"remove"})),
    },
    maps={"/accessLogSettings": Path(REPLACE, _format)},
)


def patch_stage_settings(stage: Stage, op: str, path: str, value: Any) -> bool:
    """
    Apply one such patch to C{stage}, or say C{path} is not one of them.
    """
    top, _, key = path[1:].partition("/")
    if "/" + top not in STAGE.members or (key and key not in _ACCESS_LOG_KEYS):
        return False
    if key == "destinationArn" and op == "replace" and not str(value).startswith("arn:"):
        # A CloudWatch Logs group or a Firehose stream.
        raise bad_request(f"Invalid ARN specified in the request. ARNs must start with 'arn:': {value}")
    document: dict[str, Any] = {
        "cacheClusterEnabled": stage.cache_cluster_enabled,
        "cacheClusterSize": stage.cache_cluster_size,
        "clientCertificateId": stage.client_certificate_id,
        "accessLogSettings": stage.access_log_settings,
    }
    STAGE.apply(document, [(op, path, value)])
    stage.cache_cluster_enabled = document["cacheClusterEnabled"]
    # A cache switched on without a size gets the smallest, as on AWS.
    stage.cache_cluster_size = document.get("cacheClusterSize") or ("0.5" if stage.cache_cluster_enabled else None)
    stage.client_certificate_id = document.get("clientCertificateId")
    stage.access_log_settings = document.get("accessLogSettings") or None
    return True
