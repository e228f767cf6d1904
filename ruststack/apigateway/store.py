"""
Every REST API of every account and region, kept in memory and, with
C{--data-dir}, in one JSON file rewritten after each change (the control
plane's state is small; the data plane only reads).
"""

from __future__ import annotations

from collections.abc import Callable

from ruststack.apigateway.extras import Extras
from ruststack.apigateway.model import Deployment, RestApi, new_id
from ruststack.apigateway.regional import RegionalStore
from ruststack.apigateway.routing import Router
from ruststack.aws.errors import AwsError
from ruststack.state_file import read_json, state_path, write_json

_STATE_FILE = "restapis.json"


def not_found(message: str) -> AwsError:
    return AwsError("NotFoundException", message, 404)


def bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message, 400)


def conflict(message: str) -> AwsError:
    return AwsError("ConflictException", message, 409)


class ApiStore:
    """
    REST APIs by id (ids are global: the execute-api host names one), with
    a router cached per deployment.
    """

    def __init__(self, state_dir: str | None = None) -> None:
        self._path = state_path(state_dir, _STATE_FILE)
        self.apis: dict[str, RestApi] = {}
        self._routers: dict[tuple[str, str], Router] = {}
        # Whether HTTP APIs (apigatewayv2) hold an id: the two share ids.
        self.taken: Callable[[str], bool] = lambda api_id: False
        # Account settings and custom domain names, in a file of their own.
        self.regional = RegionalStore(state_dir)
        state = read_json(self._path)
        for api_state in state["restApis"] if state is not None else []:
            api = RestApi.from_state(api_state)
            self.apis[api.id] = api
        # Gateway responses, models, validators, API keys and usage plans.
        self.extras = Extras.from_state(state.get("extras") if state is not None else None)

    def save(self) -> None:
        """
        Write the state file, if any (atomically: a crash leaves the old one).
        """
        write_json(
            self._path,
            {"restApis": [api.to_state() for api in self.apis.values()], "extras": self.extras.to_state(self.apis)},
        )

    def reset(self) -> None:
        self.apis.clear()
        self._routers.clear()
        self.extras.clear()
        self.save()
        self.regional.reset()

    def new_api_id(self) -> str:
        while True:
            api_id = new_id()
            if api_id not in self.apis and not self.taken(api_id):
                return api_id

    def api(self, account: str, region: str, api_id: str) -> RestApi:
        """
        The caller's API C{api_id}, or API Gateway's C{NotFoundException}.
        """
        api = self.apis.get(api_id)
        if api is None or api.account != account or api.region != region:
            raise not_found(f"Invalid API identifier specified {account}:{api_id}")
        return api

    def router(self, api: RestApi, deployment: Deployment) -> Router:
        key = (api.id, deployment.id)
        router = self._routers.get(key)
        if router is None:
            router = self._routers[key] = Router(deployment.resources)
        return router

    def forget_router(self, api_id: str, deployment_id: str | None = None) -> None:
        for key in [k for k in self._routers if k[0] == api_id and deployment_id in (None, k[1])]:
            del self._routers[key]
