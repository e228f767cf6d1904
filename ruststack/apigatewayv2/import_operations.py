"""
ImportApi, ReimportApi and ExportApi: HTTP APIs from and to OpenAPI 3
definitions (see L{ruststack.apigatewayv2.openapi}).
"""

from __future__ import annotations

import json
from typing import Any

from ruststack.apigatewayv2 import openapi
from ruststack.apigatewayv2.authorizer_operations import check_authorizer
from ruststack.apigatewayv2.model import Document, HttpApi, new_id
from ruststack.apigatewayv2.operations import (
    _TIMEOUT_RANGE,
    Call,
    _api_output,
    _changed,
    _check_integration,
    _check_route,
    _new_route,
    bad_request,
    create_api,
)
from ruststack.protocol import Handler

_BASEPATHS = ("ignore", "prepend", "split")


def _definition(params: dict[str, Any]) -> openapi.Definition:
    basepath = params.get("Basepath")
    if basepath is not None and basepath not in _BASEPATHS:
        raise bad_request(f"Invalid basepath value specified: {basepath}")
    try:
        definition = openapi.read(openapi.parse(params["Body"]), basepath)
    except openapi.InvalidDefinition as e:
        raise bad_request(str(e)) from None
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise bad_request(f"Unable to import the definition: {e}") from None
    if definition.warnings and params.get("FailOnWarnings"):
        raise bad_request("Warnings found during import:\n\t" + "\n\t".join(definition.warnings))
    return definition


def _apply(api: HttpApi, definition: openapi.Definition) -> None:
    """
    Give C{api} the definition's authorizers, integrations and routes (its
    own are replaced), checked as the control plane checks them.
    """
    api.routes, api.integrations, api.authorizers = {}, {}, {}
    ids = {}
    # One integration per distinct definition, as CloudFormation's Body makes them.
    made: dict[str, str] = {}
    for name, spec in definition.authorizers.items():
        authorizer = {"AuthorizerId": new_id(6), **spec}
        if authorizer["AuthorizerType"] == "REQUEST":
            authorizer.setdefault("AuthorizerResultTtlInSeconds", 0)
        check_authorizer(authorizer)
        api.authorizers[authorizer["AuthorizerId"]] = authorizer
        ids[name] = authorizer["AuthorizerId"]
    for imported in definition.routes:
        params: dict[str, Any] = dict(imported.authorization)
        name = params.pop("AuthorizerName", None)
        if name is not None:
            params["AuthorizerId"] = ids[name]
        signature = json.dumps(imported.integration, sort_keys=True)
        if imported.integration is not None and signature in made:
            params["Target"] = made[signature]
        elif imported.integration is not None:
            integration: Document = {
                "ConnectionType": "INTERNET",
                "IntegrationId": new_id(7),
                "PayloadFormatVersion": "1.0",
                "TimeoutInMillis": _TIMEOUT_RANGE[1],
                **imported.integration,
            }
            if integration.get("IntegrationType") == "AWS_PROXY":
                integration.setdefault("IntegrationMethod", "POST")
            _check_integration(integration)
            api.integrations[integration["IntegrationId"]] = integration
            params["Target"] = made[signature] = f"integrations/{integration['IntegrationId']}"
        route = _new_route(imported.key, params)
        _check_route(api, route)
        api.routes[route["RouteId"]] = route


def _output(call: Call, api: HttpApi, definition: openapi.Definition) -> dict[str, Any]:
    output = _api_output(call, api)
    if definition.warnings:
        output["Warnings"] = list(definition.warnings)
    return output


async def import_api(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    definition = _definition(params)
    made = await create_api(call, {"ProtocolType": "HTTP", **definition.api})
    api = call.api(made["ApiId"])
    try:
        _apply(api, definition)
    except BaseException:
        del call.store.apis[api.id]
        call.store.save()
        raise
    _changed(call, api)
    return _output(call, api, definition)


async def reimport_api(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    api = call.api(params["ApiId"])
    definition = _definition(params)
    before = (api.routes, api.integrations, api.authorizers)
    try:
        _apply(api, definition)
    except BaseException:
        api.routes, api.integrations, api.authorizers = before
        raise
    for member in ("Description", "Version", "CorsConfiguration"):
        api.document.pop(member, None)
    api.document.update(definition.api)
    _changed(call, api)
    return _output(call, api, definition)


async def export_api(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    api = call.api(params["ApiId"])
    if params["Specification"] != "OAS30":
        raise bad_request(f"Invalid specification {params['Specification']}: OAS30 is supported")
    if params["OutputType"] not in ("JSON", "YAML"):
        raise bad_request(f"Invalid output type {params['OutputType']}: JSON or YAML")
    routes, integrations, authorizers = api.routes, api.integrations, api.authorizers
    stage_name = params.get("StageName")
    if stage_name is not None:
        stage = api.stages.get(stage_name)
        if stage is None:
            raise bad_request(f"Invalid stage identifier specified {stage_name}")
        deployment = api.deployments.get(stage.get("DeploymentId") or "")
        if deployment is None:
            raise bad_request(f"Stage {stage_name} has no deployment to export")
        snapshot = deployment.snapshot
        routes, integrations, authorizers = snapshot.routes, snapshot.integrations, snapshot.authorizers
    include = params.get("IncludeExtensions", True)
    document = openapi.export(api.document, routes, integrations, authorizers, include)
    return {"body": openapi.render(document, params["OutputType"])}


HANDLERS: dict[str, Handler] = {
    "ImportApi": import_api,
    "ReimportApi": reimport_api,
    "ExportApi": export_api,
}
