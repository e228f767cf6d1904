"""
Function URLs' configuration (botocore lambda model: CreateFunctionUrlConfig,
GetFunctionUrlConfig, UpdateFunctionUrlConfig, DeleteFunctionUrlConfig,
ListFunctionUrlConfigs).

A function has at most one URL for C{$LATEST} and one per alias (never one
for a version: "Creating and managing Lambda function URLs"); each is kept
on the function's C{$LATEST} record (C{LambdaFunction.urls}, by qualifier)
as a JSON-ready dict, so that it is persisted, reset and deleted with the
function. L{ruststack.awslambda.url_endpoint} serves them.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.awslambda import names
from ruststack.awslambda.access import Target
from ruststack.awslambda.calls import Call
from ruststack.awslambda.functions import LambdaFunction, invalid
from ruststack.awslambda.versions import page_of

LATEST = "$LATEST"
# A URL id: 32 lower-case letters and digits, as AWS's.
_URL_ID_ALPHABET = string.ascii_lowercase + string.digits
URL_ID_LENGTH = 32
# ListFunctionUrlConfigs' page when MaxItems is not given (the model's most).
_PAGE = 50
_METHODS = frozenset("GET PUT HEAD POST PATCH DELETE OPTIONS *".split())

# What Lambda answers (its service validation runs before the lookup): a
# version is no URL's qualifier, nor is $LATEST named outright.
_LATEST_PATTERN = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)"
_VERSION_PATTERN = r"(^\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))"
_DOES_NOT_EXIST = "The resource you requested does not exist."
_NO_FUNCTION = "Function does not exist"


def new_url_id() -> str:
    return "".join(secrets.choice(_URL_ID_ALPHABET) for _ in range(URL_ID_LENGTH))


def function_url(url_id: str, region: str) -> str:
    """
    C{FunctionUrl} as AWS answers it (RustStack serves it on the edge, see
    L{ruststack.awslambda.url_endpoint}).
    """
    return f"https://{url_id}.lambda-url.{region}.on.aws/"


def url_timestamp(when: float) -> str:
    """
    C{CreationTime} / C{LastModifiedTime}: ISO 8601 with microseconds and a
    C{Z} (C{2026-01-10T20:30:53.409631Z}).
    """
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def qualified_arn(function: LambdaFunction, key: str) -> str:
    return function.function_arn if key == LATEST else f"{function.function_arn}:{key}"


def description(function: LambdaFunction, key: str) -> dict[str, Any]:
    """
    The C{FunctionUrlConfig} shape of C{function}'s URL for C{key}.
    """
    config = function.urls[key]
    body: dict[str, Any] = {
        "FunctionUrl": function_url(config["url_id"], function.region),
        "FunctionArn": qualified_arn(function, key),
        "AuthType": config["auth_type"],
        "CreationTime": url_timestamp(config["created"]),
        "LastModifiedTime": url_timestamp(config["modified"]),
        "InvokeMode": config["invoke_mode"],
    }
    if config.get("cors") is not None:
        body["Cors"] = config["cors"]
    return body


def _validation(value: str, pattern: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at 'qualifier' failed to satisfy constraint:"
        f" Member must satisfy regular expression pattern: {pattern}",
        400,
    )


def _target(call: Call, params: Mapping[str, Any], action: str, missing: str) -> tuple[Target, str]:
    """
    The function (and alias) a request names, and the key of its URL;
    Lambda's own errors for a version, C{$LATEST} or what is not there.
    """
    ref = names.parse(params["FunctionName"], call.account, call.region, params.get("Qualifier"))
    qualifier = ref.qualifier
    if qualifier == LATEST:
        raise _validation(qualifier, _LATEST_PATTERN)
    if qualifier is not None and qualifier.isdigit():
        raise _validation(qualifier, _VERSION_PATTERN)
    try:
        target = call.target(params["FunctionName"], action, params.get("Qualifier"))
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise AwsError("ResourceNotFoundException", missing, 404) from None
    return target, qualifier or LATEST


def _cors(value: Any) -> dict[str, Any] | None:
    """
    A C{Cors} structure as stored (the model has checked its shape).
    """
    if not value:
        return None  # an empty Cors configures nothing, and is answered as none
    cors = dict(value)
    for method in cors.get("AllowMethods") or []:
        if method.upper() not in _METHODS:
            raise invalid(f"Invalid method in AllowMethods: {method}")
    return cors


async def create_function_url_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target, key = _target(call, params, "lambda:CreateFunctionUrlConfig", _NO_FUNCTION)
    function = target.function
    if key in function.urls:
        raise AwsError(
            "ResourceConflictException",
            f"Failed to create function url config for [functionArn = {qualified_arn(function, key)}]."
            " Error message:  FunctionUrlConfig exists for this Lambda function",
            409,
        )
    now = call.service.reactor.seconds()
    function.urls[key] = {
        "url_id": new_url_id(),
        "auth_type": params["AuthType"],
        "cors": _cors(params.get("Cors")),
        "invoke_mode": params.get("InvokeMode") or "BUFFERED",
        "created": now,
        "modified": now,
    }
    call.service.store.save()
    body = description(function, key)
    del body["LastModifiedTime"]  # not in CreateFunctionUrlConfig's answer
    return body


async def get_function_url_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target, key = _target(call, params, "lambda:GetFunctionUrlConfig", _DOES_NOT_EXIST)
    if key not in target.function.urls:
        raise AwsError("ResourceNotFoundException", _DOES_NOT_EXIST, 404)
    return description(target.function, key)


async def update_function_url_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target, key = _target(call, params, "lambda:UpdateFunctionUrlConfig", _NO_FUNCTION)
    config = target.function.urls.get(key)
    if config is None:
        raise AwsError("ResourceNotFoundException", _DOES_NOT_EXIST, 404)
    if "Cors" in params:
        config["cors"] = _cors(params["Cors"])
    if params.get("AuthType"):
        config["auth_type"] = params["AuthType"]
    if params.get("InvokeMode"):
        config["invoke_mode"] = params["InvokeMode"]
    config["modified"] = call.service.reactor.seconds()
    call.service.store.save()
    return description(target.function, key)


async def delete_function_url_config(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target, key = _target(call, params, "lambda:DeleteFunctionUrlConfig", _DOES_NOT_EXIST)
    if target.function.urls.pop(key, None) is None:
        raise AwsError("ResourceNotFoundException", _DOES_NOT_EXIST, 404)
    call.service.store.save()
    return {}


async def list_function_url_configs(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    try:
        function = call.function(params["FunctionName"], "lambda:ListFunctionUrlConfigs")
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise AwsError("ResourceNotFoundException", _NO_FUNCTION, 404) from None
    keys = sorted(function.urls, key=lambda key: (key != LATEST, key))
    page, marker = page_of(keys, {"MaxItems": _PAGE, **params})
    body: dict[str, Any] = {"FunctionUrlConfigs": [description(function, key) for key in page]}
    if marker:
        body["NextMarker"] = marker
    return body
