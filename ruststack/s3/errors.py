"""
S3's errors: rendered in S3's XML by the protocol layer, and S3's answers
to refused signatures.
"""

from __future__ import annotations

import time

from ruststack.aws.errors import SIGNATURE_MISMATCH, AwsError
from ruststack.aws.identity import AuthFailure
from ruststack.protocol import Protocol

S3 = Protocol.for_service("s3")


def render_error(request, error: AwsError) -> bytes:
    """
    Set up the twisted.web C{request} for C{error}: S3's XML (no body for
    HEAD) with S3's headers; return the body.
    """
    response = S3.error(error, request.method.decode("ascii"))
    request.setResponseCode(response.status)
    request.responseHeaders.removeHeader(b"content-length")
    request.setHeader(b"server", b"AmazonS3")
    for name, value in response.headers:
        request.responseHeaders.setRawHeaders(name, [value])
    return response.body


def auth_error(failure) -> AwsError:
    """
    S3's answer to a refused signature (see S3's "List of error codes").
    """
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
        return AwsError("SignatureDoesNotMatch", SIGNATURE_MISMATCH + " Check your key and signing method.", 403)
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
    if failure.failure is AuthFailure.INVALID_TOKEN:
        return AwsError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)
    if failure.failure is AuthFailure.EXPIRED_TOKEN:
        return AwsError("ExpiredToken", "The provided token has expired.", 400)
    return AwsError("AccessDenied", "Access Denied", 403)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
