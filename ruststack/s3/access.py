"""
Who may do what to a bucket: every operation's IAM action, and the check of
a caller's account against the bucket's owner and its bucket policy.

A bucket belongs to the account that created it. Its owner may do anything
an explicit Deny of the bucket policy does not forbid (and may always
manage the policy itself, as an account's root user can); another account
may do only what the policy grants, or an ACL (the bucket's, or the
object's) grants it and the policy does not deny. S3 answers a refusal
with 403 AccessDenied, never saying more.
"""

from __future__ import annotations

import enum
from typing import Any, Protocol

from ruststack.aws.errors import AwsError
from ruststack.s3 import policy
from ruststack.s3.records import Bucket


class On(enum.Enum):
    """
    What an operation's action applies to.
    """

    BUCKET = "bucket"
    OBJECT = "object"  # the request's key
    KEYS = "keys"  # each key the request body names (DeleteObjects)
    POLICY = "policy"  # the bucket policy: its owner's alone


# Each operation's IAM action, from
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
# (ListBuckets and CreateBucket act on no existing bucket and are not here).
ACTIONS: dict[str, tuple[str, On]] = {
    "HeadBucket": ("s3:ListBucket", On.BUCKET),
    "DeleteBucket": ("s3:DeleteBucket", On.BUCKET),
    "ListObjects": ("s3:ListBucket", On.BUCKET),
    "ListObjectsV2": ("s3:ListBucket", On.BUCKET),
    "ListObjectVersions": ("s3:ListBucketVersions", On.BUCKET),
    "ListMultipartUploads": ("s3:ListBucketMultipartUploads", On.BUCKET),
    "GetBucketLocation": ("s3:GetBucketLocation", On.BUCKET),
    "GetBucketVersioning": ("s3:GetBucketVersioning", On.BUCKET),
    "PutBucketVersioning": ("s3:PutBucketVersioning", On.BUCKET),
    "GetBucketAcl": ("s3:GetBucketAcl", On.BUCKET),
    "GetBucketEncryption": ("s3:GetEncryptionConfiguration", On.BUCKET),
    "GetBucketOwnershipControls": ("s3:GetBucketOwnershipControls", On.BUCKET),
    "GetBucketTagging": ("s3:GetBucketTagging", On.BUCKET),
    "PutBucketTagging": ("s3:PutBucketTagging", On.BUCKET),
    "DeleteBucketTagging": ("s3:PutBucketTagging", On.BUCKET),  # as AWS documents
    "GetBucketCors": ("s3:GetBucketCORS", On.BUCKET),
    "GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration", On.BUCKET),
    "GetBucketWebsite": ("s3:GetBucketWebsite", On.BUCKET),
    "GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock", On.BUCKET),
    "GetBucketPolicyStatus": ("s3:GetBucketPolicyStatus", On.BUCKET),
    "PutBucketAcl": ("s3:PutBucketAcl", On.BUCKET),
    "PutBucketCors": ("s3:PutBucketCORS", On.BUCKET),
    "DeleteBucketCors": ("s3:PutBucketCORS", On.BUCKET),  # as AWS documents
    "PutBucketEncryption": ("s3:PutEncryptionConfiguration", On.BUCKET),
    "DeleteBucketEncryption": ("s3:PutEncryptionConfiguration", On.BUCKET),
    "PutBucketOwnershipControls": ("s3:PutBucketOwnershipControls", On.BUCKET),
    "DeleteBucketOwnershipControls": ("s3:PutBucketOwnershipControls", On.BUCKET),
    "PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock", On.BUCKET),
    "DeletePublicAccessBlock": ("s3:PutBucketPublicAccessBlock", On.BUCKET),
    "PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration", On.BUCKET),
    "DeleteBucketLifecycle": ("s3:PutLifecycleConfiguration", On.BUCKET),
    "PutBucketWebsite": ("s3:PutBucketWebsite", On.BUCKET),
    "DeleteBucketWebsite": ("s3:DeleteBucketWebsite", On.BUCKET),
    "GetBucketRequestPayment": ("s3:GetBucketRequestPayment", On.BUCKET),
    "PutBucketRequestPayment": ("s3:PutBucketRequestPayment", On.BUCKET),
    "GetBucketAccelerateConfiguration": ("s3:GetAccelerateConfiguration", On.BUCKET),
    "PutBucketAccelerateConfiguration": ("s3:PutAccelerateConfiguration", On.BUCKET),
    "GetBucketLogging": ("s3:GetBucketLogging", On.BUCKET),
    "PutBucketLogging": ("s3:PutBucketLogging", On.BUCKET),
    "GetBucketNotificationConfiguration": ("s3:GetBucketNotification", On.BUCKET),
    "PutBucketNotificationConfiguration": ("s3:PutBucketNotification", On.BUCKET),
    "GetObjectLockConfiguration": ("s3:GetBucketObjectLockConfiguration", On.BUCKET),
    "PutObjectLockConfiguration": ("s3:PutBucketObjectLockConfiguration", On.BUCKET),
    "PutBucketPolicy": ("s3:PutBucketPolicy", On.POLICY),
    "GetBucketPolicy": ("s3:GetBucketPolicy", On.POLICY),
    "DeleteBucketPolicy": ("s3:DeleteBucketPolicy", On.POLICY),
    "DeleteObjects": ("s3:DeleteObject", On.KEYS),
    "GetObjectAcl": ("s3:GetObjectAcl", On.OBJECT),
    "PutObjectAcl": ("s3:PutObjectAcl", On.OBJECT),
    "PutObject": ("s3:PutObject", On.OBJECT),
    "PostObject": ("s3:PutObject", On.OBJECT),
    "CopyObject": ("s3:PutObject", On.OBJECT),  # and s3:GetObject on the source
    "GetObject": ("s3:GetObject", On.OBJECT),
    "HeadObject": ("s3:GetObject", On.OBJECT),
    "DeleteObject": ("s3:DeleteObject", On.OBJECT),
    "PutObjectTagging": ("s3:PutObjectTagging", On.OBJECT),
    "GetObjectTagging": ("s3:GetObjectTagging", On.OBJECT),
    "DeleteObjectTagging": ("s3:DeleteObjectTagging", On.OBJECT),
    "GetObjectAttributes": ("s3:GetObjectAttributes", On.OBJECT),
    "CreateMultipartUpload": ("s3:PutObject", On.OBJECT),
    "UploadPart": ("s3:PutObject", On.OBJECT),
    "UploadPartCopy": ("s3:PutObject", On.OBJECT),  # and s3:GetObject on the source
    "CompleteMultipartUpload": ("s3:PutObject", On.OBJECT),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", On.OBJECT),
    "ListParts": ("s3:ListMultipartUploadParts", On.OBJECT),
    # Configurations by id (their Delete is the Put action, as AWS documents), replication, Object Lock, restore
    "PutBucketAnalyticsConfiguration": ("s3:PutAnalyticsConfiguration", On.BUCKET),
    "GetBucketAnalyticsConfiguration": ("s3:GetAnalyticsConfiguration", On.BUCKET),
    "DeleteBucketAnalyticsConfiguration": ("s3:PutAnalyticsConfiguration", On.BUCKET),
    "ListBucketAnalyticsConfigurations": ("s3:GetAnalyticsConfiguration", On.BUCKET),
    "PutBucketInventoryConfiguration": ("s3:PutInventoryConfiguration", On.BUCKET),
    "GetBucketInventoryConfiguration": ("s3:GetInventoryConfiguration", On.BUCKET),
    "DeleteBucketInventoryConfiguration": ("s3:PutInventoryConfiguration", On.BUCKET),
    "ListBucketInventoryConfigurations": ("s3:GetInventoryConfiguration", On.BUCKET),
    "PutBucketMetricsConfiguration": ("s3:PutMetricsConfiguration", On.BUCKET),
    "GetBucketMetricsConfiguration": ("s3:GetMetricsConfiguration", On.BUCKET),
    "DeleteBucketMetricsConfiguration": ("s3:PutMetricsConfiguration", On.BUCKET),
    "ListBucketMetricsConfigurations": ("s3:GetMetricsConfiguration", On.BUCKET),
    "PutBucketIntelligentTieringConfiguration": ("s3:PutIntelligentTieringConfiguration", On.BUCKET),
    "GetBucketIntelligentTieringConfiguration": ("s3:GetIntelligentTieringConfiguration", On.BUCKET),
    "DeleteBucketIntelligentTieringConfiguration": ("s3:PutIntelligentTieringConfiguration", On.BUCKET),
    "ListBucketIntelligentTieringConfigurations": ("s3:GetIntelligentTieringConfiguration", On.BUCKET),
    "PutBucketReplication": ("s3:PutReplicationConfiguration", On.BUCKET),
    "GetBucketReplication": ("s3:GetReplicationConfiguration", On.BUCKET),
    "DeleteBucketReplication": ("s3:PutReplicationConfiguration", On.BUCKET),
    "PutObjectRetention": ("s3:PutObjectRetention", On.OBJECT),
    "GetObjectRetention": ("s3:GetObjectRetention", On.OBJECT),
    "PutObjectLegalHold": ("s3:PutObjectLegalHold", On.OBJECT),
    "GetObjectLegalHold": ("s3:GetObjectLegalHold", On.OBJECT),
    "RestoreObject": ("s3:RestoreObject", On.OBJECT),
    # ABAC, S3 Metadata (V1 and V2 share their actions), torrents, Select
    "PutBucketAbac": ("s3:PutBucketABAC", On.BUCKET),
    "GetBucketAbac": ("s3:GetBucketABAC", On.BUCKET),
    "CreateBucketMetadataConfiguration": ("s3:CreateBucketMetadataTableConfiguration", On.BUCKET),
    "CreateBucketMetadataTableConfiguration": ("s3:CreateBucketMetadataTableConfiguration", On.BUCKET),
    "GetBucketMetadataConfiguration": ("s3:GetBucketMetadataTableConfiguration", On.BUCKET),
    "GetBucketMetadataTableConfiguration": ("s3:GetBucketMetadataTableConfiguration", On.BUCKET),
    "DeleteBucketMetadataConfiguration": ("s3:DeleteBucketMetadataTableConfiguration", On.BUCKET),
    "DeleteBucketMetadataTableConfiguration": ("s3:DeleteBucketMetadataTableConfiguration", On.BUCKET),
    "UpdateBucketMetadataInventoryTableConfiguration": (
        "s3:UpdateBucketMetadataInventoryTableConfiguration",
        On.BUCKET,
    ),
    "UpdateBucketMetadataJournalTableConfiguration": ("s3:UpdateBucketMetadataJournalTableConfiguration", On.BUCKET),
    "GetObjectTorrent": ("s3:GetObjectTorrent", On.OBJECT),
    "SelectObjectContent": ("s3:GetObject", On.OBJECT),
}


