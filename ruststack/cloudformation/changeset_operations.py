"""
CloudFormation's change sets: created (a CREATE one makes the stack in
REVIEW_IN_PROGRESS), described with what they would change, executed, deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.cloudformation import changesets
from ruststack.cloudformation.calls import PROTOCOL, Call, validation
from ruststack.cloudformation.model import ChangeSet, Stack, change_set_arn
from ruststack.cloudformation.preparing import (
    Prepared,
    check_stack_name,
    check_updatable,
    given_parameters,
    new_stack,
    prepare,
    stack_settings,
)


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
        check_updatable(stack)
    else:
        raise validation("ChangeSetType IMPORT is not supported by RustStack")
    if stack is not None and any(c.name == change_set_name for c in call.store.change_sets_of(stack)):
        raise PROTOCOL.modeled_error(
            "AlreadyExistsException",
            f"ChangeSet {change_set_name} cannot be created due to a mismatch with existing attribute Template",
        )
    check_stack_name(name)
    prepared = await prepare(call, params, name, previous=stack if kind == "UPDATE" else None, change_set=True)
    if stack is None:
        stack = new_stack(call, name, params, prepared, "REVIEW_IN_PROGRESS")
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
        given_parameters=given_parameters(prepared.resolved),
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
        parameters_changed = existing is not None and given_parameters(prepared.resolved) != existing.given_parameters
        found = changesets.changes(existing, stack.template, resources, parameters_changed)
    except AwsError as e:
        change_set.status, change_set.reason = "FAILED", e.message
        call.store.save()
        return
    change_set.changes = found
    settings = stack_settings(params, prepared, existing)
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
    return _change_set_output(call.change_set(params["ChangeSetName"], params.get("StackName")))


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
    name, stack_name = params["ChangeSetName"], params.get("StackName")
    if not name.startswith("arn:") and stack_name:
        stack = call.store.find(call.account, call.region, stack_name)
        if stack is None or not stack.live:
            raise validation(f"Stack [{stack_name}] does not exist")
        if call.store.find_change_set(call.account, call.region, name, stack_name) is None:
            # As on AWS, a stack's change set that is not there is deleted
            # without complaint: the CDK clears the name it will use first.
            return {}
    change_set = call.change_set(name, stack_name)
    if change_set.execution_status == "EXECUTE_IN_PROGRESS":
        raise PROTOCOL.modeled_error(
            "InvalidChangeSetStatusException",
            f"Cannot delete ChangeSet in status {change_set.execution_status}",
        )
    call.store.change_sets.remove(change_set)
    call.store.save()
    return {}


async def execute_change_set(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    change_set = call.change_set(params["ChangeSetName"], params.get("StackName"))
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
        "given_parameters": change_set.given_parameters,
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
