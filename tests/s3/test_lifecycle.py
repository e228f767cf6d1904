"""
Lifecycle rules applied, over real sockets with boto3, on a RustStack whose
lifecycle day lasts one second (C{--s3-lifecycle-day-seconds 1}):
expiration, noncurrent versions, delete markers, aborted uploads, the
C{x-amz-expiration} header, persistence and reset.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ruststack.testing import RustStackProcess
from tests.stacks import ruststack_fixture

fast_days = ruststack_fixture("--services", "s3", "--s3-lifecycle-day-seconds", "1")
# A day lasts 1 s, so an object with Days=1 goes within 2 s (the next "midnight").
_PATIENCE = 6.0


@pytest.fixture(scope="module")
def s3(fast_days):
    return fast_days.client("s3")


@pytest.fixture
def bucket(s3, request) -> str:
    name = f"life-{request.node.name[5:30].replace('_', '-').lower()}-{time.monotonic_ns() % 10**6}"
    s3.create_bucket(Bucket=name)
    return name


def eventually(check: Callable[[], bool], patience: float = _PATIENCE) -> bool:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def keys(s3, bucket: str) -> list[str]:
    return [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def rule(rule_id: str, selector: dict | None = None, **actions) -> dict:
    return {"ID": rule_id, "Status": "Enabled", "Filter": selector if selector is not None else {}, **actions}


def configure(s3, bucket: str, *rules: dict) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)})


def test_objects_expire_by_prefix_tag_and_size(s3, bucket):
    configure(
        s3,
        bucket,
        rule("tmp", {"Prefix": "tmp/"}, Expiration={"Days": 1}),
        rule("tagged", {"Tag": {"Key": "expire", "Value": "yes"}}, Expiration={"Days": 1}),
        rule(
            "big-logs",
            {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 4, "Tags": [{"Key": "k", "Value": "v"}]}},
            Expiration={"Days": 1},
        ),
        {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": "keep/"}, "Expiration": {"Days": 1}},
    )
    s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="keep/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="t", Body=b"a", Tagging="expire=yes")
    s3.put_object(Bucket=bucket, Key="u", Body=b"a", Tagging="expire=no")
    s3.put_object(Bucket=bucket, Key="logs/big", Body=b"12345", Tagging="k=v")
    s3.put_object(Bucket=bucket, Key="logs/small", Body=b"1234", Tagging="k=v")
    assert eventually(lambda: keys(s3, bucket) == ["keep/a", "logs/small", "u"])
    time.sleep(1.5)
    assert keys(s3, bucket) == ["keep/a", "logs/small", "u"]


def test_expiration_header_on_put_head_and_get(s3, bucket):
    configure(s3, bucket, rule("a-rule", {"Prefix": "x"}, Expiration={"Days": 3}))
    put = s3.put_object(Bucket=bucket, Key="x1", Body=b"a")
    head = s3.head_object(Bucket=bucket, Key="x1")
    got = s3.get_object(Bucket=bucket, Key="x1")
    assert put["Expiration"] == head["Expiration"] == got["Expiration"]
    assert put["Expiration"].startswith('expiry-date="') and put["Expiration"].endswith(' GMT", rule-id="a-rule"')
    assert "Expiration" not in s3.put_object(Bucket=bucket, Key="y1", Body=b"a")


def test_expiration_by_a_past_date(s3, bucket):
    configure(s3, bucket, rule("d", Expiration={"Date": "2020-01-01T00:00:00Z"}))
    s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    assert eventually(lambda: keys(s3, bucket) == [])


def test_versioned_expiration_makes_delete_markers_and_old_versions_go(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    configure(
        s3,
        bucket,
        rule("current", {"Prefix": "c/"}, Expiration={"Days": 1}),
        rule("old", {"Prefix": "n/"}, NoncurrentVersionExpiration={"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}),
        rule("markers", {"Prefix": "m/"}, Expiration={"ExpiredObjectDeleteMarker": True}),
    )
    s3.put_object(Bucket=bucket, Key="c/a", Body=b"a")
    for body in (b"1", b"2", b"3"):
        s3.put_object(Bucket=bucket, Key="n/a", Body=body)
    s3.put_object(Bucket=bucket, Key="m/a", Body=b"a")
    s3.delete_object(Bucket=bucket, Key="m/a")  # a marker over a version: not expired
    s3.delete_object(Bucket=bucket, Key="m/b")  # a lone marker: expired

    def listed(prefix: str) -> list[tuple[str, bool]]:
        answer = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
        entries = [(v["LastModified"], "object", v["IsLatest"]) for v in answer.get("Versions", [])]
        entries += [(m["LastModified"], "marker", m["IsLatest"]) for m in answer.get("DeleteMarkers", [])]
        return [(kind, latest) for _, kind, latest in sorted(entries, key=lambda e: (not e[2], e[0]))]

    assert eventually(lambda: listed("c/") == [("marker", True), ("object", False)])
    assert eventually(lambda: len(listed("n/")) == 2)
    assert s3.get_object(Bucket=bucket, Key="n/a")["Body"].read() == b"3"
    assert eventually(lambda: listed("m/b") == [])
    assert listed("m/a") == [("marker", True), ("object", False)]


def test_incomplete_multipart_uploads_are_aborted(s3, bucket):
    configure(s3, bucket, rule("mp", {"Prefix": "up/"}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1}))
    gone = s3.create_multipart_upload(Bucket=bucket, Key="up/a")["UploadId"]
    kept = s3.create_multipart_upload(Bucket=bucket, Key="other")["UploadId"]

    def uploads() -> set[str]:
        return {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}

    assert eventually(lambda: uploads() == {kept})
    assert gone not in uploads()


def test_lifecycle_applies_after_a_restart_and_not_after_a_reset(tmp_path):
    data_dir = str(tmp_path / "data")
    options = ("--services", "s3", "--data-dir", data_dir, "--s3-lifecycle-day-seconds", "3")
    first = RustStackProcess.start(*options)
    try:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="durable-life")
        configure(s3, "durable-life", rule("all", Expiration={"Days": 1}))
        s3.put_object(Bucket="durable-life", Key="a", Body=b"a")
    finally:
        first.stop()
    second = RustStackProcess.start(*options)
    try:
        s3 = second.client("s3")
        assert eventually(lambda: keys(s3, "durable-life") == [], patience=10)
        second.reset("s3")
        s3.create_bucket(Bucket="durable-life")
        s3.put_object(Bucket="durable-life", Key="b", Body=b"b")
        time.sleep(7)
        assert keys(s3, "durable-life") == ["b"]
    finally:
        second.stop()
