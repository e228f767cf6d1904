"""
Numbers in query strings and headers are ASCII digits: "²" is a digit to
Python's str.isdigit but not to int(), and must be refused as S3 refuses a
bad number (400), never answered with a 500.
"""

from __future__ import annotations

import pytest


def _rewriting(s3, event: str, old: str, new: str):
    def rewrite(request, **_):
        request.url = request.url.replace(old, new)

    s3.meta.events.register(f"before-sign.s3.{event}", rewrite)
    return rewrite


@pytest.mark.parametrize(
    ("operation", "old", "new"),
    [
        ("ListParts", "max-parts=5", "max-parts=%C2%B2"),
        ("ListParts", "part-number-marker=1", "part-number-marker=%C2%B2"),
        ("GetObject", "partNumber=1", "partNumber=%C2%B2"),
    ],
)
def test_a_superscript_digit_is_a_bad_number(s3, bucket, operation, old, new):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    rewrite = _rewriting(s3, operation, old, new)
    try:
        with pytest.raises(s3.exceptions.ClientError) as raised:
            if operation == "ListParts":
                s3.list_parts(Bucket=bucket, Key="m", UploadId=upload, MaxParts=5, PartNumberMarker=1)
            else:
                s3.get_object(Bucket=bucket, Key="k", PartNumber=1)
    finally:
        s3.meta.events.unregister(f"before-sign.s3.{operation}", rewrite)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"
