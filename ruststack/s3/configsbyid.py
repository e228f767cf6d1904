"""
S3's bucket configurations kept by id: analytics, inventory, metrics and
S3 Intelligent-Tiering, each put, got and deleted by C{?<kind>&id=ID} and
listed a page at a time. A configuration is a document of its Put
operation's shape (L{ruststack.s3.documents}), kept in the store's
C{bucket_configs} as kind C{<kind>/<id>}, so it goes with the bucket, a
reset and C{--data-dir} as the others do.

Stored and returned only: no analytics are computed, no inventory reports
written, no CloudWatch metrics published, no object moved between tiers.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.s3 import documents, wire
from ruststack.s3.call import S3Call, S3Context, invalid_argument

# S3's documented id rule: up to 64 letters, digits, periods, dashes and underscores.
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_CONFIGURATIONS = 1000
PAGE = 100


@attrs.frozen
class ConfigById:
    """
    One kind of configuration by id.

    @ivar kind: its subresource (C{analytics}), the prefix of its kinds in
        the store.
    @ivar put: the S3 operation putting one (whose payload shape it has).
    @ivar result: the root element of its List answer.
    """

    kind: str
    put: str
    result: str

    def store_kind(self, config_id: str) -> str:
        return f"{self.kind}/{config_id}"

    def page(self, ctx: S3Context, bucket: str, after: str, limit: int) -> list[tuple[str, str]]:
        # Every id sorts between "<kind>/" and "<kind>0" ('0' follows '/').
        return ctx.store.bucket_configs_between(bucket, self.store_kind(after), self.kind + "0", limit)


ANALYTICS = ConfigById("analytics", "PutBucketAnalyticsConfiguration", "ListBucketAnalyticsConfigurationResult")
INVENTORY = ConfigById("inventory", "PutBucketInventoryConfiguration", "ListInventoryConfigurationsResult")
METRICS = ConfigById("metrics", "PutBucketMetricsConfiguration", "ListMetricsConfigurationsResult")
INTELLIGENT_TIERING = ConfigById(
    "intelligent-tiering",
    "PutBucketIntelligentTieringConfiguration",
    "ListBucketIntelligentTieringConfigurationsOutput",
)


def valid_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def _id_of(call: S3Call) -> str:
    config_id = call.query.get("id", "")
    if not valid_id(config_id):
        raise invalid_argument("Invalid id", "id", config_id)
    return config_id


def no_such_configuration() -> AwsError:
    return AwsError("NoSuchConfiguration", "The specified configuration does not exist.", 404)


def _check(config: ConfigById, config_id: str, values: dict[str, Any]) -> None:
    if values["Id"] != config_id:
        raise AwsError("IdMismatch", "Document ID does not match the specified configuration ID.", 400)
    if config is INVENTORY:
        bucket = values["Destination"]["S3BucketDestination"]["Bucket"]
        if not bucket.startswith("arn:") or bucket.count(":") < 5 or not bucket.split(":", 5)[5]:
            raise AwsError("InvalidS3DestinationBucket", "Invalid bucket ARN.", 400)


def put_handler(config: ConfigById):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        config_id = _id_of(call)
        values = documents.read(config.put, call.body())
        _check(config, config_id, values)
        kind = config.store_kind(config_id)
        if ctx.store.bucket_config(bucket.name, kind) is None:
            held = len(config.page(ctx, bucket.name, "", MAX_CONFIGURATIONS))
            if held >= MAX_CONFIGURATIONS:
                raise AwsError(
                    "TooManyConfigurations",
                    "You are attempting to create a new configuration but have already reached the"
                    " 1,000-configuration limit.",
                    400,
                )
        ctx.store.set_bucket_config(bucket.name, kind, documents.write(config.put, values))
        return b""

    handler.__name__ = f"put_{config.kind}_configuration"
    return handler


def get_handler(config: ConfigById):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        document = ctx.store.bucket_config(bucket.name, config.store_kind(_id_of(call)))
        if document is None:
            raise no_such_configuration()
        call.set_headers({"Content-Type": "application/xml"})
        return document.encode("utf-8")

    handler.__name__ = f"get_{config.kind}_configuration"
    return handler


def delete_handler(config: ConfigById):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        kind = config.store_kind(_id_of(call))
        if ctx.store.bucket_config(bucket.name, kind) is None:
            raise no_such_configuration()
        ctx.store.set_bucket_config(bucket.name, kind, None)
        call.request.setResponseCode(204)
        return b""

    handler.__name__ = f"delete_{config.kind}_configuration"
    return handler


def encode_token(config_id: str) -> str:
    """
    The opaque ContinuationToken that resumes a listing after C{config_id}.
    """
    return base64.urlsafe_b64encode(b"1/" + config_id.encode("ascii")).decode("ascii")


def decode_token(token: str) -> str:
    """
    The id a token of L{encode_token} resumes after; InvalidArgument for
    anything else.
    """
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raw = ""
    version, _, config_id = raw.partition("/")
    if version != "1" or not valid_id(config_id) or encode_token(config_id) != token:
        raise invalid_argument("The continuation token provided is incorrect", "continuation-token", token)
    return config_id


def _inner(document: str) -> str:
    # A kept document is a whole XML document; in a list it is one element.
    body = document.split("?>", 1)[1].lstrip("\n")
    return body.replace(f' xmlns="{wire.NAMESPACE}"', "", 1)


def list_handler(config: ConfigById):
    def handler(ctx: S3Context, call: S3Call) -> bytes:
        bucket = ctx.bucket(call)
        token = call.query.get("continuation-token")
        after = "" if token is None else decode_token(token)
        found = config.page(ctx, bucket.name, after, PAGE + 1)
        page, truncated = found[:PAGE], len(found) > PAGE
        parts = [wire.element("IsTruncated", truncated), wire.optional("ContinuationToken", token)]
        parts += [_inner(document) for _, document in page]
        if truncated:
            parts.append(wire.element("NextContinuationToken", encode_token(page[-1][0].split("/", 1)[1])))
        call.set_headers({"Content-Type": "application/xml"})
        return wire.document(config.result, parts)

    handler.__name__ = f"list_{config.kind}_configurations"
    return handler


def handlers() -> dict[str, Any]:
    """
    The sixteen operations, by name, for L{ruststack.s3.operations.HANDLERS}.
    """
    table: dict[str, Any] = {}
    for config, name in (
        (ANALYTICS, "AnalyticsConfiguration"),
        (INVENTORY, "InventoryConfiguration"),
        (METRICS, "MetricsConfiguration"),
        (INTELLIGENT_TIERING, "IntelligentTieringConfiguration"),
    ):
        table[f"PutBucket{name}"] = put_handler(config)
        table[f"GetBucket{name}"] = get_handler(config)
        table[f"DeleteBucket{name}"] = delete_handler(config)
        table[f"ListBucket{name}s"] = list_handler(config)
    return table
