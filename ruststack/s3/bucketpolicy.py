"""
Handlers of PutBucketPolicy, GetBucketPolicy and DeleteBucketPolicy: the
bucket's owner keeps one policy document per bucket, checked when it is
put (see L{ruststack.s3.policy}) and evaluated by L{ruststack.s3.access}.
"""

from __future__ import annotations

from ruststack.aws.errors import AwsError
from ruststack.s3 import policy, publicaccess
from ruststack.s3.call import S3Call, S3Context


def put_bucket_policy(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    if call.sink is not None and call.sink.size > policy.MAX_SIZE:
        # Refused before the body is read into memory.
        raise policy.malformed("Policy exceeds the maximum allowed document size.")
    document = call.body()
    policy.parse(document, bucket.name)
    publicaccess.check_policy(ctx, bucket, document.decode("utf-8"))
    ctx.store.set_bucket_policy(bucket.name, document.decode("utf-8"))
    call.request.setResponseCode(204)
    return b""


def get_bucket_policy(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    if bucket.policy is None:
        raise AwsError("NoSuchBucketPolicy", "The bucket policy does not exist", 404, {"BucketName": bucket.name})
    call.set_headers({"Content-Type": "application/json"})
    return bucket.policy.encode("utf-8")


def delete_bucket_policy(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    ctx.store.set_bucket_policy(bucket.name, None)
    call.request.setResponseCode(204)
    return b""
