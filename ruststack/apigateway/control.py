"""
The REST API v1 control plane (REST-JSON) on the protocol layer: a table of
operations by name, each a function from a L{Call} to a status and a body in
the shapes of botocore's apigateway model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import attrs

from ruststack.apigateway import (
    account,
    apikeys,
    domains,
    export,
    gateway_responses,
    tags,
    update_operations,
    usage_plans,
    validation,
)
from ruststack.apigateway import authorizer_operations as authorizers
from ruststack.apigateway import resource_operations as resources
from ruststack.apigateway import restapi_operations as restapis
from ruststack.apigateway import stage_operations as stages
from ruststack.apigateway.calls import Call, Operation
from ruststack.apigateway.store import ApiStore, bad_request
from ruststack.protocol import Handler, Protocol

# Operation -> its handler, per botocore's apigateway model (the protocol
# layer finds the operation and reads its input from the model).
_OPERATIONS: dict[str, Operation] = {
    "CreateRestApi": restapis.create_rest_api,
    "ImportRestApi": restapis.import_rest_api,
    "GetRestApis": restapis.get_rest_apis,
    "GetRestApi": restapis.get_rest_api,
    "PutRestApi": restapis.put_rest_api,
    "UpdateRestApi": restapis.update_rest_api,
    "DeleteRestApi": restapis.delete_rest_api,
    "GetResources": resources.get_resources,
    "GetResource": resources.get_resource,
    "CreateResource": resources.create_resource,
    "UpdateResource": resources.update_resource,
    "DeleteResource": resources.delete_resource,
    "PutMethod": resources.put_method,
    "GetMethod": resources.get_method,
    "UpdateMethod": resources.update_method,
    "DeleteMethod": resources.delete_method,
    "PutIntegration": resources.put_integration,
    "GetIntegration": resources.get_integration,
    "UpdateIntegration": resources.update_integration,
    "DeleteIntegration": resources.delete_integration,
    "PutMethodResponse": resources.put_method_response,
    "GetMethodResponse": resources.get_method_response,
    "DeleteMethodResponse": resources.delete_method_response,
    "PutIntegrationResponse": resources.put_integration_response,
    "GetIntegrationResponse": resources.get_integration_response,
    "DeleteIntegrationResponse": resources.delete_integration_response,
    "CreateAuthorizer": authorizers.create_authorizer,
    "GetAuthorizers": authorizers.get_authorizers,
    "GetAuthorizer": authorizers.get_authorizer,
    "UpdateAuthorizer": authorizers.update_authorizer,
    "DeleteAuthorizer": authorizers.delete_authorizer,
    "CreateDeployment": stages.create_deployment,
    "GetDeployments": stages.get_deployments,
    "GetDeployment": stages.get_deployment,
    "DeleteDeployment": stages.delete_deployment,
    "CreateStage": stages.create_stage,
    "GetStages": stages.get_stages,
    "GetStage": stages.get_stage,
    "UpdateStage": stages.update_stage,
    "DeleteStage": stages.delete_stage,
    "PutGatewayResponse": gateway_responses.put_gateway_response,
    "GetGatewayResponse": gateway_responses.get_gateway_response,
    "GetGatewayResponses": gateway_responses.get_gateway_responses,
    "UpdateGatewayResponse": gateway_responses.update_gateway_response,
    "DeleteGatewayResponse": gateway_responses.delete_gateway_response,
    "CreateApiKey": apikeys.create_api_key,
    "GetApiKey": apikeys.get_api_key,
    "GetApiKeys": apikeys.get_api_keys,
    "UpdateApiKey": apikeys.update_api_key,
    "DeleteApiKey": apikeys.delete_api_key,
    "ImportApiKeys": apikeys.import_api_keys,
    "CreateUsagePlan": usage_plans.create_usage_plan,
    "GetUsagePlan": usage_plans.get_usage_plan,
    "GetUsagePlans": usage_plans.get_usage_plans,
    "UpdateUsagePlan": usage_plans.update_usage_plan,
    "DeleteUsagePlan": usage_plans.delete_usage_plan,
    "CreateUsagePlanKey": usage_plans.create_usage_plan_key,
    "GetUsagePlanKey": usage_plans.get_usage_plan_key,
    "GetUsagePlanKeys": usage_plans.get_usage_plan_keys,
    "DeleteUsagePlanKey": usage_plans.delete_usage_plan_key,
    "GetUsage": usage_plans.get_usage,
    "UpdateUsage": usage_plans.update_usage,
    "CreateModel": validation.create_model,
    "GetModel": validation.get_model,
    "GetModels": validation.get_models,
    "UpdateModel": validation.update_model,
    "DeleteModel": validation.delete_model,
    "GetModelTemplate": validation.get_model_template,
    "CreateRequestValidator": validation.create_request_validator,
    "GetRequestValidator": validation.get_request_validator,
    "GetRequestValidators": validation.get_request_validators,
    "UpdateRequestValidator": validation.update_request_validator,
    "DeleteRequestValidator": validation.delete_request_validator,
}
# Tags, updates by the one patch applier, the account, exports, custom domains.
_OPERATIONS.update(
    tags.OPERATIONS | update_operations.OPERATIONS | account.OPERATIONS | export.OPERATIONS | domains.OPERATIONS
)
# The model's URI labels -> the names the operations read them by.
_LABELS = {
    "restApiId": "api",
    "resourceId": "resource",
    "parentId": "resource",  # CreateResource: POST .../resources/{parent_id}
    "httpMethod": "method",
    "statusCode": "status",
    "authorizerId": "authorizer",
    "deploymentId": "deployment",
    "stageName": "stage",
    "responseType": "response_type",
    "apiKey": "key",
    "usagePlanId": "plan",
    "keyId": "key_id",
    "modelName": "model",
    "requestValidatorId": "validator",
}
# ... and GetExport's Accept header among them.
_LABELS.update(
    {
        "resourceArn": "arn",
        "domainName": "domain",
        "basePath": "base_path",
        "exportType": "export_type",
        "accepts": "accept",
    }
)
# Operations whose payload is a document they read themselves (OpenAPI).
_RAW_PAYLOAD = frozenset({"ImportRestApi", "PutRestApi", "ImportApiKeys"})

PROTOCOL = Protocol.for_service("apigateway")


@attrs.frozen
class ControlContext:
    """
    What the control plane's handlers get of a request: the store, the
    caller, the time, and the raw query (paging, embed, mode).
    """

    store: ApiStore
    account: str
    region: str
    now: float
    query: dict[str, list[str]]


def _handler(name: str, operation: Operation) -> Handler:
    model = PROTOCOL.model.operation_model(name)
    located = {
        member: shape.serialization["location"]
        for member, shape in model.input_shape.members.items()
        if shape.serialization.get("location")
    }
    payload = model.input_shape.serialization.get("payload")
    # The operations read and write documents by their JSON names; the
    # layer speaks in member names (they differ for "items" <-> "item").
    wire_names = {m: shape.serialization.get("name", m) for m, shape in model.input_shape.members.items()}
    output = model.output_shape
    member_names = {s.serialization.get("name", m): m for m, s in output.members.items()} if output else {}

    def handle(context: ControlContext, params: dict[str, Any]) -> Any:
        labels = {_LABELS[m]: str(v) for m, v in params.items() if located.get(m) in ("uri", "header") and m in _LABELS}
        body = {wire_names[m]: v for m, v in params.items() if m not in located and m != payload}
        raw = params.get(payload, b"") if name in _RAW_PAYLOAD and payload else b""
        call = Call(context.store, context.account, context.region, context.now, labels, context.query, body, raw)
        try:
            _, document = operation(call)
        except (ValueError, TypeError, AttributeError) as e:
            # A member of the wrong type or an unparsable number.
            raise bad_request(f"Invalid request input: {e}") from None
        if not document:
            return None
        return {member_names.get(key, key): value for key, value in document.items()}

    return handle


HANDLERS: dict[str, Handler] = {name: _handler(name, operation) for name, operation in _OPERATIONS.items()}


def context_of(store: ApiStore, clock: Any) -> Callable[[Any], ControlContext]:
    """
    The handlers' context of a twisted.web request (for L{ServiceResource}).
    """

    def context(request: Any) -> ControlContext:
        query = request.uri.decode("latin-1").partition("?")[2]
        caller = request.caller
        return ControlContext(
            store, caller.account, caller.region, clock.seconds(), parse_qs(query, keep_blank_values=True)
        )

    return context
