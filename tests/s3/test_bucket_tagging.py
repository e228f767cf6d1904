"""
PutBucketTagging, GetBucketTagging, DeleteBucketTagging over a real socket,
and the tag set parser's property test.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3.buckettags import MAX_BUCKET_TAGS, parse_tag_set
from tests.s3.conftest import client


def _error(raised) -> tuple[int, str, str]:
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_put_get_delete(s3, bucket):
    tags = [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": ""}, {"Key": "ü name", "Value": "v <&>"}]
    answer = s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    # A put replaces the whole set.
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "c", "Value": "3"}]
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _error(raised) == (404, "NoSuchTagSet", "The TagSet does not exist")


def test_tags_go_with_the_bucket(s3):
    s3.create_bucket(Bucket="tagged-then-gone")
    s3.put_bucket_tagging(Bucket="tagged-then-gone", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_bucket(Bucket="tagged-then-gone")
    s3.create_bucket(Bucket="tagged-then-gone")
    with pytest.raises(ClientError) as raised:
        s3.get_bucket_tagging(Bucket="tagged-then-gone")
    assert _error(raised)[1] == "NoSuchTagSet"


@pytest.mark.parametrize(
    "tags, expected",
    [
        (
            [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
            (400, "InvalidTag", "Cannot provide multiple Tags with the same key"),
        ),
        (
            [{"Key": "aws:cloudformation:stack-name", "Value": "x"}],
            (400, "InvalidTag", "System tags cannot be added/updated by requester"),
        ),
        ([{"Key": "k" * 129, "Value": "x"}], (400, "InvalidTag", "The TagKey you have provided is invalid")),
        ([{"Key": "k", "Value": "v" * 257}], (400, "InvalidTag", "The TagValue you have provided is invalid")),
        (
            [{"Key": f"k{i}", "Value": "v"} for i in range(MAX_BUCKET_TAGS + 1)],
            (400, "BadRequest", "Bucket tag count cannot be greater than 50"),
        ),
    ],
)
def test_bad_tag_sets(s3, bucket, tags, expected):
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert _error(raised) == expected


def test_another_account_is_refused(stack, bucket):
    other = client(stack.endpoint_url, aws_access_key_id="222222222222")
    with pytest.raises(ClientError) as raised:
        other.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert _error(raised)[:2] == (403, "AccessDenied")


@given(st.binary(max_size=200) | st.lists(st.tuples(st.text(max_size=140), st.text(max_size=260)), max_size=55))
def test_any_body_is_a_tag_set_or_aws_error(value):
    if isinstance(value, bytes):
        body = value
    else:
        from xml.sax.saxutils import escape

        body = (
            "<Tagging><TagSet>"
            + "".join(f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in value)
            + "</TagSet></Tagging>"
        ).encode("utf-8", "surrogatepass")
    try:
        tags = parse_tag_set(body)
    except AwsError as e:
        assert e.status == 400 and e.code in {"InvalidTag", "BadRequest", "MalformedXML"}
    else:
        assert len(tags) <= MAX_BUCKET_TAGS and len({k for k, _ in tags}) == len(tags)
        assert all(0 < len(k) <= 128 and len(v) <= 256 and not k.lower().startswith("aws:") for k, v in tags)
