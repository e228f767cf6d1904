"""
What the REST API store keeps besides APIs' resources, deployments and
stages: per API, its gateway responses, models and request validators; per
account and region, API keys and usage plans (with the usage counted).

They are one member (C{extras}) of the store's state file; the data plane
reads them live (as if every change were deployed at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@attrs.define
class GatewayResponse:
    """
    A customized gateway response (the defaults are not stored: see
    L{ruststack.apigateway.gateway_responses.DEFAULTS}).
    """

    response_type: str
    status_code: str | None = None
    parameters: dict[str, str] = attrs.field(factory=dict)
    templates: dict[str, str] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _without_none(
            {
                "responseType": self.response_type,
                "statusCode": self.status_code,
                "responseParameters": dict(self.parameters),
                "responseTemplates": dict(self.templates),
                "defaultResponse": False,
            }
        )

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> GatewayResponse:
        return cls(
            state["responseType"],
            state.get("statusCode"),
            dict(state.get("responseParameters", {})),
            dict(state.get("responseTemplates", {})),
        )


@attrs.define
class Model:
    """
    A model: a JSON Schema (draft 4) for a content type, by name.
    """

    id: str
    name: str
    content_type: str
    schema: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "name": self.name,
                "contentType": self.content_type,
                "schema": self.schema,
                "description": self.description,
            }
        )

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Model:
        return cls(state["id"], state["name"], state["contentType"], state.get("schema"), state.get("description"))


@attrs.define
class RequestValidator:
    id: str
    name: str | None = None
    body: bool = False
    parameters: bool = False

    def to_json(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "name": self.name,
                "validateRequestBody": self.body,
                "validateRequestParameters": self.parameters,
            }
        )

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RequestValidator:
        return cls(
            state["id"],
            state.get("name"),
            state.get("validateRequestBody", False),
            state.get("validateRequestParameters", False),
        )


@attrs.define
class ApiExtras:
    """
    One REST API's gateway responses (by type), models (by name) and
    request validators (by id).
    """

    responses: dict[str, GatewayResponse] = attrs.field(factory=dict)
    models: dict[str, Model] = attrs.field(factory=dict)
    validators: dict[str, RequestValidator] = attrs.field(factory=dict)
    # Whether API Gateway's own models (Empty, Error) were added.
    default_models: bool = False

    def to_state(self) -> dict[str, Any]:
        return {
            "defaultModels": self.default_models,
            "gatewayResponses": [r.to_json() for r in self.responses.values()],
            "models": [m.to_json() for m in self.models.values()],
            "requestValidators": [v.to_json() for v in self.validators.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ApiExtras:
        responses = [GatewayResponse.from_state(r) for r in state.get("gatewayResponses", [])]
        models = [Model.from_state(m) for m in state.get("models", [])]
        validators = [RequestValidator.from_state(v) for v in state.get("requestValidators", [])]
        return cls({r.response_type: r for r in responses}, {m.name: m for m in models}, {v.id: v for v in validators})


@attrs.define
class ApiKey:
    id: str
    account: str
    region: str
    value: str
    created: float
    updated: float
    name: str | None = None
    description: str | None = None
    enabled: bool = False
    customer_id: str | None = None
    stage_keys: list[str] = attrs.field(factory=list)
    tags: dict[str, str] = attrs.field(factory=dict)

    def to_json(self, include_value: bool = False) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "value": self.value if include_value else None,
                "name": self.name,
                "customerId": self.customer_id,
                "description": self.description,
                "enabled": self.enabled,
                "createdDate": int(self.created),
                "lastUpdatedDate": int(self.updated),
                "stageKeys": list(self.stage_keys),
                "tags": dict(self.tags) or None,
            }
        )

    def to_state(self) -> dict[str, Any]:
        state = self.to_json(include_value=True)
        return {
            **state,
            "account": self.account,
            "region": self.region,
            "createdDate": self.created,
            "lastUpdatedDate": self.updated,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ApiKey:
        return cls(
            id=state["id"],
            account=state["account"],
            region=state["region"],
            value=state["value"],
            created=state["createdDate"],
            updated=state["lastUpdatedDate"],
            name=state.get("name"),
            description=state.get("description"),
            enabled=state.get("enabled", False),
            customer_id=state.get("customerId"),
            stage_keys=list(state.get("stageKeys", [])),
            tags=dict(state.get("tags", {})),
        )


@attrs.define
class UsagePlan:
    """
    A usage plan: the API stages it covers (with per-method throttles),
    its throttle and quota, and the ids of its API keys.
    """

    id: str
    account: str
    region: str
    name: str
    description: str | None = None
    api_stages: list[dict[str, Any]] = attrs.field(factory=list)
    throttle: dict[str, Any] | None = None
    quota: dict[str, Any] | None = None
    tags: dict[str, str] = attrs.field(factory=dict)
    key_ids: list[str] = attrs.field(factory=list)
    # When it was made: its quota's offset counts in its first period.
    created: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "name": self.name,
                "description": self.description,
                "apiStages": [dict(s) for s in self.api_stages],
                "throttle": dict(self.throttle) if self.throttle else None,
                "quota": dict(self.quota) if self.quota else None,
                "tags": dict(self.tags) or None,
            }
        )

    def to_state(self) -> dict[str, Any]:
        return {
            **self.to_json(),
            "account": self.account,
            "region": self.region,
            "keyIds": list(self.key_ids),
            "createdDate": self.created,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> UsagePlan:
        return cls(
            id=state["id"],
            account=state["account"],
            region=state["region"],
            name=state["name"],
            description=state.get("description"),
            api_stages=[dict(s) for s in state.get("apiStages", [])],
            throttle=state.get("throttle"),
            quota=state.get("quota"),
            tags=dict(state.get("tags", {})),
            key_ids=list(state.get("keyIds", [])),
            created=state.get("createdDate", 0.0),
        )

    def covers(self, api_id: str, stage: str) -> dict[str, Any] | None:
        """
        The plan's API stage entry for C{api_id}'s C{stage}, if it has one.
        """
        return next((s for s in self.api_stages if s.get("apiId") == api_id and s.get("stage") == stage), None)


class Extras:
    """
    The extras of every API, and every account's API keys and usage plans.

    @ivar usage: requests counted per (usage plan, key) per UTC day
        (C{"2026-12-01"}).
    """

    def __init__(self) -> None:
        self.apis: dict[str, ApiExtras] = {}
        self.keys: dict[str, ApiKey] = {}
        self.plans: dict[str, UsagePlan] = {}
        self.usage: dict[tuple[str, str], dict[str, int]] = {}
        # UpdateUsage's changes to what a quota period counts, by its first day.
        self.adjustments: dict[tuple[str, str], dict[str, int]] = {}
        # Key values (unique per account and region) to their key.
        self._by_value: dict[tuple[str, str, str], ApiKey] = {}

    def of(self, api_id: str) -> ApiExtras:
        extras = self.apis.get(api_id)
        if extras is None:
            extras = self.apis[api_id] = ApiExtras()
        return extras

    def responses_of(self, api_id: str) -> Mapping[str, GatewayResponse]:
        extras = self.apis.get(api_id)
        return extras.responses if extras is not None else {}

    def key_by_value(self, account: str, region: str, value: str) -> ApiKey | None:
        return self._by_value.get((account, region, value))

    def add_key(self, key: ApiKey) -> None:
        self.keys[key.id] = key
        self._by_value[(key.account, key.region, key.value)] = key

    def remove_key(self, key: ApiKey) -> None:
        del self.keys[key.id]
        self._by_value.pop((key.account, key.region, key.value), None)
        for plan in self.plans.values():
            if key.id in plan.key_ids:
                plan.key_ids.remove(key.id)

    def clear(self) -> None:
        self.apis.clear()
        self.keys.clear()
        self.plans.clear()
        self.usage.clear()
        self.adjustments.clear()
        self._by_value.clear()

    def to_state(self, live_apis: Mapping[str, object]) -> dict[str, Any]:
        # An API's extras go with it.
        for api_id in [a for a in self.apis if a not in live_apis]:
            del self.apis[api_id]
        return {
            "apis": {api_id: extras.to_state() for api_id, extras in self.apis.items()},
            "apiKeys": [k.to_state() for k in self.keys.values()],
            "usagePlans": [p.to_state() for p in self.plans.values()],
            "usage": [{"usagePlanId": p, "keyId": k, "days": days} for (p, k), days in self.usage.items()],
            "usageAdjustments": [
                {"usagePlanId": p, "keyId": k, "periods": periods} for (p, k), periods in self.adjustments.items()
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Extras:
        extras = cls()
        if state is None:
            return extras
        extras.apis = {api_id: ApiExtras.from_state(s) for api_id, s in state.get("apis", {}).items()}
        for key_state in state.get("apiKeys", []):
            extras.add_key(ApiKey.from_state(key_state))
        extras.plans = {p["id"]: UsagePlan.from_state(p) for p in state.get("usagePlans", [])}
        extras.usage = {(u["usagePlanId"], u["keyId"]): dict(u["days"]) for u in state.get("usage", [])}
        extras.adjustments = {
            (a["usagePlanId"], a["keyId"]): dict(a["periods"]) for a in state.get("usageAdjustments", [])
        }
        return extras
