"""
Deployment packages: what is accepted, what is refused, how it is unpacked.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest

from ruststack.aws.errors import AwsError
from ruststack.awslambda import code


def package(*members: tuple[str, bytes, int | None]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def test_unpack_keeps_folders_exec_bits_and_inner_symlinks(tmp_path):
    data = package(
        ("app.py", b"def handler(e, c): pass\n", 0o644),
        ("pkg/__init__.py", b"", None),
        ("bin/tool", b"#!/bin/sh\n", stat.S_IFREG | 0o755),
        ("pkg/alias.py", b"../app.py", stat.S_IFLNK | 0o777),
    )
    assert code.check_zip(data) == len(b"def handler(e, c): pass\n") + len(b"#!/bin/sh\n") + len(b"../app.py")
    code.unpack(data, str(tmp_path / "task"))
    assert (tmp_path / "task" / "app.py").read_bytes().startswith(b"def handler")
    assert os.access(tmp_path / "task" / "bin" / "tool", os.X_OK)
    assert not os.access(tmp_path / "task" / "app.py", os.X_OK)
    assert os.readlink(tmp_path / "task" / "pkg" / "alias.py") == "../app.py"
    assert (tmp_path / "task" / "pkg" / "alias.py").read_bytes() == (tmp_path / "task" / "app.py").read_bytes()


@pytest.mark.parametrize(
    "member",
    [
        ("../outside.py", b"x", None),
        ("a/../../outside.py", b"x", None),
        ("/abs.py", b"x", None),
        ("link", b"../..", stat.S_IFLNK | 0o777),
        ("dir/link", b"/etc", stat.S_IFLNK | 0o777),
    ],
)
def test_escapes_are_refused(member, tmp_path):
    data = package(("app.py", b"", None), member)
    with pytest.raises(AwsError) as raised:
        code.check_zip(data)
    assert raised.value.code == "InvalidParameterValueException"
    with pytest.raises(AwsError):
        code.unpack(data, str(tmp_path / "task"))
    assert not (tmp_path / "outside.py").exists()


def test_not_a_zip():
    with pytest.raises(AwsError) as raised:
        code.check_zip(b"PK\x03\x04 truncated")
    assert raised.value.message.startswith("Could not unzip uploaded file.")


def test_code_sha256_is_base64_of_the_digest():
    assert code.code_sha256(b"") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
