"""
ECR's repositories on the service contract: one handler per operation of
botocore's C{ecr} model that RustStack has, C{async def op(call, params)
-> output}; an operation of the model without one answers 501
C{NotImplemented}.

There is no registry behind the API: a repository never holds an image,
so the image operations answer as ECR does for an empty repository. Every
handler reads and changes its caller's account in its caller's region
only; a C{registryId} naming another account names a registry the caller
sees nothing of (RustStack does not evaluate repository policies).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.ecr import policies
from ruststack.ecr.repositories import Repository, repository_arn
from ruststack.ecr.validation import PROTOCOL, invalid_parameter
from ruststack.protocol import Handler
from ruststack.service_resource import AccountCall

__all__ = ["HANDLERS", "PROTOCOL", "context_of"]

# DescribeRepositories' page when maxResults is not given (its API reference).
_PAGE = 100
_MAX_TAGS = 50
_ARN = re.compile(r"arn:aws[\w-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository/(.+)")
# What BatchGetImage and BatchDeleteImage take for a digest (their failure's words).
_DIGEST = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")


# The store keeps its resources by account and region.
Call = AccountCall
context_of = AccountCall.context_of


# Errors


def repository_not_found(name: str, registry: str) -> AwsError:
    return PROTOCOL.modeled_error(
        "RepositoryNotFoundException",
        f"The repository with name '{name}' does not exist in the registry with id '{registry}'",
    )


def _registry(call: Call, params: dict[str, Any]) -> str:
    return params.get("registryId") or call.account


def _repository(call: Call, params: dict[str, Any]) -> Repository:
    """
    The repository C{params} name, in the registry they name.
    """
    name, registry = params["repositoryName"], _registry(call, params)
    found = call.find(name) if registry == call.account else None
    if found is None:
        raise repository_not_found(name, registry)
    return found


def _named(repository: Repository, **more: Any) -> dict[str, Any]:
    return {"registryId": repository.account, "repositoryName": repository.name, **more}


# Tags


def _tags(tags: Iterable[dict[str, str]], kept: dict[str, str] | None = None) -> dict[str, str]:
    found = dict(kept or {})
    found.update((tag["Key"], tag["Value"]) for tag in tags)
    if len(found) > _MAX_TAGS:
        raise PROTOCOL.modeled_error(
            "TooManyTagsException",
            "The list of tags on the repository is over the limit."
            f" The maximum number of tags that can be applied to a repository is {_MAX_TAGS}.",
        )
    return found


def _tagged(call: Call, arn: str) -> Repository:
    parsed = _ARN.fullmatch(arn)
    if parsed is None:
        raise invalid_parameter("resourceArn", "Invalid ARN")
    region, account, name = parsed.groups()
    found = call.find(name) if (region, account) == (call.region, call.account) else None
    if found is None:
        raise repository_not_found(name, account)
    return found


async def tag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _tagged(call, params["resourceArn"])
    repository.tags = _tags(params["tags"], repository.tags)
    call.store.put(repository)
    return {}


async def untag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _tagged(call, params["resourceArn"])
    repository.tags = {key: value for key, value in repository.tags.items() if key not in params["tagKeys"]}
    call.store.put(repository)
    return {}


async def list_tags_for_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _tagged(call, params["resourceArn"])
    return {"tags": [{"Key": key, "Value": value} for key, value in repository.tags.items()]}


# Repositories


async def create_repository(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, registry = params["repositoryName"], _registry(call, params)
    if registry != call.account:
        # No one may make a repository in another account's registry.
        raise AwsError(
            "AccessDeniedException",
            f"User: arn:aws:iam::{call.account}:root is not authorized to perform: ecr:CreateRepository"
            f" on resource: {repository_arn(registry, call.region, name)}",
            400,
        )
    if call.find(name) is not None:
        raise PROTOCOL.modeled_error(
            "RepositoryAlreadyExistsException",
            f"The repository with name '{name}' already exists in the registry with id '{call.account}'",
        )
    repository = Repository(call.account, call.region, name, tags=_tags(params.get("tags") or ()))
    repository.tag_mutability = params.get("imageTagMutability", repository.tag_mutability)
    repository.mutability_exclusions = params.get("imageTagMutabilityExclusionFilters")
    # Stored as given; a KMS key is never asked for anything.
    repository.scanning = {**repository.scanning, **params.get("imageScanningConfiguration", {})}
    repository.encryption = params.get("encryptionConfiguration", repository.encryption)
    call.store.put(repository)
    return {"repository": repository.shape()}


def _token(last: str) -> str:
    return base64.urlsafe_b64encode(last.encode("utf-8")).decode("ascii")


def _after(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_parameter("nextToken", "Invalid pagination token") from None


async def describe_repositories(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    registry = _registry(call, params)
    names = params.get("repositoryNames")
    if names:
        # Each named repository, once, in the order named; the first missing one refuses all.
        named = (_repository(call, {**params, "repositoryName": name}) for name in dict.fromkeys(names))
        return {"repositories": [repository.shape() for repository in named]}
    repositories = call.store.repositories(call.account, call.region) if registry == call.account else {}
    after = _after(params.get("nextToken"))
    size = params.get("maxResults", _PAGE)
    chosen = [name for name in sorted(repositories) if after is None or name > after]
    body: dict[str, Any] = {"repositories": [repositories[name].shape() for name in chosen[:size]]}
    if len(chosen) > size:
        body["nextToken"] = _token(chosen[size - 1])
    return body


async def delete_repository(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    # A repository never holds an image here: it always deletes, force or not.
    repository = _repository(call, params)
    call.store.remove(repository)
    return {"repository": repository.shape()}


async def put_image_scanning_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    repository.scanning = {"scanOnPush": False, **params["imageScanningConfiguration"]}
    call.store.put(repository)
    return _named(repository, imageScanningConfiguration=repository.scanning)


async def put_image_tag_mutability(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    repository.tag_mutability = params["imageTagMutability"]
    repository.mutability_exclusions = params.get("imageTagMutabilityExclusionFilters")
    call.store.put(repository)
    answer = _named(repository, imageTagMutability=repository.tag_mutability)
    if repository.mutability_exclusions:
        answer["imageTagMutabilityExclusionFilters"] = repository.mutability_exclusions
    return answer


# Images: there never are any.


def _image_failure(image_id: dict[str, str]) -> dict[str, Any]:
    """
    Why an image C{image_id} names is not in a repository without images.
    """
    if "imageDigest" not in image_id and "imageTag" not in image_id:
        code, reason = "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"
    elif "imageDigest" in image_id and _DIGEST.fullmatch(image_id["imageDigest"]) is None:
        code = "InvalidImageDigest"
        reason = "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
    else:
        code, reason = "ImageNotFound", "Requested image not found"
    return {"imageId": image_id, "failureCode": code, "failureReason": reason}


async def list_images(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _repository(call, params)
    return {"imageIds": []}


async def describe_images(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    for image_id in params.get("imageIds") or ():
        digest, tag = image_id.get("imageDigest", "null"), image_id.get("imageTag", "null")
        shown = f"{{imageDigest:'{digest}', imageTag:'{tag}'}}"
        raise PROTOCOL.modeled_error(
            "ImageNotFoundException",
            f"The image with imageId {shown} does not exist within the repository with name"
            f" '{repository.name}' in the registry with id '{repository.account}'",
        )
    return {"imageDetails": []}


async def batch_get_image(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _repository(call, params)
    return {"images": [], "failures": [_image_failure(image_id) for image_id in params["imageIds"]]}


async def batch_delete_image(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    _repository(call, params)
    return {"imageIds": [], "failures": [_image_failure(image_id) for image_id in params["imageIds"]]}


# Lifecycle policies: stored, never run (there is nothing to expire).


def _no_lifecycle_policy(repository: Repository) -> AwsError:
    return PROTOCOL.modeled_error(
        "LifecyclePolicyNotFoundException",
        f"Lifecycle policy does not exist for the repository with name '{repository.name}'"
        f" in the registry with id '{repository.account}'",
    )


async def put_lifecycle_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    text = params["lifecyclePolicyText"]
    try:
        policies.check_lifecycle(text)
    except policies.InvalidPolicy as e:
        raise policies.lifecycle_refusal(e.reason) from None
    repository.lifecycle_policy = text
    call.store.put(repository)
    return _named(repository, lifecyclePolicyText=text)


async def get_lifecycle_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    if repository.lifecycle_policy is None:
        raise _no_lifecycle_policy(repository)
    # No lastEvaluatedAt: the policy is never evaluated.
    return _named(repository, lifecyclePolicyText=repository.lifecycle_policy)


async def delete_lifecycle_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    text = repository.lifecycle_policy
    if text is None:
        raise _no_lifecycle_policy(repository)
    repository.lifecycle_policy = None
    call.store.put(repository)
    return _named(repository, lifecyclePolicyText=text)


# Repository policies: stored, never evaluated.


def _no_repository_policy(repository: Repository) -> AwsError:
    return PROTOCOL.modeled_error(
        "RepositoryPolicyNotFoundException",
        f"Repository policy does not exist for the repository with name '{repository.name}'"
        f" in the registry with id '{repository.account}'",
    )


async def set_repository_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    text = params["policyText"]
    try:
        policies.check_repository_policy(text)
    except policies.InvalidPolicy as e:
        raise policies.repository_policy_refusal(e.reason) from None
    repository.policy = text
    call.store.put(repository)
    return _named(repository, policyText=text)


async def get_repository_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    if repository.policy is None:
        raise _no_repository_policy(repository)
    return _named(repository, policyText=repository.policy)


async def delete_repository_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(call, params)
    text = repository.policy
    if text is None:
        raise _no_repository_policy(repository)
    repository.policy = None
    call.store.put(repository)
    return _named(repository, policyText=text)


HANDLERS: dict[str, Handler] = {
    "CreateRepository": create_repository,
    "DescribeRepositories": describe_repositories,
    "DeleteRepository": delete_repository,
    "PutImageScanningConfiguration": put_image_scanning_configuration,
    "PutImageTagMutability": put_image_tag_mutability,
    "ListImages": list_images,
    "DescribeImages": describe_images,
    "BatchGetImage": batch_get_image,
    "BatchDeleteImage": batch_delete_image,
    "PutLifecyclePolicy": put_lifecycle_policy,
    "GetLifecyclePolicy": get_lifecycle_policy,
    "DeleteLifecyclePolicy": delete_lifecycle_policy,
    "SetRepositoryPolicy": set_repository_policy,
    "GetRepositoryPolicy": get_repository_policy,
    "DeleteRepositoryPolicy": delete_repository_policy,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
