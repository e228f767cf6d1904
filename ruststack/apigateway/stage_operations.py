"""
Control-plane operations on deployments (snapshots of the resources) and
the stages that serve them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ruststack.apigateway.calls import (
    Call,
    Reply,
    as_flag,
    found,
    invalid_patch,
    page,
    patch_operations,
    unescape_patch_path,
)
from ruststack.apigateway.model import Deployment, RestApi, Stage, new_id
from ruststack.apigateway.regional import ACCOUNT_BURST_LIMIT, ACCOUNT_RATE_LIMIT
from ruststack.apigateway.stage_settings import patch_stage_settings
from ruststack.apigateway.store import bad_request, conflict, not_found

STAGE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")

# What a method's settings are until a patch changes them: AWS's defaults.
DEFAULT_METHOD_SETTING: dict[str, Any] = {
    "metricsEnabled": False,
    "loggingLevel": "OFF",
    "dataTraceEnabled": False,
    "throttlingBurstLimit": ACCOUNT_BURST_LIMIT,
    "throttlingRateLimit": ACCOUNT_RATE_LIMIT,
    "cachingEnabled": False,
    "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}


def _one_of(*choices: str):
    def parse(value: Any) -> str:
        if value not in choices:
            raise ValueError(value)
        return str(value)

    return parse


# The settings of a patch path /{resource path}/{method}/{group}/{name}: the
# MethodSetting member and how a patch value (a string) becomes its value.
METHOD_SETTING_PATHS: dict[str, tuple[str, Any]] = {
    "metrics/enabled": ("metricsEnabled", as_flag),
    "logging/loglevel": ("loggingLevel", _one_of("OFF", "ERROR", "INFO")),
    "logging/dataTrace": ("dataTraceEnabled", as_flag),
    "throttling/burstLimit": ("throttlingBurstLimit", int),
    "throttling/rateLimit": ("throttlingRateLimit", float),
    "caching/enabled": ("cachingEnabled", as_flag),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", int),
    "caching/dataEncrypted": ("cacheDataEncrypted", as_flag),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", as_flag),
    "caching/unauthorizedCacheControlHeaderStrategy": (
        "unauthorizedCacheControlHeaderStrategy",
        _one_of("FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"),
    ),
}


def _patch_method_setting(stage: Stage, op: str, path: str, value: Any) -> bool:
    """
    Apply a patch of a method's settings (C{/*/*/logging/loglevel}: every
    method's; C{/~1notes/GET/metrics/enabled}: one method's), or say the path
    is not one. Of the settings, only throttling is enforced (L{ruststack.apigateway.admission}).
    """
    parts = path[1:].split("/")
    if len(parts) == 2 and op == "remove":
        stage.method_settings.pop("/".join(parts), None)
        return True
    if len(parts) != 4 or "/".join(parts[2:]) not in METHOD_SETTING_PATHS or op != "replace":
        return False
    member, parse = METHOD_SETTING_PATHS["/".join(parts[2:])]
    try:
        parsed = parse(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid value '{value}' specified for path '{path}'") from None
    key = "/".join(parts[:2])
    stage.method_settings.setdefault(key, dict(DEFAULT_METHOD_SETTING))[member] = parsed
    return True


def _put_stage(call: Call, api: RestApi, name: str, deployment_id: str, body: dict[str, Any]) -> Stage:
    if not STAGE_NAME.match(name):
        raise bad_request("Stage name only allows a-zA-Z0-9_-")
    stage = Stage(
        name=name,
        deployment_id=deployment_id,
        created=call.now,
        updated=call.now,
        description=body.get("description"),
        variables=dict(body.get("variables") or {}),
        tags=dict(body.get("tags") or {}),
        tracing_enabled=bool(body.get("tracingEnabled", False)),
    )
    api.stages[name] = stage
    return stage


def create_deployment(call: Call) -> Reply:
    api = call.api()
    methods = [m for r in api.resources.values() for m in r.methods.values()]
    if not methods:
        raise bad_request("The REST API doesn't contain any methods")
    if any(m.integration is None for m in methods):
        raise bad_request("No integration defined for method")
    deployment = Deployment(
        id=new_id(6),
        created=call.now,
        description=call.body.get("description"),
        resources=copy.deepcopy(list(api.resources.values())),
    )
    api.deployments[deployment.id] = deployment
    stage_name = call.body.get("stageName")
    if stage_name:
        existing = api.stages.get(stage_name)
        if existing is None:
            _put_stage(
                call,
                api,
                stage_name,
                deployment.id,
                {"description": call.body.get("stageDescription"), "variables": call.body.get("variables")},
            )
        else:
            existing.deployment_id = deployment.id
            existing.updated = call.now
            existing.variables.update(call.body.get("variables") or {})
    call.store.save()
    return 201, deployment.to_json()


def get_deployments(call: Call) -> Reply:
    return 200, page(call, [d.to_json() for d in call.api().deployments.values()])


def _deployment(call: Call) -> tuple[RestApi, Deployment]:
    api = call.api()
    return api, found(api.deployments.get(call.params["deployment"]), "Deployment identifier")


def get_deployment(call: Call) -> Reply:
    return 200, _deployment(call)[1].to_json()


def delete_deployment(call: Call) -> Reply:
    api, deployment = _deployment(call)
    if any(s.deployment_id == deployment.id for s in api.stages.values()):
        raise bad_request("Active stages pointing to this deployment must be moved or deleted")
    del api.deployments[deployment.id]
    call.store.forget_router(api.id, deployment.id)
    call.store.save()
    return 202, None


def create_stage(call: Call) -> Reply:
    api = call.api()
    name = call.body.get("stageName") or ""
    deployment_id = call.body.get("deploymentId") or ""
    if deployment_id not in api.deployments:
        raise not_found("Invalid Deployment identifier specified")
    if name in api.stages:
        raise conflict("Stage already exists")
    stage = _put_stage(call, api, name, deployment_id, call.body)
    call.store.save()
    return 201, stage.to_json()


def _stage(call: Call) -> tuple[RestApi, Stage]:
    api = call.api()
    return api, found(api.stages.get(call.params["stage"]), "Stage identifier")


def get_stage(call: Call) -> Reply:
    return 200, _stage(call)[1].to_json()


def get_stages(call: Call) -> Reply:
    api = call.api()
    wanted: str | None = (call.query.get("deploymentId") or [""])[0] or None
    return 200, {"item": [s.to_json() for s in api.stages.values() if wanted in (None, s.deployment_id)]}


def update_stage(call: Call) -> Reply:
    api, stage = _stage(call)
    for op, path, value in patch_operations(call):
        if path.startswith("/variables/"):
            name = unescape_patch_path(path[len("/variables/") :])
            if op == "remove":
                stage.variables.pop(name, None)
            else:
                stage.variables[name] = value
        elif path == "/deploymentId" and op == "replace":
            if value not in api.deployments:
                raise bad_request("Deployment id does not exist")
            stage.deployment_id = value
        elif path == "/description" and op == "replace":
            stage.description = value
        elif path == "/tracingEnabled" and op == "replace":
            stage.tracing_enabled = str(value).lower() == "true"
        elif not _patch_method_setting(stage, op, path, value) and not patch_stage_settings(stage, op, path, value):
            raise invalid_patch(op, path)
    stage.updated = call.now
    call.store.save()
    return 200, stage.to_json()


def delete_stage(call: Call) -> Reply:
    api, stage = _stage(call)
    del api.stages[stage.name]
    call.store.save()
    return 202, None
