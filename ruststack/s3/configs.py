"""
S3's bucket configurations: encryption, ownership controls, public access
block, lifecycle, website, request payment, accelerate, logging,
notification and object lock, each put, got and (where S3 has it) deleted
as a whole document (see L{ruststack.s3.documents}), kept by the store with
the bucket and gone with it. CORS (L{ruststack.s3.cors}) and ACLs
(L{ruststack.s3.acls}) build on the same.

What is stored is returned exactly. CORS, ACL ownership, lifecycle rules
(L{ruststack.s3.lifecyclesweep}), websites (L{ruststack.s3.website}) and
notifications to Lambda (L{ruststack.s3.notifications}) are applied;
encryption and public access block settings are reported, not enforced.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.s3 import documents, wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.records import Bucket

Validator = Callable[[S3Context, Bucket, dict[str, Any]], None]


@attrs.frozen
class Config:
    """
    One kind of bucket configuration.

    @ivar kind: its name in the store.
    @ivar put: the S3 operation putting it (whose payload shape it has).
    @ivar missing: the error of a bucket without one, as C{(code, message)};
        C{None} when S3 answers with C{default} instead.
    @ivar default: the values S3 answers with when none was put.
    @ivar validate: S3's checks beyond the shape's.
    """

    kind: str
    put: str
    missing: tuple[str, str] | None = None
    default: dict[str, Any] | None = None
    validate: Validator | None = None

    def document(self, ctx: S3Context, bucket: Bucket) -> str | None:
        stored = ctx.store.bucket_config(bucket.name, self.kind)
        if stored is None and self.default is not None:
            return documents.write(self.put, self.default)
        return stored

    def values(self, ctx: S3Context, bucket: Bucket) -> dict[str, Any] | None:
        document = self.document(ctx, bucket)
        return None if document is None else documents.values_of(self.put, document)

    def not_found(self, bucket: Bucket) -> AwsError:
        assert self.missing is not None
        code, message = self.missing
        return AwsError(code, message, 404, {"BucketName": bucket.name})


def put_handler(config: Config, status: int = 200):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        values = documents.read(config.put, call.body())
        if config.validate is not None:
            config.validate(ctx, bucket, values)
        ctx.store.set_bucket_config(bucket.name, config.kind, documents.write(config.put, values))
        call.request.setResponseCode(status)
        return b""

    handler.__name__ = "put_" + config.kind
    return handler


def get_handler(config: Config):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        document = config.document(ctx, bucket)
        if document is None:
            raise config.not_found(bucket)
        call.set_headers({"Content-Type": "application/xml"})
        return document.encode("utf-8")

    handler.__name__ = "get_" + config.kind
    return handler


def delete_handler(config: Config):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        ctx.store.set_bucket_config(bucket.name, config.kind, None)
        call.request.setResponseCode(204)
        return b""

    handler.__name__ = "delete_" + config.kind
    return handler


def invalid_request(message: str) -> AwsError:
    return AwsError("InvalidRequest", message, 400)


# -- Encryption: SSE-S3 unless told otherwise (every bucket's default since January 2023).


def _check_encryption(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    for rule in values["Rules"]:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        if default is None:
            continue
        if default.get("KMSMasterKeyID") and default["SSEAlgorithm"] == "AES256":
            raise AwsError(
                "InvalidArgument",
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                400,
                {"ArgumentName": "ApplyServerSideEncryptionByDefault"},
            )


ENCRYPTION = Config(
    "encryption",
    "PutBucketEncryption",
    ("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"),
    {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]},
    _check_encryption,
)

# -- Object ownership: BucketOwnerEnforced (ACLs disabled) for new buckets since April 2023.

BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"


def _check_ownership(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    from ruststack.s3 import acls

    if len(values["Rules"]) != 1:
        raise wire.malformed()
    if values["Rules"][0]["ObjectOwnership"] == BUCKET_OWNER_ENFORCED and acls.grants_beyond_owner(ctx, bucket):
        raise acls.acl_with_enforced_ownership()


OWNERSHIP = Config(
    "ownership",
    "PutBucketOwnershipControls",
    ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
    validate=_check_ownership,
)


def object_ownership(ctx: S3Context, bucket: Bucket) -> str | None:
    """
    The bucket's C{ObjectOwnership} setting; C{None} when its controls
    were deleted (ACLs then apply, as for ObjectWriter).
    """
    values = OWNERSHIP.values(ctx, bucket)
    return None if values is None else values["Rules"][0]["ObjectOwnership"]


# -- Public access block: all four on for new buckets since April 2023.

_BLOCK_ALL = {
    name: True for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
}


def _check_public_access_block(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    if not values:
        raise invalid_request("Must specify at least one configuration.")


PUBLIC_ACCESS_BLOCK = Config(
    "public-access-block",
    "PutPublicAccessBlock",
    ("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
    validate=_check_public_access_block,
)

# -- Lifecycle: validated as S3 validates it; applied by ruststack.s3.lifecyclesweep.

MAX_LIFECYCLE_RULES = 1000
_FILTER_PREDICATES = ("Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan")


def _positive(value: int | None, name: str, action: str) -> None:
    if value is not None and value <= 0:
        raise AwsError("InvalidArgument", f"'{name}' for {action} action must be a positive integer", 400)


def _check_lifecycle(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    rules = values["Rules"]
    if not rules or len(rules) > MAX_LIFECYCLE_RULES:
        raise wire.malformed()
    seen: set[str] = set()
    for rule in rules:
        rule_id = rule.get("ID")
        if rule_id is not None:
            if len(rule_id) > 255:
                raise AwsError("InvalidArgument", "ID length should not exceed allowed limit of 255", 400)
            if rule_id in seen:
                raise AwsError("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule", 400)
            seen.add(rule_id)
        rule_filter = rule.get("Filter")
        # A rule names what it applies to by exactly one of Filter and the legacy Prefix.
        if (rule_filter is None) == (rule.get("Prefix") is None):
            raise wire.malformed()
        if rule_filter is not None and sum(1 for name in _FILTER_PREDICATES if name in rule_filter) > 1:
            raise wire.malformed()
        tagged = rule_filter is not None and ("Tag" in rule_filter or "Tags" in rule_filter.get("And", {}))
        actions = (
            "Expiration",
            "Transitions",
            "NoncurrentVersionExpiration",
            "NoncurrentVersionTransitions",
            "AbortIncompleteMultipartUpload",
        )
        if not any(rule.get(name) for name in actions):
            raise invalid_request("At least one action needs to be specified in a rule")
        expiration = rule.get("Expiration")
        if expiration is not None:
            chosen = [name for name in ("Days", "Date", "ExpiredObjectDeleteMarker") if name in expiration]
            if len(chosen) != 1:
                raise wire.malformed()
            _positive(expiration.get("Days"), "Days", "Expiration")
            _midnight(expiration.get("Date"))
            if tagged and "ExpiredObjectDeleteMarker" in expiration:
                raise invalid_request("ExpiredObjectDeleteMarker cannot be specified with object tags")
        for transition in rule.get("Transitions", []):
            if ("Days" in transition) == ("Date" in transition):
                raise wire.malformed()
            _midnight(transition.get("Date"))
            if transition.get("Days", 0) < 0:
                raise AwsError("InvalidArgument", "'Days' in Transition action must be nonnegative", 400)
        noncurrent = rule.get("NoncurrentVersionExpiration")
        if noncurrent is not None:
            _positive(noncurrent.get("NoncurrentDays"), "NoncurrentDays", "NoncurrentVersionExpiration")
        abort = rule.get("AbortIncompleteMultipartUpload")
        if abort is not None:
            if tagged:
                raise invalid_request("AbortIncompleteMultipartUpload cannot be specified with Tags.")
            _positive(abort.get("DaysAfterInitiation"), "DaysAfterInitiation", "AbortIncompleteMultipartUpload")


def _midnight(date: datetime.datetime | None) -> None:
    if date is not None and (date.hour, date.minute, date.second, date.microsecond) != (0, 0, 0, 0):
        raise AwsError("InvalidArgument", "'Date' must be at midnight GMT", 400)


LIFECYCLE = Config(
    "lifecycle",
    "PutBucketLifecycleConfiguration",
    ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    validate=_check_lifecycle,
)


def put_bucket_lifecycle(ctx: S3Context, call: S3Call) -> bytes:
    answer = put_handler(LIFECYCLE)(ctx, call)
    call.set_headers({"x-amz-transition-default-minimum-object-size": "all_storage_classes_128K"})
    return answer


def get_bucket_lifecycle(ctx: S3Context, call: S3Call) -> bytes:
    answer = get_handler(LIFECYCLE)(ctx, call)
    call.set_headers({"x-amz-transition-default-minimum-object-size": "all_storage_classes_128K"})
    return answer


# -- Website: served by ruststack.s3.website.


def _check_website(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    redirect = values.get("RedirectAllRequestsTo")
    if redirect is not None:
        if any(name in values for name in ("IndexDocument", "ErrorDocument", "RoutingRules")):
            raise invalid_request("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.")
        return
    index = values.get("IndexDocument")
    if index is None:
        raise invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            "IndexDocument",
            "null",
        )
    suffix = index["Suffix"]
    if not suffix or "/" in suffix:
        raise invalid_argument("The IndexDocument Suffix is not well formed", "IndexDocument", suffix)


WEBSITE = Config(
    "website",
    "PutBucketWebsite",
    ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
    validate=_check_website,
)

# -- Request payment, accelerate, logging, notification: answered with S3's defaults until put.

REQUEST_PAYMENT = Config("request-payment", "PutBucketRequestPayment", default={"Payer": "BucketOwner"})


def _check_accelerate(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    if "." in bucket.name:
        raise invalid_request("S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")


ACCELERATE = Config("accelerate", "PutBucketAccelerateConfiguration", default={}, validate=_check_accelerate)


def _check_logging(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    enabled = values.get("LoggingEnabled")
    if enabled is None:
        return
    target_name = enabled["TargetBucket"]
    target = ctx.store.get_bucket(target_name)
    if target is None:
        raise AwsError(
            "InvalidTargetBucketForLogging",
            "The target bucket for logging does not exist",
            400,
            {"TargetBucket": target_name},
        )
    if target.account != bucket.account:
        raise AwsError(
            "InvalidTargetBucketForLogging",
            "The owner for the bucket to be logged and the target bucket must be the same.",
            400,
            {"TargetBucket": target_name},
        )


LOGGING = Config("logging", "PutBucketLogging", default={}, validate=_check_logging)

_NOTIFICATION_LISTS = ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations")


def _check_notification(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    seen: set[str] = set()
    for listed in _NOTIFICATION_LISTS:
        for entry in values.get(listed, []):
            entry_id = entry.get("Id")
            if entry_id is not None:
                if entry_id in seen:
                    raise invalid_argument(
                        "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the"
                        " prefixes are overlapping for the same event type.",
                        entry_id,
                        "",
                    )
                seen.add(entry_id)
            for rule in entry.get("Filter", {}).get("Key", {}).get("FilterRules", []):
                if rule.get("Name", "").lower() not in ("prefix", "suffix"):
                    raise invalid_argument(
                        "filter rule name must be either prefix or suffix", "FilterRule", rule.get("Name", "")
                    )
    if ctx.notifier is not None:
        # Filters again, then every destination (ruststack.s3.notifications).
        ctx.notifier.check(bucket, values)


NOTIFICATION = Config("notification", "PutBucketNotificationConfiguration", default={}, validate=_check_notification)

# -- Object lock: only where the bucket was created with it.

_LOCK_ENABLED = {"ObjectLockEnabled": "Enabled"}


def _check_object_lock(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    if ctx.store.bucket_config(bucket.name, "object-lock") is None:
        raise AwsError(
            "InvalidBucketState",
            "Object Lock configuration cannot be enabled on existing buckets",
            409,
            {"BucketName": bucket.name},
        )
    if values.get("ObjectLockEnabled") != "Enabled":
        raise wire.malformed()
    retention = values.get("Rule", {}).get("DefaultRetention")
    if retention is not None:
        periods = [retention[name] for name in ("Days", "Years") if name in retention]
        if "Mode" not in retention or len(periods) != 1:
            raise wire.malformed()
        if periods[0] <= 0:
            raise invalid_argument("Default retention period must be a positive integer value", "Days", str(periods[0]))


OBJECT_LOCK = Config(
    "object-lock",
    "PutObjectLockConfiguration",
    ("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"),
    validate=_check_object_lock,
)

# -- What CreateBucket sets up.

_OWNERSHIP_VALUES = ("BucketOwnerPreferred", "ObjectWriter", BUCKET_OWNER_ENFORCED)


def initial_configs(ctx: S3Context, call: S3Call) -> dict[str, str]:
    """
    The configurations a bucket created by C{call} starts with, by kind:
    its object ownership (C{x-amz-object-ownership}, else
    BucketOwnerEnforced), every public access block on, an ACL from the
    request's ACL headers when ownership allows ACLs and it is not public
    (the block refuses that), and object lock when
    C{x-amz-bucket-object-lock-enabled} asks for it.
    """
    from ruststack.s3 import acls, publicaccess

    ownership = call.headers.get("x-amz-object-ownership", BUCKET_OWNER_ENFORCED)
    if ownership not in _OWNERSHIP_VALUES:
        raise invalid_argument(
            f"Invalid x-amz-object-ownership header: {ownership}", "x-amz-object-ownership", ownership
        )
    found = {
        OWNERSHIP.kind: documents.write(OWNERSHIP.put, {"Rules": [{"ObjectOwnership": ownership}]}),
        PUBLIC_ACCESS_BLOCK.kind: documents.write(PUBLIC_ACCESS_BLOCK.put, _BLOCK_ALL),
    }
    assert call.bucket is not None
    acl = acls.acl_of_headers(call, call.caller.account, call.caller.account, bucket_scope=True)
    if acl is not None:
        if ownership == BUCKET_OWNER_ENFORCED and not acls.owner_only(acl, call.caller.account):
            raise acls.acl_with_enforced_ownership()
        if publicaccess.acl_is_public(acl):
            # The bucket would be born blocking public ACLs (the block above).
            raise AwsError(
                "InvalidBucketAclWithBlockPublicAccessError",
                "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
                400,
            )
        found[acls.BUCKET_ACL] = json.dumps(acl)
    if call.headers.get("x-amz-bucket-object-lock-enabled", "").lower() == "true":
        found[OBJECT_LOCK.kind] = documents.write(OBJECT_LOCK.put, _LOCK_ENABLED)
    return found


# -- Policy status


def get_bucket_policy_status(ctx: S3Context, call: S3Call) -> bytes:
    bucket = ctx.bucket(call)
    if bucket.policy is None:
        raise AwsError("NoSuchBucketPolicy", "The bucket policy does not exist", 404, {"BucketName": bucket.name})
    call.set_headers({"Content-Type": "application/xml"})
    return wire.document("PolicyStatus", [wire.element("IsPublic", policy_is_public(bucket.policy))])


def policy_is_public(document: str) -> bool:
    """
    Whether a bucket policy grants anyone at all (L{ruststack.s3.publicaccess}).
    """
    from ruststack.s3 import publicaccess

    return publicaccess.policy_is_public(document)
