"""
The table of S3 operations: (scope, method, subresource) -> handler, one
handler per AWS operation.
"""

from __future__ import annotations

from collections.abc import Callable

from ruststack.aws.errors import AwsError
from ruststack.s3 import bucketconfig, buckets, listings, multipart, objects
from ruststack.s3.call import S3Call

Handler = Callable

# scope: "service" (no bucket), "bucket", "object".
OPERATIONS: dict[tuple[str, str, str | None], tuple[str, Handler]] = {
    ("service", "GET", None): ("ListBuckets", buckets.list_buckets),
    ("bucket", "PUT", None): ("CreateBucket", buckets.create_bucket),
    ("bucket", "HEAD", None): ("HeadBucket", buckets.head_bucket),
    ("bucket", "DELETE", None): ("DeleteBucket", buckets.delete_bucket),
    ("bucket", "GET", None): ("ListObjects", listings.list_objects),
    ("bucket", "GET", "location"): ("GetBucketLocation", buckets.get_bucket_location),
    ("bucket", "GET", "versioning"): ("GetBucketVersioning", buckets.get_bucket_versioning),
    ("bucket", "GET", "versions"): ("ListObjectVersions", listings.list_object_versions),
    ("bucket", "GET", "uploads"): ("ListMultipartUploads", listings.list_multipart_uploads),
    ("bucket", "POST", "delete"): ("DeleteObjects", objects.delete_objects),
    ("bucket", "GET", "acl"): ("GetBucketAcl", bucketconfig.get_bucket_acl),
    ("bucket", "GET", "encryption"): ("GetBucketEncryption", bucketconfig.get_bucket_encryption),
    ("bucket", "GET", "ownershipControls"): ("GetBucketOwnershipControls", bucketconfig.get_bucket_ownership_controls),
    ("bucket", "GET", "tagging"): ("GetBucketTagging", bucketconfig.get_bucket_tagging),
    ("bucket", "GET", "policy"): ("GetBucketPolicy", bucketconfig.get_bucket_policy),
    ("bucket", "GET", "cors"): ("GetBucketCors", bucketconfig.get_bucket_cors),
    ("bucket", "GET", "lifecycle"): ("GetBucketLifecycleConfiguration", bucketconfig.get_bucket_lifecycle),
    ("bucket", "GET", "website"): ("GetBucketWebsite", bucketconfig.get_bucket_website),
    ("bucket", "GET", "publicAccessBlock"): ("GetPublicAccessBlock", bucketconfig.get_public_access_block),
    ("object", "GET", "acl"): ("GetObjectAcl", bucketconfig.get_object_acl),
    ("object", "PUT", None): ("PutObject", objects.put_object),
    ("object", "GET", None): ("GetObject", objects.get_object),
    ("object", "HEAD", None): ("HeadObject", objects.get_object),
    ("object", "DELETE", None): ("DeleteObject", objects.delete_object),
    ("object", "PUT", "tagging"): ("PutObjectTagging", objects.put_object_tagging),
    ("object", "GET", "tagging"): ("GetObjectTagging", objects.get_object_tagging),
    ("object", "DELETE", "tagging"): ("DeleteObjectTagging", objects.delete_object_tagging),
    ("object", "GET", "attributes"): ("GetObjectAttributes", objects.get_object_attributes),
    ("object", "POST", "uploads"): ("CreateMultipartUpload", multipart.create_multipart_upload),
    ("object", "PUT", "uploadId"): ("UploadPart", multipart.upload_part),
    ("object", "POST", "uploadId"): ("CompleteMultipartUpload", multipart.complete_multipart_upload),
    ("object", "DELETE", "uploadId"): ("AbortMultipartUpload", multipart.abort_multipart_upload),
    ("object", "GET", "uploadId"): ("ListParts", multipart.list_parts),
}

# Operations that become another when the request names a copy source.
_COPIES = {
    "PutObject": ("CopyObject", objects.copy_object),
    "UploadPart": ("UploadPartCopy", multipart.upload_part_copy),
}


def resolve(call: S3Call) -> tuple[str, Handler]:
    """
    The operation C{call} asks for; NotImplemented (501) for S3 operations
    RustStack does not have, MethodNotAllowed for others.
    """
    scope = "service" if call.bucket is None else "bucket" if call.key is None else "object"
    subresource = call.subresource
    if scope == "bucket" and call.method == "GET" and subresource is None and call.query.get("list-type") == "2":
        return "ListObjectsV2", listings.list_objects_v2
    found = OPERATIONS.get((scope, call.method, subresource))
    if found is None:
        if subresource is not None or (scope, call.method) in {(s, m) for s, m, _ in OPERATIONS}:
            raise AwsError(
                "NotImplemented", "A header or query you provided implies functionality that is not implemented.", 501
            )
        raise AwsError(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            405,
            {"Method": call.method, "ResourceType": scope.upper()},
        )
    if "x-amz-copy-source" in call.headers and found[0] in _COPIES:
        return _COPIES[found[0]]
    return found
