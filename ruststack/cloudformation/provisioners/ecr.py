"""
AWS::ECR::Repository through ECR's API: the repository (CreateRepository
with its settings and tags), then its lifecycle and repository policies;
an update changes in place what ECR can change, a new name or encryption
replaces it; a delete removes it (ECR here never holds an image, so
EmptyOnDelete has nothing to empty). Recorded only where RustStack does
not run ECR.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.provisioners.base import Made, Provisioner, ResourceContext, ResourceFailed, boolean
from ruststack.cloudformation.provisioners.others import _gone_if_missing, not_running


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tags(props: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in props.get("Tags") or []}


def _lifecycle(props: Mapping[str, Any]) -> str | None:
    policy = props.get("LifecyclePolicy") or {}
    text = policy.get("LifecyclePolicyText")
    return _document(text) if text else None


def _repository_policy(props: Mapping[str, Any]) -> str | None:
    text = props.get("RepositoryPolicyText")
    return _document(text) if text else None


def _scanning(props: Mapping[str, Any]) -> dict[str, bool]:
    return {"scanOnPush": boolean((props.get("ImageScanningConfiguration") or {}).get("ScanOnPush", False))}


def _exclusions(props: Mapping[str, Any]) -> list[dict[str, str]] | None:
    filters = props.get("ImageTagMutabilityExclusionFilters")
    if not filters:
        return None
    return [
        {
            "filterType": f["ImageTagMutabilityExclusionFilterType"],
            "filter": f["ImageTagMutabilityExclusionFilterValue"],
        }
        for f in filters
    ]


class Repository(Provisioner):
    type_name = "AWS::ECR::Repository"
    replace_on = frozenset({"RepositoryName", "EncryptionConfiguration"})

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        # CloudFormation's names for repositories are lower case, as ECR's must be.
        name = props.get("RepositoryName") or ctx.physical_name(256, lower=True)
        arn = f"arn:{ctx.partition}:ecr:{ctx.region}:{ctx.account}:repository/{name}"
        uri = f"{ctx.account}.dkr.ecr.{ctx.region}.amazonaws.com/{name}"
        if "ecr" not in ctx.running:
            return Made(name, {"Arn": arn, "RepositoryUri": uri}, not_running("ECR"))
        params: dict[str, Any] = {
            "repositoryName": name,
            "imageTagMutability": props.get("ImageTagMutability", "MUTABLE"),
            "imageScanningConfiguration": _scanning(props),
        }
        exclusions = _exclusions(props)
        if exclusions:
            params["imageTagMutabilityExclusionFilters"] = exclusions
        encryption = props.get("EncryptionConfiguration")
        if encryption:
            params["encryptionConfiguration"] = {
                "encryptionType": encryption.get("EncryptionType", "AES256"),
                **({"kmsKey": encryption["KmsKey"]} if encryption.get("KmsKey") else {}),
            }
        tags = _tags(props)
        if tags:
            params["tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
        made = (await ctx.call("ecr", "CreateRepository", params))["repository"]
        try:
            await self._policies(ctx, name, {}, props)
        except ResourceFailed:
            # A resource that failed to be made leaves nothing behind.
            await _gone_if_missing(ctx, "ecr", "DeleteRepository", {"repositoryName": name, "force": True})
            raise
        return Made(name, {"Arn": made["repositoryArn"], "RepositoryUri": made["repositoryUri"]})

    async def _policies(self, ctx: ResourceContext, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        repository = {"repositoryName": name}
        lifecycle, was = _lifecycle(new), _lifecycle(old)
        if lifecycle is not None and lifecycle != was:
            await ctx.call("ecr", "PutLifecyclePolicy", {**repository, "lifecyclePolicyText": lifecycle})
        elif lifecycle is None and was is not None:
            await _gone_if_missing(ctx, "ecr", "DeleteLifecyclePolicy", repository)
        policy, was = _repository_policy(new), _repository_policy(old)
        if policy is not None and policy != was:
            await ctx.call("ecr", "SetRepositoryPolicy", {**repository, "policyText": policy})
        elif policy is None and was is not None:
            await _gone_if_missing(ctx, "ecr", "DeleteRepositoryPolicy", repository)

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        if current.note is not None:
            return current
        name = current.physical_id
        repository = {"repositoryName": name}
        mutability = (new.get("ImageTagMutability", "MUTABLE"), _exclusions(new))
        if mutability != (old.get("ImageTagMutability", "MUTABLE"), _exclusions(old)):
            params = {**repository, "imageTagMutability": mutability[0]}
            if mutability[1]:
                params["imageTagMutabilityExclusionFilters"] = mutability[1]
            await ctx.call("ecr", "PutImageTagMutability", params)
        if _scanning(new) != _scanning(old):
            await ctx.call(
                "ecr", "PutImageScanningConfiguration", {**repository, "imageScanningConfiguration": _scanning(new)}
            )
        await self._policies(ctx, name, old, new)
        old_tags, new_tags = _tags(old), _tags(new)
        arn = current.attributes["Arn"]
        gone = sorted(old_tags.keys() - new_tags.keys())
        if gone:
            await ctx.call("ecr", "UntagResource", {"resourceArn": arn, "tagKeys": gone})
        changed = [{"Key": k, "Value": v} for k, v in new_tags.items() if old_tags.get(k) != v]
        if changed:
            await ctx.call("ecr", "TagResource", {"resourceArn": arn, "tags": changed})
        return current

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        if current.note is not None:
            return
        # force: EmptyOnDelete's meaning; without it a repository with images
        # would stay (here there never are any).
        params = {"repositoryName": current.physical_id, "force": boolean(props.get("EmptyOnDelete", False))}
        await _gone_if_missing(ctx, "ecr", "DeleteRepository", params)
