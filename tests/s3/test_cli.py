"""
The AWS CLI against RustStack's S3: `aws s3 cp` of a 100 MiB file
(multipart), `aws s3 sync` of a folder, and a few s3api calls.
"""

from __future__ import annotations

import hashlib
import json
import os

from tests.cli import needs_cli, run_aws

pytestmark = needs_cli


def aws(stack, *args: str) -> str:
    return run_aws(stack.endpoint_url, *args, timeout=300).stdout


def digest(path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_cp_100_mib(stack, tmp_path):
    aws(stack, "s3", "mb", "s3://cli-cp")
    source = tmp_path / "big.bin"
    with open(source, "wb") as f:
        for i in range(100):
            f.write(hashlib.sha256(str(i).encode()).digest() * (1024 * 1024 // 32))
    aws(stack, "s3", "cp", str(source), "s3://cli-cp/big.bin")
    head = json.loads(aws(stack, "s3api", "head-object", "--bucket", "cli-cp", "--key", "big.bin"))
    assert head["ContentLength"] == 100 * 1024 * 1024
    assert head["ETag"].endswith('-13"')  # the CLI's 8 MiB parts
    target = tmp_path / "back.bin"
    aws(stack, "s3", "cp", "s3://cli-cp/big.bin", str(target))
    assert digest(target) == digest(source)


def test_sync_folder(stack, tmp_path):
    aws(stack, "s3", "mb", "s3://cli-sync")
    folder = tmp_path / "site"
    files = {
        "index.html": b"<h1>hi</h1>",
        "css/site.css": b"body{}",
        "img/a b.png": os.urandom(70_000),
        "deep/x/y/z.txt": b"z",
    }
    for name, body in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    aws(stack, "s3", "sync", str(folder), "s3://cli-sync/site")
    listed = aws(stack, "s3", "ls", "--recursive", "s3://cli-sync/")
    for name in files:
        assert f"site/{name}" in listed
    # A second sync uploads nothing; a changed file goes up again.
    assert aws(stack, "s3", "sync", str(folder), "s3://cli-sync/site").strip() == ""
    (folder / "index.html").write_bytes(b"<h1>changed</h1>")
    assert "index.html" in aws(stack, "s3", "sync", str(folder), "s3://cli-sync/site")
    back = tmp_path / "back"
    aws(stack, "s3", "sync", "s3://cli-sync/site", str(back))
    for name, body in files.items():
        expected = b"<h1>changed</h1>" if name == "index.html" else body
        assert (back / name).read_bytes() == expected
    aws(stack, "s3", "rb", "--force", "s3://cli-sync")
    assert "cli-sync" not in aws(stack, "s3", "ls")
