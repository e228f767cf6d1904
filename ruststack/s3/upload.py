"""
The body of an upload as it streams in: aws-chunked decoded, hashed (MD5,
the flexible checksums it announces, SHA-256 when the signature covers the
payload) and spooled, so that by the time the request is rendered the body
is checked and ready to commit without a second pass over its bytes.
"""

from __future__ import annotations

import base64
import hashlib
import queue
import re
import threading
from collections.abc import Callable, Mapping

from twisted.internet import defer

from ruststack.aws.errors import AwsError
from ruststack.s3 import checksums
from ruststack.s3.chunked import AwsChunkedDecoder, ChunkedEncodingError
from ruststack.s3.chunksig import ChunkSignatures
from ruststack.s3.records import Staged
from ruststack.s3.spool import SPILL_THRESHOLD, Spool

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


def _too_large(size: int) -> AwsError:
    return AwsError(
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        400,
        {"ProposedSize": size, "MaxSizeAllowed": MAX_PUT_SIZE},
    )


class UploadSink:
    """
    A writable file-like object that twisted.web writes a request body into
    (see L{ruststack.interfaces.IBodySink}).
    """

    def __init__(
        self,
        headers: Mapping[str, str],
        folder: str,
        connection=None,
        chunk_signatures: ChunkSignatures | None = None,
    ) -> None:
        """
        @param connection: the reactor and transport of the upload's
            connection, when large bodies may be hashed in threads (see
            L{_Lanes}); C{None} hashes everything inline.
        @param chunk_signatures: checks the chunk signatures of a signed
            aws-chunked body (with C{--auth verify}).
        """
        self.headers = headers
        self._spool = Spool(folder)
        self._size = 0
        self._connection = connection
        self._lanes: _Lanes | None = None
        self._md5 = hashlib.md5()
        # S3 gives every new object a checksum: CRC64NVME unless the client
        # chose another (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
        algorithms = announced_algorithms(headers) or {"CRC64NVME"}
        self._hashers = {algorithm: checksums.new_hasher(algorithm) for algorithm in algorithms}
        signed_hash = headers.get("x-amz-content-sha256", "")
        self._sha256 = hashlib.sha256() if _HEX_SHA256.match(signed_hash) else None
        self._chunk_signatures = chunk_signatures
        self._decoder = (
            AwsChunkedDecoder(self._payload, chunk_signatures.chunk if chunk_signatures is not None else None)
            if is_aws_chunked(headers)
            else None
        )
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
        self._size += len(data)
        if self._size > MAX_PUT_SIZE:
            self._error = _too_large(self._size)
            self._stop_lanes(report=False)
            self._spool.discard()
            return
        if self._lanes is not None:
            self._lanes.put(data)
            return
        if self._connection is not None and self._size > SPILL_THRESHOLD:
            # A large body: hash and store it in threads from here on.
            reactor, transport = self._connection
            consumers: list[Callable[[bytes], object]] = [hasher.update for hasher in self._hashers.values()]
            if self._sha256 is not None:
                consumers.append(self._sha256.update)
            consumers.append(self._spool.write)
            md5_lane: list[Callable[[bytes], object]] = [self._md5.update]
            self._lanes = _Lanes(reactor, transport, [md5_lane, consumers])
            self._lanes.put(data)
            return
        self._md5.update(data)
        if self._sha256 is not None:
            self._sha256.update(data)
        for hasher in self._hashers.values():
            hasher.update(data)
        self._spool.write(data)

    def tell(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        """
        The (decoded) bytes received so far.
        """
        return self._size

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = offset if whence == 0 else self._size
        return self._position

    def read(self, size: int = -1) -> bytes:
        if self._lanes is not None:
            self._lanes.wait()
        data = self._spool.read_all()[self._position :]
        if size >= 0:
            data = data[:size]
        self._position += len(data)
        return data

    def close(self) -> None:
        self._stop_lanes(report=False)
        self._spool.close()

    def _stop_lanes(self, report: bool = True) -> None:
        """
        Wait for the hashing threads; with C{report}, raise what failed in
        them (a full disk, say) as S3's InternalError.
        """
        if self._lanes is None:
            return
        error = self._lanes.wait()
        if error is not None and report:
            raise AwsError("InternalError", "We encountered an internal error. Please try again.", 500) from error

    # What the handlers use.

    def body(self, checksums: bool = True) -> bytes:
        """
        The decoded body of a small request (XML documents), checked as an
        upload is (Content-MD5, signed payload hash, and the flexible
        checksums unless C{checksums} is false: CompleteMultipartUpload's
        describe the object it makes, not its body).
        """
        self._verify(checksums)
        return self._spool.read_all()

    def staged(self) -> defer.Deferred:
        """
        L{stage}, once the threads hashing a large body are done.
        """
        if self._lanes is None:
            return defer.maybeDeferred(self.stage)
        return self._lanes.finished().addCallback(lambda _: self.stage())

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
        if self._error is None and self._chunk_signatures is not None and self._decoder is not None:
            self._chunk_signatures.trailer(self._decoder.trailers)
            if not self._chunk_signatures.valid:
                self._error = AwsError(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided."
                    " Check your key and signing method.",
                    403,
                )
        if self._error is not None:
            raise self._error

    def stage(self) -> Staged:
        """
        Check the body against everything the request says about it and
        hand it over (the spool then belongs to the caller).
        """
        md5, computed = self._verify()
        self._spool.close()
        self.adopted = True
        return Staged(self._size, md5, self._spool.in_memory(), self._spool.path, computed)

    def _verify(self, check_checksums: bool = True) -> tuple[bytes, dict[str, str]]:
        """
        Raise the L{AwsError} S3 answers a body with that is not what its
        request says; return its MD5 and its flexible checksums.
        """
        self.check_framing()
        self._stop_lanes()
        headers = self.headers
        size = self._size
        decoded_text = headers.get("x-amz-decoded-content-length") or ""
        # ASCII digits only: "²" is a digit to str.isdigit, not to int().
        decoded_length = int(decoded_text) if decoded_text.isascii() and decoded_text.isdigit() else None
        if decoded_length is not None and decoded_length > MAX_PUT_SIZE:
            raise _too_large(decoded_length)
        if decoded_length is not None and decoded_length != size:
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
                raise AwsError(
                    "InvalidDigest", "The Content-MD5 you specified was invalid.", 400, {"Content-MD5": content_md5}
                )
            if expected != md5:
                raise AwsError(
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                    400,
                    {"ExpectedDigest": content_md5, "CalculatedDigest": base64.b64encode(md5).decode()},
                )
        computed = {
            algorithm: base64.b64encode(hasher.digest()).decode() for algorithm, hasher in self._hashers.items()
        }
        given = dict(self._decoder.trailers) if self._decoder is not None else {}
        given.update(headers)
        for algorithm, value in computed.items() if check_checksums else []:
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
        if (
            trailer
            and self._decoder is not None
            and trailer not in self._decoder.trailers
            and trailer.startswith("x-amz-checksum-")
        ):
            raise AwsError("IncompleteBody", f"The request did not send the trailer {trailer} it announced.", 400)
        return md5, computed

    def discard(self) -> None:
        """
        Drop the spooled body unless a handler took it.
        """
        if not self.adopted:
            self._stop_lanes(report=False)
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


class _Lanes:
    """
    Threads that each feed every chunk of a large upload, in order, to their
    consumers (one lane for MD5, one for the other hashes and the file), so
    the hashing runs beside the reactor and in parallel (hashlib releases the
    GIL). When a lane falls more than L{BACKLOG} bytes behind, reading from
    the connection pauses until it catches up: memory stays bounded.
    """

    BACKLOG = 8 * 1024 * 1024

    def __init__(self, reactor, transport, lanes: list[list[Callable[[bytes], object]]]) -> None:
        self._reactor = reactor
        self._transport = transport
        self._lock = threading.Lock()
        self._pending = [0] * len(lanes)  # bytes queued on each lane
        self._paused = False
        self._queues: list[queue.SimpleQueue] = []
        self._threads: list[threading.Thread] = []
        self._done = 0
        self._finished: list[defer.Deferred] = []
        self._error: BaseException | None = None
        for index, consumers in enumerate(lanes):
            q: queue.SimpleQueue = queue.SimpleQueue()
            thread = threading.Thread(target=self._run, args=(index, q, consumers), name="s3-upload-hash", daemon=True)
            self._queues.append(q)
            self._threads.append(thread)
            thread.start()

    def put(self, data: bytes) -> None:
        with self._lock:
            for index in range(len(self._pending)):
                self._pending[index] += len(data)
            pause = max(self._pending) > self.BACKLOG and not self._paused
            if pause:
                self._paused = True
        if pause:
            self._transport.pauseProducing()
        for q in self._queues:
            q.put(data)

    def _run(self, index: int, q: queue.SimpleQueue, consumers: list[Callable[[bytes], object]]) -> None:
        while True:
            data = q.get()
            if data is None:
                break
            try:
                for consume in consumers:
                    consume(data)
            except BaseException as e:  # a full disk, say: reported by stage()
                self._error = e
            # The slowest lane paces the connection.
            with self._lock:
                self._pending[index] -= len(data)
                resume = self._paused and max(self._pending) < self.BACKLOG // 4
                if resume:
                    self._paused = False
            if resume:
                self._reactor.callFromThread(self._transport.resumeProducing)
        self._reactor.callFromThread(self._lane_done)

    def _lane_done(self) -> None:
        self._done += 1
        if self._done == len(self._threads):
            waiting, self._finished = self._finished, []
            for d in waiting:
                d.callback(None)

    def _close(self) -> None:
        for q in self._queues:
            q.put(None)
        self._queues = []

    def finished(self) -> defer.Deferred:
        """
        Fires once every lane has consumed every chunk.
        """
        self._close()
        if self._done == len(self._threads):
            return defer.succeed(None)
        d: defer.Deferred = defer.Deferred()
        self._finished.append(d)
        return d

    def wait(self) -> BaseException | None:
        """
        Block until the lanes are done (bounded by L{BACKLOG}); for the
        synchronous paths (errors, reads of the body). Returns what a
        consumer raised, if anything did.
        """
        self._close()
        for thread in self._threads:
            thread.join()
        return self._error
