"""
What a CreateStack, UpdateStack or CreateChangeSet does with its template
before any resource: read it (TemplateBody, TemplateURL from S3, the previous
one), transform it (SAM), check it, resolve its parameters, and the stack
settings that follow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
from twisted.internet import threads

from ruststack.aws.client import ServiceCallError
from ruststack.cloudformation import graph, intrinsics, parameters, serverless, template
from ruststack.cloudformation.calls import PROTOCOL, Call, validation
from ruststack.cloudformation.model import DELETED, SETTLED, Stack, stack_arn
from ruststack.cloudformation.provisioners import is_known

_IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::UserToGroupAddition": None,
}
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-_]*?)\.s3[.-]")
_LOCAL_VIRTUAL_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-_]*)\.localhost$")
_BAD_URL = "TemplateURL must be a supported URL."


def s3_location(url: str) -> tuple[str, str]:
    """
    The bucket and key a TemplateURL names: S3's path and virtual-host
    forms, global and regional, and RustStack's own edge.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        raise validation(_BAD_URL) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise validation(_BAD_URL)
    host = parts.hostname.lower()
    path = parts.path
    match = _VIRTUAL_HOST.match(host) or _LOCAL_VIRTUAL_HOST.match(host)
    if match:
        bucket, key = match.group("bucket"), path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    if not bucket or not key:
        raise validation(_BAD_URL)
    return bucket, unquote(key)


async def template_body(call: Call, params: Mapping[str, Any], previous: Stack | None = None) -> str:
    body, url = params.get("TemplateBody"), params.get("TemplateURL")
    if params.get("UsePreviousTemplate"):
        if body is not None or url is not None:
            raise validation("Exactly one of TemplateBody, TemplateUrl, or UsePreviousTemplate must be specified.")
        if previous is None:
            raise validation("UsePreviousTemplate is not allowed for a new stack.")
        return previous.template_body
    if body is not None and url is not None:
        raise validation("Specify exactly one of TemplateBody or TemplateUrl.")
    if body is not None:
        return str(body)
    if url is None:
        raise validation("Either Template URL or Template Body must be specified.")
    bucket, key = s3_location(str(url))
    try:
        answer = await call.aws("s3", "GetObject", {"Bucket": bucket, "Key": key})
    except ServiceCallError as e:
        raise validation(f"S3 error: {e.message or e.code}") from None
    raw = answer.get("Body", b"")
    data = raw if isinstance(raw, bytes) else raw.read()
    if len(data) > template.MAX_TEMPLATE_BYTES:
        raise validation(f"Template may not exceed {template.MAX_TEMPLATE_BYTES} bytes in size.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise validation("Template format error: unsupported structure.") from None


def unresolved_references(document: Mapping[str, Any]) -> None:
    """
    Refs and GetAtts to names the template does not declare.
    """
    resources = document.get("Resources") or {}
    declared = set(resources) | set(document.get("Parameters") or {}) | set(intrinsics.PSEUDO_PARAMETERS)
    missing: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref" and isinstance(argument, str):
                    if argument not in declared:
                        missing.append(argument)
                    return
                if key == "Fn::GetAtt":
                    target = argument.split(".", 1)[0] if isinstance(argument, str) else (argument or [None])[0]
                    if isinstance(target, str) and target not in resources:
                        raise validation(
                            f"Template error: instance of Fn::GetAtt references undefined resource {target}"
                        )
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resources)
    walk(document.get("Outputs") or {})
    if missing:
        raise validation(
            "Template format error: Unresolved resource dependencies"
            f" [{', '.join(dict.fromkeys(missing))}] in the Resources block of the template"
        )


