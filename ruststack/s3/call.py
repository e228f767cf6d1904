"""
One S3 request, parsed: what the handlers of L{ruststack.s3.operations}
receive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.aws.identity import Caller
from ruststack.s3 import access
from ruststack.s3.records import Bucket
from ruststack.s3.store import Store
from ruststack.s3.upload import UploadSink


@attrs.define
class S3Call:
    """
    @ivar headers: request headers by lower case name (first value).
    @ivar sink: the streamed body of a PUT/POST, else C{None}.
    @ivar operation: the AWS operation it is, once resolved (what the
        caller is authorized for).
    """

    request: Any
    method: str
    bucket: str | None
    key: str | None
    query: dict[str, str]
    headers: Mapping[str, str]
    caller: Caller
    sink: UploadSink | None
    operation: str = ""
    # (key, version asked, versions.Deletion) of each key DeleteObjects deleted (event notifications).
    deletions: list = attrs.field(factory=list)

    @property
    def secure(self) -> bool:
        """
        Whether the request counts as made over TLS (C{aws:SecureTransport}):
        it was, or it comes from one of RustStack's own services, which AWS's
        would make over TLS.
        """
        return self.request.isSecure() or self.caller.service

    def body(self) -> bytes:
        """
        The (small) request body, decoded.
        """
        if self.sink is not None:
            return self.sink.body()
        self.request.content.seek(0)
        return self.request.content.read()

    def set_headers(self, headers: dict[str, str]) -> None:
        # Names leave as AWS spells them (user metadata in lower case):
        # ruststack.http11 writes every response head.
        response_headers = self.request.responseHeaders
        for name, value in headers.items():
            raw = value.encode("utf-8") if isinstance(value, str) else value
            response_headers.setRawHeaders(name, [raw])


@attrs.define
class S3Context:
    """
    What every handler shares: the store and the reactor (its clock, its
    threads).
    """

    store: Store
    reactor: Any
    default_region: str
    # How long a lifecycle "day" is: 86400 seconds, unless a test scales it.
    day_seconds: float = 86400.0
    # The ruststack.s3.notifications.Notifier sending event notifications, if any.
    notifier: Any = None
    # The edge's ruststack.aws.identity.Authenticator: whose key signed a POST form.
    authenticator: Any = None

    def now(self) -> float:
        return self.reactor.seconds()

    def bucket(self, call: S3Call) -> Bucket:
        """
        The bucket C{call} addresses, once its caller is authorized for its
        operation there; NoSuchBucket if there is none, AccessDenied if the
        caller may not.
        """
        assert call.bucket is not None
        expected_owner = call.headers.get("x-amz-expected-bucket-owner")
        check_expected_owner(expected_owner, None)
        found = self.store.get_bucket(call.bucket)
        if found is None:
            raise no_such_bucket(call.bucket)
        check_expected_owner(expected_owner, found.account)
        account = call.caller.account
        self.check_restricted(found, account)
        access.authorize_operation(found, account, call.operation, call.key, call.secure, self.acls(call, found))
        return found

    def acls(
        self, call: S3Call, bucket: Bucket, key: str | None = None, version: str | None = None
    ) -> access.AclGrants | None:
        """
        The ACLs that may grant C{call}'s caller what C{bucket}'s policy does
        not: the bucket's, and the object C{key}'s in its version C{version}
        (by default the request's own object, in the version it names).
        C{None} for the bucket's owner.
        """
        if call.caller.account == bucket.account:
            return None
        from ruststack.s3.acls import RequestAcls

        if key is None:
            key, version = call.key, call.query.get("versionId")
        return RequestAcls(self, bucket, key, version)

    def check_restricted(self, bucket: Bucket, account: str) -> None:
        """
        AccessDenied for another account while RestrictPublicBuckets keeps
        a bucket with a public policy to its owner (L{ruststack.s3.publicaccess}).
        """
        if bucket.policy is not None and account != bucket.account:
            from ruststack.s3 import publicaccess

            if publicaccess.restricted(self, bucket, account):
                raise access.access_denied()


def check_expected_owner(expected: str | None, owner: str | None) -> None:
    """
    The bucket owner condition (C{x-amz-expected-bucket-owner}, or
    C{x-amz-source-expected-bucket-owner} for a copy's source): a value that
    is not an account id is refused before anything else (C{owner} C{None}),
    another account than the bucket's C{owner} with AccessDenied.
    See https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
    """
    if expected is None:
        return
    if owner is None:
        if not (len(expected) == 12 and expected.isascii() and expected.isdigit()):
            raise AwsError(
                "InvalidBucketOwnerAWSAccountID",
                f"The value of the expected bucket owner parameter must be an AWS Account ID... [{expected}]",
                400,
            )
    elif expected != owner:
        raise access.access_denied()


def no_such_bucket(name: str) -> AwsError:
    return AwsError("NoSuchBucket", "The specified bucket does not exist", 404, {"BucketName": name})


def no_such_key(key: str) -> AwsError:
    return AwsError("NoSuchKey", "The specified key does not exist.", 404, {"Key": key})


def no_such_upload(upload_id: str) -> AwsError:
    return AwsError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted"
        " or completed.",
        404,
        {"UploadId": upload_id},
    )


def invalid_argument(message: str, name: str, value: str) -> AwsError:
    return AwsError("InvalidArgument", message, 400, {"ArgumentName": name, "ArgumentValue": value})
