"""
The suite-wide check of tests/conftest.py: an answer a client reads over its
endpoint must carry its output shape's required members.
"""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.awsrequest import AWSResponse

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'


class _Raw(io.BytesIO):
    def stream(self, amt: int = 1024, decode_content: bool = True):  # urllib3's face, as botocore reads it
        while chunk := self.read(amt):
            yield chunk


def get_tagging(body: bytes, status: int = 200) -> dict:
    """
    GetObjectTagging through a real boto3 client, answered with C{body}
    instead of being sent (botocore's C{before-send} hook).
    """
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        endpoint_url="http://127.0.0.1:9",
    )
    answer = AWSResponse("http://127.0.0.1:9/b/k?tagging", status, {}, _Raw(body))
    client.meta.events.register("before-send.s3.GetObjectTagging", lambda **_: answer)
    return client.get_object_tagging(Bucket="b", Key="k")


def test_an_answer_without_a_required_member_fails_the_test_that_reads_it():
    with pytest.raises(AssertionError, match=r"GetObjectTaggingOutput\.TagSet"):
        get_tagging(HEAD + b"</Tagging>")


def test_required_members_at_every_depth():
    with pytest.raises(AssertionError, match=r"TagSet\[\]\.Value"):
        get_tagging(HEAD + b"<TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")
    assert get_tagging(HEAD + b"<TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>")["TagSet"]


def test_errors_are_not_output_shapes():
    with pytest.raises(Exception, match="NoSuchKey"):
        get_tagging(b"<Error><Code>NoSuchKey</Code></Error>", status=404)
