"""
What a change set would do to a stack: each resource added, modified (in
place or by replacement) or removed, as DescribeChangeSet lists it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.model import Stack
from ruststack.cloudformation.provisioners import PROVISIONERS

NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


def _has_function(value: Any) -> bool:
    if isinstance(value, dict):
        if len(value) == 1 and any(key == "Ref" or str(key).startswith("Fn::") for key in value):
            return True
        return any(_has_function(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_function(v) for v in value)
    return False


def changes(
    stack: Stack | None,
    old_template: Mapping[str, Any],
    new_resources: Mapping[str, Mapping[str, Any]],
    parameters_changed: bool,
) -> list[dict[str, Any]]:
    """
    The Changes of a change set moving C{stack} (C{None}: a new one) from
    C{old_template} to C{new_resources} (the new template's enabled
    resources).
    """
    old_resources = old_template.get("Resources") or {} if stack is not None else {}
    current = stack.resources if stack is not None else {}
    found: list[dict[str, Any]] = []
    for name, definition in new_resources.items():
        resource = current.get(name)
        if resource is None or resource.status == "DELETE_COMPLETE":
            found.append(_change("Add", name, definition["Type"]))
            continue
        old = old_resources.get(name, {})
        old_props, new_props = old.get("Properties") or {}, definition.get("Properties") or {}
        if old == definition and not (parameters_changed and _has_function(new_props)):
            continue
        changed = sorted(k for k in set(old_props) | set(new_props) if old_props.get(k) != new_props.get(k))
        provisioner = PROVISIONERS.get(definition["Type"])
        if definition["Type"] != resource.type:
            replacement = "True"
        elif provisioner is None:
            replacement = "Conditional"
        elif not changed:
            replacement = "Conditional" if _has_function(new_props) else "False"
        else:
            needs = provisioner.needs_replacement(old_props, new_props)
            replacement = "True" if needs else "False"
        details = [
            {
                "Target": {
                    "Attribute": "Properties",
                    "Name": key,
                    "RequiresRecreation": "Always"
                    if provisioner is None or provisioner.replace_on is None or key in (provisioner.replace_on or ())
                    else "Never",
                },
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
            for key in changed
        ]
        change = _change("Modify", name, definition["Type"], resource.physical_id)
        change["ResourceChange"].update({"Replacement": replacement, "Scope": ["Properties"], "Details": details})
        found.append(change)
    for name, resource in current.items():
        if name not in new_resources and resource.status != "DELETE_COMPLETE":
            found.append(_change("Remove", name, resource.type, resource.physical_id))
    return found


def _change(action: str, name: str, type_name: str, physical_id: str | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": name,
        "ResourceType": type_name,
        "Scope": [],
        "Details": [],
    }
    if physical_id:
        change["PhysicalResourceId"] = physical_id
    return {"Type": "Resource", "ResourceChange": change}