# Who is behind an unsigned request (with --auth verify; a website visitor, a POST form without a policy).
ANONYMOUS = "anonymous"

# The actions each ACL permission grants, as S3 maps them; a bucket's ACL
# speaks of the bucket (WRITE: making and deleting its objects), an object's
# of the object (FULL_CONTROL is all of a kind's permissions).
# See https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
BUCKET_ACL_ACTIONS = {
    "READ": frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}),
    "WRITE": frozenset({"s3:PutObject", "s3:DeleteObject"}),
    "READ_ACP": frozenset({"s3:GetBucketAcl"}),
    "WRITE_ACP": frozenset({"s3:PutBucketAcl"}),
}
OBJECT_ACL_ACTIONS = {
    "READ": frozenset({"s3:GetObject", "s3:GetObjectTorrent"}),
    "READ_ACP": frozenset({"s3:GetObjectAcl"}),
    "WRITE_ACP": frozenset({"s3:PutObjectAcl"}),
}
_BUCKET_ACL_ANY = frozenset().union(*BUCKET_ACL_ACTIONS.values())
# The ACL grantee groups: anyone, and every signed caller (the two public ones).
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


class AclGrants(Protocol):
    """
    The ACLs that may grant a request what the bucket policy does not
    (L{ruststack.s3.acls.RequestAcls}).
    """

    def grant(self, account: str, action: str) -> bool:
        """
        Whether the ACL that speaks of C{action} grants it to C{account}.
        """


