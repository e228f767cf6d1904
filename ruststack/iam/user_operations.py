"""
Users and their access keys, as far as deploy tools reach: GetUser without
a name answers who calls (the CDK and the Serverless Framework read the
account from it). Access keys are stored and listed; they sign nothing
(RustStack's keys come from C{--credentials-file}, or any key with
C{--auth off}).
"""

from __future__ import annotations

from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.iam.calls import (
    Call,
    error,
    given_tags,
    limit_exceeded,
    no_such_entity,
    page,
    page_under_path,
    timestamp,
)
from ruststack.iam.model import USER_ID_PREFIX, AccessKey, User, new_access_key, new_id
from ruststack.iam.names import name_key
from ruststack.iam.role_operations import boundary_output, given_boundary

ACCESS_KEYS_PER_USER = 2


def _not_a_user() -> AwsError:
    # IAM's answer to a call about "the calling user" from a role's credentials.
    return AwsError("ValidationError", "Must specify userName when calling with non-User credentials", 400)


def user_output(user: User, listing: bool = False) -> dict[str, Any]:
    output: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": timestamp(user.created),
    }
    if not listing:
        if user.permissions_boundary:
            output["PermissionsBoundary"] = boundary_output(user.permissions_boundary)
        output["Tags"] = user.tags or None
    return output


def _caller_user(call: Call) -> User | None:
    # A user whose stored access key signed the request.
    for user in call.account.users.values():
        if any(key.key_id == call.access_key for key in user.access_keys):
            return user
    return None


async def create_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    account = call.account
    name = params["UserName"]
    if account.user(name) is not None:
        raise error("EntityAlreadyExists", f"User with name {name} already exists.")
    tags = given_tags(params)
    boundary = given_boundary(call, params)
    user = User(
        account=account.id,
        name=name,
        path=params.get("Path", "/"),
        user_id=new_id(USER_ID_PREFIX),
        created=call.now,
        permissions_boundary=boundary,
        tags=tags,
    )
    account.users[name_key(name)] = user
    call.changed()
    return {"User": user_output(user)}


async def get_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("UserName")
    if name is not None:
        return {"User": user_output(call.user(name))}
    if call.session:
        raise _not_a_user()
    user = _caller_user(call)
    if user is not None:
        return {"User": user_output(user)}
    # The account's own credentials: its root user, as IAM describes it
    # (no name, no path; its id is the account's).
    account = call.account
    return {
        "User": {
            "UserId": account.id,
            "Arn": f"arn:aws:iam::{account.id}:root",
            "CreateDate": timestamp(account.created),
        }
    }


async def list_users(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    chosen, more = page_under_path(call.account.users.values(), params)
    return {"Users": [user_output(user, listing=True) for user in chosen], **more}


async def delete_user(call: Call, params: dict[str, Any]) -> None:
    user = call.user(params["UserName"])
    if user.access_keys:
        raise error("DeleteConflict", "Cannot delete entity, must delete access keys first.")
    del call.account.users[name_key(user.name)]
    call.changed()


def _key_owner(call: Call, params: dict[str, Any]) -> User:
    name = params.get("UserName")
    if name is not None:
        return call.user(name)
    user = _caller_user(call)
    if user is None:
        # A role's session, or the account's root, whose keys are not kept.
        raise _not_a_user()
    return user


async def create_access_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    user = _key_owner(call, params)
    if len(user.access_keys) >= ACCESS_KEYS_PER_USER:
        raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
    key_id, secret = new_access_key()
    key = AccessKey(key_id, secret, call.now)
    user.access_keys.append(key)
    call.changed()
    return {
        "AccessKey": {
            "UserName": user.name,
            "AccessKeyId": key.key_id,
            "Status": key.status,
            "SecretAccessKey": key.secret,
            "CreateDate": timestamp(key.created),
        }
    }


async def list_access_keys(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("UserName") is None and not call.session and _caller_user(call) is None:
        return {"AccessKeyMetadata": [], "IsTruncated": False}  # the root's keys are not kept
    user = _key_owner(call, params)
    chosen, more = page(user.access_keys, lambda key: f"{key.created:012d}{key.key_id}", params)
    metadata = [
        {"UserName": user.name, "AccessKeyId": k.key_id, "Status": k.status, "CreateDate": timestamp(k.created)}
        for k in chosen
    ]
    return {"AccessKeyMetadata": metadata, **more}


async def delete_access_key(call: Call, params: dict[str, Any]) -> None:
    user = _key_owner(call, params)
    key_id = params["AccessKeyId"]
    key = next((k for k in user.access_keys if k.key_id == key_id), None)
    if key is None:
        raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
    user.access_keys.remove(key)
    call.changed()
