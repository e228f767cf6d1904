"""
REST API v1 objects as the control plane keeps them, and their JSON in the
shapes of botocore's apigateway model (C{RestApi}, C{Resource}, C{Method},
C{Integration}, C{Deployment}, C{Stage}).

C{to_json} renders the wire shape; C{to_state}/C{from_state} the (fuller)
form kept on disk with C{--data-dir}. Both take a class's plain members
from its attrs fields (JSON name: the attribute's in camelCase unless its
metadata gives one); each class handles the rest itself, and C{RestApi},
most of whose members need that, all of them.
"""

from __future__ import annotations

import os
import string
from typing import Any

import attrs

_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 10) -> str:
    """
    An id as API Gateway makes them: lower-case letters and digits (10 for
    APIs and root resources, 6 for resources and deployments).
    """
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in os.urandom(length))


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _json(name: str) -> dict[str, str | None]:
    """
    Field metadata naming the JSON member an attribute is, where that is
    not the attribute's name in camelCase.
    """
    return {"json": name}


# Field metadata of an attribute its class renders and reads by hand (a
# copy, a nested object, a timestamp in two forms).
_BY_HAND: dict[str, str | None] = {"json": None}


_PLAIN_MEMBERS: dict[type, tuple[tuple[str, str], ...]] = {}


def _plain_members(cls: type) -> tuple[tuple[str, str], ...]:
    """
    The (attribute, JSON member) pairs of C{cls}'s attributes that go to
    the wire and to the state file as they are (worked out once a class).
    """
    members = _PLAIN_MEMBERS.get(cls)
    if members is None:
        members = _PLAIN_MEMBERS[cls] = tuple(
            (field.name, name) for field in attrs.fields(cls) if (name := _json_name(field)) is not None
        )
    return members


def _json_name(field: attrs.Attribute) -> str | None:
    first, *rest = field.name.split("_")
    return field.metadata.get("json", first + "".join(word.capitalize() for word in rest))


def _json_members(value: Any) -> dict[str, Any]:
    return {name: getattr(value, attribute) for attribute, name in _plain_members(type(value))}


def _attributes(cls: type, state: dict[str, Any]) -> dict[str, Any]:
    # What the state leaves out (it keeps no nulls) takes the attribute's default.
    return {attribute: state[name] for attribute, name in _plain_members(cls) if name in state}


@attrs.define
class Integration:
    """
    A method's integration; only C{AWS_PROXY} is served by the data plane.

    @ivar http_method: the integration's own method (C{POST} for Lambda),
        C{httpMethod} on the wire.
    """

    type: str
    http_method: str | None = None
    uri: str | None = None
    timeout_ms: int = attrs.field(default=29000, metadata=_json("timeoutInMillis"))
    passthrough_behavior: str = "WHEN_NO_MATCH"
    content_handling: str | None = None
    credentials: str | None = None
    request_parameters: dict[str, str] | None = None
    request_templates: dict[str, str] | None = None
    cache_namespace: str | None = None
    cache_key_parameters: list[str] = attrs.field(factory=list)
    # IntegrationResponse shapes by status code: stored and returned, not
    # applied (proxy integrations have none).
    responses: dict[str, dict[str, Any]] = attrs.field(factory=dict, metadata=_BY_HAND)

    def to_json(self) -> dict[str, Any]:
        return _without_none({**_json_members(self), "integrationResponses": dict(self.responses) or None})

    to_state = to_json

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Integration:
        return cls(**_attributes(cls, state), responses=dict(state.get("integrationResponses", {})))


