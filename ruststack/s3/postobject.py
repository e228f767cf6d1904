"""
POST Object: an upload from an HTML form to the bucket's URL (what boto3's
C{generate_presigned_post} prepares for a browser), which botocore's model
does not describe.

The form carries its own credentials: a POST policy (expiration and
conditions, base64 JSON) signed with SigV4 (C{x-amz-signature}) or SigV2
(C{signature}). The edge lets such a request in unsigned; here the policy's
signature is checked (with C{--auth verify}), its conditions are applied to
the fields and the file's size, and the file becomes the object, with the
metadata the fields give, as a PutObject's body would.

See https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html and
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import hashlib
import hmac
import io
import json
import os
from typing import Any
from urllib.parse import quote, urlencode

from twisted.internet import defer
from twisted.python.failure import Failure

from ruststack.aws import identity, regions, sigv4
from ruststack.aws.errors import AwsError
from ruststack.s3 import acls, encryption, formdata, objects, wire
from ruststack.s3.access import ANONYMOUS
from ruststack.s3.call import S3Call, S3Context, invalid_argument
from ruststack.s3.errors import auth_error
from ruststack.s3.objectmeta import STORED_HEADERS, check_key
from ruststack.s3.records import Staged

OPERATION = "PostObject"
# Fields that no condition needs to cover.
_UNCOVERED = frozenset({"x-amz-signature", "file", "policy", "awsaccesskeyid", "signature"})
# Fields a starts-with condition may name (others: exact match only).
_STARTS_WITH = frozenset(
    {
        "key",
        "acl",
        "cache-control",
        "content-type",
        "content-disposition",
        "content-encoding",
        "expires",
        "success_action_redirect",
        "redirect",
    }
)


def is_form_upload(has_key: bool, query: Any, content_type: str) -> bool:
    """
    Whether a POST is a POST Object upload: a form to a bucket.
    """
    return not has_key and not query and formdata.boundary_of(content_type) is not None


def _missing_field(name: str) -> AwsError:
    message = (
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
    )
    return invalid_argument(message, name, "")


def _policy_failed(detail: str) -> AwsError:
    return AwsError("AccessDenied", f"Invalid according to Policy: {detail}", 403)


def _invalid_policy(detail: str) -> AwsError:
    return AwsError("InvalidPolicyDocument", f"Invalid Policy: {detail}", 400)


def _condition_failed(condition: Any) -> AwsError:
    return _policy_failed("Policy Condition failed: " + json.dumps(condition, separators=(", ", ": ")))


def read_policy(encoded: str, now: float) -> list:
    """
    The conditions of a base64 POST policy, once it is found well-formed
    and unexpired.
    """
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(policy, dict):
        raise _invalid_policy("Invalid JSON.")
    if "expiration" not in policy:
        raise _invalid_policy("Policy missing expiration.")
    expiration = policy["expiration"]
    try:
        expires = datetime.datetime.fromisoformat(expiration)
    except (TypeError, ValueError):
        raise _invalid_policy(f"Invalid 'expiration' value: '{expiration}'") from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=datetime.UTC)
    conditions = policy.get("conditions")
    if not isinstance(conditions, list):
        raise _invalid_policy("Policy missing conditions.")
    if expires.timestamp() <= now:
        raise _policy_failed("Policy expired.")
    return conditions


def check_conditions(conditions: list, fields: dict[str, str], size: int) -> None:
    """
    Apply a POST policy's C{conditions} to the form's C{fields} (by lower
    case name, C{bucket} the request's bucket, C{key} with C{${filename}}
    replaced) and to the file's C{size}; every field but the signature's,
    the file and C{x-ignore-*} must be named by one.
    """
    covered = set()
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            [(name, wanted)] = condition.items()
            name = name.lower()
            covered.add(name)
            if not isinstance(wanted, str) or fields.get(name) != wanted:
                raise _condition_failed(["eq", "$" + name, wanted])
            continue
        if not isinstance(condition, list) or not condition or not isinstance(condition[0], str):
            raise _condition_failed(condition)
        operator = condition[0].lower()
        if operator == "content-length-range" and len(condition) == 3:
            low, high = condition[1:]
            if not all(isinstance(bound, int) and not isinstance(bound, bool) for bound in (low, high)):
                raise _condition_failed(condition)
            if size > high:
                message = "Your proposed upload exceeds the maximum allowed size"
                raise AwsError("EntityTooLarge", message, 400, {"ProposedSize": size, "MaxSizeAllowed": high})
            if size < low:
                message = "Your proposed upload is smaller than the minimum allowed size"
                raise AwsError("EntityTooSmall", message, 400, {"ProposedSize": size, "MinSizeAllowed": low})
            continue
        if (
            operator not in ("eq", "starts-with")
            or len(condition) != 3
            or not all(isinstance(part, str) for part in condition[1:])
            or not condition[1].startswith("$")
        ):
            raise _condition_failed(condition)
        name = condition[1][1:].lower()
        covered.add(name)
        value = fields.get(name)
        if operator == "eq":
            matched = value == condition[2]
        elif name not in _STARTS_WITH and not name.startswith("x-amz-meta-"):
            matched = False
        elif name == "content-type" and value is not None:
            # A list of types: each must start so.
            matched = all(part.strip().startswith(condition[2]) for part in value.split(","))
        else:
            matched = value is not None and value.startswith(condition[2])
        if not matched:
            raise _condition_failed(condition)
    for name in fields:
        if name not in covered and name not in _UNCOVERED and not name.startswith("x-ignore-"):
            raise _policy_failed(f"Extra input fields: {name}")


def sigv4_post_signature(secret_key: str, date: str, region: str, policy: str) -> str:
    """
    A POST policy's SigV4 signature: the policy signed with the key of its
    credential's scope.
    """
    key = sigv4.signing_key(secret_key, sigv4.CredentialScope("", date, region, "s3"))
    return hmac.new(key, policy.encode("ascii"), hashlib.sha256).hexdigest()


def sigv2_post_signature(secret_key: str, policy: str) -> str:
    digest = hmac.new(secret_key.encode("utf-8"), policy.encode("ascii"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _caller(ctx: S3Context, fields: dict[str, str], unsigned: identity.Caller) -> identity.Caller:
    """
    Whom the form is from: the signer of its policy (checked when
    verifying), or anyone (no policy). C{unsigned}: whom the edge took the
    request for, the key's account when there is no authenticator to ask.
    """
    authenticator = ctx.authenticator
    region = ctx.default_region
    if "policy" not in fields:
        return identity.Caller(ANONYMOUS, region)
    policy = fields["policy"]
    if "x-amz-credential" in fields:
        algorithm = fields.get("x-amz-algorithm", "")
        if algorithm != "AWS4-HMAC-SHA256":
            raise invalid_argument("Unsupported algorithm", "x-amz-algorithm", algorithm)
        if "x-amz-signature" not in fields:
            raise _missing_field("x-amz-signature")
        scope = fields["x-amz-credential"].split("/")
        if len(scope) != 5 or scope[3] != "s3" or scope[4] != "aws4_request":
            raise invalid_argument("Invalid credential", "x-amz-credential", fields["x-amz-credential"])
        access_key, date, region = scope[0], scope[1], scope[2]
        if not regions.is_region(region):
            detail = f"the region '{region}' is wrong; expecting '{ctx.default_region}'"
            raise auth_error(identity.AuthenticationError(identity.AuthFailure.BAD_REGION, detail))
        signed = fields["x-amz-signature"]
    elif "awsaccesskeyid" in fields and "signature" in fields:
        access_key, date, signed = fields["awsaccesskeyid"], "", fields["signature"]
    else:
        raise _missing_field("AWSAccessKeyId")
    if authenticator is None:
        return identity.Caller(unsigned.account, region, access_key)
    if authenticator.verifying:
        try:
            secret = authenticator.secret_key(access_key, fields.get("x-amz-security-token"))
        except identity.AuthenticationError as failure:
            raise auth_error(failure) from None
        expected = sigv4_post_signature(secret, date, region, policy) if date else sigv2_post_signature(secret, policy)
        if not hmac.compare_digest(expected, signed):
            raise auth_error(identity.AuthenticationError(identity.AuthFailure.BAD_SIGNATURE))
    return identity.Caller(authenticator.account_for(access_key), region, access_key)


def _read(staged: Staged, boundary: bytes, folder: str) -> formdata.Form:
    # In a thread: the form may be large, spooled to a file.
    with io.BytesIO(staged.data or b"") if staged.path is None else open(staged.path, "rb") as source:
        return formdata.read_form(source, boundary, folder, "CRC64NVME")


def _fields(form: formdata.Form) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in form.fields:
        found.setdefault(name.lower(), value)
    return found


# Fields a PutObject would send as headers of the same names, besides the object's stored headers.
_WRITE_FIELDS = (
    "content-type",
    "x-amz-storage-class",
    encryption.ALGORITHM,
    encryption.KEY_ID,
    encryption.CONTEXT,
    encryption.BUCKET_KEY,
)


def _stored_headers(fields: dict[str, str]) -> dict[str, str]:
    """
    The fields a PutObject would have sent as headers: the object's
    metadata, its ACL and tags.
    """
    headers = {
        name: value
        for name, value in fields.items()
        if name in STORED_HEADERS or name in _WRITE_FIELDS or name.startswith("x-amz-meta-")
    }
    if "acl" in fields:
        headers["x-amz-acl"] = fields["acl"]
    if "tagging" in fields:
        # A Tagging document, as PutObjectTagging takes.
        root = wire.parse(fields["tagging"].encode("utf-8"))
        tags = [(wire.text(tag, "Key") or "", wire.text(tag, "Value") or "") for tag in root.iter("Tag")]
        headers["x-amz-tagging"] = urlencode(tags)
    return headers


def post_object(ctx: S3Context, call: S3Call) -> defer.Deferred:
    """
    POST Object: the form's file becomes the object its C{key} field names,
    as its policy allows; answered as C{success_action_redirect} or
    C{success_action_status} ask (204 by default).
    """
    assert call.sink is not None
    boundary = formdata.boundary_of(call.headers.get("content-type", ""))
    assert boundary is not None
    reading = call.sink.staged().addCallback(
        lambda whole: ctx.store.run_in_thread(_read, whole, boundary, ctx.store.temporary)
    )
    return reading.addCallbacks(_posted, _unreadable, callbackArgs=(ctx, call))


def _unreadable(failure: Failure) -> Failure:
    if failure.check(formdata.MalformedForm):
        raise AwsError(
            "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400
        )
    if failure.check(formdata.FieldsTooLarge):
        # (S3's recorded words, misspelling and all.)
        raise AwsError(
            "MaxPostPreDataLengthExceeded",
            "Your POST request fields preceeding the upload file was too large.",
            400,
            {"MaxPostPreDataLengthBytes": formdata.MAX_FIELDS},
        )
    return failure


def _posted(form: formdata.Form, ctx: S3Context, call: S3Call) -> defer.Deferred:
    staged = form.file
    try:
        committing = _commit(form, ctx, call)
    except BaseException:
        _drop(staged)
        raise
    return committing.addErrback(_dropped, staged)


def _dropped(failure: Failure, staged: Staged | None) -> Failure:
    _drop(staged)
    return failure


def _drop(staged: Staged | None) -> None:
    # A file spooled for an object that was refused (a placed one has moved).
    if staged is not None and staged.path is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged.path)


def _commit(form: formdata.Form, ctx: S3Context, call: S3Call) -> defer.Deferred:
    assert call.bucket is not None
    fields = _fields(form)
    if "key" not in fields:
        raise _missing_field("key")
    if form.file is None:
        raise invalid_argument("POST requires exactly one file upload per request.", "file", "0")
    key = fields["key"].replace("${filename}", form.filename or "")
    call.caller = _caller(ctx, fields, call.caller)
    call.key = key
    call.headers = _stored_headers(fields)
    bucket = ctx.bucket(call)
    check_key(key)
    if "policy" in fields:
        conditions = read_policy(fields["policy"], ctx.now())
        check_conditions(conditions, {**fields, "bucket": bucket.name, "key": key}, form.file.size)
    acls.check_write_acl(ctx, bucket, call)
    staged = form.file
    return objects.put_staged(staged, ctx, call, bucket).addCallback(_answer, fields, call, staged.etag)


def _answer(_: bytes, fields: dict[str, str], call: S3Call, etag: str) -> bytes:
    assert call.bucket is not None and call.key is not None
    request = call.request
    host = request.host_header()
    scheme = "https" if call.secure else "http"
    # The object's URL in the form the request used: path style, or the bucket's own host.
    path_style = request.raw_path_and_query()[0].strip(b"/") != b""
    location = f"{scheme}://{host}/{call.bucket + '/' if path_style else ''}{quote(call.key)}"
    call.set_headers({"Location": location})
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect:
        query = urlencode({"bucket": call.bucket, "key": call.key, "etag": etag})
        call.set_headers({"Location": redirect + ("&" if "?" in redirect else "?") + query})
        request.setResponseCode(303)
        return b""
    status = fields.get("success_action_status")
    if status == "201":
        request.setResponseCode(201)
        call.set_headers({"Content-Type": "application/xml"})
        return wire.document(
            "PostResponse",
            [
                wire.element("Location", location),
                wire.element("Bucket", call.bucket),
                wire.element("Key", call.key),
                wire.element("ETag", etag),
            ],
            namespace=None,  # as S3 writes this one
        )
    request.setResponseCode(200 if status == "200" else 204)
    return b""
