"""
POST Object over real sockets: forms prepared by boto3's
generate_presigned_post and posted with requests, as a browser would post
them, answered and stored as S3 does; policies and signatures enforced.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs, urlsplit

import requests

from tests.s3.conftest import client


def _post(post: dict, content: bytes = b"picture", extra: dict[str, str] | None = None) -> requests.Response:
    fields = {**post["fields"], **(extra or {})}
    return requests.post(post["url"], data=fields, files={"file": ("cat.png", content)}, timeout=30)


def _etag(content: bytes) -> str:
    return f'"{hashlib.md5(content).hexdigest()}"'


def _error(response: requests.Response) -> dict[str, str]:
    root = ElementTree.fromstring(response.content)
    return {child.tag: child.text or "" for child in root}


def test_a_presigned_post_stores_the_file_with_its_fields(s3, bucket):
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"Content-Type": "image/png", "x-amz-meta-owner": "alice", "success_action_status": "201"},
        Conditions=[
            {"Content-Type": "image/png"},
            {"x-amz-meta-owner": "alice"},
            {"success_action_status": "201"},
            ["content-length-range", 1, 1000],
        ],
    )
    response = _post(post)
    assert response.status_code == 201, response.text
    answer = ElementTree.fromstring(response.content)
    etag = _etag(b"picture")
    assert answer.tag == "PostResponse"  # no namespace, as S3 writes it
    assert (answer.findtext("Bucket"), answer.findtext("Key"), answer.findtext("ETag")) == (
        bucket,
        "uploads/cat.png",
        etag,
    )
    assert answer.findtext("Location") == f"{post['url']}/uploads/cat.png"
    assert (response.headers["ETag"], response.headers["Location"]) == (etag, answer.findtext("Location"))
    stored = s3.get_object(Bucket=bucket, Key="uploads/cat.png")
    assert stored["Body"].read() == b"picture"
    assert (stored["ContentType"], stored["Metadata"], stored["ETag"]) == ("image/png", {"owner": "alice"}, etag)


def test_answers_as_the_form_asks(s3, bucket):
    post = s3.generate_presigned_post(bucket, "k", Conditions=[["starts-with", "$success_action_status", ""]])
    # starts-with is not for success_action_status: S3 takes it as a failed condition.
    refused = _post(post, extra={"success_action_status": "200"})
    assert (refused.status_code, _error(refused)["Code"]) == (403, "AccessDenied")
    post = s3.generate_presigned_post(bucket, "k")
    plain = _post(post)
    assert (plain.status_code, plain.content) == (204, b"")
    assert plain.headers["Location"] == f"{post['url']}/k"
    post = s3.generate_presigned_post(
        bucket,
        "k",
        Fields={"success_action_redirect": "http://app.example/done?x=1"},
        Conditions=[{"success_action_redirect": "http://app.example/done?x=1"}],
    )
    redirected = requests.post(
        post["url"], data=post["fields"], files={"file": ("f", b"v2")}, allow_redirects=False, timeout=30
    )
    assert redirected.status_code == 303
    target = urlsplit(redirected.headers["Location"])
    assert (target.netloc, target.path) == ("app.example", "/done")
    assert parse_qs(target.query) == {
        "x": ["1"],
        "bucket": [bucket],
        "key": ["k"],
        "etag": [_etag(b"v2")],
    }
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v2"


def test_a_large_file_streams_through(s3, bucket):
    content = bytes(range(256)) * 12288  # 3 MiB, with every byte value, boundary-like runs included
    post = s3.generate_presigned_post(bucket, "big")
    response = _post(post, content)
    assert response.status_code == 204, response.text
    stored = s3.get_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert stored["Body"].read() == content
    assert stored["ETag"] == _etag(content)
    assert "ChecksumCRC64NVME" in stored


def test_a_versioned_bucket_answers_the_version(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    response = _post(s3.generate_presigned_post(bucket, "v"))
    version = response.headers["x-amz-version-id"]
    assert s3.head_object(Bucket=bucket, Key="v")["VersionId"] == version


def test_the_policy_is_enforced(s3, bucket):
    post = s3.generate_presigned_post(
        bucket, "user/${filename}", Conditions=[["starts-with", "$key", "user/"], ["content-length-range", 2, 10]]
    )
    cases = [
        (_post(post, b"x" * 11), 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
        (_post(post, b"x"), 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"),
        (
            _post(post, extra={"key": "other/f"}),
            403,
            "AccessDenied",
            'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/"]',
        ),
        (
            _post(post, extra={"x-amz-meta-extra": "1"}),
            403,
            "AccessDenied",
            "Invalid according to Policy: Extra input fields: x-amz-meta-extra",
        ),
        (
            _post(s3.generate_presigned_post(bucket, "late", ExpiresIn=-60)),
            403,
            "AccessDenied",
            "Invalid according to Policy: Policy expired.",
        ),
    ]
    for response, status, code, message in cases:
        assert (response.status_code, _error(response)["Code"], _error(response)["Message"]) == (status, code, message)
    assert _error(cases[0][0])["ProposedSize"] == "11" and _error(cases[0][0])["MaxSizeAllowed"] == "10"
    # Another bucket's form does not fit this one.
    other = s3.generate_presigned_post(bucket + "-x", "user/f")
    elsewhere = requests.post(post["url"], data=other["fields"], files={"file": ("f", b"abc")}, timeout=30)
    assert _error(elsewhere)["Message"].startswith("Invalid according to Policy: Policy Condition failed:")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_forms_s3_cannot_take(s3, bucket, stack):
    post = s3.generate_presigned_post(bucket, "k")
    without_key = {name: value for name, value in post["fields"].items() if name != "key"}
    response = requests.post(post["url"], data=without_key, files={"file": ("f", b"v")}, timeout=30)
    assert (response.status_code, _error(response)["Code"], _error(response)["ArgumentName"]) == (
        400,
        "InvalidArgument",
        "key",
    )
    assert _error(response)["Message"] == (
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."
    )
    no_file = requests.post(
        post["url"], files={name: (None, value) for name, value in post["fields"].items()}, timeout=30
    )
    assert (no_file.status_code, _error(no_file)["Message"]) == (
        400,
        "POST requires exactly one file upload per request.",
    )
    form_type = {"Content-Type": "multipart/form-data; boundary=xx"}
    broken = requests.post(post["url"], data=b"--xx\r\nnot a part", headers=form_type, timeout=30)
    assert (broken.status_code, _error(broken)["Code"]) == (400, "MalformedPOSTRequest")
    padded = {**post["fields"], "x-ignore-pad": "p" * 30000}
    huge = requests.post(post["url"], data=padded, files={"file": ("f", b"v")}, timeout=30)
    assert (huge.status_code, _error(huge)["Code"], _error(huge)["MaxPostPreDataLengthBytes"]) == (
        400,
        "MaxPostPreDataLengthExceeded",
        "20480",
    )
    assert _error(huge)["Message"] == "Your POST request fields preceeding the upload file was too large."
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_signatures_are_checked_when_verifying(verifying_stack):
    s3 = client(verifying_stack.endpoint_url)
    s3.create_bucket(Bucket="signed-posts")
    assert _post(s3.generate_presigned_post("signed-posts", "ok")).status_code == 204
    forged = client(verifying_stack.endpoint_url, aws_secret_access_key="wrong")
    response = _post(forged.generate_presigned_post("signed-posts", "forged"))
    assert (response.status_code, _error(response)["Code"]) == (403, "SignatureDoesNotMatch")
    stranger = client(verifying_stack.endpoint_url, aws_access_key_id="AKIASTRANGER")
    response = _post(stranger.generate_presigned_post("signed-posts", "stranger"))
    assert (response.status_code, _error(response)["Code"]) == (403, "InvalidAccessKeyId")
    # Without a policy, the form is anonymous: refused as anyone's write is.
    url = s3.generate_presigned_post("signed-posts", "x")["url"]
    anonymous = requests.post(url, data={"key": "anon"}, files={"file": ("f", b"v")}, timeout=30)
    assert (anonymous.status_code, _error(anonymous)["Code"]) == (403, "AccessDenied")
    # Unsigned requests are anonymous: a form to an object's URL is no operation (as signed), a DeleteObjects refused.
    for target, form, refused in ((url + "/anon", True, (501, "NotImplemented")), (url + "?delete", False, None)):
        sent = requests.post(target, data={"key": "anon"}, files={"file": ("f", b"v")} if form else None, timeout=30)
        assert (sent.status_code, _error(sent)["Code"]) == (refused or (403, "AccessDenied")), sent.text
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="signed-posts")["Contents"]] == ["ok"]


def test_a_form_to_a_bucket_that_does_not_exist(s3):
    post = s3.generate_presigned_post("no-such-bucket-for-posts", "k")
    response = _post(post)
    assert (response.status_code, _error(response)["Code"]) == (404, "NoSuchBucket")


def test_a_form_to_the_buckets_own_host(s3, bucket):
    # Virtual-host style (glibc does not resolve *.localhost: the Host header names it).
    post = s3.generate_presigned_post(bucket, "hosted")
    netloc = urlsplit(post["url"]).netloc
    host = f"{bucket}.localhost:{netloc.rsplit(':', 1)[1]}"
    response = requests.post(
        f"http://{netloc}/", data=post["fields"], files={"file": ("f", b"h")}, headers={"Host": host}, timeout=30
    )
    assert response.status_code == 204, response.text
    assert response.headers["Location"] == f"http://{host}/hosted"
    assert s3.get_object(Bucket=bucket, Key="hosted")["Body"].read() == b"h"
