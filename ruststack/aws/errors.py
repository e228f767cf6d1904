"""
One exception type for every AWS error, rendered in the wire format of the
protocol that raised it: S3's REST-XML, the JSON protocols (DynamoDB) and
REST-JSON (Lambda, API Gateway).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from xml.sax.saxutils import escape

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

    def to_xml(self, request_id: str, host_id: str = "") -> bytes:
        """
        S3's error document: Code, Message, the extra fields, RequestId, HostId.
        """
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
            f"<Code>{escape(self.code)}</Code>",
            f"<Message>{escape(self.message)}</Message>",
        ]
        for name, value in self.fields.items():
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
        parts.append(f"<RequestId>{request_id}</RequestId>")
        if host_id:
            parts.append(f"<HostId>{host_id}</HostId>")
        parts.append("</Error>")
        return "".join(parts).encode("utf-8")

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


def write_xml_error(request, error: AwsError) -> bytes:
    """
    Set status and headers of C{request} for an S3-style error and return the
    body (empty for HEAD, as S3 sends none).
    """
    request_id = ids.s3_request_id()
    host_id = ids.s3_host_id()
    request.setResponseCode(error.status)
    request.setHeader(b"x-amz-request-id", request_id.encode())
    request.setHeader(b"x-amz-id-2", host_id.encode())
    for name, value in error.headers.items():
        request.setHeader(name.encode(), value.encode())
    if request.method == b"HEAD":
        return b""
    request.setHeader(b"content-type", b"application/xml")
    return error.to_xml(request_id, host_id)


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


_SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided."


def s3_auth_error(failure) -> AwsError:
    """
    S3's answer to a refused signature (see S3's "List of error codes").
    """
    from ruststack.aws.identity import AuthFailure

    if failure.failure is AuthFailure.UNKNOWN_KEY:
        return AwsError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
            {"AWSAccessKeyId": failure.detail},
        )
    signature = failure.signature
    presigned = signature is not None and signature.presigned
    if failure.failure is AuthFailure.BAD_SIGNATURE:
        return AwsError("SignatureDoesNotMatch", _SIGNATURE_MISMATCH + " Check your key and signing method.", 403)
    if failure.failure is AuthFailure.EXPIRED:
        fields: dict[str, object] = {}
        if presigned:
            fields = {"X-Amz-Expires": signature.expires, "Expires": _iso(signature.signed_at() + signature.expires)}
        return AwsError("AccessDenied", "Request has expired", 403, {**fields, "ServerTime": _iso(failure.now)})
    if failure.failure is AuthFailure.SKEWED:
        return AwsError(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            {"RequestTime": signature.amz_date, "ServerTime": _iso(failure.now), "MaxAllowedSkewMilliseconds": 900000},
        )
    if failure.failure is AuthFailure.BAD_REGION:
        expected = failure.detail.rpartition("expecting ")[2].strip("'")
        if presigned:
            message = "Error parsing the X-Amz-Credential parameter; " + failure.detail
            return AwsError("AuthorizationQueryParametersError", message, 400, {"Region": expected})
        message = "The authorization header is malformed; " + failure.detail
        return AwsError("AuthorizationHeaderMalformed", message, 400, {"Region": expected})
    if failure.failure is AuthFailure.BAD_EXPIRES:
        return AwsError("AuthorizationQueryParametersError", failure.detail, 400)
    if failure.failure is AuthFailure.MALFORMED:
        return AwsError("AuthorizationHeaderMalformed", failure.detail, 400)
    return AwsError("AccessDenied", "Access Denied", 403)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def json_auth_error(failure, status: int) -> AwsError:
    """
    The JSON services' answer to a refused signature; DynamoDB uses status
    400, Lambda and API Gateway 403.
    """
    from ruststack.aws.identity import AuthFailure

    if failure.failure is AuthFailure.UNKNOWN_KEY:
        return AwsError("UnrecognizedClientException", "The security token included in the request is invalid.", status)
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
            _SIGNATURE_MISMATCH
            + " Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            status,
        )
    if failure.failure is AuthFailure.MALFORMED:
        return AwsError("IncompleteSignatureException", failure.detail, status)
    return AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", status)