def required_capabilities(document: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """
    The capabilities a template needs, and why.
    """
    named, plain = [], []
    for name, resource in (document.get("Resources") or {}).items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind in _IAM_TYPES:
            name_property = _IAM_TYPES[kind]
            if name_property and (resource.get("Properties") or {}).get(name_property):
                named.append(name)
            else:
                plain.append(name)
    if not named and not plain:
        return [], None
    types = sorted({document["Resources"][n]["Type"] for n in named + plain})
    needed = "CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"
    return [needed], f"The following resource(s) require capabilities: [{', '.join(types)}]"


def check_capabilities(needed: list[str], given: list[str]) -> None:
    if not needed:
        return
    if needed == ["CAPABILITY_IAM"] and ("CAPABILITY_IAM" in given or "CAPABILITY_NAMED_IAM" in given):
        return
    if needed == ["CAPABILITY_NAMED_IAM"] and "CAPABILITY_NAMED_IAM" in given:
        return
    raise PROTOCOL.modeled_error("InsufficientCapabilitiesException", f"Requires capabilities : [{', '.join(needed)}]")


@attrs.frozen
class Prepared:
    body: str
    original: dict[str, Any]
    processed: dict[str, Any]
    resolved: parameters.Resolved


def known_type(kind: str) -> bool:
    return is_known(kind)


async def prepare(
    call: Call,
    params: Mapping[str, Any],
    stack_name: str,
    previous: Stack | None = None,
    change_set: bool = False,
) -> Prepared:
    """
    The template of a CreateStack, UpdateStack or CreateChangeSet: read,
    transformed (SAM), checked, its parameters resolved; every error the
    call itself answers.
    """
    body = await template_body(call, params, previous)
    original = await template.read(body)
    given = list(params.get("Capabilities") or [])
    transforms = template.transforms(original)
    processed = original
    if transforms:
        for name in transforms:
            if name != template.SERVERLESS_TRANSFORM:
                raise validation(f"No transform named {call.account}::{name} found.")
        if not change_set and "CAPABILITY_AUTO_EXPAND" not in given:
            raise PROTOCOL.modeled_error(
                "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
            )
        parameters.check_declarations(original)
        given_values = {
            p["ParameterKey"]: p.get("ParameterValue") for p in params.get("Parameters") or [] if "ParameterKey" in p
        }
        processed = await threads.deferToThread(
            serverless.transform, original, given_values, call.account, call.region, stack_name
        )
        processed.pop("Transform", None)
    template.check(processed, known_type)
    parameters.check_declarations(processed)
    unresolved_references(processed)
    graph.dependencies(processed["Resources"])
    needed, _ = required_capabilities(processed)
    check_capabilities(needed, given)
    previous_values = {p["ParameterKey"]: p["ParameterValue"] for p in previous.given_parameters} if previous else None

    async def ssm(name: str) -> str:
        try:
            answer = await call.aws("ssm", "GetParameter", {"Name": name})
        except ServiceCallError:
            # Missing, not the caller's, or no SSM at all: AWS says the same.
            raise validation(f"Unable to fetch parameters [{name}] from parameter store for this account.") from None
        return str(answer["Parameter"]["Value"])

    resolved = await parameters.resolve(processed, list(params.get("Parameters") or []), previous_values, ssm)
    return Prepared(body, original, processed, resolved)


def given_parameters(resolved: parameters.Resolved) -> list[dict[str, Any]]:
    # What UsePreviousValue reads later: the values as given, unmasked (an
    # SSM parameter's name, which is read again, as AWS does, not its value).
    return [{"ParameterKey": name, "ParameterValue": value} for name, value in resolved.given.items()]


def as_text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def check_stack_name(name: str) -> None:
    if not re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]*", name) or len(name) > 128:
        raise validation(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must"
            " satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )


def new_stack(call: Call, name: str, params: Mapping[str, Any], prepared: Prepared, status: str) -> Stack:
    stack = Stack(
        stack_id=stack_arn(call.region, call.account, name),
        name=name,
        account=call.account,
        region=call.region,
        status=status,
        created=call.service.now(),
    )
    _apply(stack, params, prepared)
    stack.disable_rollback = bool(params.get("DisableRollback", False))
    stack.on_failure = params.get("OnFailure") or ("DO_NOTHING" if stack.disable_rollback else "ROLLBACK")
    stack.timeout = params.get("TimeoutInMinutes")
    stack.termination_protection = bool(params.get("EnableTerminationProtection", False))
    return stack


def stack_settings(params: Mapping[str, Any], prepared: Prepared, stack: Stack | None = None) -> dict[str, Any]:
    """
    The L{Stack} fields a create or update sets.
    """
    description = prepared.processed.get("Description")
    settings: dict[str, Any] = {
        "template_body": prepared.body,
        "template": prepared.processed,
        "description": str(description) if description is not None else None,
        "parameters": prepared.resolved.reported,
        "parameter_values": prepared.resolved.values,
        "given_parameters": given_parameters(prepared.resolved),
        "capabilities": list(params.get("Capabilities") or []),
    }
    if "Tags" in params or stack is None:
        settings["tags"] = list(params.get("Tags") or [])
    if "NotificationARNs" in params or stack is None:
        settings["notification_arns"] = list(params.get("NotificationARNs") or [])
    if params.get("RoleARN"):
        settings["role_arn"] = params["RoleARN"]
    return settings


def _apply(stack: Stack, params: Mapping[str, Any], prepared: Prepared) -> None:
    for name, value in stack_settings(params, prepared).items():
        setattr(stack, name, value)


def check_updatable(stack: Stack) -> None:
    if stack.status not in SETTLED or stack.status in (
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "CREATE_FAILED",
        "DELETE_FAILED",
        "UPDATE_ROLLBACK_FAILED",
        "REVIEW_IN_PROGRESS",
        DELETED,
    ):
        raise validation(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
