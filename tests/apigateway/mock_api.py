"""
A REST API served without Lambda (MOCK integrations), set up through boto3,
for the tests of what API Gateway checks before an integration runs: API
keys, usage plans, request validation and gateway responses.
"""

from __future__ import annotations

from typing import Any

import requests


def mock_method(apigw, api_id: str, resource_id: str, http_method: str, **method: Any) -> None:
    """
    Put C{http_method} on the resource (C{method} are more PutMethod
    members) with a MOCK integration answering 200 C{{"ok": true}}.
    """
    ids = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": http_method}
    apigw.put_method(**ids, authorizationType="NONE", **method)
    apigw.put_integration(**ids, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(**ids, statusCode="200", responseTemplates={"application/json": '{"ok": true}'})


def mock_api(apigw, stage: str = "dev", **method: Any) -> tuple[str, str]:
    """
    An API with C{/pets} answering GET and POST (both with the PutMethod
    members C{method}), deployed to C{stage}: its id and C{/pets}'s id.
    """
    api = apigw.create_rest_api(name="pets")
    pets = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    for verb in ("GET", "POST"):
        mock_method(apigw, api["id"], pets["id"], verb, **method)
    apigw.create_deployment(restApiId=api["id"], stageName=stage)
    return api["id"], pets["id"]


def stage_url(stack, api_id: str, path: str, stage: str = "dev") -> str:
    return f"{stack.endpoint_url}/restapis/{api_id}/{stage}/_user_request_{path}"


def fetch(stack, api_id: str, path: str, method: str = "GET", **kwargs: Any) -> requests.Response:
    """
    One request to the stage over a real socket.
    """
    return requests.request(method, stage_url(stack, api_id, path), timeout=10, **kwargs)
