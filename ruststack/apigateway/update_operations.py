"""
The Update operations of what the control plane keeps as documents
(method and integration responses) or small objects (deployments), by the
one patch applier (L{ruststack.apigateway.patches}).
"""

from __future__ import annotations

from typing import Any

from ruststack.apigateway.calls import Call, Reply, found, patch_operations
from ruststack.apigateway.patches import ANY_OP, REPLACE, Patchable, Path, as_bool, as_text
from ruststack.apigateway.resource_operations import _integration
from ruststack.apigateway.stage_operations import _deployment


def _template(value: Any) -> str:
    # An empty template is a template (it maps to an empty body).
    return "" if value is None else str(value)


DEPLOYMENT = Patchable(members={"/description": Path(REPLACE)})
METHOD_RESPONSE = Patchable(maps={"/responseParameters": Path(ANY_OP, as_bool), "/responseModels": Path(ANY_OP)})
INTEGRATION_RESPONSE = Patchable(
    members={
        "/selectionPattern": Path(frozenset({"replace", "remove"})),
        "/contentHandling": Path(frozenset({"replace", "remove"})),
    },
    maps={"/responseParameters": Path(ANY_OP, as_text), "/responseTemplates": Path(ANY_OP, _template)},
)


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
