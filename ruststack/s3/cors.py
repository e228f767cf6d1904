"""
Cross-origin resource sharing: PutBucketCors, GetBucketCors and
DeleteBucketCors, and the rules applied as S3 applies them, so that a
browser app served from elsewhere can call RustStack's S3: a preflight
C{OPTIONS} is answered from the first rule allowing its origin, method and
headers (403 AccessForbidden when none does), and a request carrying an
C{Origin} gets the C{Access-Control-*} headers of the first rule allowing
its origin and method.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruststack.aws.errors import AwsError
from ruststack.s3 import configs, wire
from ruststack.s3.call import S3Call, S3Context
from ruststack.s3.records import Bucket

MAX_RULES = 100
METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def _check(ctx: S3Context, bucket: Bucket, values: dict[str, Any]) -> None:
    rules = values["CORSRules"]
    if not rules or len(rules) > MAX_RULES:
        raise wire.malformed()
    for rule in rules:
        if len(rule.get("ID", "")) > 255:
            raise configs.invalid_request("The ID of a CORS rule must be at most 255 characters")
        for method in rule["AllowedMethods"]:
            if method not in METHODS:
                raise configs.invalid_request(
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )
        for kind, names in (
            ("AllowedOrigin", rule["AllowedOrigins"]),
            ("AllowedHeader", rule.get("AllowedHeaders", [])),
        ):
            for name in names:
                if name.count("*") > 1:
                    raise configs.invalid_request(f'{kind} "{name}" can not have more than one wildcard.')


CORS = configs.Config(
    "cors", "PutBucketCors", ("NoSuchCORSConfiguration", "The CORS configuration does not exist"), validate=_check
)
put_bucket_cors = configs.put_handler(CORS)
get_bucket_cors = configs.get_handler(CORS)
delete_bucket_cors = configs.delete_handler(CORS)


def _wildcard(pattern: str, value: str, fold: bool = False) -> bool:
    """
    Whether C{value} matches C{pattern}, whose one C{*} stands for any text.
    """
    if fold:
        pattern, value = pattern.lower(), value.lower()
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def matching_rule(
    rules: list[dict[str, Any]], origin: str, method: str, headers: Sequence[str] = ()
) -> dict[str, Any] | None:
    """
    The first rule allowing C{origin} to send C{method} with C{headers}.
    """
    for rule in rules:
        if method not in rule["AllowedMethods"]:
            continue
        if not any(_wildcard(allowed, origin) for allowed in rule["AllowedOrigins"]):
            continue
        allowed_headers = rule.get("AllowedHeaders", [])
        if all(any(_wildcard(allowed, name, fold=True) for allowed in allowed_headers) for name in headers):
            return rule
    return None


def _rules(ctx: S3Context, bucket: Bucket) -> list[dict[str, Any]] | None:
    values = CORS.values(ctx, bucket)
    return None if values is None else values["CORSRules"]


def _allow(call: S3Call, rule: dict[str, Any], origin: str) -> None:
    wildcard = "*" in rule["AllowedOrigins"]
    headers = {
        "Access-Control-Allow-Origin": "*" if wildcard else origin,
        "Access-Control-Allow-Methods": ", ".join(rule["AllowedMethods"]),
    }
    if rule.get("ExposeHeaders"):
        headers["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    if rule.get("MaxAgeSeconds") is not None:
        headers["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    if not wildcard:
        headers["Access-Control-Allow-Credentials"] = "true"
    headers["Vary"] = _VARY
    call.set_headers(headers)


def add_headers(ctx: S3Context, call: S3Call) -> None:
    """
    The C{Access-Control-*} headers of a request from a browser (one with
    an C{Origin}) to a bucket whose CORS rules allow it; set before the
    operation runs, so that its errors carry them too, as S3's do.
    """
    origin = call.headers.get("origin")
    if origin is None or call.bucket is None:
        return
    bucket = ctx.store.get_bucket(call.bucket)
    rules = None if bucket is None else _rules(ctx, bucket)
    if not rules:
        return
    rule = matching_rule(rules, origin, call.method)
    if rule is not None:
        _allow(call, rule, origin)
    else:
        call.set_headers({"Vary": _VARY})


def _forbidden(message: str, call: S3Call, method: str) -> AwsError:
    resource = "OBJECT" if call.key is not None else "BUCKET"
    return AwsError("AccessForbidden", "CORSResponse: " + message, 403, {"Method": method, "ResourceType": resource})


def preflight(ctx: S3Context, call: S3Call) -> bytes:
    """
    The answer to a preflight C{OPTIONS}, which browsers send unsigned.
    """
    origin = call.headers.get("origin")
    method = call.headers.get("access-control-request-method")
    if origin is None:
        raise AwsError("BadRequest", "Insufficient information. Origin request header needed.", 400)
    if method is None or method not in METHODS:
        raise AwsError("BadRequest", f"Invalid Access-Control-Request-Method: {method or 'null'}", 400)
    bucket = ctx.store.get_bucket(call.bucket) if call.bucket is not None else None
    if bucket is None:
        raise _forbidden("Bucket not found", call, method)
    rules = _rules(ctx, bucket)
    if not rules:
        raise _forbidden("CORS is not enabled for this bucket.", call, method)
    requested = [
        name.strip() for name in call.headers.get("access-control-request-headers", "").split(",") if name.strip()
    ]
    rule = matching_rule(rules, origin, method, requested)
    if rule is None:
        raise _forbidden(
            "This CORS request is not allowed. This is usually because the evalution of Origin, request method /"
            " Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's"
            " CORS spec.",
            call,
            method,
        )
    _allow(call, rule, origin)
    if requested:
        call.set_headers({"Access-Control-Allow-Headers": ", ".join(name.lower() for name in requested)})
    call.set_headers({"Content-Length": "0"})
    return b""
