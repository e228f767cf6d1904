"""
The Update operations of what the control plane keeps as documents
(method and integration responses) or small objects (deployments), by the
one patch applier (L{ruststack.apigateway.patches}).
"""

from __future__ import annotations

import json
from typing import Any

from ruststack.apigateway.calls import Call, Reply, found, patch_operations
from ruststack.apigateway.model import RestApi
from ruststack.apigateway.patches import ANY_OP, REPLACE, Patchable, Path, as_bool, as_text
from ruststack.apigateway.resource_operations import _integration
from ruststack.apigateway.stage_operations import _deployment


def _template(value: Any) -> str:
    # An empty template is a template (it maps to an empty body).
    return "" if value is None else str(value)


def _api_key_source(value: Any) -> str:
    if value not in ("HEADER", "AUTHORIZER"):
        raise ValueError(value)
    return str(value)


def _policy(value: Any) -> str:
    # A resource policy is a JSON document (stored, not enforced).
    json.loads(value)
    return str(value)


REMOVABLE = frozenset({"replace", "remove"})
REST_API = Patchable(
    members={
        "/apiKeySource": Path(REPLACE, _api_key_source),
        "/policy": Path(REMOVABLE, _policy),
        "/disableExecuteApiEndpoint": Path(REPLACE, as_bool),
        "/version": Path(REMOVABLE),
    }
)
DEPLOYMENT = Patchable(members={"/description": Path(REPLACE)})
METHOD_RESPONSE = Patchable(maps={"/responseParameters": Path(ANY_OP, as_bool), "/responseModels": Path(ANY_OP)})
INTEGRATION_RESPONSE = Patchable(
    members={
        "/selectionPattern": Path(frozenset({"replace", "remove"})),
        "/contentHandling": Path(frozenset({"replace", "remove"})),
    },
    maps={"/responseParameters": Path(ANY_OP, as_text), "/responseTemplates": Path(ANY_OP, _template)},
)


def patch_rest_api(api: RestApi, op: str, path: str, value: Any) -> bool:
    """
    Apply one patch of UpdateRestApi's members beyond its name, description,
    media types and endpoint, or say the path is not one of them.
    """
    if path not in REST_API.members:
        return False
    document: dict[str, Any] = {
        "apiKeySource": api.api_key_source,
        "policy": api.policy,
        "disableExecuteApiEndpoint": api.disable_execute_api_endpoint,
        "version": api.version,
    }
    REST_API.apply(document, [(op, path, value)])
    api.api_key_source = document["apiKeySource"]
    api.policy = document.get("policy")
    api.disable_execute_api_endpoint = document["disableExecuteApiEndpoint"]
    api.version = document.get("version")
    return True


def update_deployment(call: Call) -> Reply:
    _, deployment = _deployment(call)
    document = {"description": deployment.description}
    DEPLOYMENT.apply(document, patch_operations(call))
    deployment.description = document.get("description")
    call.store.save()
    return 200, deployment.to_json()


def _patched(call: Call, responses: dict[str, dict[str, Any]], patchable: Patchable) -> Reply:
    status = call.params["status"]
    response = dict(found(responses.get(status), "Response status code"))
    patchable.apply(response, patch_operations(call))
    responses[status] = response
    call.store.save()
    return 200, response


def update_method_response(call: Call) -> Reply:
    return _patched(call, call.method()[2].responses, METHOD_RESPONSE)


def update_integration_response(call: Call) -> Reply:
    return _patched(call, _integration(call).responses, INTEGRATION_RESPONSE)


OPERATIONS = {
    "UpdateDeployment": update_deployment,
    "UpdateMethodResponse": update_method_response,
    "UpdateIntegrationResponse": update_integration_response,
}
