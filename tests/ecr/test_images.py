"""
The image operations of a repository that never holds an image (there is
no registry to push to): empty lists, and each image asked for not found,
in ECR's shapes.
"""

from __future__ import annotations

from tests.ecr.conftest import ACCOUNT
from tests.ssm.conftest import refused

DIGEST = "sha256:" + "ab" * 32


def test_listing_and_describing_an_empty_repository(ecr):
    ecr.create_repository(repositoryName="app")
    assert ecr.list_images(repositoryName="app")["imageIds"] == []
    assert ecr.list_images(repositoryName="app", filter={"tagStatus": "TAGGED"})["imageIds"] == []
    assert ecr.describe_images(repositoryName="app")["imageDetails"] == []
    assert refused(ecr.describe_images, repositoryName="app", imageIds=[{"imageTag": "latest"}]) == (
        "ImageNotFoundException",
        400,
        "The image with imageId {imageDigest:'null', imageTag:'latest'} does not exist within the repository with"
        f" name 'app' in the registry with id '{ACCOUNT}'",
    )


def test_batch_operations_report_each_image_as_a_failure(ecr):
    ecr.create_repository(repositoryName="app")
    ids = [{"imageTag": "latest"}, {"imageDigest": DIGEST}, {"imageDigest": "not-a-digest"}, {}]
    failures = [
        {
            "imageId": {"imageTag": "latest"},
            "failureCode": "ImageNotFound",
            "failureReason": "Requested image not found",
        },
        {
            "imageId": {"imageDigest": DIGEST},
            "failureCode": "ImageNotFound",
            "failureReason": "Requested image not found",
        },
        {
            "imageId": {"imageDigest": "not-a-digest"},
            "failureCode": "InvalidImageDigest",
            "failureReason": "Invalid request parameters: image digest should satisfy the regex"
            " '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        },
        {
            "imageId": {},
            "failureCode": "MissingDigestAndTag",
            "failureReason": "Invalid request parameters: both tag and digest cannot be null",
        },
    ]
    got = ecr.batch_get_image(repositoryName="app", imageIds=ids)
    assert (got["images"], got["failures"]) == ([], failures)
    deleted = ecr.batch_delete_image(repositoryName="app", imageIds=ids)
    assert (deleted["imageIds"], deleted["failures"]) == ([], failures)


def test_a_repository_that_is_not_there(ecr):
    message = f"The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'"
    for call, more in [
        (ecr.list_images, {}),
        (ecr.describe_images, {}),
        (ecr.batch_get_image, {"imageIds": [{"imageTag": "latest"}]}),
        (ecr.batch_delete_image, {"imageIds": [{"imageTag": "latest"}]}),
    ]:
        assert refused(call, repositoryName="nope", **more) == ("RepositoryNotFoundException", 400, message)


def test_too_many_image_ids(ecr):
    ecr.create_repository(repositoryName="app")
    ids = [{"imageTag": f"t{i}"} for i in range(101)]
    assert refused(ecr.batch_delete_image, repositoryName="app", imageIds=ids) == (
        "InvalidParameterException",
        400,
        "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal"
        " to 100'",
    )
