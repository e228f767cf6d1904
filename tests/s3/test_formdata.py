"""
The POST Object form reader (L{ruststack.s3.formdata}) on its own: forms
read back whole however the body arrives in pieces, and hostile bodies
refused with its two errors only.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.s3 import formdata

_NAMES = st.text("abcdefghijklmnopqrstuvwxyz-_", min_size=1, max_size=12).filter(lambda name: name != "file")
_VALUES = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


class _Trickle(io.BytesIO):
    """
    A body that arrives at most C{step} bytes per read.
    """

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__(data)
        self.step = step

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.step)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    # Where the property tests' files would spool (theirs stay in memory).
    return str(tmp_path_factory.mktemp("spool"))


def encode(fields: list[tuple[str, str]], file: bytes | None, boundary: bytes, after: bytes = b"") -> bytes:
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name.encode(), value.encode())
        for name, value in fields
    ]
    if file is not None:
        parts.append(
            b'--%s\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (boundary, file)
        )
    return b"".join(parts) + after + b"--%s--\r\n" % boundary


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(st.tuples(_NAMES, _VALUES), max_size=6),
    file=st.binary(max_size=3000) | st.sampled_from([b"\r\n--", b"--b0undary", b"\r\n--b0undar", b"\r\n\r\n"]),
    step=st.integers(1, 64),
)
def test_a_form_reads_back_whole_however_it_arrives(folder, fields, file, step):
    boundary = b"b0undary"
    # Fields after the file are ignored, as S3 ignores them.
    late = b'--b0undary\r\nContent-Disposition: form-data; name="late"\r\n\r\nx\r\n'
    body = encode(fields, file, boundary, after=late)
    form = formdata.read_form(_Trickle(body, step), boundary, folder, "CRC32")
    assert form.fields == fields
    assert form.filename == "a.bin" and form.file_type == "application/octet-stream"
    assert form.file is not None and form.file.size == len(file) and form.file.data == file
    assert form.file.md5 == hashlib.md5(file).digest() and "CRC32" in form.file.checksums


def test_a_large_file_is_spooled_to_disk(tmp_path):
    file = bytes(range(256)) * 8192  # 2 MiB: past the spool's memory and the reader's chunk
    body = encode([("key", "big")], file, b"XyZ")
    form = formdata.read_form(io.BytesIO(body), b"XyZ", str(tmp_path))
    assert form.file is not None and form.file.data is None and form.file.path is not None
    with open(form.file.path, "rb") as spooled:
        assert spooled.read() == file


def test_a_form_without_a_file_has_its_fields_only(tmp_path):
    form = formdata.read_form(io.BytesIO(encode([("key", "k")], None, b"bb")), b"bb", str(tmp_path))
    assert (form.fields, form.file) == ([("key", "k")], None)


def test_fields_before_the_file_are_bounded(tmp_path):
    body = encode([("key", "x" * (formdata.MAX_FIELDS + 1))], b"data", b"bb")
    with pytest.raises(formdata.FieldsTooLarge):
        formdata.read_form(io.BytesIO(body), b"bb", str(tmp_path))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"--bb",
        b"--bbX",
        b"--bb\r\nno colon here\r\n\r\nvalue\r\n--bb--",
        b'--bb\r\nContent-Disposition: attachment; name="k"\r\n\r\nv\r\n--bb--',
        b"--bb\r\nContent-Disposition: form-data\r\n\r\nv\r\n--bb--",
        b'--bb\r\nContent-Disposition: form-data; name="k"\r\n\r\n\xff\xfe\r\n--bb--',
        b'--bb\r\nContent-Disposition: form-data; name="file"\r\n\r\nunterminated',
    ],
)
def test_malformed_forms(tmp_path, body):
    with pytest.raises(formdata.MalformedForm):
        formdata.read_form(io.BytesIO(body), b"bb", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=400), step=st.integers(1, 50))
def test_hostile_bodies_get_the_readers_errors_only(folder, body, step):
    try:
        formdata.read_form(_Trickle(b"--bb\r\n" + body, step), b"bb", folder)
    except (formdata.MalformedForm, formdata.FieldsTooLarge):
        pass


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/form-data; boundary=abc", b"abc"),
        ('multipart/form-data; charset=utf-8; boundary="a b:c"', b"a b:c"),
        ("Multipart/Form-Data;Boundary=x", b"x"),
        ("multipart/form-data", None),
        ("multipart/mixed; boundary=abc", None),
        ("application/x-www-form-urlencoded", None),
    ],
)
def test_boundary_of(content_type, boundary):
    assert formdata.boundary_of(content_type) == boundary
