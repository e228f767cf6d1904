"""
What a bucket nobody configured answers to the read side of S3's bucket
configuration operations, which deployment and cleanup tools call on every
bucket they look at: ACLs (the owner has FULL_CONTROL), encryption (SSE-S3,
the default of every bucket since January 2023), object ownership
(BucketOwnerEnforced, the default since April 2023), and the "not
configured" errors of CORS, lifecycle, website and public access
block. Writing these configurations is not built (501); tags are, in
L{ruststack.s3.buckettags}.
"""

from __future__ import annotations

from ruststack.aws.errors import AwsError
from ruststack.s3 import wire
from ruststack.s3.call import S3Call, S3Context
from ruststack.s3.objects import existing_object
from ruststack.s3.owners import owner_xml

_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _access_control_policy(account: str) -> bytes:
    grant = (
        f'<Grant><Grantee xmlns:xsi="{_XSI}" xsi:type="CanonicalUser">'
        + owner_xml(account, "Grantee")[len("<Grantee>") : -len("</Grantee>")]
        + "</Grantee><Permission>FULL_CONTROL</Permission></Grant>"
    )
    return wire.document(
        "AccessControlPolicy", [owner_xml(account), "<AccessControlList>", grant, "</AccessControlList>"]
    )


def get_bucket_acl(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    call.set_headers({"Content-Type": "application/xml"})
    return _access_control_policy(bucket.account)


def get_object_acl(ctx: S3Context, call: S3Call) -> bytes:
    existing_object(ctx, call)
    bucket = ctx.bucket(call)
    call.set_headers({"Content-Type": "application/xml"})
    return _access_control_policy(bucket.account)


def get_bucket_encryption(ctx: S3Context, call: S3Call) -> bytes:
    ctx.bucket(call)
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document(
        "ServerSideEncryptionConfiguration",
        [
            "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
            "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>"
        ],
    )


def get_bucket_ownership_controls(ctx: S3Context, call: S3Call) -> bytes:
    ctx.bucket(call)
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("OwnershipControls", ["<Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule>"])


def _not_configured(code: str, message: str):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        raise AwsError(code, message, 404, {"BucketName": bucket.name})

    handler.__name__ = "get_" + code
    return handler


get_bucket_cors = _not_configured("NoSuchCORSConfiguration", "The CORS configuration does not exist")
get_bucket_lifecycle = _not_configured("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
get_bucket_website = _not_configured(
    "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"
)
get_public_access_block = _not_configured(
    "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"
)