@attrs.define
class Method:
    http_method: str
    authorization_type: str = "NONE"
    authorizer_id: str | None = None
    api_key_required: bool = False
    operation_name: str | None = None
    request_parameters: dict[str, bool] | None = None
    request_models: dict[str, str] | None = None
    request_validator_id: str | None = None
    integration: Integration | None = attrs.field(default=None, metadata=_BY_HAND)
    # MethodResponse shapes by status code: stored and returned, not applied.
    responses: dict[str, dict[str, Any]] = attrs.field(factory=dict, metadata=_BY_HAND)

    def to_json(self) -> dict[str, Any]:
        return _without_none(
            {
                **_json_members(self),
                "methodResponses": dict(self.responses) or None,
                "methodIntegration": self.integration.to_json() if self.integration else None,
            }
        )

    to_state = to_json

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Method:
        integration = state.get("methodIntegration")
        return cls(
            **_attributes(cls, state),
            integration=Integration.from_state(integration) if integration else None,
            responses=dict(state.get("methodResponses", {})),
        )


@attrs.define
class ApiResource:
    """
    A node of the API's path tree.

    @ivar path_part: the last segment (C{notes}, C{{id}}, C{{proxy+}}); the
        root has none.
    """

    id: str
    path: str
    parent_id: str | None = None
    path_part: str | None = None
    methods: dict[str, Method] = attrs.field(factory=dict, metadata=_BY_HAND)

    def to_json(self, embed_methods: bool = False) -> dict[str, Any]:
        body = _without_none(_json_members(self))
        if self.methods:
            # Listed by name only unless asked to embed (GetResources embed=methods).
            body["resourceMethods"] = {
                name: (method.to_json() if embed_methods else {}) for name, method in self.methods.items()
            }
        return body

    def to_state(self) -> dict[str, Any]:
        return self.to_json(embed_methods=True)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ApiResource:
        methods = state.get("resourceMethods", {})
        return cls(**_attributes(cls, state), methods={name: Method.from_state(m) for name, m in methods.items()})


