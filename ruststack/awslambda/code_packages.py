"""
GetFunction's C{Code.Location}: in AWS a presigned S3 URL, here a path on the
edge that downloads the function's zip with no signature
(C{/2015-03-31/code-packages/<sha256>.zip}). Not an operation of the model,
so a small resource of its own; the edge sends it to Lambda by its unsigned
path (L{ruststack.awslambda.CLAIMS}).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from twisted.protocols.basic import FileSender
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ruststack.aws.errors import AwsError
from ruststack.awslambda.store import FunctionStore

PREFIX = "/2015-03-31/code-packages/"
# A package is named by its hex SHA-256: nothing else names a file.
_PATH = re.compile(r"^/2015-03-31/code-packages/(?P<key>[0-9a-f]{64})\.zip/?$")


def package_key(path: str) -> str | None:
    """
    The package a request path names, or C{None} if it names none.
    """
    match = _PATH.match(path)
    return match.group("key") if match else None


class CodePackageResource(Resource):
    """
    Sends a package's zip from the store, read in chunks as the connection
    takes them (a package can be 50 MB), never whole.
    """

    isLeaf = True

    def __init__(self, store: FunctionStore, render_error: Callable[[Any, AwsError], bytes]) -> None:
        super().__init__()
        self.store = store
        self.render_error = render_error

    def render_GET(self, request: Any) -> bytes | int:
        key = package_key(request.uri.decode("latin-1").partition("?")[0])
        unpacking = self.store.installs.get(key) if key is not None else None
        if unpacking is not None:
            # Named by GetFunction as soon as CreateFunction answered, as on
            # AWS; kept a moment later, off the reactor: wait for it.
            finished = request.notifyFinish()
            finished.addErrback(lambda _: None)  # the client left: nothing to send

            def send(_: Any) -> None:
                if finished.called:
                    return
                body = self._send(request, key)
                if body is not NOT_DONE_YET:
                    assert isinstance(body, bytes)
                    request.write(body)
                    request.finish()

            unpacking.addCallback(send)
            return NOT_DONE_YET
        return self._send(request, key)

    def _send(self, request: Any, key: str | None) -> bytes | int:
        path = self.store.zip_path(key) if key is not None else None
        try:
            package = open(path, "rb") if path is not None else None  # closed once sent
        except OSError:
            package = None
        if package is None:
            error = AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)
            return self.render_error(request, error)
        request.setHeader(b"content-type", b"application/zip")
        request.setHeader(b"content-length", b"%d" % os.fstat(package.fileno()).st_size)
        finished = request.notifyFinish()
        sender = FileSender()
        sent = sender.beginFileTransfer(package, request)

        def done(_: Any) -> None:
            sender.file = None  # nothing more to read, should it be resumed
            package.close()
            if not finished.called:
                request.finish()

        sent.addBoth(done)
        # A client that leaves ends the transfer (and nobody is answered).
        finished.addErrback(lambda _: sender.stopProducing())
        return NOT_DONE_YET
