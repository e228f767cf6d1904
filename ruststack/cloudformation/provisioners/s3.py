"""
AWS::S3::Bucket and AWS::S3::BucketPolicy through S3's API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.provisioners.base import (
    Made,
    Provisioner,
    ResourceContext,
    ResourceFailed,
    required,
)


def bucket_attributes(name: str, region: str) -> dict[str, str]:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucket.html#aws-resource-s3-bucket-return-values
    return {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
    }


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """
    A rule of CloudFormation's LifecycleConfiguration as S3's API writes it
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-rule.html).
    """
    out: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if "Id" in rule:
        out["ID"] = rule["Id"]
    tags = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in rule.get("TagFilters", [])]
    sizes = {k: int(rule[k]) for k in ("ObjectSizeGreaterThan", "ObjectSizeLessThan") if k in rule}
    prefix = {"Prefix": rule["Prefix"]} if "Prefix" in rule else {}
    if len(tags) + len(sizes) + len(prefix) > 1:
        out["Filter"] = {"And": {**prefix, **({"Tags": tags} if tags else {}), **sizes}}
    elif tags:
        out["Filter"] = {"Tag": tags[0]}
    else:
        out["Filter"] = {**prefix, **sizes}
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = rule["ExpirationDate"]
    if "ExpiredObjectDeleteMarker" in rule:
        expiration["ExpiredObjectDeleteMarker"] = rule["ExpiredObjectDeleteMarker"] in (True, "true")
    if expiration:
        out["Expiration"] = expiration
    noncurrent = dict(rule.get("NoncurrentVersionExpiration", {}))
    if "NoncurrentVersionExpirationInDays" in rule:
        noncurrent["NoncurrentDays"] = rule["NoncurrentVersionExpirationInDays"]
    if noncurrent:
        out["NoncurrentVersionExpiration"] = {k: int(v) for k, v in noncurrent.items()}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    transitions = [
        {**({"Days": int(t["TransitionInDays"])} if "TransitionInDays" in t else {}),
         **({"Date": t["TransitionDate"]} if "TransitionDate" in t else {}),
         "StorageClass": t["StorageClass"]}
        for t in rule.get("Transitions", [])
    ]  # fmt: skip
    if transitions:
        out["Transitions"] = transitions
    return out


def _encryption(value: Mapping[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in value.get("ServerSideEncryptionConfiguration", []):
        made: dict[str, Any] = {}
        if "ServerSideEncryptionByDefault" in rule:
            made["ApplyServerSideEncryptionByDefault"] = dict(rule["ServerSideEncryptionByDefault"])
        if "BucketKeyEnabled" in rule:
            made["BucketKeyEnabled"] = rule["BucketKeyEnabled"] in (True, "true")
        rules.append(made)
    return {"ServerSideEncryptionConfiguration": {"Rules": rules}}


def _flags(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v in (True, "true") for k, v in value.items()}


# (property, put operation, delete operation, the put's parameters from the property)
_CONFIGURATIONS: list[tuple[str, str, str | None, Any]] = [
    ("VersioningConfiguration", "PutBucketVersioning", None,
     lambda v: {"VersioningConfiguration": {"Status": v["Status"]}}),
    ("BucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption", _encryption),
    ("PublicAccessBlockConfiguration", "PutPublicAccessBlock", "DeletePublicAccessBlock",
     lambda v: {"PublicAccessBlockConfiguration": _flags(v)}),
    ("OwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
     lambda v: {"OwnershipControls": {"Rules": [{"ObjectOwnership": r["ObjectOwnership"]} for r in v["Rules"]]}}),
    ("LifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
     lambda v: {"LifecycleConfiguration": {"Rules": [_lifecycle_rule(r) for r in v.get("Rules", [])]}}),
]  # fmt: skip


class Bucket(Provisioner):
    type_name = "AWS::S3::Bucket"
    replace_on = frozenset({"BucketName", "ObjectLockEnabled"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        name = props.get("BucketName") or ctx.physical_name(63, lower=True)
        params: dict[str, Any] = {"Bucket": name}
        if ctx.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        await ctx.call("s3", "CreateBucket", params)
        await self._configure(ctx, name, {}, props)
        return Made(name, bucket_attributes(name, ctx.region))

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        await self._configure(ctx, current.physical_id, old, new)
        return current

    async def _configure(self, ctx: ResourceContext, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        def changed(key: str) -> bool:
            return old.get(key) != new.get(key)

        # Each configuration through its S3 operation; a property taken out of
        # the template is deleted (versioning can only be suspended, as on S3).
        for key, put, delete, document in _CONFIGURATIONS:
            if changed(key):
                if new.get(key):
                    await ctx.call("s3", put, {"Bucket": name, **document(new[key])})
                elif delete is not None:
                    await ctx.call("s3", delete, {"Bucket": name})
                elif key == "VersioningConfiguration":
                    status = {"Status": "Suspended"}
                    await ctx.call("s3", put, {"Bucket": name, "VersioningConfiguration": status})
        if changed("Tags"):
            if new.get("Tags"):
                tags = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in new["Tags"]]
                await ctx.call("s3", "PutBucketTagging", {"Bucket": name, "Tagging": {"TagSet": tags}})
            else:
                await ctx.call("s3", "DeleteBucketTagging", {"Bucket": name})
        if changed("CorsConfiguration"):
            if new.get("CorsConfiguration"):
                rules = [
                    {
                        key: rule[key]
                        for key in ("AllowedHeaders", "AllowedMethods", "AllowedOrigins", "ExposeHeaders", "ID")
                        if key in rule
                    }
                    | ({"ExposeHeaders": rule["ExposedHeaders"]} if "ExposedHeaders" in rule else {})
                    | ({"MaxAgeSeconds": int(rule["MaxAge"])} if "MaxAge" in rule else {})
                    for rule in new["CorsConfiguration"].get("CorsRules", [])
                ]
                await ctx.call("s3", "PutBucketCors", {"Bucket": name, "CORSConfiguration": {"CORSRules": rules}})
            else:
                await ctx.call("s3", "DeleteBucketCors", {"Bucket": name})
        if changed("WebsiteConfiguration"):
            website = new.get("WebsiteConfiguration")
            if website:
                config: dict[str, Any] = {}
                if "IndexDocument" in website:
                    config["IndexDocument"] = {"Suffix": website["IndexDocument"]}
                if "ErrorDocument" in website:
                    config["ErrorDocument"] = {"Key": website["ErrorDocument"]}
                await ctx.call("s3", "PutBucketWebsite", {"Bucket": name, "WebsiteConfiguration": config})
            else:
                await ctx.call("s3", "DeleteBucketWebsite", {"Bucket": name})

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        try:
            await ctx.call("s3", "DeleteBucket", {"Bucket": current.physical_id})
        except ResourceFailed as e:
            if "NoSuchBucket" not in str(e):
                raise


class BucketPolicy(Provisioner):
    type_name = "AWS::S3::BucketPolicy"
    replace_on = frozenset({"Bucket"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        bucket = required(props, "Bucket", self.type_name)
        document = required(props, "PolicyDocument", self.type_name)
        policy = document if isinstance(document, str) else json.dumps(document)
        await ctx.call("s3", "PutBucketPolicy", {"Bucket": bucket, "Policy": policy})
        return Made(bucket)

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        return await self.create(ctx, new)

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        try:
            await ctx.call("s3", "DeleteBucketPolicy", {"Bucket": current.physical_id})
        except ResourceFailed as e:
            if "NoSuchBucket" not in str(e):
                raise
