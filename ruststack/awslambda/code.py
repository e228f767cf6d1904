"""
Function code packages: checking a deployment zip, unpacking it safely, and
the digest Lambda reports as C{CodeSha256}.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
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
    (zip slip), whether by its name or through symbolic links, its own or
    others' (L{resolve}). Return the unzipped size; raise L{AwsError}
    C{InvalidParameterValueException}. Parses the whole central directory:
    run it off the reactor for large packages.
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
        links = {_path(member.filename): _link_target(archive, member) for member in members if _is_symlink(member)}
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError) as e:
        raise bad_zip(str(e)) from None
    check_members([member.filename for member in members if not _is_symlink(member)], links)
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED:
        raise AwsError(
            "InvalidParameterValueException",
            f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes",
            400,
        )
    return total


def check_members(names: list[str], links: dict[str, str]) -> None:
    """
    Refuse (L{bad_zip}) a package whose files and folders C{names} and
    symbolic links C{links} (normalised name -> target) would put anything
    outside the task root: a name that leaves it, a link that resolves
    outside it (through any chain of links), or a member stored beneath a
    link (which would be written through it) or in its place.
    """
    for name in names:
        parts = _path(name).split("/")
        for depth in range(1, len(parts) + 1):
            if "/".join(parts[:depth]) in links:
                raise bad_zip(f"member {name!r} is beneath or in place of a symbolic link")
    for name in links:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in links:
                raise bad_zip(f"member {name!r} is beneath a symbolic link")
    for name, target in links.items():
        if target.startswith("/") or "\x00" in target:
            raise bad_zip(f"member {name!r} points outside the package")
        resolve(links, name.split("/")[:-1] + target.split("/"), name)


def resolve(links: dict[str, str], parts: list[str], name: str) -> list[str]:
    """
    The path C{parts} (relative to the task root) once every link of
    C{links} on the way is followed, as the kernel would once they exist;
    L{bad_zip} if it leaves the root at any step or loops.
    """
    resolved: list[str] = []
    pending = list(parts)
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                raise bad_zip(f"member {name!r} points outside the package")
            resolved.pop()
            continue
        resolved.append(part)
        target = links.get("/".join(resolved))
        if target is None:
            continue
        hops += 1
        # The kernel gives up after 40 links (ELOOP).
        if hops > 40 or target.startswith("/"):
            raise bad_zip(f"member {name!r} points outside the package")
        resolved.pop()
        pending[:0] = target.split("/")
    return resolved


def unpack(data: bytes, folder: str) -> None:
    """
    Extract a zip already accepted by L{check_zip} into C{folder}, keeping
    executable bits and (safe) symbolic links. Links are made last, so that
    nothing is ever written through one, and each is checked again against
    the real tree. On any failure C{folder} is removed. Blocking: run it in
    a thread.
    """
    try:
        _unpack(data, folder)
    except BaseException as e:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(e, (zipfile.BadZipFile, EOFError, NotImplementedError, UnicodeDecodeError)):
            raise bad_zip(str(e)) from None
        if isinstance(e, (NotADirectoryError, IsADirectoryError, FileExistsError)):
            # Two members of one name, a file and a folder.
            raise bad_zip(f"{e.strerror}: {os.path.relpath(e.filename or folder, folder)}") from None
        raise


def _unpack(data: bytes, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    root = os.path.realpath(folder)
    links: list[tuple[str, str, str]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            target = _safe_target(root, member.filename)
            if _is_symlink(member):
                links.append((member.filename, target, _link_target(archive, member)))
                continue
            if member.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            # O_NOFOLLOW: never over a link (none exists yet, but be sure).
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
            with archive.open(member) as source, os.fdopen(os.open(target, flags, 0o644), "wb") as sink:
                while chunk := source.read(1 << 16):
                    sink.write(chunk)
            mode = (member.external_attr >> 16) & 0o777
            os.chmod(target, 0o755 if mode & 0o111 else 0o644, follow_symlinks=False)
    for name, target, link in links:
        parent = os.path.dirname(target)
        # Never made through another link (whose target could be anywhere).
        if _through_link(root, parent):
            raise bad_zip(f"member {name!r} is beneath a symbolic link")
        os.makedirs(parent, exist_ok=True)
        try:
            os.symlink(link, target)
        except FileExistsError:
            raise bad_zip(f"member {name!r} is both a link and a file or folder") from None
    for name, target, _ in links:
        _inside(root, os.path.realpath(target), name)


def _through_link(root: str, path: str) -> bool:
    # Whether a folder between root and path (included) is a link.
    while path != root and path.startswith(root + os.sep):
        if os.path.islink(path):
            return True
        path = os.path.dirname(path)
    return False


def _is_symlink(member: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(member.external_attr >> 16)


def _link_target(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> str:
    if member.file_size > 4096:
        raise bad_zip(f"member {member.filename!r} is a symbolic link of {member.file_size} bytes")
    return archive.read(member).decode("utf-8")


def _path(name: str) -> str:
    # The member's path relative to the root, normalised: "a/./b/" -> "a/b".
    return os.path.relpath(_safe_target("/task", name), "/task")


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
