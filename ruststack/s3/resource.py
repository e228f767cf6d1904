"""
The S3 resource: parse each request into an L{S3Call}, find its operation
and run the handler, answering with S3's headers and XML errors.
"""

from __future__ import annotations

from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.aws.identity import Caller
from ruststack.s3 import addressing, cors, notifications, operations, website
from ruststack.s3.access import ANONYMOUS
from ruststack.s3.call import S3Call, S3Context
from ruststack.s3.errors import render_error
from ruststack.s3.upload import UploadSink

log = Logger()


def _internal_error() -> AwsError:
    return AwsError("InternalError", "We encountered an internal error. Please try again.", 500)


class S3Resource(Resource):
    isLeaf = True

    def __init__(self, context: S3Context) -> None:
        super().__init__()
        self.context = context

    def _caller(self, request) -> Caller:
        # Verifying, an unsigned request is nobody's: anonymous, as on AWS, it
        # gets what the bucket policy and ACLs give everyone. (With --auth off
        # it is --account's, as the edge took it.)
        caller = request.caller
        authenticator = self.context.authenticator
        if not caller.access_key and authenticator is not None and authenticator.verifying:
            return Caller(ANONYMOUS, caller.region)
        return caller

    def render(self, request) -> bytes | int:
        setHeader = request.responseHeaders.setRawHeaders
        setHeader(b"x-amz-request-id", [ids.s3_request_id().encode()])
        setHeader(b"x-amz-id-2", [ids.s3_host_id().encode()])
        setHeader(b"server", [b"AmazonS3"])
        sink = request.content if isinstance(request.content, UploadSink) else None
        path, query = request.raw_path_and_query()
        site = website.target(request.host_header(), path, request.method)
        if site is not None:
            return website.serve(self.context, request, site)
        target = addressing.address(request.host_header(), path, query)
        headers = sink.headers if sink is not None else request.lower_headers()
        call = S3Call(
            request,
            request.method.decode("ascii", "replace"),
            target.bucket,
            target.key,
            target.query,
            headers,
            self._caller(request),
            sink,
        )
        if call.method == "OPTIONS":
            # A browser's preflight: no operation of S3's model.
            call.operation = "PreflightRequest"
            return cors.preflight(self.context, call)
        if "origin" in headers:
            cors.add_headers(self.context, call)
        name, handler = operations.resolve(call)
        call.operation = name
        # AwsErrors raised here are rendered by the edge with render_error.
        try:
            result = handler(self.context, call)
        except AwsError:
            raise
        except Exception:
            log.failure("S3 {operation} failed", operation=name)
            raise _internal_error() from None
        if name in notifications.SOURCES and self.context.notifier is not None:
            if isinstance(result, defer.Deferred):
                result.addCallback(self._notify, call, name)
            elif name != "CompleteMultipartUpload":
                # (A completion answered at once is a retry's: nothing new was committed.)
                self._notify(result, call, name)
        if isinstance(result, defer.Deferred):
            # The asynchronous operations are writes: if the client goes away
            # before the answer, the write still completes (as in S3, where a
            # fully received upload is committed), only the answer is dropped.
            gone: list[Failure] = []
            request.notifyFinish().addErrback(gone.append)
            result.addCallbacks(
                self._finish, self._fail, callbackArgs=(request, gone), errbackArgs=(request, gone, name)
            )
            return NOT_DONE_YET
        return result

    def _notify(self, body: bytes, call: S3Call, operation: str) -> bytes:
        # The write is committed: its events leave once it is answered.
        try:
            self.context.notifier.after(self.context.store, call, operation)
        except Exception:
            log.failure("S3 event notifications of {operation} failed", operation=operation)
        return body

    def _finish(self, body: bytes, request, gone: list[Failure]) -> None:
        if gone:
            return
        request.setHeader(b"content-length", b"%d" % len(body))
        request.write(body)
        request.finish()

    def _fail(self, failure: Failure, request, gone: list[Failure], operation: str) -> None:
        if gone:
            return
        error = failure.value
        if not isinstance(error, AwsError):
            log.failure("S3 {operation} failed", failure, operation=operation)
            error = _internal_error()
        body = render_error(request, error)
        request.setHeader(b"content-length", b"%d" % len(body))
        request.write(body)
        request.finish()
