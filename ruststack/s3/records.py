"""
The values the store keeps: buckets, objects, multipart uploads and parts.
"""

from __future__ import annotations

import json

import attrs


@attrs.frozen
class Bucket:
    """
    @ivar account: the owner, the account that created it.
    @ivar policy: its bucket policy document (checked when it was put).
    """

    name: str
    account: str
    region: str
    created: float
    policy: str | None = None


@attrs.frozen
class ObjectMeta:
    """
    What S3 stores with an object besides its bytes.

    @ivar headers: the stored representation headers (lower case names:
        content-type, content-encoding, content-disposition,
        content-language, cache-control, expires).
    @ivar user: C{x-amz-meta-*} values by their lower case name, prefix
        removed.
    @ivar checksum: C{(algorithm, base64 value, type)} where type is
        C{FULL_OBJECT} or C{COMPOSITE}, or C{None}.
    @ivar parts: the part count of an object made by a multipart upload.
    @ivar part_sizes: the sizes of those parts (GetObject's C{partNumber}).
    @ivar part_checksums: their base64 checksums (of the upload's
        algorithm; C{""} for a part that has none), for GetObject by
        C{partNumber} and GetObjectAttributes.
    @ivar acl: its access control list (C{Owner} and C{Grants}, as
        GetObjectAcl answers it), or C{None}: the bucket owner's full
        control. Each version has its own, as in S3.
    @ivar sse: its server-side encryption when not plain SSE-S3
        (L{ruststack.s3.encryption.of_write}).
    """

    headers: dict[str, str] = attrs.field(factory=dict)
    user: dict[str, str] = attrs.field(factory=dict)
    checksum: tuple[str, str, str] | None = attrs.field(default=None, converter=lambda v: tuple(v) if v else None)
    tags: dict[str, str] = attrs.field(factory=dict)
    parts: int | None = None
    storage_class: str = "STANDARD"
    part_sizes: list[int] = attrs.field(factory=list)
    part_checksums: list[str] = attrs.field(factory=list)
    acl: dict | None = None
    sse: dict | None = None

    def to_json(self) -> str:
        # By hand: attrs.asdict costs more than the rest of a small PUT.
        fields = {
            "headers": self.headers,
            "user": self.user,
            "checksum": self.checksum,
            "tags": self.tags,
            "parts": self.parts,
            "storage_class": self.storage_class,
            "part_sizes": self.part_sizes,
            "part_checksums": self.part_checksums,
        }
        # Rare: written only when there is one.
        if self.acl is not None:
            fields["acl"] = self.acl
        if self.sse is not None:
            fields["sse"] = self.sse
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ObjectMeta:
        return cls(**json.loads(text))


@attrs.frozen
class ObjectRecord:
    """
    An object as the index knows it. Its bytes are C{inline} (small
    objects) or in the store's file C{file}.

    @ivar version_id: its version id (C{None}: the null version).
    """

    bucket: str
    key: str
    size: int
    etag: str
    last_modified: float
    meta: ObjectMeta
    inline: bytes | None = None
    file: str | None = None
    version_id: str | None = None

    def as_version(self, version_id: str | None) -> ObjectRecord:
        """
        This object as the version C{version_id}, made on every versioned
        write (attrs.evolve, which looks the fields up, costs twice as much).
        """
        return ObjectRecord(
            self.bucket,
            self.key,
            self.size,
            self.etag,
            self.last_modified,
            self.meta,
            self.inline,
            self.file,
            version_id,
        )


@attrs.frozen
class Staged:
    """
    A body received and hashed, not yet part of the store: C{data} when it
    stayed in memory, else the temporary file C{path}.

    @ivar checksums: base64 flexible checksums computed over it, by algorithm.
    """

    size: int
    md5: bytes
    data: bytes | None = None
    path: str | None = None
    checksums: dict[str, str] = attrs.field(factory=dict)

    @property
    def etag(self) -> str:
        return f'"{self.md5.hex()}"'


@attrs.frozen
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    account: str
    meta: ObjectMeta
    checksum_algorithm: str | None = None
    checksum_type: str | None = None
    # The Object Lock and ACL CreateMultipartUpload asked for (JSON, see
    # ruststack.s3.objectlock and ruststack.s3.acls), which the completed object gets.
    object_lock: str | None = None
    acl: str | None = None


@attrs.frozen
class Part:
    number: int
    size: int
    etag: str
    last_modified: float
    checksum: str | None = None
    inline: bytes | None = None
    file: str | None = None
