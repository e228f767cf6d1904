"""
CloudFormation's API (botocore "cloudformation", protocol query): stacks,
their resources, events and templates, change sets, exports. The work a
call asks for runs after it has answered (L{ruststack.cloudformation.stacks}).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
from twisted.internet import defer, threads
from twisted.logger import Logger

from ruststack.aws.client import ServiceCallError
from ruststack.aws.errors import AwsError
from ruststack.cloudformation import changesets, graph, intrinsics, parameters, serverless, template
from ruststack.cloudformation.model import DELETED, SETTLED, ChangeSet, Stack, change_set_arn, stack_arn
from ruststack.cloudformation.provisioners import is_known
from ruststack.cloudformation.stacks import Engine
from ruststack.cloudformation.store import StackStore
from ruststack.protocol import Handler, Protocol

PROTOCOL = Protocol.for_service("cloudformation")
log = Logger()

_PAGE = 100
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


def validation(message: str) -> AwsError:
    return PROTOCOL.modeled_error("ValidationError", message)


@attrs.define
class Service:
    """
    What the handlers share: the store, the engine, and how to read S3 and
    SSM as an account.
    """

    store: StackStore
    engine: Engine
    reactor: Any
    running: list[defer.Deferred] = attrs.field(factory=list)

    def now(self) -> float:
        return self.reactor.seconds()

    def start(self, work: Any) -> None:
        """
        Run C{work} (a coroutine) once the call that asked for it has been
        answered.
        """
        d: defer.Deferred = defer.Deferred()
        d.addCallback(lambda _: defer.ensureDeferred(work))
        d.addErrback(lambda f: log.failure("CloudFormation: a stack operation failed", f))
        d.addBoth(lambda _: self.running.remove(d) if d in self.running else None)
        self.running.append(d)
        self.reactor.callLater(0, d.callback, None)


@attrs.frozen
class Call:
    service: Service
    account: str
    region: str

    @property
    def store(self) -> StackStore:
        return self.service.store

    def stack(self, name: str) -> Stack:
        found = self.store.find(self.account, self.region, name)
        if found is None:
            raise validation(f"Stack with id {name} does not exist")
        return found

    async def aws(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self.service.engine.call(self.account, self.region, service, operation, params)


# -- templates


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


def _known_type(kind: str) -> bool:
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
    original = template.parse(body)
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
    template.check(processed, _known_type)
    parameters.check_declarations(processed)
    unresolved_references(processed)
    graph.dependencies(processed["Resources"])
    needed, _ = required_capabilities(processed)
    check_capabilities(needed, given)
    previous_values = {p["ParameterKey"]: p["ParameterValue"] for p in previous.given_parameters} if previous else None

    async def ssm(name: str) -> str:
        try:
            answer = await call.aws("ssm", "GetParameter", {"Name": name})
        except ServiceCallError as e:
            if e.code == "ParameterNotFound":
                raise validation(
                    f"Parameters [{name}] referenced by template have types not supported by CloudFormation."
                ) from None
            raise validation(f"Unable to fetch parameters [{name}] from parameter store for this account.") from None
        return str(answer["Parameter"]["Value"])

    resolved = await parameters.resolve(processed, list(params.get("Parameters") or []), previous_values, ssm)
    return Prepared(body, original, processed, resolved)


def _given_parameters(resolved: parameters.Resolved) -> list[dict[str, Any]]:
    # What UsePreviousValue reads later: the values as given, unmasked.
    return [
        {"ParameterKey": name, "ParameterValue": ",".join(value) if isinstance(value, list) else str(value)}
        for name, value in resolved.values.items()
    ]


def _text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


# -- stacks


def _stack_output(stack: Stack) -> dict[str, Any]:
    output: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": stack.created,
        "StackStatus": stack.status,
        "DisableRollback": stack.disable_rollback,
        "NotificationARNs": stack.notification_arns,
        "Capabilities": stack.capabilities,
        "Outputs": stack.outputs,
        "Tags": stack.tags,
        "Parameters": stack.parameters,
        "EnableTerminationProtection": stack.termination_protection,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    for key, value in (
        ("StackStatusReason", stack.reason),
        ("Description", stack.description),
        ("LastUpdatedTime", stack.updated),
        ("DeletionTime", stack.deleted),
        ("ChangeSetId", stack.change_set_id),
        ("RoleARN", stack.role_arn),
        ("TimeoutInMinutes", stack.timeout),
    ):
        if value is not None:
            output[key] = value
    return output


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]*", name) or len(name) > 128:
        raise validation(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must"
            " satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )


def _new_stack(call: Call, name: str, params: Mapping[str, Any], prepared: Prepared, status: str) -> Stack:
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


def _settings(params: Mapping[str, Any], prepared: Prepared, stack: Stack | None = None) -> dict[str, Any]:
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
        "given_parameters": _given_parameters(prepared.resolved),
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
    for name, value in _settings(params, prepared).items():
        setattr(stack, name, value)


async def create_stack(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["StackName"]
    _check_name(name)
    if call.store.find(call.account, call.region, name) is not None:
        raise PROTOCOL.modeled_error("AlreadyExistsException", f"Stack [{name}] already exists")
    prepared = await prepare(call, params, name)
    stack = _new_stack(call, name, params, prepared, "CREATE_IN_PROGRESS")
    call.store.add(stack)
    call.service.start(call.service.engine.create(stack))
    return {"StackId": stack.stack_id}


def _check_updatable(stack: Stack) -> None:
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


async def update_stack(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    _check_updatable(stack)
    prepared = await prepare(call, params, stack.name, previous=stack)
    settings = _settings(params, prepared, stack)
    if (
        prepared.processed == stack.template
        and settings["given_parameters"] == stack.given_parameters
        and settings.get("tags", stack.tags) == stack.tags
        and settings.get("notification_arns", stack.notification_arns) == stack.notification_arns
    ):
        raise validation("No updates are to be performed.")
    call.service.start(call.service.engine.update(stack, settings))
    return {"StackId": stack.stack_id}


async def delete_stack(call: Call, params: dict[str, Any]) -> None:
    stack = call.store.find(call.account, call.region, params["StackName"])
    if stack is None or stack.status in (DELETED, "DELETE_IN_PROGRESS"):
        return None
    retain = list(params.get("RetainResources") or [])
    if retain and stack.status != "DELETE_FAILED":
        raise validation(
            f"Invalid operation on stack [{stack.stack_id}]. RetainResources can only be specified when the stack is"
            " in the DELETE_FAILED state"
        )
    if stack.termination_protection:
        raise validation(f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
    if stack.status not in SETTLED:
        raise validation(f"Stack [{stack.name}] cannot be deleted while in status {stack.status}")
    if stack.status == "REVIEW_IN_PROGRESS":
        # A stack that only ever had change sets has nothing to delete.
        stack.deleted = call.service.now()
        call.service.engine.stack_status(stack, "DELETE_COMPLETE")
        call.store.change_sets = [c for c in call.store.change_sets if c.stack_id != stack.stack_id]
        call.store.save()
        return None
    call.service.start(call.service.engine.delete(stack, retain))
    return None


def _paged(items: list[Any], token: str | None) -> tuple[list[Any], str | None]:
    start = 0
    if token:
        try:
            start = int(token)
        except ValueError:
            raise validation("Invalid NextToken") from None
    page = items[start : start + _PAGE]
    following = str(start + _PAGE) if start + _PAGE < len(items) else None
    return page, following


async def describe_stacks(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("StackName"):
        stacks = [call.stack(params["StackName"])]
    else:
        stacks = [s for s in call.store.of(call.account, call.region) if s.live]
    page, following = _paged(stacks, params.get("NextToken"))
    return {"Stacks": [_stack_output(s) for s in page], **({"NextToken": following} if following else {})}


async def list_stacks(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    wanted = set(params.get("StackStatusFilter") or [])
    stacks = [s for s in call.store.of(call.account, call.region) if not wanted or s.status in wanted]
    stacks.reverse()
    page, following = _paged(stacks, params.get("NextToken"))
    summaries = []
    for stack in page:
        summary: dict[str, Any] = {
            "StackId": stack.stack_id,
            "StackName": stack.name,
            "CreationTime": stack.created,
            "StackStatus": stack.status,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
        for key, value in (
            ("TemplateDescription", stack.description),
            ("LastUpdatedTime", stack.updated),
            ("DeletionTime", stack.deleted),
            ("StackStatusReason", stack.reason),
        ):
            if value is not None:
                summary[key] = value
        summaries.append(summary)
    return {"StackSummaries": summaries, **({"NextToken": following} if following else {})}


async def describe_stack_events(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    events = list(reversed(stack.events))
    page, following = _paged(events, params.get("NextToken"))
    out = []
    for event in page:
        item: dict[str, Any] = {
            "StackId": stack.stack_id,
            "EventId": event.event_id,
            "StackName": stack.name,
            "LogicalResourceId": event.logical_id,
            "PhysicalResourceId": event.physical_id,
            "ResourceType": event.type,
            "Timestamp": event.timestamp,
            "ResourceStatus": event.status,
        }
        if event.reason is not None:
            item["ResourceStatusReason"] = event.reason
        if event.properties is not None:
            item["ResourceProperties"] = event.properties
        out.append(item)
    return {"StackEvents": out, **({"NextToken": following} if following else {})}


def _resource_missing(name: str, stack: Stack) -> AwsError:
    return validation(f"Resource {name} does not exist for stack {stack.name}")


async def describe_stack_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    resource = stack.resources.get(params["LogicalResourceId"])
    if resource is None:
        raise _resource_missing(params["LogicalResourceId"], stack)
    detail: dict[str, Any] = {
        "StackName": stack.name,
        "StackId": stack.stack_id,
        "LogicalResourceId": resource.logical_id,
        "PhysicalResourceId": resource.physical_id,
        "ResourceType": resource.type,
        "LastUpdatedTimestamp": resource.timestamp,
        "ResourceStatus": resource.status,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    if resource.reason:
        detail["ResourceStatusReason"] = resource.reason
    if resource.metadata is not None:
        import json

        detail["Metadata"] = json.dumps(resource.metadata)
    return {"StackResourceDetail": detail}


async def describe_stack_resources(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("StackName"):
        stacks = [call.stack(params["StackName"])]
    elif params.get("PhysicalResourceId"):
        physical = params["PhysicalResourceId"]
        stacks = [
            s
            for s in call.store.of(call.account, call.region)
            if s.live and any(r.physical_id == physical for r in s.resources.values())
        ]
        if not stacks:
            raise validation(f"Stack for {physical} does not exist")
    else:
        raise validation("Either StackName or PhysicalResourceId must be specified.")
    out = []
    for stack in stacks:
        for resource in stack.resources.values():
            if params.get("LogicalResourceId") and resource.logical_id != params["LogicalResourceId"]:
                continue
            if params.get("PhysicalResourceId") and resource.physical_id != params["PhysicalResourceId"]:
                continue
            item: dict[str, Any] = {
                "StackName": stack.name,
                "StackId": stack.stack_id,
                "LogicalResourceId": resource.logical_id,
                "PhysicalResourceId": resource.physical_id,
                "ResourceType": resource.type,
                "Timestamp": resource.timestamp,
                "ResourceStatus": resource.status,
                "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
            }
            if resource.reason:
                item["ResourceStatusReason"] = resource.reason
            out.append(item)
    return {"StackResources": out}


async def list_stack_resources(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    resources = [r for r in stack.resources.values() if r.status != "DELETE_COMPLETE" or not stack.live]
    page, following = _paged(resources, params.get("NextToken"))
    summaries = []
    for resource in page:
        summary: dict[str, Any] = {
            "LogicalResourceId": resource.logical_id,
            "PhysicalResourceId": resource.physical_id,
            "ResourceType": resource.type,
            "LastUpdatedTimestamp": resource.timestamp,
            "ResourceStatus": resource.status,
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }
        if resource.reason:
            summary["ResourceStatusReason"] = resource.reason
        summaries.append(summary)
    return {"StackResourceSummaries": summaries, **({"NextToken": following} if following else {})}


async def get_template(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stage = params.get("TemplateStage", "Original")
    if params.get("ChangeSetName"):
        change_set = _change_set(call, params["ChangeSetName"], params.get("StackName"))
        body, processed = change_set.template_body, change_set.template
    elif params.get("StackName"):
        stack = call.stack(params["StackName"])
        body, processed = stack.template_body, stack.template
    else:
        raise validation("Either StackName or ChangeSetName must be specified.")
    transformed = bool(template.transforms(template.parse(body))) if body else False
    if stage == "Processed" and transformed:
        body = template.dump(processed)
    return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}


def _parameter_declarations(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, spec in parameters.declared(document).items():
        entry: dict[str, Any] = {
            "ParameterKey": name,
            "NoEcho": str(spec.get("NoEcho", "false")).lower() == "true",
        }
        if "Default" in spec:
            entry["DefaultValue"] = (
                _text(spec["Default"]) if not isinstance(spec["Default"], bool) else str(spec["Default"]).lower()
            )
        if "Description" in spec:
            entry["Description"] = str(spec["Description"])
        out.append((name, spec, entry))
    return [entry for _, _, entry in out]


async def validate_template(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    body = await template_body(call, params)
    document = template.parse(body)
    transforms = template.transforms(document)
    if not transforms:
        template.check(document, _known_type)
        unresolved_references(document)
        graph.dependencies(document["Resources"])
    parameters.check_declarations(document)
    needed, why = required_capabilities(document)
    output: dict[str, Any] = {
        "Parameters": _parameter_declarations(document),
        "Capabilities": needed + (["CAPABILITY_AUTO_EXPAND"] if transforms else []),
        "DeclaredTransforms": transforms,
    }
    if why:
        output["CapabilitiesReason"] = why
    if "Description" in document:
        output["Description"] = str(document["Description"])
    return output


async def get_template_summary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("StackName"):
        stack = call.stack(params["StackName"])
        document = stack.template
        transforms = template.transforms(template.parse(stack.template_body))
    else:
        document = template.parse(await template_body(call, params))
        transforms = template.transforms(document)
    declarations = []
    for entry, (_, spec) in zip(_parameter_declarations(document), parameters.declared(document).items(), strict=True):
        entry["ParameterType"] = str(spec.get("Type"))
        if "AllowedValues" in spec:
            entry["ParameterConstraints"] = {"AllowedValues": [_text(v) for v in spec["AllowedValues"]]}
        declarations.append(entry)
    needed, why = required_capabilities(document)
    resources = document.get("Resources") or {}
    output: dict[str, Any] = {
        "Parameters": declarations,
        "Capabilities": needed + (["CAPABILITY_AUTO_EXPAND"] if transforms else []),
        "ResourceTypes": sorted({r.get("Type") for r in resources.values() if isinstance(r, dict) and r.get("Type")}),
        "Version": str(document.get("AWSTemplateFormatVersion", "2010-09-09")),
        "DeclaredTransforms": transforms,
    }
    if why:
        output["CapabilitiesReason"] = why
    if "Description" in document:
        output["Description"] = str(document["Description"])
    if "Metadata" in document:
        import json

        output["Metadata"] = json.dumps(document["Metadata"])
    return output


async def list_exports(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    exports = [
        {"ExportingStackId": stack.stack_id, "Name": name, "Value": value}
        for name, (value, stack) in call.store.exports(call.account, call.region).items()
    ]
    page, following = _paged(exports, params.get("NextToken"))
    return {"Exports": page, **({"NextToken": following} if following else {})}


async def list_imports(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ExportName"]
    if name not in call.store.exports(call.account, call.region):
        raise validation(f"Export '{name}' does not exist.")
    importers = [s.name for s in call.store.of(call.account, call.region) if s.live and name in s.imports]
    if not importers:
        raise validation(f"Export '{name}' is not imported by any stack.")
    return {"Imports": importers}


# -- change sets


def _change_set(call: Call, name: str, stack_name: str | None) -> ChangeSet:
    if not name.startswith("arn:") and not stack_name:
        raise validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
    found = call.store.find_change_set(call.account, call.region, name, stack_name)
    if found is None:
        raise PROTOCOL.modeled_error("ChangeSetNotFoundException", f"ChangeSet [{name}] does not exist")
    return found


async def create_change_set(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["StackName"]
    change_set_name = params["ChangeSetName"]
    kind = params.get("ChangeSetType", "UPDATE")
    stack = call.store.find(call.account, call.region, name)
    if kind == "CREATE":
        if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise validation(
                f"Stack [{name}] already exists and cannot be created again with the changeSet [{change_set_name}]."
            )
    elif kind == "UPDATE":
        if stack is None:
            raise validation(f"Stack [{name}] does not exist")
        if stack.status == "REVIEW_IN_PROGRESS":
            raise validation(f"Stack [{name}] does not exist")
        _check_updatable(stack)
    else:
        raise validation("ChangeSetType IMPORT is not supported by RustStack")
    if stack is not None and any(c.name == change_set_name for c in call.store.change_sets_of(stack)):
        raise PROTOCOL.modeled_error(
            "AlreadyExistsException",
            f"ChangeSet {change_set_name} cannot be created due to a mismatch with existing attribute Template",
        )
    _check_name(name)
    prepared = await prepare(call, params, name, previous=stack if kind == "UPDATE" else None, change_set=True)
    if stack is None:
        stack = _new_stack(call, name, params, prepared, "REVIEW_IN_PROGRESS")
        stack.template_body, stack.template = "{}", {}
        call.store.add(stack)
        call.service.engine.stack_status(stack, "REVIEW_IN_PROGRESS", "User Initiated")
    change_set = ChangeSet(
        change_set_id=change_set_arn(call.region, call.account, change_set_name),
        name=change_set_name,
        stack_id=stack.stack_id,
        stack_name=stack.name,
        account=call.account,
        region=call.region,
        type=kind,
        created=call.service.now(),
        template_body=prepared.body,
        template=prepared.processed,
        description=params.get("Description"),
        given_parameters=list(params.get("Parameters") or []),
        parameters=prepared.resolved.reported,
        parameter_values=prepared.resolved.values,
        capabilities=list(params.get("Capabilities") or []),
        tags=list(params.get("Tags") or []),
        notification_arns=list(params.get("NotificationARNs") or []),
        role_arn=params.get("RoleARN"),
    )
    call.store.change_sets.append(change_set)
    call.store.save()
    call.service.start(_compute_changes(call, stack, change_set, prepared, params))
    return {"Id": change_set.change_set_id, "StackId": stack.stack_id}


async def _compute_changes(
    call: Call, stack: Stack, change_set: ChangeSet, prepared: Prepared, params: Mapping[str, Any]
) -> None:
    engine = call.service.engine
    change_set.status = "CREATE_IN_PROGRESS"
    try:
        probe = Stack(
            stack_id=stack.stack_id,
            name=stack.name,
            account=stack.account,
            region=stack.region,
            status=stack.status,
            created=stack.created,
            parameter_values=prepared.resolved.values,
        )
        scope = engine.scope(probe, prepared.processed)
        resources = engine.enabled(prepared.processed, scope)
        existing = stack if change_set.type == "UPDATE" else None
        parameters_changed = existing is not None and _given_parameters(prepared.resolved) != existing.given_parameters
        found = changesets.changes(existing, stack.template, resources, parameters_changed)
    except AwsError as e:
        change_set.status, change_set.reason = "FAILED", e.message
        call.store.save()
        return
    change_set.changes = found
    settings = _settings(params, prepared, existing)
    unchanged = (
        existing is not None
        and prepared.processed == existing.template
        and settings["given_parameters"] == existing.given_parameters
        and settings.get("tags", existing.tags) == existing.tags
    )
    if not found and unchanged:
        change_set.status, change_set.reason = "FAILED", changesets.NO_CHANGES
    else:
        change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
    call.store.save()


def _change_set_output(change_set: ChangeSet) -> dict[str, Any]:
    output: dict[str, Any] = {
        "ChangeSetName": change_set.name,
        "ChangeSetId": change_set.change_set_id,
        "StackId": change_set.stack_id,
        "StackName": change_set.stack_name,
        "CreationTime": change_set.created,
        "ExecutionStatus": change_set.execution_status,
        "Status": change_set.status,
        "Parameters": change_set.parameters,
        "Capabilities": change_set.capabilities,
        "Tags": change_set.tags,
        "NotificationARNs": change_set.notification_arns,
        "Changes": change_set.changes,
        "IncludeNestedStacks": False,
    }
    if change_set.reason:
        output["StatusReason"] = change_set.reason
    if change_set.description:
        output["Description"] = change_set.description
    return output


async def describe_change_set(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _change_set_output(_change_set(call, params["ChangeSetName"], params.get("StackName")))


async def list_change_sets(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    summaries = []
    for change_set in call.store.change_sets_of(stack):
        summary = {
            key: value
            for key, value in _change_set_output(change_set).items()
            if key
            in (
                "ChangeSetName",
                "ChangeSetId",
                "StackId",
                "StackName",
                "CreationTime",
                "ExecutionStatus",
                "Status",
                "StatusReason",
                "Description",
                "IncludeNestedStacks",
            )
        }
        summaries.append(summary)
    return {"Summaries": summaries}


async def delete_change_set(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    change_set = _change_set(call, params["ChangeSetName"], params.get("StackName"))
    if change_set.execution_status == "EXECUTE_IN_PROGRESS":
        raise PROTOCOL.modeled_error(
            "InvalidChangeSetStatusException",
            f"Cannot delete ChangeSet in status {change_set.execution_status}",
        )
    call.store.change_sets.remove(change_set)
    call.store.save()
    return {}


async def execute_change_set(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    change_set = _change_set(call, params["ChangeSetName"], params.get("StackName"))
    if change_set.execution_status != "AVAILABLE":
        raise PROTOCOL.modeled_error(
            "InvalidChangeSetStatusException",
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of"
            f" [{change_set.execution_status}]",
        )
    stack = call.store.find(call.account, call.region, change_set.stack_id)
    if stack is None:
        raise validation(f"Stack with id {change_set.stack_name} does not exist")
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    settings: dict[str, Any] = {
        "template_body": change_set.template_body,
        "template": change_set.template,
        "description": str(change_set.template["Description"]) if "Description" in change_set.template else None,
        "parameters": change_set.parameters,
        "parameter_values": change_set.parameter_values,
        "given_parameters": [
            {"ParameterKey": k, "ParameterValue": _text(v)} for k, v in change_set.parameter_values.items()
        ],
        "capabilities": change_set.capabilities,
        "tags": change_set.tags,
        "notification_arns": change_set.notification_arns,
        "change_set_id": change_set.change_set_id,
    }
    if "DisableRollback" in params:
        stack.disable_rollback = bool(params["DisableRollback"])
        stack.on_failure = "DO_NOTHING" if stack.disable_rollback else "ROLLBACK"
    engine = call.service.engine

    async def run() -> None:
        if change_set.type == "CREATE":
            for name, value in settings.items():
                setattr(stack, name, value)
            await engine.create(stack)
        else:
            await engine.update(stack, settings)
        change_set.execution_status = (
            "EXECUTE_COMPLETE" if stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE") else "EXECUTE_FAILED"
        )
        # Executing a change set deletes the stack's other change sets, as AWS does.
        call.store.change_sets = [c for c in call.store.change_sets if c.stack_id != stack.stack_id or c is change_set]
        call.store.save()

    call.service.start(run())
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateStack": create_stack,
    "UpdateStack": update_stack,
    "DeleteStack": delete_stack,
    "DescribeStacks": describe_stacks,
    "ListStacks": list_stacks,
    "DescribeStackEvents": describe_stack_events,
    "DescribeStackResource": describe_stack_resource,
    "DescribeStackResources": describe_stack_resources,
    "ListStackResources": list_stack_resources,
    "GetTemplate": get_template,
    "GetTemplateSummary": get_template_summary,
    "ValidateTemplate": validate_template,
    "ListExports": list_exports,
    "ListImports": list_imports,
    "CreateChangeSet": create_change_set,
    "DescribeChangeSet": describe_change_set,
    "ListChangeSets": list_change_sets,
    "DeleteChangeSet": delete_change_set,
    "ExecuteChangeSet": execute_change_set,
}
