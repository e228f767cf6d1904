"""
Versions and aliases (botocore lambda model: PublishVersion,
ListVersionsByFunction, CreateAlias, GetAlias, UpdateAlias, DeleteAlias,
ListAliases).

A published version is a frozen copy of C{$LATEST} (a L{LambdaFunction} of
its own, with its own revision, resource policy and warm environments) that
shares the code package it was published with; an alias names a version and
may send a share of the invocations to a second one
(https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.awslambda import policy
from ruststack.awslambda.calls import Call
from ruststack.awslambda.functions import Alias, LambdaFunction, invalid, not_found

# The page ListVersionsByFunction and ListAliases answer when MaxItems is
# not given.
_PAGE = 50


def publish(call: Call, function: LambdaFunction, description: str | None = None) -> LambdaFunction:
    """
    Publish C{function}'s C{$LATEST} as a new version, or answer the last
    version when nothing changed since it was published, as Lambda does.
    """
    if function.last_version:
        last = function.versions.get(str(function.last_version))
        if last is not None and last.published_from == function.revision_id:
            return last
    function.last_version += 1
    version = attrs.evolve(
        function,
        version=str(function.last_version),
        description=function.description if description is None else description,
        environment=dict(function.environment),
        architectures=list(function.architectures),
        last_modified=call.service.reactor.seconds(),
        revision_id=str(uuid.uuid4()),
        # Running once its code is unpacked (invocations wait for it).
        state="Active" if function.state == "Pending" else function.state,
        last_update_status="Failed" if function.last_update_status == "Failed" else "Successful",
        tags={},
        reserved_concurrency=None,
        policy=[],
        policy_revision_id=str(uuid.uuid4()),
        versions={},
        aliases={},
        last_version=0,
        published_from=function.revision_id,
        urls={},
        event_invoke_configs={},
    )
    function.versions[version.version] = version
    call.service.store.save()
    return version


async def publish_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:PublishVersion")
    revision = params.get("RevisionId")
    if revision and revision != function.revision_id:
        raise policy.precondition_failed()
    sha = params.get("CodeSha256")
    if sha is not None and sha != function.code.sha256:
        raise invalid(
            f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({function.code.sha256})."
            " Please try again with the CodeSHA256 in $LATEST."
        )
    return publish(call, function, params.get("Description")).configuration()


async def list_versions_by_function(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:ListVersionsByFunction")
    listed = [function, *(function.versions[key] for key in sorted(function.versions, key=int))]
    page, marker = page_of([version.version for version in listed], params)
    by_version = {version.version: version for version in listed}
    body: dict[str, Any] = {"Versions": [by_version[key].configuration() for key in page]}
    if marker:
        body["NextMarker"] = marker
    return body


# Aliases


def alias_arn(function: LambdaFunction, name: str) -> str:
    return f"{function.function_arn}:{name}"


def alias_not_found(function: LambdaFunction, name: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Alias not found: {alias_arn(function, name)}", 404)


async def create_alias(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:CreateAlias")
    name = params["Name"]
    if name in function.aliases:
        raise AwsError("ResourceConflictException", f"Alias already exists: {alias_arn(function, name)}", 409)
    version = params["FunctionVersion"]
    weights = routing(function, version, params.get("RoutingConfig"))
    alias = Alias(name=name, function_version=version, description=params.get("Description", ""), weights=weights)
    function.aliases[name] = alias
    call.service.store.save()
    return alias.configuration(function.function_arn)


async def get_alias(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:GetAlias")
    alias = function.aliases.get(params["Name"])
    if alias is None:
        arn = alias_arn(function, params["Name"])
        raise AwsError("ResourceNotFoundException", f"Cannot find alias arn: {arn}", 404)
    return alias.configuration(function.function_arn)


async def update_alias(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:UpdateAlias")
    alias = function.aliases.get(params["Name"])
    if alias is None:
        raise alias_not_found(function, params["Name"])
    revision = params.get("RevisionId")
    if revision and revision != alias.revision_id:
        raise policy.precondition_failed()
    version = params.get("FunctionVersion", alias.function_version)
    config = params["RoutingConfig"] if "RoutingConfig" in params else {"AdditionalVersionWeights": alias.weights}
    alias.weights = routing(function, version, config)
    alias.function_version = version
    if "Description" in params:
        alias.description = params["Description"]
    alias.revision_id = str(uuid.uuid4())
    call.service.store.save()
    return alias.configuration(function.function_arn)


async def delete_alias(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:DeleteAlias")
    if function.aliases.pop(params["Name"], None) is None:
        raise alias_not_found(function, params["Name"])
    function.urls.pop(params["Name"], None)  # an alias's function URL goes with it
    call.service.store.save()
    return {}


async def list_aliases(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    function = call.function(params["FunctionName"], "lambda:ListAliases")
    wanted = params.get("FunctionVersion")
    names = [
        name
        for name, alias in sorted(function.aliases.items())
        if wanted is None or wanted == alias.function_version or wanted in alias.weights
    ]
    page, marker = page_of(names, params)
    body: dict[str, Any] = {"Aliases": [function.aliases[name].configuration(function.function_arn) for name in page]}
    if marker:
        body["NextMarker"] = marker
    return body


def routing(function: LambdaFunction, version: str, config: Mapping[str, Any] | None) -> dict[str, float]:
    """
    Check that C{version} and the versions of a C{RoutingConfig} exist and
    may be routed to; the additional versions' weights.
    """
    _check_version(function, version)
    weights = dict((config or {}).get("AdditionalVersionWeights") or {})
    if not weights:
        return {}
    if version == "$LATEST":
        raise invalid("$LATEST is not supported for an alias pointing to more than 1 version")
    if len(weights) > 1:
        # An alias points to two versions at most.
        raise invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
    for extra, weight in weights.items():
        if extra == version:
            raise invalid(
                f"Invalid function version {extra}. Function version {extra} is already included in routing"
                " configuration."
            )
        _check_version(function, extra)
        if not 0.0 <= weight <= 1.0:
            raise invalid(f"Invalid weight {weight} for version {extra}. Weights must be between 0.0 and 1.0")
    return weights


def _check_version(function: LambdaFunction, version: str) -> None:
    if version != "$LATEST" and version not in function.versions:
        raise not_found(f"{function.function_arn}:{version}")


def referencing_aliases(function: LambdaFunction, version: str) -> list[str]:
    """
    The aliases that route to C{version}, which therefore cannot be deleted.
    """
    return sorted(
        name
        for name, alias in function.aliases.items()
        if alias.function_version == version or version in alias.weights
    )


def page_of(keys: list[str], params: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """
    The page of C{keys} that C{Marker} and C{MaxItems} ask for, and the
    marker of the next page, if any (the last key of this one, URL-safe
    base64): the paging of Lambda's List operations.
    """
    marker = params.get("Marker")
    if marker:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise invalid("Invalid Marker") from None
        if after not in keys:
            raise invalid("Invalid Marker")
        keys = keys[keys.index(after) + 1 :]
    size = params.get("MaxItems", _PAGE)
    page = keys[:size]
    if len(keys) > size:
        return page, base64.urlsafe_b64encode(page[-1].encode()).decode()
    return page, None
