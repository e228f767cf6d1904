"""
The REST API v1 control plane (REST-JSON): a table of operations by HTTP
method and path, each a function from a parsed L{Call} to a status and a
body in the shapes of botocore's apigateway model.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote

from ruststack.apigateway import authorizer_operations as authorizers
from ruststack.apigateway import resource_operations as resources
from ruststack.apigateway import restapi_operations as restapis
from ruststack.apigateway import stage_operations as stages
from ruststack.apigateway.calls import Call, Operation, Reply
from ruststack.apigateway.store import ApiStore, bad_request
from ruststack.aws.errors import AwsError

_API = "/restapis/(?P<api>[^/]+)"
_RESOURCE = _API + "/resources/(?P<resource>[^/]+)"
_METHOD = _RESOURCE + "/methods/(?P<method>[^/]+)"

# (HTTP method, path pattern) -> operation, per botocore's apigateway model.
_OPERATIONS: list[tuple[str, re.Pattern[str], Operation]] = [
    (verb, re.compile(f"^{pattern}/?$"), operation)
    for verb, pattern, operation in [
        ("POST", "/restapis", restapis.create_rest_api),
        ("GET", "/restapis", restapis.get_rest_apis),
        ("GET", _API, restapis.get_rest_api),
        ("PUT", _API, restapis.put_rest_api),
        ("PATCH", _API, restapis.update_rest_api),
        ("DELETE", _API, restapis.delete_rest_api),
        ("GET", _API + "/resources", resources.get_resources),
        ("GET", _RESOURCE, resources.get_resource),
        ("POST", _RESOURCE, resources.create_resource),
        ("PATCH", _RESOURCE, resources.update_resource),
        ("DELETE", _RESOURCE, resources.delete_resource),
        ("PUT", _METHOD, resources.put_method),
        ("GET", _METHOD, resources.get_method),
        ("PATCH", _METHOD, resources.update_method),
        ("DELETE", _METHOD, resources.delete_method),
        ("PUT", _METHOD + "/integration", resources.put_integration),
        ("GET", _METHOD + "/integration", resources.get_integration),
        ("PATCH", _METHOD + "/integration", resources.update_integration),
        ("DELETE", _METHOD + "/integration", resources.delete_integration),
        ("PUT", _METHOD + "/responses/(?P<status>[^/]+)", resources.put_method_response),
        ("GET", _METHOD + "/responses/(?P<status>[^/]+)", resources.get_method_response),
        ("DELETE", _METHOD + "/responses/(?P<status>[^/]+)", resources.delete_method_response),
        ("PUT", _METHOD + "/integration/responses/(?P<status>[^/]+)", resources.put_integration_response),
        ("GET", _METHOD + "/integration/responses/(?P<status>[^/]+)", resources.get_integration_response),
        ("DELETE", _METHOD + "/integration/responses/(?P<status>[^/]+)", resources.delete_integration_response),
        ("POST", _API + "/authorizers", authorizers.create_authorizer),
        ("GET", _API + "/authorizers", authorizers.get_authorizers),
        ("GET", _API + "/authorizers/(?P<authorizer>[^/]+)", authorizers.get_authorizer),
        ("PATCH", _API + "/authorizers/(?P<authorizer>[^/]+)", authorizers.update_authorizer),
        ("DELETE", _API + "/authorizers/(?P<authorizer>[^/]+)", authorizers.delete_authorizer),
        ("POST", _API + "/deployments", stages.create_deployment),
        ("GET", _API + "/deployments", stages.get_deployments),
        ("GET", _API + "/deployments/(?P<deployment>[^/]+)", stages.get_deployment),
        ("DELETE", _API + "/deployments/(?P<deployment>[^/]+)", stages.delete_deployment),
        ("POST", _API + "/stages", stages.create_stage),
        ("GET", _API + "/stages", stages.get_stages),
        ("GET", _API + "/stages/(?P<stage>[^/]+)", stages.get_stage),
        ("PATCH", _API + "/stages/(?P<stage>[^/]+)", stages.update_stage),
        ("DELETE", _API + "/stages/(?P<stage>[^/]+)", stages.delete_stage),
    ]
]


def dispatch(
    store: ApiStore, account: str, region: str, now: float, verb: str, path: str, query: str, body: bytes
) -> Reply:
    """
    Run the operation C{verb path} names; raise L{AwsError} as API Gateway
    would (C{NotFoundException} for a path no operation has).
    """
    found = _find_operation(verb, path)
    if found is None:
        raise AwsError("NotFoundException", f"No operation {verb} {path} in this API Gateway", 404)
    operation, params = found
    parsed_query = parse_qs(query, keep_blank_values=True)
    if operation is restapis.create_rest_api and parsed_query.get("mode") == ["import"]:
        operation = restapis.import_rest_api
    # An OpenAPI definition (JSON or YAML) is read by the operation itself.
    parsed = {} if operation in (restapis.import_rest_api, restapis.put_rest_api) else _json_object(body)
    call = Call(store, account, region, now, params, parsed_query, parsed, body)
    try:
        return operation(call)
    except (ValueError, TypeError, AttributeError) as e:
        # A member of the wrong type or an unparsable number.
        raise bad_request(f"Invalid request input: {e}") from None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if body.strip() else {}
    except ValueError:
        raise bad_request("Could not parse request body into json") from None
    if not isinstance(parsed, dict):
        raise bad_request("Could not parse request body into json")
    return parsed


def _find_operation(verb: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for operation_verb, pattern, operation in _OPERATIONS:
        found = pattern.match(path)
        if found and operation_verb == verb:
            return operation, {name: unquote(value) for name, value in found.groupdict().items()}
    return None
