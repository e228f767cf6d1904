"""
An HTTP API and what hangs off it. Routes, integrations, stages and
deployments are kept as the documents the control plane answers with (their
members by botocore's names), since nearly every member is stored and
returned as given; the data plane reads the few it acts on.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

from ruststack.apigatewayv2.routes import RouteTable

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_id(length: int = 10) -> str:
    """
    An id as API Gateway makes them: lower-case letters and digits (10 for
    APIs, 7 for routes, integrations and deployments).
    """
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in os.urandom(length))


Document = dict[str, Any]


@attrs.define
class Snapshot:
    """
    What a deployment froze: the routes and integrations of the API when it
    was made (stages serve their deployment's, not the API's current ones).
    """

    routes: dict[str, Document]
    integrations: dict[str, Document]
    authorizers: dict[str, Document] = attrs.field(factory=dict)
    _table: RouteTable | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def table(self) -> RouteTable:
        if self._table is None:
            self._table = RouteTable((rid, route["RouteKey"]) for rid, route in self.routes.items())
        return self._table


@attrs.define
class Deployment:
    document: Document
    snapshot: Snapshot

    @property
    def id(self) -> str:
        return str(self.document["DeploymentId"])


@attrs.define
class HttpApi:
    """
    One HTTP API of one account and region.

    @ivar document: the API's own members as GetApi answers them, without
        C{ApiEndpoint} and C{Tags} (computed and kept apart).
    """

    id: str
    account: str
    region: str
    document: Document
    tags: dict[str, str] = attrs.field(factory=dict)
    routes: dict[str, Document] = attrs.field(factory=dict)
    integrations: dict[str, Document] = attrs.field(factory=dict)
    stages: dict[str, Document] = attrs.field(factory=dict)
    deployments: dict[str, Deployment] = attrs.field(factory=dict)
    authorizers: dict[str, Document] = attrs.field(factory=dict)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            {rid: dict(route) for rid, route in self.routes.items()},
            {iid: dict(integration) for iid, integration in self.integrations.items()},
            {aid: dict(authorizer) for aid, authorizer in self.authorizers.items()},
        )

    def arn(self) -> str:
        return f"arn:aws:apigateway:{self.region}::/apis/{self.id}"

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "region": self.region,
            "document": self.document,
            "tags": self.tags,
            "routes": self.routes,
            "integrations": self.integrations,
            "stages": self.stages,
            "authorizers": self.authorizers,
            "deployments": [
                {
                    "document": d.document,
                    "routes": d.snapshot.routes,
                    "integrations": d.snapshot.integrations,
                    "authorizers": d.snapshot.authorizers,
                }
                for d in self.deployments.values()
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> HttpApi:
        deployments = [
            Deployment(d["document"], Snapshot(d["routes"], d["integrations"], d.get("authorizers", {})))
            for d in state["deployments"]
        ]
        return cls(
            id=state["id"],
            account=state["account"],
            region=state["region"],
            document=state["document"],
            tags=state["tags"],
            routes=state["routes"],
            integrations=state["integrations"],
            stages=state["stages"],
            deployments={d.id: d for d in deployments},
            authorizers=state.get("authorizers", {}),
        )
