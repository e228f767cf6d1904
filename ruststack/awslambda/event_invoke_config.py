"""
How a function's asynchronous invocations are handled (botocore lambda
model: PutFunctionEventInvokeConfig, UpdateFunctionEventInvokeConfig,
GetFunctionEventInvokeConfig, DeleteFunctionEventInvokeConfig,
ListFunctionEventInvokeConfigs).

A configuration belongs to the function's C{$LATEST} (no qualifier), a
version or an alias, and is kept on the function's C{$LATEST} by qualifier.
Put replaces it whole (a setting left out is removed, so its default
applies: 2 retries, 6 hours); Update changes the settings it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.awslambda import access, destinations, names
from ruststack.awslambda.calls import Call
from ruststack.awslambda.functions import LambdaFunction, invalid
from ruststack.awslambda.versions import page_of

# Lambda's defaults (Lambda developer guide, "Configuring error handling for
# asynchronous invocation").
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600

_SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")


@attrs.frozen
class AsyncPolicy:
    """
    What applies to an event: its retries, its greatest age (seconds) and
    where its record goes.
    """

    retries: int = DEFAULT_RETRIES
    max_age: int = DEFAULT_MAX_AGE
    on_success: str | None = None
    on_failure: str | None = None


def policy_for(function: LambdaFunction, qualifier: str | None) -> AsyncPolicy:
    """
    The policy of events sent to C{function} (its C{$LATEST}) by
    C{qualifier} (C{None}: unqualified, which is C{$LATEST}'s).
    """
    config = function.event_invoke_configs.get(qualifier or "$LATEST")
    if config is None:
        return AsyncPolicy()
    targets = config.get("DestinationConfig") or {}
    return AsyncPolicy(
        retries=config.get("MaximumRetryAttempts", DEFAULT_RETRIES),
        max_age=config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE),
        on_success=(targets.get("OnSuccess") or {}).get("Destination"),
        on_failure=(targets.get("OnFailure") or {}).get("Destination"),
    )


def _no_function() -> AwsError:
    return AwsError("ResourceNotFoundException", "The function doesn't exist.", 404)


def _no_config(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"The function {arn} doesn't have an EventInvokeConfig", 404)


def _target(call: Call, params: Mapping[str, Any], action: str) -> access.Target:
    try:
        return call.target(params["FunctionName"], action, params.get("Qualifier"))
    except AwsError as error:
        if error.code == "ResourceNotFoundException":
            raise _no_function() from None
        raise


def _key(target: access.Target) -> str:
    return target.qualifier or "$LATEST"


def _check_settings(params: Mapping[str, Any]) -> None:
    if not any(name in params for name in _SETTINGS):
        raise invalid("You must specify at least one of error handling or destination setting.")


def _current(function: LambdaFunction) -> dict[str, dict]:
    # Configurations of versions and aliases deleted since go with them.
    configs = function.event_invoke_configs
    for key in list(configs):
        if key != "$LATEST" and key not in function.versions and key not in function.aliases:
            del configs[key]
    return configs


def _shape(function: LambdaFunction, key: str, config: Mapping[str, Any]) -> dict[str, Any]:
    # The FunctionEventInvokeConfig shape; an unqualified configuration is $LATEST's.
    answer = {"FunctionArn": f"{function.function_arn}:{key}", "LastModified": config["LastModified"]}
    answer.update({name: config[name] for name in _SETTINGS if name in config})
    return answer


def _settings(call: Call, function: LambdaFunction, params: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: params[name] for name in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds") if name in params}
    if "DestinationConfig" in params:
        values["DestinationConfig"] = destinations.check(
            params["DestinationConfig"] or {}, call.service.store, function
        )
    return values


async def put_function_event_invoke_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _check_settings(params)
    target = _target(call, params, "lambda:PutFunctionEventInvokeConfig")
    function = target.function
    config = {
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}},
        **_settings(call, function, params),
        "LastModified": call.service.reactor.seconds(),
    }
    _current(function)[_key(target)] = config
    call.service.store.save()
    return _shape(function, _key(target), config)


async def update_function_event_invoke_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _check_settings(params)
    target = _target(call, params, "lambda:UpdateFunctionEventInvokeConfig")
    function = target.function
    config = _current(function).get(_key(target))
    if config is None:
        raise _no_config(f"{function.function_arn}:{_key(target)}")
    config.update(_settings(call, function, params))
    config["LastModified"] = call.service.reactor.seconds()
    call.service.store.save()
    return _shape(function, _key(target), config)


def _existing(call: Call, params: Mapping[str, Any], action: str) -> tuple[access.Target, dict[str, Any]]:
    qualifier = params.get("Qualifier")
    try:
        target = call.target(params["FunctionName"], action, qualifier)
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        ref = names.parse(params["FunctionName"], call.account, call.region, qualifier)
        raise _no_config(f"{ref.arn if ref.qualifier else ref.arn + ':$LATEST'}") from None
    config = _current(target.function).get(_key(target))
    if config is None:
        raise _no_config(f"{target.function.function_arn}:{_key(target)}")
    return target, config


async def get_function_event_invoke_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target, config = _existing(call, params, "lambda:GetFunctionEventInvokeConfig")
    return _shape(target.function, _key(target), config)


async def delete_function_event_invoke_config(call: Call, params: dict[str, Any]) -> None:
    target, _ = _existing(call, params, "lambda:DeleteFunctionEventInvokeConfig")
    del target.function.event_invoke_configs[_key(target)]
    call.service.store.save()


async def list_function_event_invoke_configs(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    try:
        function = call.function(params["FunctionName"], "lambda:ListFunctionEventInvokeConfigs")
    except AwsError as error:
        if error.code == "ResourceNotFoundException":
            raise _no_function() from None
        raise
    configs = _current(function)
    keys, marker = page_of(sorted(configs, key=_order), params)
    body: dict[str, Any] = {"FunctionEventInvokeConfigs": [_shape(function, key, configs[key]) for key in keys]}
    if marker:
        body["NextMarker"] = marker
    return body


def _order(key: str) -> tuple[int, int, str]:
    # $LATEST, then versions by number, then aliases by name.
    if key == "$LATEST":
        return (0, 0, key)
    if key.isdigit():
        return (1, int(key), key)
    return (2, 0, key)