@attrs.define
class Deployment:
    """
    A snapshot of the API's resources: a stage serves the deployment it
    points at, not the API as edited since.
    """

    id: str
    created: float = attrs.field(metadata=_BY_HAND)
    description: str | None = None
    resources: list[ApiResource] = attrs.field(factory=list, metadata=_BY_HAND)

    def to_json(self) -> dict[str, Any]:
        return _without_none({**_json_members(self), "createdDate": int(self.created)})

    def to_state(self) -> dict[str, Any]:
        return {**self.to_json(), "createdDate": self.created, "resources": [r.to_state() for r in self.resources]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Deployment:
        resources = [ApiResource.from_state(r) for r in state["resources"]]
        return cls(**_attributes(cls, state), created=state["createdDate"], resources=resources)


@attrs.define
class Stage:
    name: str = attrs.field(metadata=_json("stageName"))
    deployment_id: str
    created: float = attrs.field(metadata=_BY_HAND)
    updated: float = attrs.field(metadata=_BY_HAND)
    description: str | None = None
    variables: dict[str, str] = attrs.field(factory=dict, metadata=_BY_HAND)
    tags: dict[str, str] = attrs.field(factory=dict, metadata=_BY_HAND)
    tracing_enabled: bool = False
    # "{resource path}/{method}" ("*/*": every method) to its MethodSetting.
    method_settings: dict[str, dict[str, Any]] = attrs.field(factory=dict, metadata=_BY_HAND)
    # Stored and returned, not applied (no cache, no access logs, no client TLS).
    cache_cluster_enabled: bool = False
    cache_cluster_size: str | None = None
    client_certificate_id: str | None = None
    access_log_settings: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return _without_none(
            {
                **_json_members(self),
                "cacheClusterStatus": "AVAILABLE" if self.cache_cluster_enabled else "NOT_AVAILABLE",
                "methodSettings": {key: dict(setting) for key, setting in self.method_settings.items()},
                "createdDate": int(self.created),
                "lastUpdatedDate": int(self.updated),
                "variables": dict(self.variables) or None,
                "tags": dict(self.tags) or None,
            }
        )

    def to_state(self) -> dict[str, Any]:
        return {**self.to_json(), "createdDate": self.created, "lastUpdatedDate": self.updated}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Stage:
        return cls(
            **_attributes(cls, state),
            created=state["createdDate"],
            updated=state["lastUpdatedDate"],
            variables=dict(state.get("variables", {})),
            tags=dict(state.get("tags", {})),
            method_settings={k: dict(v) for k, v in state.get("methodSettings", {}).items()},
        )


@attrs.define
class Authorizer:
    """
    A Lambda (TOKEN or REQUEST) or Cognito authorizer of an API; only the
    Lambda kinds are served by the data plane.

    @ivar ttl: seconds a function's answer is reused for the same identity
        (C{authorizerResultTtlInSeconds}; 0 turns caching off).
    """

    id: str
    name: str
    type: str
    authorizer_uri: str | None = None
    identity_source: str | None = None
    identity_validation_expression: str | None = None
    ttl: int = attrs.field(default=300, metadata=_json("authorizerResultTtlInSeconds"))
    provider_arns: list[str] = attrs.field(factory=list, metadata=_BY_HAND)
    auth_type: str | None = None
    credentials: str | None = attrs.field(default=None, metadata=_json("authorizerCredentials"))

    def to_json(self) -> dict[str, Any]:
        return _without_none({**_json_members(self), "providerARNs": list(self.provider_arns) or None})

    to_state = to_json

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Authorizer:
        return cls(**_attributes(cls, state), provider_arns=list(state.get("providerARNs", [])))


@attrs.define
class RestApi:
    """
    One REST API of one account and region, with its resources,
    deployments and stages.
    """

    id: str
    account: str
    region: str
    name: str
    created: float
    root_id: str
    description: str | None = None
    version: str | None = None
    binary_media_types: list[str] = attrs.field(factory=list)
    minimum_compression_size: int | None = None
    api_key_source: str = "HEADER"
    endpoint_types: list[str] = attrs.field(factory=lambda: ["EDGE"])
    policy: str | None = None
    tags: dict[str, str] = attrs.field(factory=dict)
    disable_execute_api_endpoint: bool = False
    resources: dict[str, ApiResource] = attrs.field(factory=dict)
    deployments: dict[str, Deployment] = attrs.field(factory=dict)
    stages: dict[str, Stage] = attrs.field(factory=dict)
    authorizers: dict[str, Authorizer] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "createdDate": int(self.created),
            "apiKeySource": self.api_key_source,
            "endpointConfiguration": {"types": list(self.endpoint_types)},
            "disableExecuteApiEndpoint": self.disable_execute_api_endpoint,
            "rootResourceId": self.root_id,
        }
        optional = {
            "description": self.description,
            "version": self.version,
            "binaryMediaTypes": list(self.binary_media_types) or None,
            "minimumCompressionSize": self.minimum_compression_size,
            "policy": self.policy,
            "tags": dict(self.tags) or None,
        }
        body.update(_without_none(optional))
        return body

    def to_state(self) -> dict[str, Any]:
        return {
            **self.to_json(),
            "account": self.account,
            "region": self.region,
            "createdDate": self.created,
            "resources": [r.to_state() for r in self.resources.values()],
            "deployments": [d.to_state() for d in self.deployments.values()],
            "stages": [s.to_state() for s in self.stages.values()],
            "authorizers": [a.to_state() for a in self.authorizers.values()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RestApi:
        return cls(
            id=state["id"],
            account=state["account"],
            region=state["region"],
            name=state["name"],
            created=state["createdDate"],
            root_id=state["rootResourceId"],
            description=state.get("description"),
            version=state.get("version"),
            binary_media_types=list(state.get("binaryMediaTypes", [])),
            minimum_compression_size=state.get("minimumCompressionSize"),
            api_key_source=state.get("apiKeySource", "HEADER"),
            endpoint_types=list(state["endpointConfiguration"]["types"]),
            policy=state.get("policy"),
            tags=dict(state.get("tags", {})),
            disable_execute_api_endpoint=state.get("disableExecuteApiEndpoint", False),
            resources={r["id"]: ApiResource.from_state(r) for r in state["resources"]},
            deployments={d["id"]: Deployment.from_state(d) for d in state["deployments"]},
            stages={s["stageName"]: Stage.from_state(s) for s in state["stages"]},
            authorizers={a["id"]: Authorizer.from_state(a) for a in state.get("authorizers", [])},
        )
