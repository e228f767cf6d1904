"""
The body of an upload as it streams in: aws-chunked decoded, hashed (MD5,
the flexible checksums it announces, SHA-256 when the signature covers the
payload) and spooled, so that by the time the request is rendered the body
is checked and ready to commit without a second pass over its bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Mapping

from ruststack.aws.errors import AwsError
from ruststack.s3 import checksums
from ruststack.s3.chunked import AwsChunkedDecoder, ChunkedEncodingError
from ruststack.s3.records import Staged
from ruststack.s3.spool import Spool

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html
MAX_PUT_SIZE = 5 * 1024**3
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_aws_chunked(headers: Mapping[str, str]) -> bool:
    return headers.get("x-amz-content-sha256", "").startswith("STREAMING-") or "aws-chunked" in headers.get(
        "content-encoding", ""
    )


def announced_algorithms(headers: Mapping[str, str]) -> set[str]:
    """
    The flexible checksums a request carries or promises in a trailer.
    """
    found = set()
    for name in headers:
        algorithm = checksums.algorithm_of_header(name)
        if algorithm:
            found.add(algorithm)
    for name in headers.get("x-amz-trailer", "").split(","):
        algorithm = checksums.algorithm_of_header(name.strip().lower())
        if algorithm:
            found.add(algorithm)
    for name in ("x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"):
        if headers.get(name, "").upper() in checksums.ALGORITHMS:
            found.add(headers[name].upper())
    return found


class UploadSink:
    """
    A writable file-like object that twisted.web writes a request body into
    (see L{ruststack.interfaces.IBodySink}).
    """

    def __init__(self, headers: Mapping[str, str], folder: str) -> None:
        self.headers = headers
        self._spool = Spool(folder)
        self._md5 = hashlib.md5()
        # S3 gives every new object a checksum: CRC64NVME unless the client
        # chose another (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
        algorithms = announced_algorithms(headers) or {"CRC64NVME"}
        self._hashers = {algorithm: checksums.new_hasher(algorithm) for algorithm in algorithms}
        signed_hash = headers.get("x-amz-content-sha256", "")
        self._sha256 = hashlib.sha256() if _HEX_SHA256.match(signed_hash) else None
        self._decoder = AwsChunkedDecoder(self._payload) if is_aws_chunked(headers) else None
        self._error: AwsError | None = None
        self._position = 0
        self.adopted = False

    # The file-like surface twisted.web and the edge use.

    def write(self, data: bytes) -> None:
        if self._error is not None:
            return
        if self._decoder is None:
            self._payload(data)
            return
        try:
            self._decoder.feed(data)
        except ChunkedEncodingError as e:
            self._error = AwsError("IncompleteBody", f"The request body is not valid aws-chunked: {e}", 400)

    def _payload(self, data: bytes) -> None:
        if self._spool.size + len(data) > MAX_PUT_SIZE:
            self._error = AwsError(
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                400,
                {"ProposedSize": self._spool.size + len(data), "MaxSizeAllowed": MAX_PUT_SIZE},
            )
            self._spool.discard()
            return
        self._md5.update(data)
        if self._sha256 is not None:
            self._sha256.update(data)
        for hasher in self._hashers.values():
            hasher.update(data)
        self._spool.write(data)

    def tell(self) -> int:
        return self._spool.size

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = offset if whence == 0 else self._spool.size
        return self._position

    def read(self, size: int = -1) -> bytes:
        data = self._spool.read_all()[self._position :]
        if size >= 0:
            data = data[:size]
        self._position += len(data)
        return data

    def close(self) -> None:
        self._spool.close()

    # What the handlers use.

    def body(self) -> bytes:
        """
        The decoded body of a small request (XML documents).
        """
        self.check_framing()
        return self._spool.read_all()

    def check_framing(self) -> None:
        """
        Raise the L{AwsError} the body earned while streaming (bad
        aws-chunked framing, too large, truncated).
        """
        if self._error is None and self._decoder is not None:
            try:
                self._decoder.finish()
            except ChunkedEncodingError as e:
                self._error = AwsError("IncompleteBody", f"The request body is not valid aws-chunked: {e}", 400)
        if self._error is not None:
            raise self._error

    def stage(self) -> Staged:
        """
        Check the body against everything the request says about it and
        hand it over (the spool then belongs to the caller).
        """
        self.check_framing()
        headers = self.headers
        size = self._spool.size
        decoded_length = headers.get("x-amz-decoded-content-length")
        if decoded_length is not None and decoded_length.isdigit() and int(decoded_length) != size:
            raise AwsError(
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header",
                400,
            )
        if self._sha256 is not None and self._sha256.hexdigest() != headers["x-amz-content-sha256"]:
            raise AwsError(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                400,
                {
                    "ClientComputedContentSHA256": headers["x-amz-content-sha256"],
                    "S3ComputedContentSHA256": self._sha256.hexdigest(),
                },
            )
        md5 = self._md5.digest()
        content_md5 = headers.get("content-md5")
        if content_md5 is not None:
            try:
                expected = base64.b64decode(content_md5, validate=True)
            except ValueError:
                expected = b""
            if len(expected) != 16:
                raise AwsError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)
            if expected != md5:
                raise AwsError("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
        computed = {
            algorithm: base64.b64encode(hasher.digest()).decode() for algorithm, hasher in self._hashers.items()
        }
        given = dict(self._decoder.trailers) if self._decoder is not None else {}
        given.update(headers)
        for algorithm, value in computed.items():
            name = checksums.header_name(algorithm)
            if name not in given:
                continue
            if len(given[name]) != len(value):
                raise AwsError("InvalidRequest", f"Value for {name} header is invalid.", 400)
            if given[name] != value:
                raise AwsError(
                    "BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400
                )
        trailer = headers.get("x-amz-trailer", "").strip().lower()
        if trailer and self._decoder is not None and trailer not in self._decoder.trailers and trailer.startswith("x-amz-checksum-"):
            raise AwsError("IncompleteBody", f"The request did not send the trailer {trailer} it announced.", 400)
        self._spool.close()
        self.adopted = True
        return Staged(size, md5, self._spool.in_memory(), self._spool.path, computed)

    def discard(self) -> None:
        """
        Drop the spooled body unless a handler took it.
        """
        if not self.adopted:
            self._spool.discard()

    def announced_checksum(self) -> tuple[str, str] | None:
        """
        The flexible checksum the client sent (header or trailer), which S3
        stores with the object: C{(algorithm, base64 value)}.
        """
        given = dict(self._decoder.trailers) if self._decoder is not None else {}
        given.update(self.headers)
        for algorithm in checksums.ALGORITHMS:
            value = given.get(checksums.header_name(algorithm))
            if value:
                return algorithm, value
        return None
