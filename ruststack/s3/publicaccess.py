"""
A bucket's public access block, enforced as S3 enforces it (bucket level;
the account-level settings of s3control are not modelled):

- BlockPublicAcls: PutBucketAcl, PutObjectAcl and object writes carrying a
  public ACL (one granting AllUsers or AuthenticatedUsers) are refused 403.
- IgnorePublicAcls: public ACL grants give no access
  (L{ruststack.s3.acls.RequestAcls} leaves them out).
- BlockPublicPolicy: PutBucketPolicy of a public policy is refused 403.
- RestrictPublicBuckets: while the bucket's policy is public, only the
  bucket owner's account may access it (cross-account and anonymous
  requests are refused, whatever else the policy grants them).

"Public" is S3's definition: an Allow statement to every principal
(C{"*"}, C{{"AWS": "*"}}) that no condition on a fixed value narrows.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
"""

from __future__ import annotations

import json
from typing import Any

from ruststack.s3 import access, configs
from ruststack.s3.call import S3Context
from ruststack.s3.records import Bucket

# Condition keys whose fixed values make a statement non-public (S3's list,
# less the shapes of their values it also checks -- a /8 SourceIp counts here).
_NARROWING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceIp",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:userid",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
        "aws:VpcSourceIp",
    )
)


def settings(ctx: S3Context, bucket: Bucket) -> dict[str, bool]:
    return configs.PUBLIC_ACCESS_BLOCK.values(ctx, bucket) or {}


def acl_is_public(acl: dict[str, Any]) -> bool:
    public = (access.ALL_USERS, access.AUTHENTICATED_USERS)
    return any(grant["Grantee"].get("URI") in public for grant in acl.get("Grants", []))


def _names_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS", [])
        values = values if isinstance(values, list) else [values]
        return "*" in values
    return False


def _narrowed(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    return any(
        isinstance(keys, dict) and any(key.lower() in _NARROWING_KEYS for key in keys) for keys in condition.values()
    )


def policy_is_public(document: str) -> bool:
    statements = json.loads(document).get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return any(
        statement.get("Effect") == "Allow"
        and _names_everyone(statement.get("Principal"))
        and not _narrowed(statement.get("Condition"))
        for statement in statements
    )


def check_acl(ctx: S3Context, bucket: Bucket, acl: dict[str, Any] | None) -> None:
    """
    AccessDenied for a public ACL while the bucket blocks them.
    """
    if acl is not None and acl_is_public(acl) and settings(ctx, bucket).get("BlockPublicAcls"):
        raise access.access_denied()


def check_policy(ctx: S3Context, bucket: Bucket, document: str) -> None:
    """
    AccessDenied for a public policy while the bucket blocks them.
    """
    if settings(ctx, bucket).get("BlockPublicPolicy") and policy_is_public(document):
        raise access.access_denied()


def restricted(ctx: S3Context, bucket: Bucket, account: str) -> bool:
    """
    Whether C{account} is refused by RestrictPublicBuckets: it is not the
    owner's, the bucket's policy is public, and the bucket restricts.
    """
    return (
        account != bucket.account
        and bucket.policy is not None
        and bool(settings(ctx, bucket).get("RestrictPublicBuckets"))
        and policy_is_public(bucket.policy)
    )
