"""
Lambda's control plane on the service contract: one handler per operation of
botocore's C{lambda} model that RustStack has, C{async def op(call, params)
-> output}, where C{params} are the operation's input members (found, parsed
and validated by the protocol layer, L{ruststack.awslambda.wire}) and the
output its output members. The table is made from the handlers' names; an
operation of the model without one answers 501 C{NotImplemented}.

Each operation on a function names the IAM action it needs there ("Actions,
resources, and condition keys for AWS Lambda": an operation's own name,
C{lambda:InvokeFunction} for Invoke), which L{ruststack.awslambda.access}
checks for callers of other accounts.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from twisted.logger import Logger

from ruststack.aws import errors
from ruststack.awslambda import (
    access,
    event_invoke_config,
    event_sources,
    functions,
    invocations,
    layers,
    names,
    plan_reads,
    policy,
    response_streaming,
    urls,
    versions,
)
from ruststack.awslambda.calls import Call
from ruststack.awslambda.functions import LambdaFunction, invalid
from ruststack.awslambda.policy_match import Requester
from ruststack.awslambda.wire import PROTOCOL
from ruststack.protocol import Handler

log = Logger()

# ListFunctions' page when MaxItems is not given.
_PAGE = 50


def _exists(name: str) -> errors.AwsError:
    return errors.AwsError("ResourceConflictException", f"Function already exist: {name}", 409)


def _check_role(call: Call, values: dict[str, Any]) -> None:
    # As AWS, a role must exist in the function's account (when IAM runs).
    roles = call.service.roles
    if "role" in values and roles is not None and roles.role(call.account, values["role"]) is None:
        raise errors.AwsError(
            "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda."
        )


# Functions


async def create_function(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = _plain_name(params["FunctionName"], call)
    store = call.service.store
    if store.get(call.account, call.region, name) is not None:
        raise _exists(name)
    values = functions.settings(params, creating=True)
    _check_role(call, values)
    data = await _code_bytes(call, params["Code"])
    package = await store.describe(data)
    if params.get("Layers"):
        values["layers"] = layers.function_layers(call, params["Layers"])
    layers.check_size(values.get("layers", []), package)
    if store.get(call.account, call.region, name) is not None:
        raise _exists(name)  # created while this package was checked
    function = LambdaFunction(
        account=call.account,
        region=call.region,
        name=name,
        code=package,
        last_modified=call.service.reactor.seconds(),
        tags=dict(params.get("Tags") or {}),
        **values,
    )
    store.put(function)
    _install(call, function, data, on_success=lambda: setattr(function, "state", "Active"))
    if params.get("Publish"):
        return versions.publish(call, function).configuration()
    return function.configuration()


async def list_functions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    listed = call.service.store.list(call.account, call.region)
    marker = params.get("Marker")
    if marker:
        after = marker_name(marker)
        listed = [function for function in listed if function.name > after]
    size = params.get("MaxItems", _PAGE)
    page = listed[:size]
    body: dict[str, Any] = {"Functions": [function.configuration() for function in page]}
    if len(listed) > size:
        body["NextMarker"] = base64.urlsafe_b64encode(page[-1].name.encode()).decode()
    return body


async def get_function(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], "lambda:GetFunction", params.get("Qualifier"))
    function = target.function
    # In AWS a presigned S3 URL; here RustStack's own (code_packages).
    location = f"{call.service.edge_url()}/2015-03-31/code-packages/{target.version.code.key}.zip"
    body: dict[str, Any] = {
        "Configuration": _configuration(target),
        "Code": {"RepositoryType": "S3", "Location": location},
    }
    if function.tags:
        body["Tags"] = dict(function.tags)
    if function.reserved_concurrency is not None:
        body["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
    return body


async def get_function_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    action = "lambda:GetFunctionConfiguration"
    return _configuration(call.target(params["FunctionName"], action, params.get("Qualifier")))


def _configuration(target: access.Target) -> dict[str, Any]:
    # Asked by an alias, AWS answers with the alias ARN and the version's configuration.
    return target.version.configuration(target.arn if target.alias is not None else None)


async def delete_function(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], "lambda:DeleteFunction", params.get("Qualifier"))
    function = target.function
    if target.alias is not None:
        # DeleteFunction deletes versions; an alias goes with DeleteAlias.
        raise functions.not_found(target.arn)
    if target.version is function:
        if target.qualifier == "$LATEST":
            raise invalid("$LATEST version cannot be deleted without deleting the function.")
        call.service.store.remove(function)
        for version in function.versions.values():
            call.service.code_changed(version, None)
        call.service.code_changed(function, None)
    else:
        version = target.version
        referencing = versions.referencing_aliases(function, version.version)
        if referencing:
            raise errors.AwsError(
                "ResourceConflictException",
                f"Unable to delete version because the following aliases reference it: [{', '.join(referencing)}]",
                409,
            )
        del function.versions[version.version]
        call.service.store.save()
        call.service.code_changed(version, None)
    call.service.collect_packages()
    # The model binds the status to StatusCode (its responseCode is 200); Lambda answers 204.
    return {"StatusCode": 204}


async def update_function_code(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:UpdateFunctionCode")
    _check_revision(function, params.get("RevisionId"))
    data = await _code_bytes(call, params)
    package = await call.service.store.describe(data)
    layers.check_size(function.layers, package)
    if params.get("DryRun"):
        return function.configuration()
    function.code = package
    if params.get("Architectures"):
        function.architectures = list(params["Architectures"])
    _updated(call, function)
    function.last_update_status = "InProgress"
    call.service.store.put(function)
    _install(call, function, data, on_success=lambda: setattr(function, "last_update_status", "Successful"))
    if params.get("Publish"):
        return versions.publish(call, function).configuration()
    return function.configuration()


async def update_function_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:UpdateFunctionConfiguration")
    _check_revision(function, params.get("RevisionId"))
    values = functions.settings(params, creating=False)
    _check_role(call, values)
    if "Layers" in params:
        values["layers"] = layers.function_layers(call, params["Layers"] or [])
        layers.check_size(values["layers"], function.code)
    for field, value in values.items():
        setattr(function, field, value)
    _updated(call, function)
    call.service.store.put(function)
    call.service.code_changed(function, call.service.installing.get(function))
    return function.configuration()


# Tags


async def tag_resource(call: Call, params: dict[str, Any]) -> None:
    function = call.function(params["Resource"], "lambda:TagResource")
    function.tags.update(params["Tags"])
    call.service.store.save()


async def untag_resource(call: Call, params: dict[str, Any]) -> None:
    function = call.function(params["Resource"], "lambda:UntagResource")
    for key in params["TagKeys"]:
        function.tags.pop(key, None)
    call.service.store.save()


async def list_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": dict(call.function(params["Resource"], "lambda:ListTags").tags)}


# Resource policy


# Each qualifier (version or alias) has a policy of its own; $LATEST shares
# the function's.


async def add_permission(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], "lambda:AddPermission", params.get("Qualifier"))
    if target.qualifier == "$LATEST":
        raise invalid("We currently do not support adding policies for $LATEST.")
    entry = policy.add_permission(target.policy_owner, params, target.arn)
    call.service.store.save()
    return {"Statement": json.dumps(entry, separators=(",", ":"))}


async def remove_permission(call: Call, params: dict[str, Any]) -> None:
    target = call.target(params["FunctionName"], "lambda:RemovePermission", params.get("Qualifier"))
    policy.remove_permission(target.policy_owner, params["StatementId"], params.get("RevisionId"))
    call.service.store.save()


async def get_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    target = call.target(params["FunctionName"], "lambda:GetPolicy", params.get("Qualifier"))
    return policy.get_policy(target.policy_owner)


# Concurrency


async def put_function_concurrency(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:PutFunctionConcurrency")
    function.reserved_concurrency = params["ReservedConcurrentExecutions"]
    call.service.store.save()
    return {"ReservedConcurrentExecutions": function.reserved_concurrency}


async def get_function_concurrency(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:GetFunctionConcurrency")
    return {"ReservedConcurrentExecutions": function.reserved_concurrency}


async def delete_function_concurrency(call: Call, params: dict[str, Any]) -> None:
    function = call.function(params["FunctionName"], "lambda:DeleteFunctionConcurrency")
    function.reserved_concurrency = None
    call.service.store.save()


async def get_account_settings(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    listed = call.service.store.list(call.account, call.region)
    limit = call.service.pool.limit
    reserved = sum(function.reserved_concurrency or 0 for function in listed)
    return {
        # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": max(0, limit - reserved),
        },
        "AccountUsage": {"TotalCodeSize": sum(f.code.size for f in listed), "FunctionCount": len(listed)},
    }


# Helpers


def marker_name(marker: str) -> str:
    """
    The function name a ListFunctions C{Marker} names (the last of the page
    before, in URL-safe base64); C{InvalidParameterValueException} for
    anything else.
    """
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("Invalid Marker") from None


def _check_revision(function: LambdaFunction, revision: str | None) -> None:
    if revision and revision != function.revision_id:
        raise policy.precondition_failed()


def _plain_name(value: str, call: Call) -> str:
    if ":" in value:
        ref = names.parse(value, call.account, call.region)
        access.check_creation(Requester(call.account), ref)
        return functions.check_name(ref.name)
    return functions.check_name(value)


def _updated(call: Call, function: LambdaFunction) -> None:
    function.revision_id = str(uuid.uuid4())
    function.last_modified = call.service.reactor.seconds()


def _install(call: Call, function: LambdaFunction, data: bytes, on_success: Callable[[], None]) -> None:
    store = call.service.store
    installing = store.install(function.code, data)

    def succeeded(_: Any) -> None:
        on_success()
        store.save()

    def failed(failure: Any) -> None:
        log.failure("Unpacking the code of {function} failed", failure, function=function.name)
        function.state = "Failed"
        function.state_reason = failure.getErrorMessage()
        function.last_update_status = "Failed"

    installing.addCallbacks(succeeded, failed)
    call.service.code_changed(function, installing)


async def _code_bytes(call: Call, source: Mapping[str, Any]) -> bytes:
    # FunctionCode (CreateFunction) or UpdateFunctionCode's own members.
    if source.get("ZipFile"):
        return bytes(source["ZipFile"])  # base64 on the wire, read by the protocol layer
    bucket, key = source.get("S3Bucket"), source.get("S3Key")
    if bucket and key:
        return await _read_s3(call, bucket, key)
    if source.get("ImageUri"):
        raise invalid("RustStack runs .zip file packages only (ImageUri is not supported).")
    raise invalid("Please provide a source for function code.")


async def _read_s3(call: Call, bucket: str, key: str) -> bytes:
    reader = call.service.objects
    if reader is None:
        raise invalid(
            "Error occurred while GetObject. S3 Error Code: NoSuchBucket."
            f" S3 Error Message: The S3 service is not running in this RustStack (bucket {bucket})."
        )
    try:
        return await reader.read_object(call.account, bucket, key)
    except errors.AwsError as error:
        # Lambda reports S3's error inside its own (CreateFunction / UpdateFunctionCode).
        raise invalid(
            f"Error occurred while GetObject. S3 Error Code: {error.code}. S3 Error Message: {error.message}"
        ) from None


# Operation name -> handler, from the model's operation names (Invoke and
# InvokeAsync live with the invocation's own rules).
HANDLERS: dict[str, Handler] = {
    **PROTOCOL.handlers_from(invocations),
    **PROTOCOL.handlers_from(response_streaming),
    **PROTOCOL.handlers_from(versions),
    **PROTOCOL.handlers_from(urls),
    **PROTOCOL.handlers_from(event_sources),
    **PROTOCOL.handlers_from(layers),
    **PROTOCOL.handlers_from(event_invoke_config),
    **PROTOCOL.handlers_from(plan_reads),
    **PROTOCOL.handlers_from(sys.modules[__name__]),
}