def speaks_of_bucket(action: str) -> bool:
    """
    Whether the bucket's ACL, not the object's, may grant C{action}.
    """
    return action in _BUCKET_ACL_ANY


def acl_grants(acl: dict[str, Any], canonical_id: str, account: str, action: str, public: bool = True) -> bool:
    """
    Whether C{acl} grants C{action} to C{account} (whose canonical user id
    is C{canonical_id}): a grant to that user, to everyone (AllUsers) or to
    every signed caller (AuthenticatedUsers); those two public grants count
    only when C{public}.
    """
    mapping = BUCKET_ACL_ACTIONS if speaks_of_bucket(action) else OBJECT_ACL_ACTIONS
    allowing = {permission for permission, actions in mapping.items() if action in actions}
    if not allowing:
        return False
    allowing.add("FULL_CONTROL")
    for grant in acl.get("Grants", []):
        if grant.get("Permission") not in allowing:
            continue
        grantee = grant.get("Grantee", {})
        uri = grantee.get("URI")
        if account != ANONYMOUS and grantee.get("ID") == canonical_id:
            return True
        if public and (uri == ALL_USERS or (uri == AUTHENTICATED_USERS and account != ANONYMOUS)):
            return True
    return False


def access_denied() -> AwsError:
    return AwsError("AccessDenied", "Access Denied", 403)


