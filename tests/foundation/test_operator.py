"""
On a shared box (--auth verify), resetting RustStack is an operator's act;
health stays open but tells nothing of any tenant.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from ruststack.testing import RustStackProcess, signed_headers

DEV = ("AKIADEV", "dev-secret")
OPS = ("AKIAOPS", "ops-secret")


@pytest.fixture(scope="module")
def shared_box(tmp_path_factory):
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(
        f"[dev]\naws_access_key_id = {DEV[0]}\naws_secret_access_key = {DEV[1]}\naws_account_id = 111122223333\n"
        f"[ops]\naws_access_key_id = {OPS[0]}\naws_secret_access_key = {OPS[1]}\nruststack_operator = true\n"
    )
    stack = RustStackProcess.start("--services", "s3", "--auth", "verify", "--credentials-file", str(credentials))
    try:
        yield stack
    finally:
        stack.stop()


def post_reset(stack, credentials=None) -> int:
    url = stack.endpoint_url + "/_ruststack/reset"
    headers = signed_headers("POST", url, credentials, stack.region) if credentials else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST", headers=headers), timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        assert json.load(error)["error"]
        return error.code


def buckets(stack) -> list[str]:
    s3 = stack.client("s3", aws_access_key_id=DEV[0], aws_secret_access_key=DEV[1])
    return [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize(
    "credentials",
    [None, DEV, (OPS[0], "wrong-secret"), ("AKIAUNKNOWN", "x")],
    ids=["unsigned", "tenant", "bad", "unknown"],
)
def test_only_an_operator_resets(shared_box, credentials):
    s3 = shared_box.client("s3", aws_access_key_id=DEV[0], aws_secret_access_key=DEV[1])
    s3.create_bucket(Bucket="keep-me")
    assert post_reset(shared_box, credentials) == 403
    assert buckets(shared_box) == ["keep-me"]
    assert post_reset(shared_box, OPS) == 200
    assert buckets(shared_box) == []


def test_the_test_helper_resets_as_an_operator(shared_box):
    shared_box.client("s3", aws_access_key_id=DEV[0], aws_secret_access_key=DEV[1]).create_bucket(Bucket="gone")
    shared_box.reset("s3", operator=OPS)
    assert buckets(shared_box) == []


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_signs_a_reset_as_the_readme_shows(shared_box):
    shared_box.client("s3", aws_access_key_id=DEV[0], aws_secret_access_key=DEV[1]).create_bucket(Bucket="curled")
    status = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
         "--aws-sigv4", "aws:amz:us-east-1:ruststack", "--user", f"{OPS[0]}:{OPS[1]}",
         shared_box.endpoint_url + "/_ruststack/reset"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    assert status == "200"
    assert buckets(shared_box) == []


def test_health_is_open_and_names_no_tenant_data(shared_box):
    shared_box.client("s3", aws_access_key_id=DEV[0], aws_secret_access_key=DEV[1]).create_bucket(Bucket="tenant-data")
    with urllib.request.urlopen(shared_box.endpoint_url + "/_ruststack/health", timeout=10) as answer:
        text = answer.read().decode()
    assert json.loads(text)["services"]["s3"] == {"state": "running"}
    assert "tenant-data" not in text and "111122223333" not in text and DEV[0] not in text
