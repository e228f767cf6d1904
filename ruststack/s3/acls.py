"""
GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl: access control
lists given as a canned ACL (C{x-amz-acl}), grant headers
(C{x-amz-grant-read}...) or an C{AccessControlPolicy} document, stored and
returned; the bucket policy, not ACLs, decides access here.

A bucket whose object ownership is BucketOwnerEnforced (every new bucket's,
since April 2023) has ACLs disabled: S3 refuses any ACL granting more than
the owner's full control with AccessControlListNotSupported, and answers
with the owner's full control.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.s3 import access, configs, documents, publicaccess, versions
from ruststack.s3.access import ALL_USERS, AUTHENTICATED_USERS
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.owners import canonical_user_id
from ruststack.s3.records import Bucket, ObjectMeta

BUCKET_ACL = "acl"
_DOCUMENT = "PutBucketAcl"  # PutObjectAcl's document has the same shape

LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

_GRANT_HEADERS = {
    "x-amz-grant-full-control": "FULL_CONTROL",
    "x-amz-grant-read": "READ",
    "x-amz-grant-read-acp": "READ_ACP",
    "x-amz-grant-write": "WRITE",
    "x-amz-grant-write-acp": "WRITE_ACP",
}
_BUCKET_CANNED = ("private", "public-read", "public-read-write", "authenticated-read", "log-delivery-write")
_OBJECT_CANNED = (
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
)
_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]*)"?\s*(?:,|$)')


def _user(account_or_id: str, permission: str, *, canonical: bool = False) -> dict[str, Any]:
    grantee_id = account_or_id if canonical else canonical_user_id(account_or_id)
    return {"Grantee": {"Type": "CanonicalUser", "ID": grantee_id}, "Permission": permission}


def _group(uri: str, permission: str) -> dict[str, Any]:
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def canned(name: str, owner: str, bucket_owner: str) -> dict[str, Any]:
    """
    The access control policy a canned ACL stands for.
    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
    """
    grants = [_user(owner, "FULL_CONTROL")]
    if name in ("public-read", "public-read-write"):
        grants.append(_group(ALL_USERS, "READ"))
    if name == "public-read-write":
        grants.append(_group(ALL_USERS, "WRITE"))
    if name == "authenticated-read":
        grants.append(_group(AUTHENTICATED_USERS, "READ"))
    if name == "log-delivery-write":
        grants += [_group(LOG_DELIVERY, "WRITE"), _group(LOG_DELIVERY, "READ_ACP")]
    if name in ("bucket-owner-read", "bucket-owner-full-control") and bucket_owner != owner:
        grants.append(_user(bucket_owner, "READ" if name == "bucket-owner-read" else "FULL_CONTROL"))
    return {"Owner": {"ID": canonical_user_id(owner)}, "Grants": grants}


def _header_grants(call: S3Call) -> list[dict[str, Any]]:
    grants = []
    for header, permission in _GRANT_HEADERS.items():
        value = call.headers.get(header)
        if value is None:
            continue
        position = 0
        while position < len(value):
            match = _GRANTEE.match(value, position)
            if match is None or match.end() == position:
                raise invalid_argument("Invalid id", header, value)
            kind, text = match.groups()
            position = match.end()
            grants.append(_grant(kind, text, permission, header))
    return grants


def _grant(kind: str, text: str, permission: str, argument: str) -> dict[str, Any]:
    if kind == "emailAddress":
        raise AwsError(
            "UnresolvableGrantByEmailAddress",
            "The e-mail address you provided does not match any account on record.",
            400,
            {"EmailAddress": text},
        )
    if kind == "uri":
        if text not in (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY):
            raise invalid_argument("Invalid group uri", "uri", text)
        return _group(text, permission)
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise invalid_argument("Invalid id", argument, text)
    return _user(text, permission, canonical=True)


def acl_of_headers(call: S3Call, owner: str, bucket_owner: str, bucket_scope: bool) -> dict[str, Any] | None:
    """
    The ACL C{call}'s headers give (C{None}: none): a canned ACL or grants,
    not both.
    """
    name = call.headers.get("x-amz-acl")
    grants = _header_grants(call)
    if name is not None and grants:
        raise AwsError("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed", 400)
    if name is not None:
        if name not in (_BUCKET_CANNED if bucket_scope else _OBJECT_CANNED):
            raise invalid_argument("", "x-amz-acl", name)
        return canned(name, owner, bucket_owner)
    if grants:
        return {"Owner": {"ID": canonical_user_id(owner)}, "Grants": grants}
    return None


def _acl_of_body(call: S3Call) -> dict[str, Any]:
    values = documents.read(_DOCUMENT, call.body())
    grants = []
    for grant in values.get("Grants", []):
        grantee = grant.get("Grantee")
        if grantee is None or "Permission" not in grant:
            raise documents.wire.malformed()
        kind = grantee["Type"]
        text = {"CanonicalUser": grantee.get("ID"), "Group": grantee.get("URI")}.get(kind, grantee.get("EmailAddress"))
        if text is None:
            raise documents.wire.malformed()
        wire_kind = {"CanonicalUser": "id", "Group": "uri"}.get(kind, "emailAddress")
        grants.append(_grant(wire_kind, text, grant["Permission"], "Grantee"))
    owner = values.get("Owner")
    if owner is None or not owner.get("ID"):
        raise documents.wire.malformed()
    # S3 no longer writes display names: keep only the id.
    return {"Owner": {"ID": owner["ID"]}, "Grants": grants}


def _requested_acl(call: S3Call, owner: str, bucket_owner: str, bucket_scope: bool) -> dict[str, Any]:
    from_headers = acl_of_headers(call, owner, bucket_owner, bucket_scope)
    has_body = call.sink is not None and call.sink.size > 0
    if from_headers is not None:
        if has_body:
            raise AwsError("UnexpectedContent", "This request does not support content", 400)
        return from_headers
    if not has_body:
        raise AwsError(
            "MissingSecurityHeader",
            "Your request was missing a required header",
            400,
            {"MissingHeaderName": "x-amz-acl"},
        )
    return _acl_of_body(call)


def owner_only(acl: dict[str, Any], owner: str) -> bool:
    """
    Whether C{acl} grants nobody but C{owner} (what a bucket with ACLs
    disabled accepts: C{private}, C{bucket-owner-full-control}, or the same
    as a document).
    """
    owner_id = canonical_user_id(owner)
    return all(grant["Grantee"].get("ID") == owner_id for grant in acl["Grants"])


def acl_with_enforced_ownership() -> AwsError:
    return AwsError(
        "InvalidBucketAclWithObjectOwnership",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        400,
    )


def _acls_disabled(ctx: S3Context, bucket: Bucket) -> bool:
    return configs.object_ownership(ctx, bucket) == configs.BUCKET_OWNER_ENFORCED


def grants_beyond_owner(ctx: S3Context, bucket: Bucket) -> bool:
    stored = ctx.store.bucket_config(bucket.name, BUCKET_ACL)
    return stored is not None and not owner_only(json.loads(stored), bucket.account)


def _accepted(ctx: S3Context, bucket: Bucket, acl: dict[str, Any]) -> dict[str, Any] | None:
    # The ACL a PutBucketAcl or PutObjectAcl keeps: None where the bucket has ACLs
    # disabled, which accept it without effect if it is only the owner's full control.
    if _acls_disabled(ctx, bucket):
        if not owner_only(acl, bucket.account):
            raise AwsError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
        return None
    publicaccess.check_acl(ctx, bucket, acl)
    return acl


class RequestAcls:
    """
    The ACLs that may grant another account, or anyone, what the bucket
    policy does not (L{access.AclGrants}): the bucket's for listing and
    writing its objects and for its own ACL, the object's (C{key}, in its
    version C{version} as a request names it) for reading it and its ACL.
    They grant nothing while the bucket has ACLs disabled
    (BucketOwnerEnforced), and nothing public while the bucket ignores
    public ACLs (IgnorePublicAcls). Read only when asked: the bucket owner
    never needs them.
    """

    __slots__ = ("_ctx", "_bucket", "_key", "_version")

    def __init__(self, ctx: S3Context, bucket: Bucket, key: str | None = None, version: str | None = None) -> None:
        self._ctx = ctx
        self._bucket = bucket
        self._key = key
        self._version = version

    def grant(self, account: str, action: str) -> bool:
        ctx, bucket = self._ctx, self._bucket
        if _acls_disabled(ctx, bucket):
            return False
        acl = self._bucket_acl() if access.speaks_of_bucket(action) else self._object_acl()
        if acl is None:
            return False
        public = not publicaccess.settings(ctx, bucket).get("IgnorePublicAcls")
        return access.acl_grants(acl, canonical_user_id(account), account, action, public)

    def _bucket_acl(self) -> dict[str, Any] | None:
        stored = self._ctx.store.bucket_config(self._bucket.name, BUCKET_ACL)
        return None if stored is None else json.loads(stored)

    def _object_acl(self) -> dict[str, Any] | None:
        store, key, version = self._ctx.store, self._key, self._version
        if key is None:
            return None
        if version is None:
            record = store.get_object(self._bucket.name, key)
        elif versions.valid_version_id(version):
            found = store.versions.get_version(self._bucket.name, key, versions.parse_version_id(version))
            record = None if found is None else found.record
        else:
            return None
        return None if record is None else record.meta.acl


def check_write_acl(ctx: S3Context, bucket: Bucket, call: S3Call) -> None:
    """
    The ACL headers of a write (PutObject, CopyObject,
    CreateMultipartUpload, POST Object): refused with
    AccessControlListNotSupported where the bucket has ACLs disabled and
    they grant more than the bucket owner's full control; otherwise
    accepted, and kept in the object's metadata (L{with_write_acl}).
    """
    if call.headers.get("x-amz-acl") == "bucket-owner-full-control":
        return
    acl = acl_of_headers(call, call.caller.account, bucket.account, bucket_scope=False)
    if acl is not None and _acls_disabled(ctx, bucket) and not owner_only(acl, bucket.account):
        raise AwsError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    publicaccess.check_acl(ctx, bucket, acl)


def write_acl(ctx: S3Context, bucket: str, call: S3Call) -> dict[str, Any] | None:
    """
    The ACL a write's headers give the object it makes (C{None}: none, the
    owner's full control), as L{check_write_acl} found it acceptable.
    """
    if "x-amz-acl" not in call.headers and not any(header in call.headers for header in _GRANT_HEADERS):
        return None
    found = ctx.store.get_bucket(bucket)
    if found is None or _acls_disabled(ctx, found):
        return None
    acl = acl_of_headers(call, call.caller.account, found.account, bucket_scope=False)
    return None if acl is None or owner_only(acl, found.account) else acl


def with_write_acl(ctx: S3Context, bucket: str, call: S3Call, meta: ObjectMeta) -> ObjectMeta:
    """
    C{meta} of the object a write makes, with the ACL the write's headers
    give it (PutObjectAcl would keep the same).
    """
    acl = write_acl(ctx, bucket, call)
    return meta if acl is None else attrs.evolve(meta, acl=acl)


def _answer(call: S3Call, acl: dict[str, Any]) -> bytes:
    call.set_headers({"Content-Type": "application/xml"})
    values = {"Owner": acl["Owner"], "Grants": acl["Grants"]}
    return documents.write(_DOCUMENT, values).encode("utf-8")


def get_bucket_acl(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    stored = ctx.store.bucket_config(bucket.name, BUCKET_ACL)
    acl = json.loads(stored) if stored is not None else canned("private", bucket.account, bucket.account)
    return _answer(call, acl)


def put_bucket_acl(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    acl = _accepted(ctx, bucket, _requested_acl(call, bucket.account, bucket.account, True))
    ctx.store.set_bucket_config(bucket.name, BUCKET_ACL, None if acl is None else json.dumps(acl))
    return b""


def get_object_acl(ctx: S3Context, call: S3Call) -> bytes:
    from ruststack.s3.objects import existing_object

    record = existing_object(ctx, call)
    bucket = ctx.bucket(call)
    return _answer(call, record.meta.acl or canned("private", bucket.account, bucket.account))


def put_object_acl(ctx: S3Context, call: S3Call) -> bytes:
    from ruststack.s3.objects import existing_object

    record = existing_object(ctx, call)
    bucket = ctx.bucket(call)
    acl = _accepted(ctx, bucket, _requested_acl(call, bucket.account, bucket.account, False))
    ctx.store.replace_meta(record, attrs.evolve(record.meta, acl=acl))
    return b""
