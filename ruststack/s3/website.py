"""
The website endpoint of a bucket with a website configuration
(PutBucketWebsite), as S3 serves it: anonymous GET and HEAD only, index
documents for folders, an error document, redirects (every request,
routing rules, C{x-amz-website-redirect-location} on objects), and errors as
HTML pages rather than XML.

Addressed by host, as on AWS (C{<bucket>.s3-website.<region>.localhost:4566}
or C{<bucket>.s3-website-<region>.<anything>}), or by the path form
C{/_s3-website/<bucket>/<key>} for clients that cannot resolve
C{*.localhost} (no bucket name starts with C{_}).
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteEndpoints.html
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import attrs

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.aws.identity import Caller
from ruststack.s3 import access, acls, configs, objects, publicaccess
from ruststack.s3.access import ANONYMOUS
from ruststack.s3.call import S3Call, S3Context, no_such_bucket, no_such_key
from ruststack.s3.records import Bucket

PATH_PREFIX = b"/_s3-website/"
_WEBSITE_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-_]*?)\.s3-website[.-](?P<region>[a-z0-9-]+)\.")
REDIRECT_HEADER = "x-amz-website-redirect-location"
# Who a website endpoint serves: no account at all (never a bucket's owner).
_REASONS = {301: "Moved Permanently", 302: "Found", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}


@attrs.frozen
class Site:
    """
    A website request: its bucket, the key it names (C{""} for the root),
    and the path the site is served under (C{/}, or the path form's).
    """

    bucket: str
    key: str
    base: str


def target(host: str, path: bytes, method: bytes) -> Site | None:
    """
    The website request C{host} and C{path} make, if they address a website
    endpoint (browsers' CORS preflights are left to the API).
    """
    if method == b"OPTIONS":
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    match = _WEBSITE_HOST.match(name)
    if match is not None:
        return Site(match.group("bucket"), _decode(path[1:] if path.startswith(b"/") else path), "/")
    if path.startswith(PATH_PREFIX):
        bucket, _, key = path[len(PATH_PREFIX) :].partition(b"/")
        if bucket:
            name = _decode(bucket)
            return Site(name, _decode(key), f"{PATH_PREFIX.decode()}{name}/")
    return None


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# Redirects


@attrs.frozen
class Redirect:
    """
    Where a redirect goes: a full URL in C{Location}, with its status.
    """

    location: str
    status: int


def redirect_to(config: dict[str, Any], key: str, site: Site, host: str, scheme: str, matched: str = "") -> Redirect:
    """
    The redirect a C{Redirect} (or C{RedirectAllRequestsTo}) configuration
    makes of C{key}: C{ReplaceKeyWith}, else C{ReplaceKeyPrefixWith} in place
    of the C{matched} prefix, else the key itself; to C{HostName} (else this
    host, under the site's path) over C{Protocol} (else this request's).
    """
    if "ReplaceKeyWith" in config:
        new_key = config["ReplaceKeyWith"]
    elif "ReplaceKeyPrefixWith" in config:
        new_key = config["ReplaceKeyPrefixWith"] + key[len(matched) :]
    else:
        new_key = key
    protocol = config.get("Protocol") or scheme
    other_host = config.get("HostName")
    base = "/" if other_host else site.base
    status = int(config.get("HttpRedirectCode") or 301)
    return Redirect(f"{protocol}://{other_host or host}{base}{quote(new_key, safe='/~')}", status)


def routing_redirect(
    rules: list[dict[str, Any]], key: str, error: int | None, site: Site, host: str, scheme: str
) -> Redirect | None:
    """
    The first routing rule whose condition holds for C{key} (and, for rules
    naming an error code, for the C{error} the request met) as a redirect.
    """
    for rule in rules:
        condition = rule.get("Condition") or {}
        prefix = condition.get("KeyPrefixEquals")
        code = condition.get("HttpErrorCodeReturnedEquals")
        # Before the object is looked up, the rules without an error code;
        # after an error, those naming it.
        if (code is None) != (error is None) or (code is not None and code != str(error)):
            continue
        if prefix is not None and not key.startswith(prefix):
            continue
        return redirect_to(rule["Redirect"], key, site, host, scheme, prefix or "")
    return None


# Errors, as HTML pages


def error_page(
    error: AwsError, document_error: AwsError | None = None, request_id: str = "", host_id: str = ""
) -> bytes:
    """
    An error as S3's website endpoints write it: a small HTML page listing
    its code, message and fields; a failure to fetch the custom error
    document is listed after it.
    """
    title = f"{error.status} {_REASONS.get(error.status, 'Error')}"
    items = [("Code", error.code), ("Message", error.message)]
    items += [(name, str(value)) for name, value in error.fields.items()]
    items += [("RequestId", request_id or ids.s3_request_id()), ("HostId", host_id or ids.s3_host_id())]
    lines = [
        "<html>",
        f"<head><title>{title}</title></head>",
        "<body>",
        f"<h1>{title}</h1>",
        "<ul>",
        *(f"<li>{name}: {html.escape(value)}</li>" for name, value in items),
        "</ul>",
    ]
    if document_error is not None:
        lines += [
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>",
            "<ul>",
            f"<li>Code: {html.escape(document_error.code)}</li>",
            f"<li>Message: {html.escape(document_error.message)}</li>",
            *(f"<li>{name}: {html.escape(str(value))}</li>" for name, value in document_error.fields.items()),
            "</ul>",
        ]
    lines += ["<hr/>", "</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")


def no_such_website(bucket: str) -> AwsError:
    return AwsError(
        "NoSuchWebsiteConfiguration",
        "The specified bucket does not have a website configuration",
        404,
        {"BucketName": bucket},
    )


def method_not_allowed(method: str) -> AwsError:
    return AwsError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        {"Method": method, "ResourceType": "OBJECT"},
    )


# Serving


class _Served(Exception):
    """
    The request was answered (a redirect): C{answer} is its body.
    """

    def __init__(self, answer: bytes | int) -> None:
        self.answer = answer


@attrs.define
class WebsiteRequest:
    """
    One request to a website endpoint, served by L{serve}.
    """

    ctx: S3Context
    request: Any
    site: Site

    @property
    def host(self) -> str:
        return (self.request.getHeader(b"host") or b"localhost").decode("latin-1")

    @property
    def scheme(self) -> str:
        return "https" if self.request.isSecure() else "http"

    def serve(self) -> bytes | int:
        method = self.request.method.decode("ascii", "replace")
        if method not in ("GET", "HEAD"):
            return self.error(method_not_allowed(method))
        bucket = self.ctx.store.get_bucket(self.site.bucket)
        if bucket is None:
            return self.error(no_such_bucket(self.site.bucket))
        config = configs.WEBSITE.values(self.ctx, bucket)
        if config is None:
            return self.error(no_such_website(bucket.name))
        everything = config.get("RedirectAllRequestsTo")
        if everything is not None:
            return self.redirect(redirect_to(everything, self.site.key, self.site, self.host, self.scheme))
        rules = config.get("RoutingRules", [])
        found = routing_redirect(rules, self.site.key, None, self.site, self.host, self.scheme)
        if found is not None:
            return self.redirect(found)
        try:
            return self.object(bucket, config)
        except _Served as served:
            return served.answer
        except AwsError as error:
            if error.status not in (403, 404):
                return self.error(error)
            found = routing_redirect(rules, self.site.key, error.status, self.site, self.host, self.scheme)
            if found is not None:
                return self.redirect(found)
            return self.error_document(bucket, config, error)

    def object(self, bucket: Bucket, config: dict[str, Any]) -> bytes | int:
        key = self.site.key
        suffix = config["IndexDocument"]["Suffix"]
        wanted = key + suffix if key == "" or key.endswith("/") else key
        record = self.readable(bucket, wanted)
        if record is None:
            if wanted == key and self.readable(bucket, f"{key}/{suffix}", quiet=True) is not None:
                # A folder asked for without its slash: S3 sends the browser to it.
                raise _Served(self.redirect(Redirect(f"{self.site.base}{quote(key, safe='/~')}/", 302)))
            raise _missing(self.ctx, bucket, wanted)
        location = record.meta.headers.get(REDIRECT_HEADER)
        if location:
            if location.startswith("/"):
                location = self.site.base + location[1:]
            raise _Served(self.redirect(Redirect(location, 301)))
        return self.send(bucket, wanted, self._headers())

    def readable(self, bucket: Bucket, key: str, quiet: bool = False):
        """
        The object C{key} if anyone may read it; C{None} if there is none
        (C{quiet}: also when it may not be read).
        """
        allowed = _public(self.ctx, bucket, "s3:GetObject", key)
        if not allowed and not quiet:
            if self.ctx.store.get_object(bucket.name, key) is None:
                raise _missing(self.ctx, bucket, key)
            raise access.access_denied()
        if not allowed:
            return None
        return self.ctx.store.get_object(bucket.name, key)

    def send(self, bucket: Bucket, key: str, headers: dict[str, str]) -> bytes | int:
        # As GetObject by anyone: conditional requests and ranges as the API serves them.
        call = S3Call(
            self.request,
            self.request.method.decode("ascii"),
            bucket.name,
            key,
            {},
            headers,
            Caller(ANONYMOUS, bucket.region),
            None,
            "GetObject",
        )
        return objects.get_object(self.ctx, call)

    def _headers(self) -> dict[str, str]:
        return {
            name: value
            for name, value in self.request.lower_headers().items()
            if name in ("range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since")
        }

    def error_document(self, bucket: Bucket, config: dict[str, Any], error: AwsError) -> bytes | int:
        document = config.get("ErrorDocument")
        if document is None:
            return self.error(error)
        try:
            if self.readable(bucket, document["Key"]) is None:
                raise _missing(self.ctx, bucket, document["Key"])
            self.request.setResponseCode(error.status)
            return self.send(bucket, document["Key"], {})
        except AwsError as failed:
            return self.error(error, failed)

    def redirect(self, redirect: Redirect) -> bytes:
        self.request.setResponseCode(redirect.status)
        self.request.setHeader(b"location", redirect.location.encode("utf-8"))
        self.request.setHeader(b"content-length", b"0")
        return b""

    def error(self, error: AwsError, document_error: AwsError | None = None) -> bytes:
        headers = self.request.responseHeaders
        body = error_page(
            error,
            document_error,
            (headers.getRawHeaders(b"x-amz-request-id") or [b""])[0].decode(),
            (headers.getRawHeaders(b"x-amz-id-2") or [b""])[0].decode(),
        )
        self.request.setResponseCode(error.status)
        self.request.setHeader(b"content-type", b"text/html; charset=utf-8")
        self.request.setHeader(b"content-length", b"%d" % len(body))
        return b"" if self.request.method == b"HEAD" else body


def _missing(ctx: S3Context, bucket: Bucket, key: str) -> AwsError:
    # As for the API: NoSuchKey only for those who may list the bucket.
    if _public(ctx, bucket, "s3:ListBucket", None):
        return no_such_key(key)
    return access.access_denied()


def _public(ctx: S3Context, bucket: Bucket, action: str, key: str | None) -> bool:
    """
    Whether anyone at all may do C{action}: the bucket policy grants it to
    the principal C{*}, or a public ACL grant (the bucket's, or the object's)
    does and the policy does not deny it; either only while the bucket's
    public access block does not restrict a bucket with a public policy
    (RestrictPublicBuckets, on for every new bucket).
    """
    if publicaccess.restricted(ctx, bucket, ANONYMOUS):
        return False
    return access.permits(bucket, ANONYMOUS, action, key, secure=False, acls=acls.RequestAcls(ctx, bucket, key))


def serve(ctx: S3Context, request, site: Site) -> bytes | int:
    return WebsiteRequest(ctx, request, site).serve()
