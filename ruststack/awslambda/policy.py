"""
A function's resource-based policy: AddPermission, RemovePermission and
GetPolicy (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.awslambda.functions import Alias, LambdaFunction, invalid, validation

# Whose policy an operation reads or changes: a function ($LATEST) or a
# version, or an alias (each qualifier has a policy of its own).
PolicyHolder = LambdaFunction | Alias

_ACCOUNT = re.compile(r"^\d{12}$")
_ACTION = re.compile(r"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$")
_STATEMENT_ID = re.compile(r"^([a-zA-Z0-9-_.]+)$")
# botocore lambda model, AddPermissionRequest: SourceArn (shape Arn) and
# SourceAccount (shape SourceOwner); what the policy's conditions match on.
_SOURCE_ARN = (
    r"arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)"
)
_SOURCE_ACCOUNT = r"\d{12}"


def _principal(principal: str) -> Any:
    # How Lambda writes the Principal it was given into the policy document.
    if principal == "*":
        return "*"
    if _ACCOUNT.match(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    return {"Service": principal}


def statement(function: PolicyHolder, body: Mapping[str, Any], resource: str | None = None) -> dict:
    """
    The policy statement an AddPermission request describes, on
    C{resource} (the qualified ARN; by default the function's).
    """
    if resource is None:
        assert isinstance(function, LambdaFunction)
        resource = function.arn
    sid = body.get("StatementId")
    action = body.get("Action")
    principal = body.get("Principal")
    if not isinstance(sid, str) or not _STATEMENT_ID.match(sid) or len(sid) > 100:
        raise invalid(f"Invalid StatementId: {sid!r}")
    if not isinstance(action, str) or not _ACTION.match(action):
        raise invalid(f"Invalid Action: {action!r}. Actions must be lambda:<Operation> or lambda:*")
    if not isinstance(principal, str) or not principal:
        raise invalid("Principal is required")
    _check(body.get("SourceArn"), "sourceArn", _SOURCE_ARN, 10000)
    _check(body.get("SourceAccount"), "sourceAccount", _SOURCE_ACCOUNT, 12)
    entry: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": _principal(principal),
        "Action": action,
        "Resource": resource,
    }
    conditions: dict[str, dict[str, str]] = {}
    if body.get("SourceAccount"):
        conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = body["SourceAccount"]
    if body.get("PrincipalOrgID"):
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = body["PrincipalOrgID"]
    if body.get("EventSourceToken"):
        conditions.setdefault("StringEquals", {})["lambda:EventSourceToken"] = body["EventSourceToken"]
    if body.get("FunctionUrlAuthType"):
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = body["FunctionUrlAuthType"]
    if body.get("InvokedViaFunctionUrl"):
        conditions["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    if body.get("SourceArn"):
        conditions["ArnLike"] = {"AWS:SourceArn": body["SourceArn"]}
    if conditions:
        entry["Condition"] = conditions
    return entry


def _check(value: Any, member: str, pattern: str, longest: int) -> None:
    # The model's constraints, checked as Lambda checks them (ValidationException).
    if value is None:
        return
    if not isinstance(value, str) or len(value) > longest:
        raise validation(value, member, f"Member must have length less than or equal to {longest}")
    if not re.fullmatch(pattern, value):
        raise validation(value, member, f"Member must satisfy regular expression pattern: {pattern}")


def add_permission(function: PolicyHolder, body: Mapping[str, Any], resource: str | None = None) -> dict:
    revision = body.get("RevisionId")
    if revision and revision != function.revision_id:
        raise precondition_failed()
    entry = statement(function, body, resource)
    if any(existing["Sid"] == entry["Sid"] for existing in function.policy):
        raise AwsError(
            "ResourceConflictException",
            f"The statement id ({entry['Sid']}) provided already exists. Please provide a new statement id,"
            " or remove the existing statement.",
            409,
        )
    function.policy.append(entry)
    function.policy_revision_id = str(uuid.uuid4())
    return entry


def remove_permission(function: PolicyHolder, sid: str, revision: str | None) -> None:
    if revision and revision != function.revision_id:
        raise precondition_failed()
    kept = [entry for entry in function.policy if entry["Sid"] != sid]
    if len(kept) == len(function.policy):
        raise AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    function.policy[:] = kept
    function.policy_revision_id = str(uuid.uuid4())


def get_policy(function: PolicyHolder) -> dict:
    if not function.policy:
        raise AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    document = {"Version": "2012-10-17", "Id": "default", "Statement": function.policy}
    return {"Policy": json.dumps(document, separators=(",", ":")), "RevisionId": function.policy_revision_id}


def precondition_failed() -> AwsError:
    return AwsError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API"
        " to retrieve the latest Revision Id",
        412,
    )