def permits(
    bucket: Bucket,
    account: str,
    action: str,
    key: str | None = None,
    secure: bool = True,
    acls: AclGrants | None = None,
) -> bool:
    """
    Whether C{account} may do C{action} on C{bucket} (or on its object
    C{key}), asking over TLS when C{secure} (as AWS's own services do): as
    the bucket policy decides, or as C{acls} grant what it does not deny.
    """
    if bucket.policy is None:
        return account == bucket.account or (acls is not None and acls.grant(account, action))
    resource = policy.bucket_arn(bucket.name) if key is None else policy.object_arn(bucket.name, key)
    stored = policy.stored(bucket.policy, bucket.name)
    if policy.decide(stored, account, bucket.account, action, resource, secure):
        return True
    return (
        acls is not None
        and account != bucket.account
        and not stored.denies(account, action, resource, secure)
        and acls.grant(account, action)
    )


def authorize(
    bucket: Bucket,
    account: str,
    action: str,
    key: str | None = None,
    secure: bool = True,
    acls: AclGrants | None = None,
) -> None:
    """
    L{permits}, or AccessDenied.
    """
    if not permits(bucket, account, action, key, secure, acls):
        raise access_denied()


def authorize_operation(
    bucket: Bucket,
    account: str,
    operation: str,
    key: str | None,
    secure: bool = True,
    acls: AclGrants | None = None,
) -> None:
    """
    Check that C{account} may run C{operation} on C{bucket}. An operation
    without a known action is its owner's alone.
    """
    if operation not in ACTIONS:
        if account != bucket.account:
            raise access_denied()
        return
    action, on = ACTIONS[operation]
    if on is On.BUCKET:
        authorize(bucket, account, action, secure=secure, acls=acls)
    elif on is On.OBJECT:
        authorize(bucket, account, action, key, secure, acls)
    elif on is On.KEYS:
        # Each key is checked by the handler; without a policy or an ACL
        # grant, nothing can be granted to another account.
        if bucket.policy is None and account != bucket.account and not (acls and acls.grant(account, action)):
            raise access_denied()
    elif account != bucket.account:
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html: another
        # account is refused (403), or if the policy grants it the action, told that only the
        # owner's account may (405).
        if not permits(bucket, account, action, secure=secure):
            raise access_denied()
        raise AwsError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
