"""
Every HTTP API of every account and region, in memory and, with
C{--data-dir}, in one JSON file rewritten (atomically) after each change.
"""

from __future__ import annotations

from collections.abc import Callable

from ruststack.apigatewayv2.model import HttpApi, new_id
from ruststack.state_file import read_json, state_path, write_json

_STATE_FILE = "apis.json"


class HttpApiStore:
    """
    HTTP APIs by id. Ids are global (an C{execute-api} host names one) and
    shared with REST APIs: C{taken} tells whether the REST API store holds an
    id already.
    """

    def __init__(self, state_dir: str | None = None, taken: Callable[[str], bool] = lambda api_id: False) -> None:
        self._path = state_path(state_dir, _STATE_FILE)
        self.taken = taken
        self.apis: dict[str, HttpApi] = {}
        state = read_json(self._path)
        for api_state in state["apis"] if state is not None else []:
            api = HttpApi.from_state(api_state)
            self.apis[api.id] = api

    def find(self, account: str, region: str, api_id: str) -> HttpApi | None:
        api = self.apis.get(api_id)
        if api is None or api.account != account or api.region != region:
            return None
        return api

    def in_region(self, account: str, region: str) -> list[HttpApi]:
        return [api for api in self.apis.values() if api.account == account and api.region == region]

    def new_api_id(self) -> str:
        while True:
            api_id = new_id()
            if api_id not in self.apis and not self.taken(api_id):
                return api_id

    def save(self) -> None:
        write_json(self._path, {"apis": [api.to_state() for api in self.apis.values()]})

    def reset(self) -> None:
        self.apis.clear()
        self.save()
