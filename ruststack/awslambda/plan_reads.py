"""
The reads Terraform and the CDK make of every function on each plan, and
their writes where RustStack keeps the setting (botocore lambda model:
GetFunctionCodeSigningConfig, Get/PutRuntimeManagementConfig,
Get/PutFunctionRecursionConfig, GetProvisionedConcurrencyConfig,
ListProvisionedConcurrencyConfigs, ListFunctionsByCodeSigningConfig).

RustStack has no code signing configurations and no provisioned
concurrency, so these answer as Lambda answers for a function that has
none: an empty code signing ARN, no provisioned concurrency configuration.
The runtime management mode and the recursive loop setting are stored (and
published with a version) but change nothing at run time.
"""

from __future__ import annotations

from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.awslambda.calls import Call
from ruststack.awslambda.functions import invalid

# Lambda's defaults ("Runtime version updates"; "Lambda recursive loop detection").
DEFAULT_UPDATE_RUNTIME_ON = "Auto"
DEFAULT_RECURSIVE_LOOP = "Terminate"


async def get_function_code_signing_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:GetFunctionCodeSigningConfig")
    return {"CodeSigningConfigArn": "", "FunctionName": function.name}


async def list_functions_by_code_signing_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    # No CreateCodeSigningConfig here: no configuration exists.
    arn = params["CodeSigningConfigArn"]
    raise AwsError("ResourceNotFoundException", f"The Lambda code signing configuration {arn} can not be found.", 404)


def _runtime_management(arn: str, settings: dict[str, str]) -> dict[str, Any]:
    answer = {"UpdateRuntimeOn": settings.get("UpdateRuntimeOn", DEFAULT_UPDATE_RUNTIME_ON), "FunctionArn": arn}
    if "RuntimeVersionArn" in settings:
        answer["RuntimeVersionArn"] = settings["RuntimeVersionArn"]
    return answer


async def get_runtime_management_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], "lambda:GetRuntimeManagementConfig", params.get("Qualifier"))
    return _runtime_management(target.arn, target.version.runtime_management)


async def put_runtime_management_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], "lambda:PutRuntimeManagementConfig", params.get("Qualifier"))
    mode = params["UpdateRuntimeOn"]
    runtime_version = params.get("RuntimeVersionArn")
    if mode == "Manual" and not runtime_version:
        raise invalid("RuntimeVersionArn must be specified when UpdateRuntimeOn is Manual.")
    if mode != "Manual" and runtime_version:
        raise invalid(f"RuntimeVersionArn can only be specified when UpdateRuntimeOn is Manual, not {mode}.")
    settings = {"UpdateRuntimeOn": mode}
    if runtime_version:
        settings["RuntimeVersionArn"] = runtime_version
    # A new dict: a published version shares its $LATEST's until then.
    target.version.runtime_management = settings
    call.service.store.save()
    return _runtime_management(target.arn, settings)


async def get_function_recursion_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:GetFunctionRecursionConfig")
    return {"RecursiveLoop": function.recursive_loop}


async def put_function_recursion_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:PutFunctionRecursionConfig")
    function.recursive_loop = params["RecursiveLoop"]
    call.service.store.save()
    return {"RecursiveLoop": function.recursive_loop}


async def get_provisioned_concurrency_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params["Qualifier"] == "$LATEST":
        raise invalid("The function resource provided must be an alias or a published version.")
    call.target(params["FunctionName"], "lambda:GetProvisionedConcurrencyConfig", params["Qualifier"])
    raise AwsError(
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
        404,
    )


async def list_provisioned_concurrency_configs(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    call.function(params["FunctionName"], "lambda:ListProvisionedConcurrencyConfigs")
    return {"ProvisionedConcurrencyConfigs": []}
