"""
One exception type for every AWS error, and its renderings for the JSON
protocols (DynamoDB) and REST-JSON (Lambda); S3's XML is in
L{ruststack.s3.errors}, every protocol's in L{ruststack.protocol.errors}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import attrs

from ruststack.aws import ids


@attrs.define(eq=False)
class AwsError(Exception):
    """
    An error AWS would return.

    @ivar code: the AWS error code (C{NoSuchKey}, C{ResourceNotFoundException}).
    @ivar message: the human-readable text AWS gives.
    @ivar status: the HTTP status.
    @ivar fields: extra members of the error body (S3's C{Key}, C{BucketName};
        DynamoDB's C{CancellationReasons}), in the order they are rendered.
    @ivar headers: extra response headers.
    @ivar sender_fault: C{True} for client errors (JSON protocols' C{Type}).
    """

    code: str
    message: str = ""
    status: int = 400
    fields: Mapping[str, object] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    @property
    def sender_fault(self) -> bool:
        return self.status < 500

    def to_json(self, type_prefix: str = "") -> bytes:
        """
        The JSON protocols' error body: C{__type} (optionally namespaced, as
        DynamoDB's C{com.amazonaws.dynamodb.v20120810#...}) and C{message}.
        """
        body: dict[str, object] = {"__type": type_prefix + self.code, "message": self.message}
        body.update(self.fields)
        return json.dumps(body).encode("utf-8")

    def to_rest_json(self) -> bytes:
        """
        The REST-JSON error body (Lambda, API Gateway): C{Type} and
        C{message}; the code itself travels in C{x-amzn-ErrorType}.
        """
        body: dict[str, object] = {"Type": "User" if self.sender_fault else "Service", "message": self.message}
        body.update(self.fields)
        return json.dumps(body).encode("utf-8")


def write_json_error(request, error: AwsError, type_prefix: str = "") -> bytes:
    """
    Set status and headers of C{request} for a JSON-protocol error (the
    C{application/x-amz-json-1.0} family) and return the body.
    """
    request.setResponseCode(error.status)
    request.setHeader(b"x-amzn-requestid", ids.request_id().encode())
    request.setHeader(b"content-type", b"application/x-amz-json-1.0")
    for name, value in error.headers.items():
        request.setHeader(name.encode(), value.encode())
    return error.to_json(type_prefix)


def write_rest_json_error(request, error: AwsError) -> bytes:
    """
    Set status and headers of C{request} for a REST-JSON error (Lambda, API
    Gateway control planes) and return the body.
    """
    request.setResponseCode(error.status)
    request.setHeader(b"x-amzn-requestid", ids.request_id().encode())
    request.setHeader(b"x-amzn-errortype", error.code.encode())
    request.setHeader(b"content-type", b"application/json")
    for name, value in error.headers.items():
        request.setHeader(name.encode(), value.encode())
    return error.to_rest_json()


SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided."
TOKEN_INVALID = "The security token included in the request is invalid."
TOKEN_EXPIRED = "The security token included in the request is expired"


def json_auth_error(failure, status: int) -> AwsError:
    """
    The JSON services' answer to a refused signature; DynamoDB uses status
    400, Lambda and API Gateway 403.
    """
    from ruststack.aws.identity import AuthFailure

    if failure.failure in (AuthFailure.UNKNOWN_KEY, AuthFailure.INVALID_TOKEN):
        return AwsError("UnrecognizedClientException", TOKEN_INVALID, status)
    if failure.failure is AuthFailure.EXPIRED_TOKEN:
        return AwsError("ExpiredTokenException", TOKEN_EXPIRED, status)
    if failure.failure is AuthFailure.SKEWED:
        return AwsError("InvalidSignatureException", failure.detail, status)
    if failure.failure is AuthFailure.BAD_REGION:
        region = failure.signature.scope.region if failure.signature is not None else ""
        return AwsError(
            "InvalidSignatureException", f"Credential should be scoped to a valid region, not '{region}'. ", status
        )
    if failure.failure in (AuthFailure.BAD_SIGNATURE, AuthFailure.EXPIRED, AuthFailure.BAD_EXPIRES):
        return AwsError(
            "InvalidSignatureException",
            SIGNATURE_MISMATCH
            + " Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            status,
        )
    if failure.failure is AuthFailure.MALFORMED:
        return AwsError("IncompleteSignatureException", failure.detail, status)
    return AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", status)


def query_auth_error(failure) -> AwsError:
    """
    The query services' answer to a refused signature (STS, IAM): AWS's
    common errors.
    """
    from ruststack.aws.identity import AuthFailure

    kind = failure.failure
    if kind in (AuthFailure.UNKNOWN_KEY, AuthFailure.INVALID_TOKEN):
        return AwsError("InvalidClientTokenId", TOKEN_INVALID, 403)
    if kind is AuthFailure.EXPIRED_TOKEN:
        return AwsError("ExpiredToken", TOKEN_EXPIRED, 403)
    if kind is AuthFailure.SKEWED:
        return AwsError("SignatureDoesNotMatch", failure.detail, 403)
    if kind is AuthFailure.BAD_REGION:
        return AwsError("SignatureDoesNotMatch", "Credential should be scoped to a valid region. ", 403)
    if kind in (AuthFailure.BAD_SIGNATURE, AuthFailure.EXPIRED, AuthFailure.BAD_EXPIRES):
        message = " Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        return AwsError("SignatureDoesNotMatch", SIGNATURE_MISMATCH + message, 403)
    if kind is AuthFailure.MALFORMED:
        return AwsError("IncompleteSignature", failure.detail, 400)
    return AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
