"""
The S3 operations RustStack implements, one handler per AWS operation, and
how a request finds its own: L{routing} names the model operation, this
table its handler; a model operation without a handler is 501.
"""

from __future__ import annotations

from collections.abc import Callable

from ruststack.aws.errors import AwsError
from ruststack.s3 import (
    acls,
    bucketpolicy,
    buckets,
    buckettags,
    configs,
    configsbyid,
    cors,
    listings,
    metadata,
    multipart,
    objectlock,
    objects,
    postobject,
    replication,
    restore,
    routing,
    select,
    torrent,
    versions,
)
from ruststack.s3.call import S3Call
from ruststack.s3.configs import delete_handler, get_handler, put_handler

Handler = Callable

HANDLERS: dict[str, Handler] = {
    "ListBuckets": buckets.list_buckets,
    "CreateBucket": buckets.create_bucket,
    "HeadBucket": buckets.head_bucket,
    "DeleteBucket": buckets.delete_bucket,
    "ListObjects": listings.list_objects,
    "ListObjectsV2": listings.list_objects_v2,
    "GetBucketLocation": buckets.get_bucket_location,
    "GetBucketVersioning": versions.get_bucket_versioning,
    "PutBucketVersioning": objectlock.put_bucket_versioning,
    "ListObjectVersions": versions.list_object_versions,
    "ListMultipartUploads": listings.list_multipart_uploads,
    "DeleteObjects": objects.delete_objects,
    "GetBucketTagging": buckettags.get_bucket_tagging,
    "PutBucketTagging": buckettags.put_bucket_tagging,
    "DeleteBucketTagging": buckettags.delete_bucket_tagging,
    "PutBucketPolicy": bucketpolicy.put_bucket_policy,
    "GetBucketPolicy": bucketpolicy.get_bucket_policy,
    "DeleteBucketPolicy": bucketpolicy.delete_bucket_policy,
    "GetBucketPolicyStatus": configs.get_bucket_policy_status,
    # Bucket configurations (ruststack.s3.configs, cors, acls)
    "GetBucketAcl": acls.get_bucket_acl,
    "PutBucketAcl": acls.put_bucket_acl,
    "GetObjectAcl": acls.get_object_acl,
    "PutObjectAcl": acls.put_object_acl,
    "PutBucketCors": cors.put_bucket_cors,
    "GetBucketCors": cors.get_bucket_cors,
    "DeleteBucketCors": cors.delete_bucket_cors,
    "PutBucketEncryption": put_handler(configs.ENCRYPTION),
    "GetBucketEncryption": get_handler(configs.ENCRYPTION),
    "DeleteBucketEncryption": delete_handler(configs.ENCRYPTION),
    "PutBucketOwnershipControls": put_handler(configs.OWNERSHIP),
    "GetBucketOwnershipControls": get_handler(configs.OWNERSHIP),
    "DeleteBucketOwnershipControls": delete_handler(configs.OWNERSHIP),
    "PutPublicAccessBlock": put_handler(configs.PUBLIC_ACCESS_BLOCK),
    "GetPublicAccessBlock": get_handler(configs.PUBLIC_ACCESS_BLOCK),
    "DeletePublicAccessBlock": delete_handler(configs.PUBLIC_ACCESS_BLOCK),
    "PutBucketLifecycleConfiguration": configs.put_bucket_lifecycle,
    "GetBucketLifecycleConfiguration": configs.get_bucket_lifecycle,
    "DeleteBucketLifecycle": delete_handler(configs.LIFECYCLE),
    "PutBucketWebsite": put_handler(configs.WEBSITE),
    "GetBucketWebsite": get_handler(configs.WEBSITE),
    "DeleteBucketWebsite": delete_handler(configs.WEBSITE),
    "PutBucketRequestPayment": put_handler(configs.REQUEST_PAYMENT),
    "GetBucketRequestPayment": get_handler(configs.REQUEST_PAYMENT),
    "PutBucketAccelerateConfiguration": put_handler(configs.ACCELERATE),
    "GetBucketAccelerateConfiguration": get_handler(configs.ACCELERATE),
    "PutBucketLogging": put_handler(configs.LOGGING),
    "GetBucketLogging": get_handler(configs.LOGGING),
    "PutBucketNotificationConfiguration": put_handler(configs.NOTIFICATION),
    "GetBucketNotificationConfiguration": get_handler(configs.NOTIFICATION),
    "PutObjectLockConfiguration": put_handler(configs.OBJECT_LOCK),
    "GetObjectLockConfiguration": get_handler(configs.OBJECT_LOCK),
    # Configurations by id, replication, Object Lock on versions, restore (ruststack.s3.configsbyid...)
    **configsbyid.handlers(),
    "PutBucketReplication": replication.put_bucket_replication,
    "GetBucketReplication": replication.get_bucket_replication,
    "DeleteBucketReplication": replication.delete_bucket_replication,
    "PutObjectRetention": objectlock.put_object_retention,
    "GetObjectRetention": objectlock.get_object_retention,
    "PutObjectLegalHold": objectlock.put_object_legal_hold,
    "GetObjectLegalHold": objectlock.get_object_legal_hold,
    "RestoreObject": restore.restore_object,
    # ABAC and S3 Metadata configurations (ruststack.s3.metadata)
    **metadata.handlers(),
    "GetObjectTorrent": torrent.get_object_torrent,
    "SelectObjectContent": select.select_object_content,
    "PutObject": objectlock.put_object,
    "CopyObject": objectlock.copy_object,
    "GetObject": objectlock.get_object,
    "HeadObject": objectlock.get_object,
    "DeleteObject": objectlock.delete_object,
    "PutObjectTagging": objects.put_object_tagging,
    "GetObjectTagging": objects.get_object_tagging,
    "DeleteObjectTagging": objects.delete_object_tagging,
    "GetObjectAttributes": objects.get_object_attributes,
    "CreateMultipartUpload": objectlock.create_multipart_upload,
    "UploadPart": objectlock.upload_part,
    "UploadPartCopy": multipart.upload_part_copy,
    "CompleteMultipartUpload": objectlock.complete_multipart_upload,
    "AbortMultipartUpload": multipart.abort_multipart_upload,
    "ListParts": multipart.list_parts,
}


def not_implemented() -> AwsError:
    return AwsError(
        "NotImplemented", "A header or query you provided implies functionality that is not implemented.", 501
    )


def scope_of(call: S3Call) -> str:
    return "service" if call.bucket is None else "bucket" if call.key is None else "object"


def resolve(call: S3Call) -> tuple[str, Handler]:
    """
    The operation C{call} is and its handler. An operation of S3's model
    that RustStack does not have, or a request naming a subresource that no
    operation has, is NotImplemented (501): never another operation. A
    method S3 has nowhere at this scope is MethodNotAllowed (405).
    """
    if call.method == "POST" and postobject.is_form_upload(
        call.key is not None, call.query, call.headers.get("content-type", "")
    ):
        return postobject.OPERATION, objectlock.post_object
    scope = scope_of(call)
    matches = routing.route(call.method, scope, call.bucket, call.query, call.headers)
    for operation in matches:
        handler = HANDLERS.get(operation.name)
        if handler is not None:
            return operation.name, handler
    if matches or routing.named_subresources(call.query) or scope in routing.scopes_of(call.method):
        raise not_implemented()
    raise AwsError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        {"Method": call.method, "ResourceType": scope.upper()},
    )
