"""
Managed policies: the account's own (customer managed) with their versions
and tags, AWS's from the built-in table, and their attachment to roles.
"""

from __future__ import annotations

from typing import Any

from ruststack.iam import documents
from ruststack.iam.calls import (
    Call,
    by_path_prefix,
    error,
    given_tags,
    limit_exceeded,
    no_such_entity,
    page,
    tags_page,
    timestamp,
    untag,
)
from ruststack.iam.calls import merge_tags as _merge_tags
from ruststack.iam.model import POLICY_ID_PREFIX, ManagedPolicy, PolicyVersion, new_id
from ruststack.iam.names import name_key
from ruststack.iam.store import AWS_POLICIES, usage

# IAM's default quotas (IAM User Guide, "IAM and AWS STS quotas").
POLICY_SIZE = 6144
VERSIONS_PER_POLICY = 5
POLICIES_PER_ROLE = 10


def policy_output(policy: ManagedPolicy, attached: int, boundaries: int, listing: bool = False) -> dict[str, Any]:
    """
    A C{Policy} shape; listings leave out Description and Tags, as IAM's do.
    """
    output: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version,
        "AttachmentCount": attached,
        "PermissionsBoundaryUsageCount": boundaries,
        "IsAttachable": True,
        "CreateDate": timestamp(policy.created),
        "UpdateDate": timestamp(policy.updated),
    }
    if not listing:
        output["Description"] = policy.description
        output["Tags"] = policy.tags or None
    return output


def version_output(policy: ManagedPolicy, version: PolicyVersion, document: bool = True) -> dict[str, Any]:
    return {
        "Document": documents.encoded(version.document) if document else None,
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == policy.default_version,
        "CreateDate": timestamp(version.created),
    }


def check_document(document: str) -> None:
    documents.check(document)
    if documents.size(document) > POLICY_SIZE:
        raise limit_exceeded(f"Cannot exceed quota for PolicySize: {POLICY_SIZE}")


def _described(call: Call, policy: ManagedPolicy, listing: bool = False) -> dict[str, Any]:
    attached, boundaries = usage(call.account)
    return policy_output(policy, attached[policy.arn], boundaries[policy.arn], listing)


async def create_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = call.account
    name = params["PolicyName"]
    if name_key(name) in account.policies:
        raise error("EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.")
    check_document(params["PolicyDocument"])
    tags = given_tags(params)
    policy = ManagedPolicy(
        account=account.id,
        name=name,
        path=params.get("Path", "/"),
        policy_id=new_id(POLICY_ID_PREFIX),
        created=call.now,
        versions=[PolicyVersion("v1", params["PolicyDocument"], call.now)],
        description=params.get("Description"),
        tags=tags,
    )
    account.policies[name_key(name)] = policy
    call.changed()
    output = policy_output(policy, 0, 0)
    del output["Description"]  # CreatePolicy's answer leaves it out
    return {"Policy": output}


async def get_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": _described(call, call.policy(params["PolicyArn"]))}


async def delete_policy(call: Call, params: dict[str, Any]) -> None:
    policy = call.own_policy(params["PolicyArn"], "DeletePolicy")
    attached, boundaries = usage(call.account)
    if attached[policy.arn] or boundaries[policy.arn]:
        raise error("DeleteConflict", "Cannot delete a policy attached to entities.")
    if len(policy.versions) > 1:
        raise error(
            "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete the policy's"
            " versions. The default version is deleted with the policy.",
        )
    del call.account.policies[name_key(policy.name)]
    call.changed()


def _sort_key(policy: ManagedPolicy) -> str:
    # Names are unique within each scope; AWS's come first on a tie.
    return f"{name_key(policy.name)}\x00{0 if policy.aws_managed else 1}"


async def list_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    scope = params.get("Scope", "All")
    policies: list[ManagedPolicy] = []
    if scope in ("All", "AWS"):
        policies.extend(AWS_POLICIES.values())
    if scope in ("All", "Local"):
        policies.extend(call.account.policies.values())
    attached, boundaries = usage(call.account)
    prefix = params.get("PathPrefix")
    usage_filter = params.get("PolicyUsageFilter")
    chosen = [
        policy
        for policy in policies
        if by_path_prefix(policy.path, prefix)
        and (not params.get("OnlyAttached") or attached[policy.arn] or boundaries[policy.arn])
        and (usage_filter != "PermissionsPolicy" or attached[policy.arn])
        and (usage_filter != "PermissionsBoundary" or boundaries[policy.arn])
    ]
    shown, more = page(chosen, _sort_key, params)
    return {
        "Policies": [policy_output(p, attached[p.arn], boundaries[p.arn], listing=True) for p in shown],
        **more,
    }


# Versions


def _version(policy: ManagedPolicy, version_id: str) -> PolicyVersion:
    version = policy.version(version_id)
    if version is None:
        raise no_such_entity(f"Policy {policy.arn} version {version_id} does not exist or is not attachable.")
    return version


