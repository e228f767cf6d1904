"""
Function code packages: checking a deployment zip, unpacking it safely, and
the digest Lambda reports as C{CodeSha256}.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
import zipfile

from ruststack.aws.errors import AwsError

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_ZIPPED_UPLOAD = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024


def bad_zip(detail: str = "") -> AwsError:
    message = "Could not unzip uploaded file. Please check your file, then try to upload again."
    return AwsError("InvalidParameterValueException", message + (f" ({detail})" if detail else ""), 400)


def code_sha256(data: bytes) -> str:
    """
    C{CodeSha256}: the base64 of the package's SHA-256.
    """
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def check_zip(data: bytes) -> int:
    """
    Check that C{data} is a zip Lambda would accept: readable, within the
    size limits, and with no member that would land outside the task root
    (zip slip) or that is a symbolic link pointing out of it. Return the
    unzipped size; raise L{AwsError} C{InvalidParameterValueException}.
    """
    if len(data) > MAX_ZIPPED_UPLOAD:
        raise AwsError(
            "RequestEntityTooLargeException",
            f"Request must be smaller than {MAX_ZIPPED_UPLOAD} bytes for the CreateFunction operation",
            413,
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise bad_zip(str(e)) from None
    total = 0
    for member in members:
        _safe_target("/task", member.filename)
        if _is_symlink(member):
            target = archive.read(member).decode("utf-8", "replace")
            link_dir = os.path.dirname(_safe_target("/task", member.filename))
            _inside("/task", os.path.normpath(os.path.join(link_dir, target)), member.filename)
        total += member.file_size
    if total > MAX_UNZIPPED:
        raise AwsError(
            "InvalidParameterValueException",
            f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes",
            400,
        )
    return total


def unpack(data: bytes, folder: str) -> None:
    """
    Extract a zip already accepted by L{check_zip} into C{folder}, keeping
    executable bits and (safe) symbolic links. Blocking: run it in a thread.
    """
    os.makedirs(folder, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            target = _safe_target(folder, member.filename)
            if member.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if _is_symlink(member):
                link = archive.read(member).decode("utf-8")
                _inside(folder, os.path.normpath(os.path.join(os.path.dirname(target), link)), member.filename)
                os.symlink(link, target)
                continue
            with archive.open(member) as source, open(target, "wb") as sink:
                while chunk := source.read(1 << 16):
                    sink.write(chunk)
            mode = (member.external_attr >> 16) & 0o777
            os.chmod(target, 0o755 if mode & 0o111 else 0o644)


def _is_symlink(member: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(member.external_attr >> 16)


def _safe_target(root: str, name: str) -> str:
    if "\x00" in name or os.path.isabs(name) or name.startswith("\\"):
        raise bad_zip(f"refused member {name!r}")
    target = os.path.normpath(os.path.join(root, name))
    _inside(root, target, name)
    return target


def _inside(root: str, path: str, name: str) -> None:
    root = os.path.normpath(root)
    if path != root and not path.startswith(root + os.sep):
        raise bad_zip(f"member {name!r} points outside the package")
