"""
Roles, their tags and their inline policies.
"""

from __future__ import annotations

from typing import Any

from ruststack.iam import documents
from ruststack.iam.calls import (
    Call,
    error,
    given_tags,
    limit_exceeded,
    merge_tags,
    no_such_entity,
    not_attachable,
    page,
    page_under_path,
    tags_page,
    timestamp,
    untag,
)
from ruststack.iam.model import ROLE_ID_PREFIX, InlinePolicy, Role, new_id
from ruststack.iam.names import name_key

# IAM's default quotas (IAM User Guide, "IAM and AWS STS quotas").
ROLES_PER_ACCOUNT = 1000
TRUST_POLICY_SIZE = 2048
INLINE_POLICIES_SIZE = 10240  # all of a role's inline policies together


def role_output(role: Role, listing: bool = False) -> dict[str, Any]:
    """
    A C{Role} shape. Listings leave out what IAM's listings leave out
    (PermissionsBoundary, RoleLastUsed, Tags: "IAM resource-listing
    operations return a subset of the available attributes").
    """
    output: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": timestamp(role.created),
        "AssumeRolePolicyDocument": documents.encoded(role.trust_policy),
        "Description": role.description,
        "MaxSessionDuration": role.max_session_duration,
    }
    if not listing:
        if role.permissions_boundary:
            output["PermissionsBoundary"] = boundary_output(role.permissions_boundary)
        output["Tags"] = role.tags or None
        output["RoleLastUsed"] = {}
    return output


def boundary_output(arn: str) -> dict[str, str]:
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def check_trust_policy(document: str) -> None:
    documents.check(document, identity=False)
    if documents.size(document) > TRUST_POLICY_SIZE:
        raise limit_exceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")


def check_boundary(call: Call, arn: str) -> None:
    if call.find_policy(arn) is None:
        raise not_attachable(arn)


def given_boundary(call: Call, params: dict[str, Any]) -> str | None:
    """
    The C{PermissionsBoundary} a create call gives, checked; L{None} without
    one.
    """
    boundary: str | None = params.get("PermissionsBoundary")
    if boundary is not None:
        check_boundary(call, boundary)
    return boundary


async def create_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = call.account
    name = params["RoleName"]
    if account.role(name) is not None:
        raise error("EntityAlreadyExists", f"Role with name {name} already exists.")
    if len(account.roles) >= ROLES_PER_ACCOUNT:
        raise limit_exceeded(f"Cannot exceed quota for RolesPerAccount: {ROLES_PER_ACCOUNT}")
    check_trust_policy(params["AssumeRolePolicyDocument"])
    tags = given_tags(params)
    boundary = given_boundary(call, params)
    role = Role(
        account=account.id,
        name=name,
        path=params.get("Path", "/"),
        role_id=new_id(ROLE_ID_PREFIX),
        created=call.now,
        trust_policy=params["AssumeRolePolicyDocument"],
        description=params.get("Description"),
        max_session_duration=params.get("MaxSessionDuration", 3600),
        permissions_boundary=boundary,
        tags=tags,
    )
    account.roles[name_key(name)] = role
    call.changed()
    output = role_output(role)
    del output["RoleLastUsed"]  # CreateRole's answer has none
    return {"Role": output}


async def get_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"Role": role_output(call.role(params["RoleName"]))}


async def list_roles(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    chosen, more = page_under_path(call.account.roles.values(), params)
    return {"Roles": [role_output(role, listing=True) for role in chosen], **more}


async def update_role(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    if "Description" in params:
        role.description = params["Description"]
    if "MaxSessionDuration" in params:
        role.max_session_duration = params["MaxSessionDuration"]
    call.changed()


async def update_role_description(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = call.role(params["RoleName"])
    role.description = params["Description"]
    call.changed()
    return {"Role": role_output(role)}


async def update_assume_role_policy(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    check_trust_policy(params["PolicyDocument"])
    role.trust_policy = params["PolicyDocument"]
    call.changed()


async def delete_role(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    if role.attached:
        raise error("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    if role.inline_policies:
        raise error("DeleteConflict", "Cannot delete entity, must delete policies first.")
    del call.account.roles[name_key(role.name)]
    call.changed()


async def put_role_permissions_boundary(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    check_boundary(call, params["PermissionsBoundary"])
    role.permissions_boundary = params["PermissionsBoundary"]
    call.changed()


async def delete_role_permissions_boundary(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    role.permissions_boundary = None
    call.changed()


async def list_instance_profiles_for_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    # RustStack has no instance profiles: cleanup code asks before DeleteRole.
    call.role(params["RoleName"])
    return {"InstanceProfiles": [], "IsTruncated": False}


async def tag_role(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    role.tags = merge_tags(role.tags, params["Tags"], "Cannot exceed quota for TagsPerRole: 50")
    call.changed()


async def untag_role(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    role.tags = untag(role.tags, params["TagKeys"])
    call.changed()


async def list_role_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return tags_page(call.role(params["RoleName"]).tags, params)


# Inline policies


def _inline_size(role: Role, replacing: str, document: str) -> int:
    others = (p.document for key, p in role.inline_policies.items() if key != name_key(replacing))
    return sum(documents.size(text) for text in others) + documents.size(document)


async def put_role_policy(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    name, document = params["PolicyName"], params["PolicyDocument"]
    documents.check(document)
    if _inline_size(role, name, document) > INLINE_POLICIES_SIZE:
        raise limit_exceeded(f"Maximum policy size of {INLINE_POLICIES_SIZE} bytes exceeded for role {role.name}")
    key = name_key(name)
    # Replacing a policy keeps the name it was first given.
    kept = role.inline_policies[key].name if key in role.inline_policies else name
    role.inline_policies[key] = InlinePolicy(kept, document)
    call.changed()


def _inline(call: Call, params: dict[str, Any]) -> tuple[Role, InlinePolicy]:
    role = call.role(params["RoleName"])
    policy = role.inline_policies.get(name_key(params["PolicyName"]))
    if policy is None:
        raise no_such_entity(f"The role policy with name {params['PolicyName']} cannot be found.")
    return role, policy


async def get_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role, policy = _inline(call, params)
    return {"RoleName": role.name, "PolicyName": policy.name, "PolicyDocument": documents.encoded(policy.document)}


async def delete_role_policy(call: Call, params: dict[str, Any]) -> None:
    role, policy = _inline(call, params)
    del role.inline_policies[name_key(policy.name)]
    call.changed()


async def list_role_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = call.role(params["RoleName"])
    chosen, more = page(list(role.inline_policies.values()), lambda p: name_key(p.name), params)
    return {"PolicyNames": [policy.name for policy in chosen], **more}
