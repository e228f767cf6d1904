"""
CloudFormation's API (botocore "cloudformation", protocol query): stacks,
their resources, events and templates, exports; the change sets' handlers are
in L{ruststack.cloudformation.changeset_operations}. The work a call asks for
runs after it has answered (L{ruststack.cloudformation.stacks}).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.cloudformation import changeset_operations, graph, parameters, template
from ruststack.cloudformation.calls import PROTOCOL, Call, paged, validation
from ruststack.cloudformation.model import DELETED, SETTLED, Stack, StackResource
from ruststack.cloudformation.preparing import (
    as_text,
    check_stack_name,
    check_updatable,
    known_type,
    new_stack,
    prepare,
    required_capabilities,
    stack_settings,
    template_body,
    unresolved_references,
)
from ruststack.protocol import Handler

# -- stacks


def _with_present(output: dict[str, Any], optional: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """
    C{output} with the optional members that have a value (AWS leaves out
    the others rather than sending them empty).
    """
    output.update((key, value) for key, value in optional if value is not None)
    return output


def _page_answer(member: str, page: list[Any], following: str | None) -> dict[str, Any]:
    # The last page has no NextToken at all.
    return {member: page, **({"NextToken": following} if following else {})}


def _stack_head(stack: Stack) -> dict[str, Any]:
    # What both a stack's description and its summary say.
    return {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": stack.created,
        "StackStatus": stack.status,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }


def _stack_output(stack: Stack) -> dict[str, Any]:
    output = {
        **_stack_head(stack),
        "DisableRollback": stack.disable_rollback,
        "NotificationARNs": stack.notification_arns,
        "Capabilities": stack.capabilities,
        "Outputs": stack.outputs,
        "Tags": stack.tags,
        "Parameters": stack.parameters,
        "EnableTerminationProtection": stack.termination_protection,
    }
    return _with_present(
        output,
        (
            ("StackStatusReason", stack.reason),
            ("Description", stack.description),
            ("LastUpdatedTime", stack.updated),
            ("DeletionTime", stack.deleted),
            ("ChangeSetId", stack.change_set_id),
            ("RoleARN", stack.role_arn),
            ("TimeoutInMinutes", stack.timeout),
        ),
    )


def _stack_summary(stack: Stack) -> dict[str, Any]:
    return _with_present(
        _stack_head(stack),
        (
            ("TemplateDescription", stack.description),
            ("LastUpdatedTime", stack.updated),
            ("DeletionTime", stack.deleted),
            ("StackStatusReason", stack.reason),
        ),
    )


async def create_stack(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["StackName"]
    check_stack_name(name)
    if call.store.find(call.account, call.region, name) is not None:
        raise PROTOCOL.modeled_error("AlreadyExistsException", f"Stack [{name}] already exists")
    prepared = await prepare(call, params, name)
    stack = new_stack(call, name, params, prepared, "CREATE_IN_PROGRESS")
    call.store.add(stack)
    call.service.start(call.service.engine.create(stack))
    return {"StackId": stack.stack_id}


async def update_stack(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    check_updatable(stack)
    prepared = await prepare(call, params, stack.name, previous=stack)
    settings = stack_settings(params, prepared, stack)
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


async def describe_stacks(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("StackName"):
        stacks = [call.stack(params["StackName"])]
    else:
        stacks = [s for s in call.store.of(call.account, call.region) if s.live]
    page, following = paged(stacks, params.get("NextToken"))
    return _page_answer("Stacks", [_stack_output(s) for s in page], following)


async def list_stacks(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    wanted = set(params.get("StackStatusFilter") or [])
    stacks = [s for s in call.store.of(call.account, call.region) if not wanted or s.status in wanted]
    stacks.reverse()
    page, following = paged(stacks, params.get("NextToken"))
    return _page_answer("StackSummaries", [_stack_summary(s) for s in page], following)


async def describe_stack_events(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    events = list(reversed(stack.events))
    page, following = paged(events, params.get("NextToken"))
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
        out.append(
            _with_present(item, (("ResourceStatusReason", event.reason), ("ResourceProperties", event.properties)))
        )
    return _page_answer("StackEvents", out, following)


def _resource_summary(resource: StackResource, updated: str = "LastUpdatedTimestamp") -> dict[str, Any]:
    """
    What every description of a stack's resource says; C{updated} names
    its last change's time.
    """
    summary: dict[str, Any] = {
        "LogicalResourceId": resource.logical_id,
        "PhysicalResourceId": resource.physical_id,
        "ResourceType": resource.type,
        updated: resource.timestamp,
        "ResourceStatus": resource.status,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    if resource.reason:
        summary["ResourceStatusReason"] = resource.reason
    return summary


def _resource_missing(name: str, stack: Stack) -> AwsError:
    return validation(f"Resource {name} does not exist for stack {stack.name}")


async def describe_stack_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    resource = stack.resources.get(params["LogicalResourceId"])
    if resource is None:
        raise _resource_missing(params["LogicalResourceId"], stack)
    detail = {"StackName": stack.name, "StackId": stack.stack_id, **_resource_summary(resource)}
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
            out.append({"StackName": stack.name, "StackId": stack.stack_id, **_resource_summary(resource, "Timestamp")})
    return {"StackResources": out}


async def list_stack_resources(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stack = call.stack(params["StackName"])
    resources = [r for r in stack.resources.values() if r.status != "DELETE_COMPLETE" or not stack.live]
    page, following = paged(resources, params.get("NextToken"))
    return _page_answer("StackResourceSummaries", [_resource_summary(r) for r in page], following)


async def get_template(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    stage = params.get("TemplateStage", "Original")
    if params.get("ChangeSetName"):
        change_set = call.change_set(params["ChangeSetName"], params.get("StackName"))
        body, processed = change_set.template_body, change_set.template
    elif params.get("StackName"):
        stack = call.stack(params["StackName"])
        body, processed = stack.template_body, stack.template
    else:
        raise validation("Either StackName or ChangeSetName must be specified.")
    transformed = bool(template.transforms(await template.read(body))) if body else False
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
                as_text(spec["Default"]) if not isinstance(spec["Default"], bool) else str(spec["Default"]).lower()
            )
        if "Description" in spec:
            entry["Description"] = str(spec["Description"])
        out.append((name, spec, entry))
    return [entry for _, _, entry in out]


def _template_facts(document: Mapping[str, Any], transforms: list[str]) -> dict[str, Any]:
    """
    What ValidateTemplate and GetTemplateSummary both say of a template: the
    capabilities it needs (a transform needs CAPABILITY_AUTO_EXPAND) and
    why, its transforms and description.
    """
    needed, why = required_capabilities(document)
    facts: dict[str, Any] = {
        "Capabilities": needed + (["CAPABILITY_AUTO_EXPAND"] if transforms else []),
        "DeclaredTransforms": transforms,
    }
    if why:
        facts["CapabilitiesReason"] = why
    if "Description" in document:
        facts["Description"] = str(document["Description"])
    return facts


async def validate_template(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    body = await template_body(call, params)
    document = await template.read(body)
    transforms = template.transforms(document)
    if not transforms:
        template.check(document, known_type)
        unresolved_references(document)
        graph.dependencies(document["Resources"])
    parameters.check_declarations(document)
    declarations = _parameter_declarations(document)
    return {"Parameters": declarations, **_template_facts(document, transforms)}


async def get_template_summary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("StackName"):
        stack = call.stack(params["StackName"])
        document = stack.template
        transforms = template.transforms(await template.read(stack.template_body))
    else:
        document = await template.read(await template_body(call, params))
        transforms = template.transforms(document)
    declarations = []
    for entry, (_, spec) in zip(_parameter_declarations(document), parameters.declared(document).items(), strict=True):
        entry["ParameterType"] = str(spec.get("Type"))
        if "AllowedValues" in spec:
            entry["ParameterConstraints"] = {"AllowedValues": [as_text(v) for v in spec["AllowedValues"]]}
        declarations.append(entry)
    resources = document.get("Resources") or {}
    output: dict[str, Any] = {
        "Parameters": declarations,
        **_template_facts(document, transforms),
        "ResourceTypes": sorted({r.get("Type") for r in resources.values() if isinstance(r, dict) and r.get("Type")}),
        "Version": str(document.get("AWSTemplateFormatVersion", "2010-09-09")),
    }
    if "Metadata" in document:
        import json

        output["Metadata"] = json.dumps(document["Metadata"])
    return output


async def list_exports(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    exports = [
        {"ExportingStackId": stack.stack_id, "Name": name, "Value": value}
        for name, (value, stack) in call.store.exports(call.account, call.region).items()
    ]
    page, following = paged(exports, params.get("NextToken"))
    return _page_answer("Exports", page, following)


async def list_imports(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ExportName"]
    if name not in call.store.exports(call.account, call.region):
        raise validation(f"Export '{name}' does not exist.")
    importers = [s.name for s in call.store.of(call.account, call.region) if s.live and name in s.imports]
    if not importers:
        raise validation(f"Export '{name}' is not imported by any stack.")
    return {"Imports": importers}


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
    "CreateChangeSet": changeset_operations.create_change_set,
    "DescribeChangeSet": changeset_operations.describe_change_set,
    "ListChangeSets": changeset_operations.list_change_sets,
    "DeleteChangeSet": changeset_operations.delete_change_set,
    "ExecuteChangeSet": changeset_operations.execute_change_set,
}