async def create_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    policy = call.own_policy(params["PolicyArn"], "CreatePolicyVersion")
    check_document(params["PolicyDocument"])
    if len(policy.versions) >= VERSIONS_PER_POLICY:
        raise limit_exceeded(
            f"A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you create a new version, you"
            " must delete an existing version."
        )
    version = PolicyVersion(f"v{policy.next_version}", params["PolicyDocument"], call.now)
    policy.next_version += 1
    policy.versions.append(version)
    if params.get("SetAsDefault"):
        policy.default_version = version.version_id
    call.changed()
    return {"PolicyVersion": version_output(policy, version, document=False)}


async def get_policy_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    policy = call.policy(params["PolicyArn"])
    return {"PolicyVersion": version_output(policy, _version(policy, params["VersionId"]))}


async def list_policy_versions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    policy = call.policy(params["PolicyArn"])
    # Newest first, as IAM lists them.
    chosen, more = page(policy.versions, lambda v: f"{1_000_000_000 - int(v.version_id[1:]):010d}", params)
    return {"Versions": [version_output(policy, v, document=False) for v in chosen], **more}


async def delete_policy_version(call: Call, params: dict[str, Any]) -> None:
    policy = call.own_policy(params["PolicyArn"], "DeletePolicyVersion")
    version = _version(policy, params["VersionId"])
    if version.version_id == policy.default_version:
        raise error("DeleteConflict", "Cannot delete the default version of a policy.")
    policy.versions.remove(version)
    call.changed()


async def set_default_policy_version(call: Call, params: dict[str, Any]) -> None:
    policy = call.own_policy(params["PolicyArn"], "SetDefaultPolicyVersion")
    policy.default_version = _version(policy, params["VersionId"]).version_id
    call.changed()


# Attachments


async def attach_role_policy(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    policy = call.policy(params["PolicyArn"])
    if policy.arn in role.attached:
        return  # attaching twice changes nothing
    if len(role.attached) >= POLICIES_PER_ROLE:
        raise limit_exceeded(f"Cannot exceed quota for PoliciesPerRole: {POLICIES_PER_ROLE}")
    role.attached.append(policy.arn)
    call.changed()


async def detach_role_policy(call: Call, params: dict[str, Any]) -> None:
    role = call.role(params["RoleName"])
    policy = call.find_policy(params["PolicyArn"])
    if policy is None or policy.arn not in role.attached:
        raise no_such_entity(f"Policy {params['PolicyArn']} was not found.")
    role.attached.remove(policy.arn)
    call.changed()


async def list_attached_role_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    role = call.role(params["RoleName"])
    prefix = params.get("PathPrefix")
    found = [call.find_policy(arn) for arn in role.attached]
    policies = [p for p in found if p is not None and by_path_prefix(p.path, prefix)]
    chosen, more = page(policies, _sort_key, params)
    return {"AttachedPolicies": [{"PolicyName": p.name, "PolicyArn": p.arn} for p in chosen], **more}


async def list_entities_for_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    policy = call.policy(params["PolicyArn"])
    wanted = params.get("EntityFilter")
    usage_filter = params.get("PolicyUsageFilter")
    prefix = params.get("PathPrefix")

    def uses(attached: bool, boundary: bool) -> bool:
        if usage_filter == "PermissionsPolicy":
            return attached
        if usage_filter == "PermissionsBoundary":
            return boundary
        return attached or boundary

    entities: list[tuple[str, str, str]] = []  # (kind, name, id)
    if wanted in (None, "Role"):
        for role in call.account.roles.values():
            if by_path_prefix(role.path, prefix) and uses(
                policy.arn in role.attached, role.permissions_boundary == policy.arn
            ):
                entities.append(("Role", role.name, role.role_id))
    if wanted in (None, "User"):
        for user in call.account.users.values():
            if by_path_prefix(user.path, prefix) and uses(False, user.permissions_boundary == policy.arn):
                entities.append(("User", user.name, user.user_id))
    chosen, more = page(entities, lambda e: f"{e[0]}\x00{name_key(e[1])}", params)
    return {
        "PolicyGroups": [],
        "PolicyUsers": [{"UserName": name, "UserId": id_} for kind, name, id_ in chosen if kind == "User"],
        "PolicyRoles": [{"RoleName": name, "RoleId": id_} for kind, name, id_ in chosen if kind == "Role"],
        **more,
    }


# Tags


async def tag_policy(call: Call, params: dict[str, Any]) -> None:
    policy = call.own_policy(params["PolicyArn"], "TagPolicy")
    policy.tags = _merge_tags(policy.tags, params["Tags"], "Cannot exceed quota for TagsPerPolicy: 50")
    call.changed()


async def untag_policy(call: Call, params: dict[str, Any]) -> None:
    policy = call.own_policy(params["PolicyArn"], "UntagPolicy")
    policy.tags = untag(policy.tags, params["TagKeys"])
    call.changed()


async def list_policy_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return tags_page(call.policy(params["PolicyArn"]).tags, params)
