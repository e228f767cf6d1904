"""
The S3 service: what the service tree builds and the edge talks to.
"""

from __future__ import annotations

from collections.abc import Mapping

from twisted.application import service
from twisted.internet import defer
from zope.interface import implementer

from ruststack.aws import identity
from ruststack.aws.errors import AwsError
from ruststack.aws.identity import Credential
from ruststack.interfaces import (
    RUNNING,
    IAwsService,
    IBodySink,
    ILegacySignatures,
    IObjectReader,
    IPublicRequests,
    ServiceStatus,
)
from ruststack.s3 import access, acls, addressing, lifecycle, routing
from ruststack.s3.call import S3Context, no_such_bucket
from ruststack.s3.chunksig import ChunkSignatures
from ruststack.s3.errors import auth_error, render_error
from ruststack.s3.lifecyclesweep import LifecycleSweeper
from ruststack.s3.notifications import Notifier
from ruststack.s3.objects import missing_key
from ruststack.s3.resource import S3Resource
from ruststack.s3.store import Store
from ruststack.s3.upload import UploadSink

_LARGE_BODY = 1024 * 1024
_RECV_SIZE = 1024 * 1024


@implementer(IAwsService, IBodySink, IObjectReader, ILegacySignatures, IPublicRequests)
class S3Service(service.Service):
    """
    S3 over a L{Store}: in memory with temporary files, or in C{folder}.
    """

    name = "s3"

    def __init__(
        self,
        store: Store,
        reactor,
        default_region: str,
        credentials: Mapping[str, Credential] | None = None,
        day_seconds: float = lifecycle.DAY,
        services: Mapping[str, object] | None = None,
        authenticator: identity.Authenticator | None = None,
    ) -> None:
        """
        @param credentials: the keys of C{--auth verify}, to check the chunk
            signatures of signed streaming uploads; C{None} when not verifying.
        @param day_seconds: how long a lifecycle rule's day lasts (tests scale it).
        @param services: the stack's services (Lambda, for event
            notifications); C{None}: no notifications are sent.
        @param authenticator: the edge's, which POST forms' keys are
            checked against (their signature is in the form).
        """
        self.store = store
        self.credentials = credentials
        # Read S3's model now rather than on the first request.
        routing.model_operations()
        self.context = S3Context(store, reactor, default_region, day_seconds, authenticator=authenticator)
        if services is not None:
            self.context.notifier = Notifier(reactor, services)
        self.resource = S3Resource(self.context)
        self.lifecycle = LifecycleSweeper(self.context)

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.store.reset()

    def startService(self) -> None:
        super().startService()
        self.lifecycle.start()

    def stopService(self) -> defer.Deferred:
        super().stopService()
        self.lifecycle.stop()
        self.store.close()
        return defer.succeed(None)

    def is_public(self, request) -> bool:
        # An unsigned request is anonymous (S3Resource): it gets what the
        # bucket policy and ACLs give everyone, as on AWS. Browsers send CORS
        # preflights without credentials, answered from the CORS rules alone;
        # website endpoints serve anyone; a POST form carries its own
        # signature, which POST Object checks.
        return request.signature is None and (request.caller is None or not request.caller.access_key)

    def render_error(self, request, error: AwsError) -> bytes:
        return render_error(request, error)

    def auth_error(self, failure) -> AwsError:
        return auth_error(failure)

    def body_sink(self, request, length: int | None) -> UploadSink | None:
        # PUT and POST bodies (uploads, and the XML documents) stream through
        # the sink; it hashes and decodes aws-chunked on the way.
        if request.method not in (b"PUT", b"POST"):
            return None
        transport = getattr(request.channel, "transport", None)
        connection = (self.context.reactor, transport) if transport is not None else None
        if length is not None and length > _LARGE_BODY and transport is not None and hasattr(transport, "bufferSize"):
            # Read a large body in 1 MiB recv calls rather than Twisted's 64 KiB.
            transport.bufferSize = _RECV_SIZE
        headers = request.lower_headers()
        sink = UploadSink(headers, self.store.temporary, connection, self._chunk_signatures(request, headers))
        # However the request ends (answered, or the client gone mid-body),
        # a body no handler committed is dropped.
        request.notifyFinish().addBoth(lambda _: sink.discard())
        return sink

    def _chunk_signatures(self, request, headers: Mapping[str, str]) -> ChunkSignatures | None:
        signature = request.signature
        if (
            self.credentials is None
            or signature is None
            or signature.presigned
            or not headers.get("x-amz-content-sha256", "").startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        ):
            return None
        credential = self.credentials.get(signature.scope.access_key)
        # An unknown key is refused by the edge before any handler runs.
        return ChunkSignatures(credential.secret_key, signature) if credential is not None else None

    def sigv2_resources(self, host: str, path: str) -> list[str]:
        return addressing.sigv2_resources(host, path)

    def read_object(self, account: str, bucket: str, key: str) -> defer.Deferred:
        # As a GetObject by C{account}: another account's bucket is refused
        # unless its policy or an ACL grants s3:GetObject.
        found = self.store.get_bucket(bucket)
        if found is None:
            return defer.fail(no_such_bucket(bucket))
        grants = None if account == found.account else acls.RequestAcls(self.context, found, key)
        if not access.permits(found, account, "s3:GetObject", key, acls=grants):
            return defer.fail(access.access_denied())
        record = self.store.get_object(bucket, key)
        if record is None:
            return defer.fail(missing_key(found, account, key, acls=grants))
        if record.inline is not None:
            return defer.succeed(record.inline)
        body = self.store.open_body(record)

        def read() -> bytes:
            with body:
                return body.read()

        return self.store.run_in_thread(read)


def make_service(context) -> S3Service:
    config = context.config
    credentials = identity.load_credentials(config.credentials_file) if config.auth == "verify" else None
    return S3Service(
        Store(context.state_dir("s3"), context.reactor),
        context.reactor,
        config.region,
        credentials,
        config.s3_lifecycle_day_seconds,
        context.services,
        context.authenticator,
    )
